#pragma once
// schakeld: loads the configuration and the schemas, opens the store, and runs the engine on an
// Asio io_context until SIGTERM/SIGINT. SIGHUP re-reads the configuration; a bad one is reported
// and the running one stays.
#include <filesystem>
#include <iosfwd>
#include <memory>

namespace schakel::daemon {

struct Options {
  std::filesystem::path config_file;
  std::filesystem::path schema_dir;
};

// Validates a configuration file. Prints "ok" or every error (file:line:column: path: message),
// one a line; returns 0 when valid, 2 otherwise.
int check_config(const Options& options, std::ostream& out, std::ostream& err);

// Runs the daemon; returns the process exit code.
int run(const Options& options);

}  // namespace schakel::daemon
