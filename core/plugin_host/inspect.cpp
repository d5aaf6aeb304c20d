#include "plugin_host/inspect.hpp"

#include <algorithm>
#include <sstream>

namespace schakel::plugin_host {

using nlohmann::json;

namespace {

std::string type_of(const json& prop) {
  if (auto t = prop.find("type"); t != prop.end()) {
    if (t->is_string()) return t->get<std::string>();
    if (t->is_array()) {
      std::string out;
      for (const auto& x : *t) out += (out.empty() ? "" : "|") + x.get<std::string>();
      return out;
    }
  }
  if (auto e = prop.find("enum"); e != prop.end() && e->is_array()) {
    std::string out;
    for (const auto& x : *e) out += (out.empty() ? "" : "|") + x.dump();
    return out;
  }
  if (prop.contains("const")) return "const " + prop.at("const").dump();
  return "any";
}

void collect(const json& schema, const std::string& prefix, std::vector<ConfigOption>& out) {
  const auto props = schema.find("properties");
  if (props == schema.end() || !props->is_object()) return;
  std::vector<std::string> required;
  if (auto r = schema.find("required"); r != schema.end() && r->is_array())
    for (const auto& x : *r)
      if (x.is_string()) required.push_back(x.get<std::string>());
  for (const auto& [key, prop] : props->items()) {
    if (!prop.is_object()) continue;
    ConfigOption o;
    o.key = prefix + key;
    o.type = type_of(prop);
    o.required = std::find(required.begin(), required.end(), key) != required.end();
    if (auto d = prop.find("default"); d != prop.end()) o.default_value = d->dump();
    o.description = prop.value("description", "");
    out.push_back(o);
    if (o.type == "object") collect(prop, o.key + ".", out);
  }
}

}  // namespace

std::vector<ConfigOption> config_options(const json& config_schema) {
  std::vector<ConfigOption> out;
  collect(config_schema, "", out);
  return out;
}

std::string describe_plugin(const PluginLibrary& lib) {
  const Manifest& m = lib.manifest();
  std::ostringstream o;
  o << "plugin:       " << lib.name() << " " << lib.version() << "\n";
  o << "file:         " << lib.path().string() << "\n";
  o << "sha256:       " << lib.sha256() << "\n";
  o << "abi:          " << lib.abi_major() << "." << lib.abi_minor() << "\n";
  o << "kind:         " << kind_name(m.kind) << "\n";
  if (!m.description.empty()) o << "description:  " << m.description << "\n";
  std::string caps;
  for (const auto& c : m.capabilities) caps += (caps.empty() ? "" : ", ") + c;
  o << "capabilities: " << (caps.empty() ? "(none)" : caps) << "\n";
  if (!m.streams.empty()) {
    o << "streams:\n";
    for (const auto& [name, spec] : m.streams)
      o << "  " << name << (spec.description.empty() ? "" : ": " + spec.description) << "\n";
  }
  if (m.document_schema) {
    std::string req;
    for (const auto& r : m.document_schema->value("required", json::array()))
      req += (req.empty() ? "" : ", ") + r.get<std::string>();
    o << "document:     required fields: " << (req.empty() ? "(none)" : req) << "\n";
  }
  const auto options = config_options(m.config_schema);
  o << "config options:\n";
  if (options.empty()) o << "  (none)\n";
  for (const auto& c : options) {
    o << "  " << c.key << "  (" << c.type << (c.required ? ", required" : ", optional");
    if (!c.default_value.empty()) o << ", default " << c.default_value;
    o << ")";
    if (!c.description.empty()) o << "\n      " << c.description;
    o << "\n";
  }
  o << "manifest:\n" << m.raw.dump(2) << "\n";
  return o.str();
}

Result<std::string> inspect_plugin(const std::filesystem::path& path, const LoadOptions& options) {
  auto lib = PluginLibrary::open(path, options, std::nullopt);
  if (!lib) return lib.status();
  return describe_plugin(**lib);
}

}  // namespace schakel::plugin_host
