#include "plugin_host/manifest.hpp"

#include <algorithm>

namespace schakel::plugin_host {

using nlohmann::json;

const char* kind_name(PluginKind kind) {
  switch (kind) {
    case PluginKind::source: return "source";
    case PluginKind::sink: return "sink";
    case PluginKind::both: return "both";
  }
  return "?";
}

bool Manifest::has_capability(const std::string& name) const {
  return std::find(capabilities.begin(), capabilities.end(), name) != capabilities.end();
}

namespace {

// A violation inside a property also fails the property's parent ("Failed to validate against
// schema associated with property name 'x'"); only the innermost says anything useful.
bool has_deeper(const std::vector<schema::Violation>& vs, const std::string& pointer) {
  return std::any_of(vs.begin(), vs.end(), [&](const schema::Violation& o) {
    return o.pointer.size() > pointer.size() && o.pointer.compare(0, pointer.size(), pointer) == 0 &&
           o.pointer[pointer.size()] == '/';
  });
}

std::string join_violations(const std::string& prefix, const std::vector<schema::Violation>& vs) {
  std::string out;
  for (const auto& v : vs) {
    const bool cascade = v.message.rfind("Failed to validate against schema associated with property", 0) == 0 ||
                         v.message.rfind("Failed to validate item #", 0) == 0;
    if (cascade && has_deeper(vs, v.pointer)) continue;
    if (!out.empty()) out += "\n";
    out += prefix + (v.pointer.empty() ? "" : v.pointer) + ": " + v.message;
  }
  return out;
}

}  // namespace

Result<Manifest> parse_manifest(const std::string& text, const schema::SchemaSet& schemas) {
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded()) return error(ErrorCode::invalid, "manifest: not valid JSON");
  if (!schemas.has("plugin-manifest"))
    return error(ErrorCode::internal, "plugin-manifest.schema.json is not loaded");
  if (auto vs = schemas.validate("plugin-manifest", doc); !vs.empty())
    return error(ErrorCode::invalid, join_violations("manifest", vs));
  Manifest m;
  const auto kind = doc.at("kind").get<std::string>();
  m.kind = kind == "source" ? PluginKind::source : kind == "sink" ? PluginKind::sink : PluginKind::both;
  m.description = doc.value("description", "");
  if (auto it = doc.find("streams"); it != doc.end())
    for (const auto& [name, spec] : it->items())
      m.streams[name] = StreamSpec{spec.value("description", ""), spec.at("schema")};
  if (auto it = doc.find("document_schema"); it != doc.end()) m.document_schema = *it;
  m.config_schema = doc.at("config_schema");
  if (auto it = doc.find("capabilities"); it != doc.end())
    m.capabilities = it->get<std::vector<std::string>>();
  m.raw = std::move(doc);
  return m;
}

Status validate_settings(schema::SchemaSet& schemas, const std::string& schema_name,
                         const json& config_schema, const json& settings) {
  if (!schemas.has(schema_name)) {
    if (auto st = schemas.add(schema_name, config_schema); !st)
      return error(ErrorCode::invalid, "config_schema does not compile: " + st.message());
  }
  if (auto vs = schemas.validate(schema_name, settings); !vs.empty())
    return error(ErrorCode::invalid, join_violations("settings", vs));
  return Status::ok();
}

}  // namespace schakel::plugin_host
