// schakel: the command-line tool. Offline commands work on a config file or a data directory
// with no daemon; live commands (later) talk to the daemon's API.
#include <iostream>

#include <CLI/CLI.hpp>

#include "daemon/daemon.hpp"
#include "schema/schema_set.hpp"

int main(int argc, char** argv) {
  CLI::App app{"schakel - command-line tool for the Schakel integration hub"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "schakel 0.1.0");
  app.footer("Exit codes: 0 ok, 1 the check failed (e.g. audit verification), 2 bad input or usage.");
  std::string schema_dir = schakel::schema::default_schema_dir().string();
  app.add_option("--schemas", schema_dir, "directory of the JSON schemas")->capture_default_str();

  auto* config_cmd = app.add_subcommand("config", "work with configuration files");
  config_cmd->require_subcommand(1);
  auto* check_cmd = config_cmd->add_subcommand("check", "validate a configuration file (as schakeld --check-config)");
  std::string config_file;
  check_cmd->add_option("FILE", config_file, "configuration file")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (check_cmd->parsed()) {
    return schakel::daemon::check_config({config_file, schema_dir}, std::cout, std::cerr);
  }
  return 2;
}
