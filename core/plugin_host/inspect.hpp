#pragma once
// `schakel plugins inspect PATH`: a plugin's identity, manifest and config options, the options
// generated from its config schema (key, type, required, default, description).
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.hpp"
#include "plugin_host/library.hpp"

namespace schakel::plugin_host {

struct ConfigOption {
  std::string key;  // dotted for nested objects: "tls.ca_file"
  std::string type;
  bool required = false;
  std::string default_value;  // JSON text, "" if none
  std::string description;
};

// The options of a config schema, in schema order, nested objects flattened.
std::vector<ConfigOption> config_options(const nlohmann::json& config_schema);

// Loads `path` with the same checks as the daemon (except the plugin directory, when
// options.plugin_dirs is empty) and describes it as text.
Result<std::string> inspect_plugin(const std::filesystem::path& path, const LoadOptions& options);

// The text for an already loaded plugin.
std::string describe_plugin(const PluginLibrary& lib);

}  // namespace schakel::plugin_host
