#pragma once
// The configured connectors: resolving a plugin name to a file in the plugin directories, and the
// plugin-host options the daemon and the offline `schakel connectors check` share.
#include <filesystem>
#include <vector>

#include "base/status.hpp"
#include "config/config.hpp"
#include "plugin_host/plugin_host.hpp"

namespace schakel::daemon {

// "referral-portal" → <dir>/libschakel_referral_portal.so (or lib<name>.so, or <name>), searched in
// the configured plugin directories in order; a value with a '/' is a path relative to the config.
Result<std::filesystem::path> resolve_plugin(const config::Config& config, const std::string& plugin);

// The load options for this config: its plugin directories, the daemon's own uid, the schemas.
plugin_host::LoadOptions load_options(const config::Config& config, const std::filesystem::path& schema_dir);

// The connector entries of the config, with their plugin files resolved (every problem at once,
// each with file:line of the entry).
Result<std::vector<plugin_host::ConnectorConfig>> connector_configs(const config::Config& config);

}  // namespace schakel::daemon
