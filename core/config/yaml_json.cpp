#include "config/yaml_json.hpp"

#include <cerrno>
#include <cstdlib>
#include <regex>

#include <yaml-cpp/yaml.h>

#include "schema/schema_set.hpp"

namespace schakel::config {
namespace {

using nlohmann::json;

json plain_scalar(const std::string& s) {
  static const std::regex k_int(R"([-+]?[0-9]+)");
  static const std::regex k_float(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  if (std::regex_match(s, k_int)) {
    errno = 0;
    const long long v = std::strtoll(s.c_str(), nullptr, 10);
    if (errno == 0) return v;
  }
  if (std::regex_match(s, k_float)) return std::strtod(s.c_str(), nullptr);
  return s;
}

class Converter {
 public:
  explicit Converter(YamlDocument& doc) : doc_(doc) {}

  json convert(const YAML::Node& node, const std::string& pointer) {
    const auto m = node.Mark();
    doc_.marks[pointer] = {m.line + 1, m.column + 1};
    switch (node.Type()) {
      case YAML::NodeType::Null:
      case YAML::NodeType::Undefined:
        return nullptr;
      case YAML::NodeType::Scalar:
        // yaml-cpp tags plain scalars "?" and quoted ones "!".
        return node.Tag() == "!" ? json(node.Scalar()) : plain_scalar(node.Scalar());
      case YAML::NodeType::Sequence: {
        json arr = json::array();
        std::size_t i = 0;
        for (const auto& item : node) arr.push_back(convert(item, pointer + "/" + std::to_string(i++)));
        return arr;
      }
      case YAML::NodeType::Map: {
        json obj = json::object();
        for (const auto& kv : node) {
          const auto km = kv.first.Mark();
          const Mark where{km.line + 1, km.column + 1};
          if (!kv.first.IsScalar()) {
            doc_.errors.push_back({where, pointer, "keys must be strings"});
            continue;
          }
          const std::string key = kv.first.Scalar();
          const std::string child = pointer + "/" + schema::escape_pointer_token(key);
          if (obj.contains(key)) {
            doc_.errors.push_back({where, child, "duplicate key '" + key + "'"});
            continue;
          }
          doc_.key_marks[child] = where;
          obj[key] = convert(kv.second, child);
        }
        return obj;
      }
    }
    return nullptr;
  }

 private:
  YamlDocument& doc_;
};

}  // namespace

Mark YamlDocument::mark_of(std::string pointer, bool at_key) const {
  if (at_key)
    if (auto it = key_marks.find(pointer); it != key_marks.end()) return it->second;
  for (;;) {
    if (auto it = marks.find(pointer); it != marks.end()) return it->second;
    if (pointer.empty()) return {1, 1};
    pointer.resize(pointer.find_last_of('/'));
  }
}

YamlDocument parse_yaml(const std::string& text) {
  YamlDocument doc;
  try {
    const YAML::Node root = YAML::Load(text);
    doc.json = Converter(doc).convert(root, "");
  } catch (const YAML::Exception& e) {
    doc.errors.push_back({{e.mark.line + 1, e.mark.column + 1}, "", e.msg});
  }
  return doc;
}

std::string pointer_to_path(const std::string& pointer) {
  if (pointer.empty()) return "(root)";
  std::string out;
  std::size_t pos = 1;
  while (pos <= pointer.size()) {
    const auto next = pointer.find('/', pos);
    std::string token = pointer.substr(pos, next == std::string::npos ? std::string::npos : next - pos);
    for (std::size_t i; (i = token.find("~1")) != std::string::npos;) token.replace(i, 2, "/");
    for (std::size_t i; (i = token.find("~0")) != std::string::npos;) token.replace(i, 2, "~");
    const bool index = !token.empty() && token.find_first_not_of("0123456789") == std::string::npos;
    if (index) out += "[" + token + "]";
    else out += (out.empty() ? "" : ".") + token;
    if (next == std::string::npos) break;
    pos = next + 1;
  }
  return out;
}

}  // namespace schakel::config
