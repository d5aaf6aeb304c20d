#include "schema/format_fast_path.hpp"

#include <functional>

namespace schakel::schema {
namespace {

using nlohmann::json;

bool digit(char c) { return c >= '0' && c <= '9'; }
int two(const std::string& s, std::size_t i) { return (s[i] - '0') * 10 + (s[i + 1] - '0'); }

// valijson's validate_date_range: February up to 29, the other months 30 or 31.
bool day_in_month(int month, int day) {
  if (month == 2) return day <= 29;
  const int limit = month <= 7 ? (month % 2 == 0 ? 30 : 31) : (month % 2 != 0 ? 30 : 31);
  return day <= limit;
}

// ^([0-9]+)-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01]) from `i`; `i` moves past it.
bool date_part(const std::string& s, std::size_t& i, int& month, int& day) {
  const std::size_t start = i;
  while (i < s.size() && digit(s[i])) ++i;
  if (i == start || i + 6 > s.size() || s[i] != '-' || s[i + 3] != '-') return false;
  if (!digit(s[i + 1]) || !digit(s[i + 2]) || !digit(s[i + 4]) || !digit(s[i + 5])) return false;
  month = two(s, i + 1);
  day = two(s, i + 4);
  i += 6;
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

// ([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9]|60)(\.[0-9]+)?(([Zz])|([\+|\-]([01][0-9]|2[0-3]):[0-5][0-9]))$
bool time_part(const std::string& s, std::size_t i) {
  if (i + 8 > s.size() || s[i + 2] != ':' || s[i + 5] != ':') return false;
  for (std::size_t k : {0U, 1U, 3U, 4U, 6U, 7U})
    if (!digit(s[i + k])) return false;
  if (two(s, i) > 23 || two(s, i + 3) > 59 || two(s, i + 6) > 60) return false;
  i += 8;
  if (i < s.size() && s[i] == '.') {
    const std::size_t start = ++i;
    while (i < s.size() && digit(s[i])) ++i;
    if (i == start) return false;
  }
  if (i + 1 == s.size() && (s[i] == 'Z' || s[i] == 'z')) return true;
  // valijson's sign class is [\+|\-]: '+', '|' or '-'.
  if (i + 6 != s.size() || (s[i] != '+' && s[i] != '-' && s[i] != '|') || s[i + 3] != ':') return false;
  for (std::size_t k : {1U, 2U, 4U, 5U})
    if (!digit(s[i + k])) return false;
  return two(s, i + 1) <= 23 && two(s, i + 4) <= 59;
}

bool has_fast_format(const json& root, const json& node, const RefResolver& resolve, int depth) {
  if (depth > 32) return true;  // too deep to tell: assume the worst
  if (node.is_array()) {
    for (const auto& sub : node)
      if (has_fast_format(root, sub, resolve, depth + 1)) return true;
    return false;
  }
  if (!node.is_object()) return false;
  if (auto f = node.find("format"); f != node.end() && f->is_string() && is_fast_format(*f)) return true;
  if (auto r = node.find("$ref"); r != node.end() && r->is_string()) {
    const json* next_root = nullptr;
    const json* target = resolve(root, r->get<std::string>(), &next_root);
    if (target && has_fast_format(*next_root, *target, resolve, depth + 1)) return true;
  }
  for (const auto& [key, sub] : node.items()) {
    if (key == "enum" || key == "const" || key == "default" || key == "examples") continue;
    if ((sub.is_object() || sub.is_array()) && has_fast_format(root, sub, resolve, depth + 1)) return true;
  }
  return false;
}

bool collect(const json& root, const json& node, std::vector<std::string>& path, const RefResolver& resolve,
             std::vector<FormatPath>& out, int depth) {
  if (!node.is_object()) return true;
  if (depth > 32) return false;
  if (auto f = node.find("format"); f != node.end() && f->is_string() && is_fast_format(*f))
    out.push_back({path, f->get<std::string>()});
  for (const auto& [key, sub] : node.items()) {
    if (key == "properties" && sub.is_object()) {
      for (const auto& [name, p] : sub.items()) {
        path.push_back(name);
        const bool ok = collect(root, p, path, resolve, out, depth + 1);
        path.pop_back();
        if (!ok) return false;
      }
    } else if ((key == "items" || key == "additionalProperties") && sub.is_object()) {
      path.emplace_back("*");  // over-applies additionalProperties to every property: safe
      const bool ok = collect(root, sub, path, resolve, out, depth + 1);
      path.pop_back();
      if (!ok) return false;
    } else if (key == "allOf" && sub.is_array()) {
      for (const auto& s : sub)
        if (!collect(root, s, path, resolve, out, depth + 1)) return false;
    } else if (key == "$ref" && sub.is_string()) {
      const json* next_root = nullptr;
      const json* target = resolve(root, sub.get<std::string>(), &next_root);
      if (!target) return false;
      if (!collect(*next_root, *target, path, resolve, out, depth + 1)) return false;
    } else if (key == "definitions" || key == "$defs" || key == "enum" || key == "const" || key == "default" ||
               key == "examples") {
      continue;  // not applied here (definitions are reached through $ref), or plain values
    } else if ((sub.is_object() || sub.is_array()) && has_fast_format(root, sub, resolve, depth + 1)) {
      return false;  // a format under anyOf, oneOf, not, if, patternProperties, ...: out of reach
    }
  }
  return true;
}

bool holds_at(const json& v, const FormatPath& p, std::size_t k) {
  if (k == p.tokens.size()) return v.is_string() && format_ok(p.format, v.get_ref<const std::string&>());
  const std::string& t = p.tokens[k];
  if (t == "*") {
    if (v.is_array() || v.is_object()) {
      for (const auto& item : v)
        if (!holds_at(item, p, k + 1)) return false;
    }
    return true;
  }
  if (!v.is_object()) return true;  // the format does not apply; the type check is valijson's
  auto it = v.find(t);
  return it == v.end() || holds_at(*it, p, k + 1);
}

}  // namespace

bool is_fast_format(const std::string& format) {
  return format == "date" || format == "time" || format == "date-time";
}

bool format_ok(const std::string& format, const std::string& s) {
  std::size_t i = 0;
  int month = 0, day = 0;
  if (format == "date") return date_part(s, i, month, day) && i == s.size() && day_in_month(month, day);
  if (format == "time") return time_part(s, 0);
  if (format == "date-time")
    return date_part(s, i, month, day) && i < s.size() && (s[i] == 'T' || s[i] == 't') && time_part(s, i + 1) &&
           day_in_month(month, day);
  return true;
}

json without_fast_formats(const json& schema) {
  if (schema.is_array()) {
    json out = json::array();
    for (const auto& s : schema) out.push_back(without_fast_formats(s));
    return out;
  }
  if (!schema.is_object()) return schema;
  json out = json::object();
  for (const auto& [key, sub] : schema.items()) {
    if (key == "format" && sub.is_string() && is_fast_format(sub)) continue;
    if (key == "enum" || key == "const" || key == "default" || key == "examples") out[key] = sub;
    else out[key] = without_fast_formats(sub);
  }
  return out;
}

bool collect_format_paths(const json& root, const RefResolver& resolve, std::vector<FormatPath>& out) {
  std::vector<std::string> path;
  return collect(root, root, path, resolve, out, 0);
}

bool formats_hold(const json& doc, const std::vector<FormatPath>& paths) {
  for (const auto& p : paths)
    if (!holds_at(doc, p, 0)) return false;
  return true;
}

}  // namespace schakel::schema
