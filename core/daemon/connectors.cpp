#include "daemon/connectors.hpp"

#include <unistd.h>

#include <algorithm>

namespace schakel::daemon {

Result<std::filesystem::path> resolve_plugin(const config::Config& config, const std::string& plugin) {
  if (plugin.find('/') != std::string::npos) return config.resolve_path(plugin);
  std::string underscored = plugin;
  std::replace(underscored.begin(), underscored.end(), '-', '_');
  const std::vector<std::string> names = {"libschakel_" + underscored + ".so", "lib" + plugin + ".so", plugin};
  std::string searched;
  for (const auto& dir : config.plugin_dirs()) {
    for (const auto& name : names) {
      std::error_code ec;
      if (std::filesystem::is_regular_file(dir / name, ec)) return dir / name;
    }
    searched += (searched.empty() ? "" : ", ") + dir.string();
  }
  return error(ErrorCode::not_found, "plugin '" + plugin + "' not found in the plugin directories (" +
                                         (searched.empty() ? "none configured" : searched) + ")");
}

plugin_host::LoadOptions load_options(const config::Config& config, const std::filesystem::path& schema_dir) {
  plugin_host::LoadOptions options;
  options.plugin_dirs = config.plugin_dirs();
  options.daemon_uid = ::geteuid();
  options.schema_dir = schema_dir;
  return options;
}

Result<std::vector<plugin_host::ConnectorConfig>> connector_configs(const config::Config& config) {
  std::vector<plugin_host::ConnectorConfig> out;
  std::string problems;
  const auto& list = config.doc.value("connectors", nlohmann::json::array());
  for (std::size_t i = 0; i < list.size(); ++i) {
    const auto& c = list[i];
    if (!c.value("enabled", true)) continue;
    auto path = resolve_plugin(config, c.at("plugin").get<std::string>());
    if (!path) {
      problems += config.place("/connectors/" + std::to_string(i) + "/plugin") + ": " + path.status().message() + "\n";
      continue;
    }
    plugin_host::ConnectorConfig cc;
    cc.id = c.at("id").get<std::string>();
    cc.plugin = *path;
    if (c.contains("sha256")) cc.sha256 = c["sha256"].get<std::string>();
    cc.settings = c.value("settings", nlohmann::json::object());
    out.push_back(std::move(cc));
  }
  if (!problems.empty()) {
    problems.pop_back();
    return error(ErrorCode::invalid, problems);
  }
  return out;
}

}  // namespace schakel::daemon
