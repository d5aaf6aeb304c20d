// schakeld: the Schakel daemon.
#include <iostream>

#include <CLI/CLI.hpp>

#include "daemon/daemon.hpp"
#include "schema/schema_set.hpp"

int main(int argc, char** argv) {
  CLI::App app{"schakeld - the Schakel integration hub daemon"};
  schakel::daemon::Options options;
  std::string check;
  std::string schema_dir = schakel::schema::default_schema_dir().string();
  app.add_option("--config", options.config_file, "configuration file (YAML)");
  app.add_option("--check-config", check, "validate a configuration file, print every error, exit 0 or 2");
  app.add_option("--schemas", schema_dir, "directory of the JSON schemas")->capture_default_str();
  app.set_version_flag("--version", "schakeld 0.1.0");
  app.footer("Exit codes: 0 ok, 1 runtime failure, 2 bad configuration or usage.");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  options.schema_dir = schema_dir;
  if (!check.empty()) {
    options.config_file = check;
    return schakel::daemon::check_config(options, std::cout, std::cerr);
  }
  if (options.config_file.empty()) {
    std::cerr << "schakeld: --config FILE is required (or --check-config FILE)\n";
    return 2;
  }
  return schakel::daemon::run(options);
}
