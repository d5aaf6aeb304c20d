#pragma once
// The subcommands of `schakel`, each registered on the CLI11 app and run after parsing.
#include <functional>
#include <string>

#include <CLI/CLI.hpp>

namespace schakel::cli {

// How live commands reach the daemon's API (global options; see live.hpp).
struct LiveOptions {
  std::string url;         // --url or SCHAKEL_URL, e.g. https://127.0.0.1:8443
  std::string token_file;  // --token-file; otherwise SCHAKEL_TOKEN
  std::string ca_file;     // --ca-file; otherwise the system's trust store
  bool json = false;       // --json: print the API's JSON as it came
  int timeout_ms = 30'000;
};

struct Globals {
  std::string schema_dir;
  LiveOptions live;
};

// Each adds its subcommands to `app` and returns how to run the one that was parsed (or an empty
// function when none of its commands was chosen).
using Runner = std::function<int()>;
Runner add_config_commands(CLI::App& app, const Globals& globals);
Runner add_plugin_commands(CLI::App& app, const Globals& globals);
Runner add_audit_commands(CLI::App& app, const Globals& globals);
Runner add_token_commands(CLI::App& app, const Globals& globals);
// Live: connectors list/status/check/run/pause/resume, config reload, outbox list/retry.
Runner add_ops_commands(CLI::App& app, const Globals& globals);
// Live: cases, consents, referrals, meetings, audit search and the online audit commands.
Runner add_case_commands(CLI::App& app, const Globals& globals);

}  // namespace schakel::cli
