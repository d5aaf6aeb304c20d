// schakel: the command-line tool. Offline commands work on a config file, a plugin file or a data
// directory with no daemon; live commands talk to the daemon's API.
#include <iostream>
#include <string>

#include "cli/commands.hpp"
#include "cli/live.hpp"
#include "schema/schema_set.hpp"

int main(int argc, char** argv) {
  CLI::App app{"schakel - command-line tool for the Schakel integration hub"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "schakel 0.1.0");
  app.footer(std::string(schakel::cli::live_commands_help()) + schakel::cli::live_exit_codes_help());
  schakel::cli::Globals globals;
  globals.schema_dir = schakel::schema::default_schema_dir().string();
  app.add_option("--schemas", globals.schema_dir, "directory of the JSON schemas")->capture_default_str();
  schakel::cli::add_live_options(app, globals.live);

  const std::vector<schakel::cli::Runner> runners = {
      schakel::cli::add_config_commands(app, globals),
      schakel::cli::add_plugin_commands(app, globals),
      schakel::cli::add_audit_commands(app, globals),
      schakel::cli::add_token_commands(app, globals),
      schakel::cli::add_ops_commands(app, globals),
      schakel::cli::add_case_commands(app, globals),
  };
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  for (const auto& run : runners) {
    if (const int code = run(); code >= 0) return code;
  }
  return 2;
}
