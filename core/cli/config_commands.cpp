#include <iostream>

#include "cli/commands.hpp"
#include "daemon/daemon.hpp"

namespace schakel::cli {

Runner add_config_commands(CLI::App& app, const Globals& globals) {
  auto* config_cmd = app.add_subcommand("config", "configuration files: check (offline), reload (live)");
  config_cmd->require_subcommand(1);
  auto* check = config_cmd->add_subcommand("check", "validate a configuration file (as schakeld --check-config)");
  auto file = std::make_shared<std::string>();
  check->add_option("FILE", *file, "configuration file")->required();
  return [check, file, &globals]() -> int {
    if (!check->parsed()) return -1;
    return daemon::check_config({*file, globals.schema_dir}, std::cout, std::cerr);
  };
}

}  // namespace schakel::cli
