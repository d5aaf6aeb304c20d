#include "schema/schema_set.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "schema/checker.hpp"

#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

namespace schakel::schema {
namespace {

using nlohmann::json;

const std::vector<std::string> k_categories = {
    "identity", "identifier.bsn", "identifier.eckid", "contact", "education", "wellbeing",
    "health",   "family",         "case",             "views",   "meeting"};

// Where the schemas/ files place themselves ("$id"); a schema added without one is placed here too.
constexpr const char* k_base_uri = "https://schakel.invalid/schemas/";

// A reference as its author wrote it: without the base that absolutise_refs added.
std::string readable(std::string ref) {
  for (auto at = ref.find(k_base_uri); at != std::string::npos; at = ref.find(k_base_uri))
    ref.erase(at, std::char_traits<char>::length(k_base_uri));
  return ref;
}

void absolutise_refs(json& node) {
  if (node.is_object()) {
    for (auto& [k, v] : node.items()) {
      if (k == "$ref" && v.is_string()) {
        const auto ref = v.get<std::string>();
        if (!ref.empty() && ref.front() != '#' && ref.find(':') == std::string::npos) v = k_base_uri + ref;
      } else {
        absolutise_refs(v);
      }
    }
  } else if (node.is_array()) {
    for (auto& v : node) absolutise_refs(v);
  }
}

// "student" and "student.schema.json" both name student.schema.json.
std::string canonical_name(std::string name) {
  const auto slash = name.find_last_of('/');
  if (slash != std::string::npos) name = name.substr(slash + 1);
  const auto hash = name.find('#');
  if (hash != std::string::npos) name = name.substr(0, hash);
  const std::string suffix = ".schema.json";
  if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
    name.resize(name.size() - suffix.size());
  return name;
}

// valijson reports every failing ancestor too ("Failed to validate item #0 in array"); those
// lines repeat what the leaf error says, so only the leaf errors are kept, in plain words.
bool is_propagated(const std::string& message) {
  return message.rfind("Failed to validate against schema associated with property name", 0) == 0 ||
         message.rfind("Failed to validate item #", 0) == 0 ||
         message.rfind("Failed to validate against child schema", 0) == 0 ||
         message.rfind("Failed to validate against additional properties schema", 0) == 0;
}

std::string plain_words(const std::string& message) {
  static const std::pair<const char*, const char*> k_rewrites[] = {
      {"Object contains a property that could not be validated using 'properties' or "
       "'additionalProperties' constraints: ",
       "unknown property "},
      {"Value type not permitted by 'type' constraint.", "has the wrong type"},
      {"Failed to match regex specified by 'pattern' constraint.", "does not match the required pattern"},
      {"Failed to match against any enum values.", "is not one of the allowed values"},
      {"Missing required property ", "missing required property "},
  };
  for (const auto& [from, to] : k_rewrites) {
    const std::string f = from;
    if (message.rfind(f, 0) == 0) {
      std::string rest = message.substr(f.size());
      if (!rest.empty() && rest.back() == '.') rest.pop_back();
      return to + rest;
    }
  }
  return message;
}

}  // namespace

std::string escape_pointer_token(const std::string& t) {
  std::string out;
  for (char c : t) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

const std::vector<std::string>& known_categories() { return k_categories; }

bool is_known_category(const std::string& category) {
  return std::find(k_categories.begin(), k_categories.end(), category) != k_categories.end();
}

std::filesystem::path default_schema_dir() {
  if (const char* env = std::getenv("SCHAKEL_SCHEMA_DIR"); env && *env) return env;
  std::error_code ec;
  if (std::filesystem::is_directory(SCHAKEL_SOURCE_SCHEMA_DIR, ec)) return SCHAKEL_SOURCE_SCHEMA_DIR;
  return SCHAKEL_INSTALL_SCHEMA_DIR;
}

std::string to_pointer(const std::vector<std::string>& tokens) {
  std::string out;
  for (const auto& t : tokens) out += "/" + escape_pointer_token(t);
  return out;
}

struct SchemaSet::Impl {
  std::map<std::string, json> raw;
  std::map<std::string, std::unique_ptr<valijson::Schema>> compiled;
  std::map<std::string, std::unique_ptr<Checker>> checkers;  // the valid case, fast (checker.hpp)
  std::map<std::string, std::vector<CategoryPath>> categories;

  // valijson follows a $ref that lands on another $ref without noticing a cycle (it recurses until
  // the stack runs out), and says little about a $ref that leads nowhere; both are found here first.
  Status check_refs(const json& root, const json& node, const std::string& pointer) const {
    if (node.is_object()) {
      if (auto it = node.find("$ref"); it != node.end() && it->is_string()) {
        std::vector<const json*> seen{&node};
        const json* doc = &root;
        const json* at = &node;
        std::string chain = it->get<std::string>();
        while (true) {
          const json* next_root = nullptr;
          const json* target = resolve_ref(*doc, at->at("$ref").get<std::string>(), &next_root);
          const std::string where = pointer.empty() ? "at the root" : "at " + pointer;
          if (!target) return error(ErrorCode::invalid, "$ref '" + readable(chain) + "' " + where + " leads nowhere");
          if (std::find(seen.begin(), seen.end(), target) != seen.end())
            return error(ErrorCode::invalid, "$ref cycle " + where + " (" + readable(chain) + ")");
          auto ref = target->is_object() ? target->find("$ref") : target->end();
          if (!target->is_object() || ref == target->end() || !ref->is_string()) break;
          seen.push_back(target);
          chain += " -> " + ref->get<std::string>();
          doc = next_root;
          at = target;
        }
      }
      for (const auto& [key, sub] : node.items())
        SCHAKEL_TRY(check_refs(root, sub, pointer + "/" + escape_pointer_token(key)));
    } else if (node.is_array()) {
      for (std::size_t i = 0; i < node.size(); ++i)
        SCHAKEL_TRY(check_refs(root, node[i], pointer + "/" + std::to_string(i)));
    }
    return {};
  }

  Status compile(const std::string& name) {
    SCHAKEL_TRY(check_refs(raw.at(name), raw.at(name), "").with_context(name + ".schema.json"));
    auto schema = std::make_unique<valijson::Schema>();
    auto free_doc = [](const json* doc) { delete doc; };
    try {
      valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
      valijson::adapters::NlohmannJsonAdapter adapter(raw.at(name));
      auto fetch = [this](const std::string& uri) -> const json* {
        auto it = raw.find(canonical_name(uri));
        return it == raw.end() ? nullptr : new json(it->second);
      };
      parser.populateSchema(adapter, *schema, fetch, free_doc);
    } catch (const std::exception& e) {
      return error(ErrorCode::invalid, name + ".schema.json: cannot compile: " + e.what());
    }
    compiled[name] = std::move(schema);
    checkers[name] = Checker::compile(raw.at(name), [this](const json& root, const std::string& ref, const json** new_root) {
      return resolve_ref(root, ref, new_root);
    });
    std::vector<CategoryPath> paths;
    collect(raw.at(name), raw.at(name), {}, paths, 0);
    std::sort(paths.begin(), paths.end(), [](const CategoryPath& a, const CategoryPath& b) {
      return std::tie(a.pointer, a.category) < std::tie(b.pointer, b.category);
    });
    paths.erase(std::unique(paths.begin(), paths.end(),
                            [](const CategoryPath& a, const CategoryPath& b) {
                              return a.pointer == b.pointer && a.category == b.category;
                            }),
                paths.end());
    categories[name] = std::move(paths);
    return {};
  }

  const json* resolve_ref(const json& root, const std::string& ref, const json** new_root) const {
    const auto hash = ref.find('#');
    const std::string file = ref.substr(0, hash);
    const std::string fragment = hash == std::string::npos ? "" : ref.substr(hash + 1);
    const json* doc = &root;
    if (!file.empty()) {
      auto it = raw.find(canonical_name(file));
      if (it == raw.end()) return nullptr;
      doc = &it->second;
    }
    *new_root = doc;
    if (fragment.empty()) return doc;
    const json::json_pointer ptr(fragment);
    return doc->contains(ptr) ? &doc->at(ptr) : nullptr;
  }

  void collect(const json& root, const json& node, std::vector<std::string> path,
               std::vector<CategoryPath>& out, int depth) const {
    if (!node.is_object() || depth > 32) return;  // depth bounds recursive $refs
    if (auto it = node.find("x-schakel-category"); it != node.end() && it->is_string())
      out.push_back({to_pointer(path), it->get<std::string>()});
    if (auto it = node.find("$ref"); it != node.end() && it->is_string()) {
      const json* next_root = nullptr;
      if (const json* target = resolve_ref(root, it->get<std::string>(), &next_root))
        collect(*next_root, *target, path, out, depth + 1);
    }
    if (auto it = node.find("properties"); it != node.end() && it->is_object()) {
      for (const auto& [key, sub] : it->items()) {
        path.push_back(key);
        collect(root, sub, path, out, depth + 1);
        path.pop_back();
      }
    }
    for (const char* key : {"items", "additionalProperties"}) {
      if (auto it = node.find(key); it != node.end() && it->is_object()) {
        path.push_back("*");
        collect(root, *it, path, out, depth + 1);
        path.pop_back();
      }
    }
    for (const char* key : {"allOf", "anyOf", "oneOf"}) {
      if (auto it = node.find(key); it != node.end() && it->is_array())
        for (const auto& sub : *it) collect(root, sub, path, out, depth + 1);
    }
  }
};

SchemaSet::SchemaSet() : impl_(std::make_unique<Impl>()) {}
SchemaSet::~SchemaSet() = default;
SchemaSet::SchemaSet(SchemaSet&&) noexcept = default;
SchemaSet& SchemaSet::operator=(SchemaSet&&) noexcept = default;

Result<SchemaSet> SchemaSet::load(const std::filesystem::path& dir) {
  SchemaSet set;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    return error(ErrorCode::not_found, dir.string() + ": schema directory not found");
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const auto name = entry.path().filename().string();
    if (entry.is_regular_file() && name.ends_with(".schema.json")) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  std::string problems;
  for (const auto& file : files) {
    std::ifstream in(file);
    std::stringstream buf;
    buf << in.rdbuf();
    json doc = json::parse(buf.str(), nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) {
      problems += file.string() + ": not a JSON object\n";
      continue;
    }
    set.impl_->raw[canonical_name(file.filename().string())] = std::move(doc);
  }
  for (const auto& [name, doc] : set.impl_->raw) {
    if (auto st = set.impl_->compile(name); !st) problems += dir.string() + "/" + st.message() + "\n";
  }
  if (!problems.empty()) {
    problems.pop_back();
    return error(ErrorCode::invalid, problems);
  }
  return set;
}

Status SchemaSet::add(const std::string& name, const nlohmann::json& schema) {
  const auto key = canonical_name(name);
  impl_->raw[key] = schema;
  // Without a base URI valijson reads a relative "$ref": "student.schema.json" as a pointer into
  // the schema itself (and a top-level one ignores even an $id): such a schema is placed next to
  // the loaded files and its relative references made absolute.
  if (auto& doc = impl_->raw[key]; doc.is_object() && !doc.contains("$id")) {
    doc["$id"] = std::string(k_base_uri) + key + ".schema.json";
    absolutise_refs(doc);
  }
  auto st = impl_->compile(key);
  if (!st) impl_->raw.erase(key);
  return st;
}

bool SchemaSet::has(const std::string& name) const { return impl_->compiled.count(canonical_name(name)) > 0; }

std::vector<std::string> SchemaSet::names() const {
  std::vector<std::string> out;
  for (const auto& [name, _] : impl_->compiled) out.push_back(name);
  return out;
}

const nlohmann::json* SchemaSet::raw(const std::string& name) const {
  auto it = impl_->raw.find(canonical_name(name));
  return it == impl_->raw.end() ? nullptr : &it->second;
}

std::vector<Violation> SchemaSet::validate(const std::string& name, const nlohmann::json& doc) const {
  auto it = impl_->compiled.find(canonical_name(name));
  if (it == impl_->compiled.end()) return {{"", "unknown schema '" + name + "'"}};
  // Most documents are valid: prove it cheaply, and leave the violations to valijson.
  if (auto c = impl_->checkers.find(it->first); c != impl_->checkers.end() && c->second && c->second->valid(doc)) return {};
  // valijson caches compiled "pattern" regexes in the Validator; one per thread keeps that cache
  // across calls (compiling them for every document cost ~0.5 ms per record).
  thread_local valijson::Validator validator(valijson::Validator::kStrongTypes);
  valijson::adapters::NlohmannJsonAdapter adapter(doc);
  valijson::ValidationResults results;
  try {
    if (validator.validate(*it->second, adapter, &results)) return {};
  } catch (const std::exception& e) {
    // valijson gives up, without a place, on a "format" applied to a value that is not a string
    // (the usual case) or on a "pattern" std::regex cannot compile.
    return {{"", std::string("the document cannot be checked (is a date or time given as something other than a "
                             "string?): ") + e.what()}};
  }
  std::vector<Violation> out;
  valijson::ValidationResults::Error err;
  while (results.popError(err)) {
    std::vector<std::string> tokens;
    for (const auto& c : err.context) {
      if (c.size() >= 2 && c.front() == '[' && c.back() == ']') {
        std::string t = c.substr(1, c.size() - 2);
        if (t.size() >= 2 && t.front() == '"' && t.back() == '"') t = t.substr(1, t.size() - 2);
        tokens.push_back(t);
      }
    }
    if (is_propagated(err.description)) continue;
    Violation v{to_pointer(tokens), plain_words(err.description)};
    // An unknown property is reported at the property itself, so its place can be shown.
    if (const std::string unknown = "unknown property '"; v.message.rfind(unknown, 0) == 0 && v.message.back() == '\'') {
      tokens.push_back(v.message.substr(unknown.size(), v.message.size() - unknown.size() - 1));
      v = {to_pointer(tokens), "unknown property"};
    }
    const bool dup = std::any_of(out.begin(), out.end(), [&](const Violation& o) {
      return o.pointer == v.pointer && o.message == v.message;
    });
    if (!dup) out.push_back(std::move(v));
  }
  return out;
}

const std::vector<CategoryPath>& SchemaSet::categories(const std::string& name) const {
  static const std::vector<CategoryPath> empty;
  auto it = impl_->categories.find(canonical_name(name));
  return it == impl_->categories.end() ? empty : it->second;
}

}  // namespace schakel::schema
