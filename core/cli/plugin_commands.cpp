#include <iostream>

#include "cli/commands.hpp"
#include "cli/live.hpp"
#include "config/config.hpp"
#include "daemon/connectors.hpp"
#include "plugin_host/inspect.hpp"

namespace schakel::cli {
namespace {

int inspect(const std::string& path, const Globals& globals) {
  plugin_host::LoadOptions options;
  options.daemon_uid = ::geteuid();
  options.schema_dir = globals.schema_dir;
  auto text = plugin_host::inspect_plugin(path, options);
  if (!text) {
    std::cerr << text.status().message() << "\n";
    return 2;
  }
  std::cout << *text;
  return 0;
}

// Loads the one connector from the config with the daemon's checks and runs the plugin's check
// against the configured system. Nothing is written to the data directory.
int check_connector(const std::string& config_file, const std::string& id, const Globals& globals) {
  auto schemas = schema::SchemaSet::load(globals.schema_dir);
  if (!schemas) {
    std::cerr << schemas.status().message() << "\n";
    return 2;
  }
  auto loaded = config::load_config(config_file, *schemas);
  if (!loaded.config) {
    for (const auto& e : loaded.errors) std::cerr << e.to_string() << "\n";
    return 2;
  }
  auto connectors = daemon::connector_configs(*loaded.config);
  if (!connectors) {
    std::cerr << connectors.status().message() << "\n";
    return 2;
  }
  auto it = std::find_if(connectors->begin(), connectors->end(), [&](const auto& c) { return c.id == id; });
  if (it == connectors->end()) {
    std::cerr << config_file << ": no enabled connector '" << id << "'\n";
    return 2;
  }
  plugin_host::HostOptions options;
  options.load = daemon::load_options(*loaded.config, globals.schema_dir);
  options.workers = 1;
  options.on_log = [](const std::string& connector, int, const std::string& msg) {
    std::cerr << connector << ": " << msg << "\n";
  };
  plugin_host::PluginHost host(options);
  if (auto st = host.add_connector(*it); !st) {
    std::cerr << st.message() << "\n";
    return 2;
  }
  const auto result = host.check(id).get();
  if (result.code != plugin_host::CallCode::ok) {
    std::cout << id << ": check failed (" << plugin_host::call_code_name(result.code) << "): " << result.message << "\n";
    return 1;
  }
  std::cout << id << ": ok" << (result.message.empty() ? "" : ": " + result.message) << "\n";
  return 0;
}

}  // namespace

Runner add_plugin_commands(CLI::App& app, const Globals& globals) {
  auto* plugins = app.add_subcommand("plugins", "inspect plugin files (offline)");
  plugins->require_subcommand(1);
  auto* inspect_cmd = plugins->add_subcommand("inspect", "print a plugin's manifest and config options");
  auto path = std::make_shared<std::string>();
  inspect_cmd->add_option("PATH", *path, "the plugin's shared library")->required();

  auto* connectors = app.add_subcommand("connectors", "work with configured connectors");
  connectors->require_subcommand(1);
  auto* check_cmd = connectors->add_subcommand("check", "load a connector's plugin and run its check against the configured system");
  auto id = std::make_shared<std::string>();
  auto config_file = std::make_shared<std::string>("/etc/schakel/schakel.yaml");
  check_cmd->add_option("ID", *id, "connector id")->required();
  auto* check_config = check_cmd->add_option(
      "--config", *config_file, "offline: load the plugin from this configuration (else: through the API when --url or $SCHAKEL_URL is set)")
      ->capture_default_str();

  return [=, &globals]() -> int {
    if (inspect_cmd->parsed()) return inspect(*path, globals);
    // Without --config and with an API address, the daemon runs the check (ops_commands.cpp).
    if (check_cmd->parsed() && (check_config->count() > 0 || !live_url_given(globals.live)))
      return check_connector(*config_file, *id, globals);
    return -1;
  };
}

}  // namespace schakel::cli
