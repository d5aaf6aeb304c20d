#pragma once
// The daemon's configuration: YAML validated against schemas/config.schema.json, secrets resolved
// from ${env:NAME} and ${file:PATH}, cross references checked. Every error names
// file:line:column and the JSON path, all of them at once.
#include <filesystem>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/yaml_json.hpp"
#include "schema/schema_set.hpp"

namespace schakel::config {

struct ConfigError {
  std::string file;
  Mark mark;
  std::string path;  // e.g. connectors[2].settings.base_url
  std::string message;
  [[nodiscard]] std::string to_string() const;
};

struct Config {
  std::filesystem::path file;
  nlohmann::json doc;                      // resolved, secrets included: never log this
  std::set<std::string> secret_pointers;   // where secrets were substituted

  // The configuration with every secret replaced by "<secret>": safe to log or return.
  [[nodiscard]] nlohmann::json redacted() const;

  // Typed views of what the core needs; defaults from the schema.
  [[nodiscard]] std::string instance_name() const;
  [[nodiscard]] std::filesystem::path data_dir() const;          // absolute
  [[nodiscard]] std::vector<std::filesystem::path> plugin_dirs() const;  // absolute
  [[nodiscard]] std::string log_level() const;
  [[nodiscard]] std::string log_format() const;
  [[nodiscard]] int shutdown_deadline_ms() const;
  [[nodiscard]] int store_busy_timeout_ms() const;
  [[nodiscard]] bool demo() const;
  // A path from the config, made absolute against the config file's directory.
  [[nodiscard]] std::filesystem::path resolve_path(const std::string& p) const;
};

struct LoadResult {
  std::optional<Config> config;
  std::vector<ConfigError> errors;
};

using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
EnvLookup process_environment();

// Loads and checks a configuration file. `schemas` must hold config.schema.json.
LoadResult load_config(const std::filesystem::path& file, const schema::SchemaSet& schemas,
                       const EnvLookup& env = process_environment());
// The same, from text (the API's "validate a posted config").
LoadResult load_config_text(const std::string& text, const std::filesystem::path& file,
                            const schema::SchemaSet& schemas, const EnvLookup& env = process_environment());

}  // namespace schakel::config
