#pragma once
// A plugin's manifest (plugin.h, manifest_json), parsed and checked against
// schemas/plugin-manifest.schema.json.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.hpp"
#include "schema/schema_set.hpp"

namespace schakel::plugin_host {

enum class PluginKind { source, sink, both };
const char* kind_name(PluginKind kind);

struct StreamSpec {
  std::string description;
  nlohmann::json schema;
};

struct Manifest {
  PluginKind kind = PluginKind::sink;
  std::string description;
  std::map<std::string, StreamSpec> streams;
  std::optional<nlohmann::json> document_schema;
  nlohmann::json config_schema;
  std::vector<std::string> capabilities;
  nlohmann::json raw;

  [[nodiscard]] bool is_source() const { return kind != PluginKind::sink; }
  [[nodiscard]] bool is_sink() const { return kind != PluginKind::source; }
  [[nodiscard]] bool has_capability(const std::string& name) const;
};

// Parses `text` and validates it against the "plugin-manifest" schema in `schemas`. The error
// lists every violation as "manifest<pointer>: <message>", one per line.
Result<Manifest> parse_manifest(const std::string& text, const schema::SchemaSet& schemas);

// Every violation of `settings` against `config_schema`, one per line as
// "settings<pointer>: <message>"; ok if none. `schemas` compiles the schema (it is added under
// `schema_name`).
Status validate_settings(schema::SchemaSet& schemas, const std::string& schema_name,
                         const nlohmann::json& config_schema, const nlohmann::json& settings);

}  // namespace schakel::plugin_host
