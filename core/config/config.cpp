#include "config/config.hpp"

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

namespace schakel::config {
namespace {

using nlohmann::json;

const std::string k_secret_mask = "<secret>";

struct Loader {
  const std::filesystem::path& file;
  const YamlDocument& yaml;
  const EnvLookup& env;
  std::vector<ConfigError> errors;
  std::set<std::string> secrets;

  void fail(const std::string& pointer, const std::string& message) {
    // An unknown or duplicate key is shown where the key is written.
    const bool at_key = message == "unknown property" || message.rfind("duplicate ", 0) == 0;
    errors.push_back({file.string(), yaml.mark_of(pointer, at_key), pointer_to_path(pointer), message});
  }

  std::filesystem::path base_dir() const {
    auto dir = file.parent_path();
    return dir.empty() ? std::filesystem::current_path() : std::filesystem::absolute(dir);
  }

  // Replaces ${env:NAME} and ${file:PATH} in every string; the message names the variable or
  // file, never a value.
  void resolve(json& node, const std::string& pointer) {
    if (node.is_object()) {
      for (auto& [k, v] : node.items()) resolve(v, pointer + "/" + schema::escape_pointer_token(k));
    } else if (node.is_array()) {
      for (std::size_t i = 0; i < node.size(); ++i) resolve(node[i], pointer + "/" + std::to_string(i));
    } else if (node.is_string()) {
      std::string s = node.get<std::string>();
      std::string out;
      std::size_t pos = 0;
      bool substituted = false;
      while (true) {
        const auto start = s.find("${", pos);
        if (start == std::string::npos) break;
        const auto end = s.find('}', start);
        if (end == std::string::npos) break;
        const std::string ref = s.substr(start + 2, end - start - 2);
        out += s.substr(pos, start - pos);
        pos = end + 1;
        if (ref.rfind("env:", 0) == 0) {
          const std::string name = ref.substr(4);
          auto value = env(name);
          if (!value) {
            fail(pointer, "environment variable " + name + " is not set");
            return;
          }
          out += *value;
        } else if (ref.rfind("file:", 0) == 0) {
          std::filesystem::path p = ref.substr(5);
          if (p.is_relative()) p = base_dir() / p;
          std::ifstream in(p, std::ios::binary);
          if (!in) {
            fail(pointer, "secret file " + p.string() + " cannot be read");
            return;
          }
          std::stringstream buf;
          buf << in.rdbuf();
          std::string value = buf.str();
          if (!value.empty() && value.back() == '\n') value.pop_back();
          if (!value.empty() && value.back() == '\r') value.pop_back();
          out += value;
        } else {
          fail(pointer, "unknown reference ${" + ref + "}: use ${env:NAME} or ${file:PATH}");
          return;
        }
        substituted = true;
      }
      if (!substituted) return;
      out += s.substr(pos);
      node = out;
      secrets.insert(pointer);
    }
  }

  void check_unique(const json& doc, const char* list, const std::function<std::string(const json&)>& key,
                    const char* what) {
    if (!doc.contains(list) || !doc[list].is_array()) return;
    std::map<std::string, std::size_t> seen;
    for (std::size_t i = 0; i < doc[list].size(); ++i) {
      const std::string k = key(doc[list][i]);
      if (k.empty()) continue;
      auto [it, fresh] = seen.emplace(k, i);
      if (!fresh)
        fail("/" + std::string(list) + "/" + std::to_string(i),
             std::string("duplicate ") + what + " '" + k + "' (first at " + list + "[" +
                 std::to_string(it->second) + "])");
    }
  }

  void cross_references(const json& doc) {
    auto id_of = [](const json& j) { return j.is_object() ? j.value("id", "") : ""; };
    check_unique(doc, "connectors", id_of, "connector id");
    check_unique(doc, "routes", id_of, "route id");
    check_unique(doc, "schools", [](const json& j) {
      return j.is_object() ? j.value("brin", "") + j.value("vestiging", "00") : "";
    }, "school");
    std::set<std::string> connectors;
    for (const auto& c : doc.value("connectors", json::array())) connectors.insert(c.value("id", ""));
    const auto routes = doc.value("routes", json::array());
    for (std::size_t i = 0; i < routes.size(); ++i) {
      const auto& r = routes[i];
      const std::string at = "/routes/" + std::to_string(i);
      if (!connectors.count(r.value("connector", "")))
        fail(at + "/connector", "unknown connector '" + r.value("connector", "") + "'");
      if (r.value("trigger", "") == "case.stage_reached" && !r.contains("stage"))
        fail(at, "trigger case.stage_reached needs a stage");
    }
  }
};

std::string read_file(const std::filesystem::path& file, bool& ok) {
  std::ifstream in(file, std::ios::binary);
  ok = static_cast<bool>(in);
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

const json& at_or_null(const json& doc, const char* a, const char* b) {
  static const json null;
  if (!doc.contains(a) || !doc[a].is_object() || !doc[a].contains(b)) return null;
  return doc[a][b];
}

}  // namespace

std::string ConfigError::to_string() const {
  return file + ":" + std::to_string(mark.line) + ":" + std::to_string(mark.column) + ": " + path + ": " + message;
}

EnvLookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
}

LoadResult load_config_text(const std::string& text, const std::filesystem::path& file,
                            const schema::SchemaSet& schemas, const EnvLookup& env) {
  const YamlDocument yaml = parse_yaml(text);
  Loader loader{file, yaml, env, {}, {}};
  for (const auto& e : yaml.errors)
    loader.errors.push_back({file.string(), e.mark, e.pointer.empty() ? "(yaml)" : pointer_to_path(e.pointer), e.message});
  if (!loader.errors.empty()) return {std::nullopt, loader.errors};
  if (!yaml.json.is_object()) {
    loader.fail("", "the configuration must be a mapping");
    return {std::nullopt, loader.errors};
  }
  json doc = yaml.json;
  for (const auto& v : schemas.validate("config", doc)) loader.fail(v.pointer, v.message);
  if (!loader.errors.empty()) return {std::nullopt, loader.errors};
  loader.resolve(doc, "");
  loader.cross_references(doc);
  if (!loader.errors.empty()) return {std::nullopt, loader.errors};
  Config config;
  config.file = std::filesystem::absolute(file);
  config.doc = std::move(doc);
  config.secret_pointers = std::move(loader.secrets);
  config.source = yaml;
  return {std::move(config), {}};
}

LoadResult load_config(const std::filesystem::path& file, const schema::SchemaSet& schemas, const EnvLookup& env) {
  bool ok = false;
  const std::string text = read_file(file, ok);
  if (!ok) return {std::nullopt, {{file.string(), {0, 0}, "(file)", "cannot be read"}}};
  return load_config_text(text, file, schemas, env);
}

json Config::redacted() const {
  json out = doc;
  for (const auto& p : secret_pointers) out[json::json_pointer(p)] = k_secret_mask;
  return out;
}

std::string Config::place(const std::string& pointer) const {
  const Mark m = source.mark_of(pointer);
  return file.string() + ":" + std::to_string(m.line) + ":" + std::to_string(m.column) + ": " + pointer_to_path(pointer);
}

std::filesystem::path Config::resolve_path(const std::string& p) const {
  std::filesystem::path path(p);
  if (path.is_relative()) path = file.parent_path() / path;
  return path.lexically_normal();
}

std::string Config::instance_name() const { return doc["instance"]["name"].get<std::string>(); }
std::filesystem::path Config::data_dir() const {
  return resolve_path(doc["instance"]["data_dir"].get<std::string>());
}
std::vector<std::filesystem::path> Config::plugin_dirs() const {
  std::vector<std::filesystem::path> out;
  for (const auto& d : doc["instance"].value("plugin_dirs", json::array())) out.push_back(resolve_path(d.get<std::string>()));
  return out;
}
std::string Config::log_level() const {
  const auto& v = at_or_null(doc["instance"], "log", "level");
  return v.is_string() ? v.get<std::string>() : "info";
}
std::string Config::log_format() const {
  const auto& v = at_or_null(doc["instance"], "log", "format");
  return v.is_string() ? v.get<std::string>() : "text";
}
int Config::shutdown_deadline_ms() const { return doc["instance"].value("shutdown_deadline_ms", 10000); }
int Config::store_busy_timeout_ms() const {
  const auto& v = at_or_null(doc, "store", "busy_timeout_ms");
  return v.is_number_integer() ? v.get<int>() : 5000;
}
bool Config::demo() const { return doc["instance"].value("demo", false); }

}  // namespace schakel::config
