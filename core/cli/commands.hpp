#pragma once
// The subcommands of `schakel`, each registered on the CLI11 app and run after parsing.
#include <functional>
#include <string>

#include <CLI/CLI.hpp>

namespace schakel::cli {

struct Globals {
  std::string schema_dir;
};

// Each adds its subcommands to `app` and returns how to run the one that was parsed (or an empty
// function when none of its commands was chosen).
using Runner = std::function<int()>;
Runner add_config_commands(CLI::App& app, const Globals& globals);
Runner add_plugin_commands(CLI::App& app, const Globals& globals);
Runner add_audit_commands(CLI::App& app, const Globals& globals);

}  // namespace schakel::cli
