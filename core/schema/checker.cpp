#include "schema/checker.hpp"

#include <algorithm>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "schema/format_fast_path.hpp"
#include "schema/pattern.hpp"

namespace schakel::schema {

using nlohmann::json;

namespace {

enum class Verdict { valid, invalid, unknown };

Verdict both(Verdict a, Verdict b) {
  if (a == Verdict::invalid || b == Verdict::invalid) return Verdict::invalid;
  return a == Verdict::unknown || b == Verdict::unknown ? Verdict::unknown : Verdict::valid;
}

// JSON Schema's types as bits; "number" takes integers too.
enum : unsigned { t_null = 1, t_boolean = 2, t_integer = 4, t_number = 8, t_string = 16, t_array = 32, t_object = 64 };

std::optional<unsigned> type_bit(const std::string& name) {
  static const std::map<std::string, unsigned, std::less<>> bits = {
      {"null", t_null},     {"boolean", t_boolean}, {"integer", t_integer}, {"number", t_number},
      {"string", t_string}, {"array", t_array},     {"object", t_object}};
  auto it = bits.find(name);
  return it == bits.end() ? std::nullopt : std::optional<unsigned>(it->second);
}

bool type_matches(unsigned types, const json& v) {
  switch (v.type()) {
    case json::value_t::null: return types & t_null;
    case json::value_t::boolean: return types & t_boolean;
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return types & (t_integer | t_number);
    case json::value_t::number_float: return types & t_number;
    case json::value_t::string: return types & t_string;
    case json::value_t::array: return types & t_array;
    case json::value_t::object: return types & t_object;
    default: return false;
  }
}

// valijson counts UTF-8 code points up to the first NUL (utils::u8_strlen on c_str()).
std::optional<std::size_t> code_points(const std::string& s) {
  std::size_t n = 0;
  for (char c : s) {
    if (c == '\0') return std::nullopt;
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

bool scalar_without_numbers(const json& v) { return v.is_string() || v.is_boolean() || v.is_null(); }

// The keywords that constrain nothing (annotations, containers of definitions).
bool annotation(const std::string& key) {
  static const std::set<std::string, std::less<>> keys = {"description", "default", "title",    "$schema",
                                                          "$comment",    "examples", "definitions", "$defs",
                                                          "readOnly",    "writeOnly", "deprecated"};
  return keys.contains(key) || key.rfind("x-", 0) == 0;
}

}  // namespace

struct Checker::Node {
  bool reject_all = false;
  unsigned types = 0;  // 0: any
  bool has_enum = false;
  std::vector<json> enum_values;  // "const" is an enum of one
  std::optional<std::size_t> min_length, max_length;
  std::unique_ptr<Pattern> pattern;
  std::string format;
  std::optional<double> minimum, maximum, exclusive_minimum, exclusive_maximum;
  std::vector<std::pair<std::string, const Node*>> properties;  // sorted by name
  std::vector<std::string> required;
  bool closed = false;                         // additionalProperties: false
  const Node* additional = nullptr;            // additionalProperties: {schema}
  std::optional<std::size_t> min_properties, max_properties;
  const Node* property_names = nullptr;
  const Node* items = nullptr;
  bool unique_items = false;
  std::optional<std::size_t> min_items, max_items;
  std::vector<const Node*> all_of, any_of, one_of;
  const Node* negated = nullptr;
  const Node *if_ = nullptr, *then_ = nullptr, *else_ = nullptr;

  Verdict check(const json& v) const;
  Verdict check_enum(const json& v) const;
  Verdict check_string(const std::string& s) const;
  Verdict check_object(const json& v) const;
  Verdict check_array(const json& v) const;
  Verdict check_combined(const json& v) const;
};

struct Checker::Impl {
  std::deque<Node> nodes;
  const Node* root = nullptr;
};

namespace {

class Compiler {
 public:
  Compiler(std::deque<Checker::Node>& nodes, const RefLookup& lookup) : nodes_(nodes), lookup_(lookup) {}

  // nullptr: something outside what the checker implements.
  const Checker::Node* compile(const json& root, const json& node, bool is_root) {
    const json* doc_root = &root;
    const json* at = &node;
    // draft 7: a $ref replaces its whole object (valijson ignores the siblings too).
    for (int hops = 0; at->is_object() && at->contains("$ref"); ++hops) {
      const auto& ref = (*at)["$ref"];
      if (!ref.is_string() || hops > 16) return nullptr;
      const json* next_root = nullptr;
      const json* target = lookup_(*doc_root, ref.get<std::string>(), &next_root);
      if (target == nullptr) return nullptr;
      doc_root = next_root;
      at = target;
      is_root = at == doc_root;
    }
    if (auto it = done_.find(at); it != done_.end()) return it->second;
    Checker::Node& n = nodes_.emplace_back();
    done_[at] = &n;  // before the children: a recursive schema refers back to it
    if (at->is_boolean()) {
      n.reject_all = !at->get<bool>();
      return &n;
    }
    if (!at->is_object()) return nullptr;
    for (const auto& [key, value] : at->items())
      if (!keyword(*doc_root, n, key, value, is_root)) return nullptr;
    return &n;
  }

 private:
  bool keyword(const json& root, Checker::Node& n, const std::string& key, const json& v, bool is_root) {
    auto sub = [&](const json& s) { return compile(root, s, false); };
    auto size = [](const json& s, std::optional<std::size_t>& out) {
      if (!s.is_number_unsigned() && !(s.is_number_integer() && s.get<long long>() >= 0)) return false;
      out = s.get<std::size_t>();
      return true;
    };
    auto number = [](const json& s, std::optional<double>& out) {
      if (!s.is_number()) return false;
      out = s.get<double>();
      return true;
    };
    auto list = [&](const json& s, std::vector<const Checker::Node*>& out) {
      if (!s.is_array() || s.empty()) return false;
      for (const auto& e : s) {
        const auto* c = sub(e);
        if (c == nullptr) return false;
        out.push_back(c);
      }
      return true;
    };
    if (annotation(key)) return true;
    if (key == "$id") return is_root;  // a nested $id would change how its $refs resolve
    if (key == "type") {
      for (const auto& t : v.is_array() ? v : json::array({v})) {
        auto bit = t.is_string() ? type_bit(t.get<std::string>()) : std::nullopt;
        if (!bit) return false;
        n.types |= *bit;
      }
      return true;
    }
    if (key == "enum" || key == "const") {
      if ((key == "enum" && !v.is_array()) || n.has_enum) return false;  // not both
      n.has_enum = true;
      if (key == "const") n.enum_values.push_back(v);
      else n.enum_values.assign(v.begin(), v.end());
      return true;
    }
    if (key == "minLength") return size(v, n.min_length);
    if (key == "maxLength") return size(v, n.max_length);
    if (key == "minProperties") return size(v, n.min_properties);
    if (key == "maxProperties") return size(v, n.max_properties);
    if (key == "minItems") return size(v, n.min_items);
    if (key == "maxItems") return size(v, n.max_items);
    if (key == "minimum") return number(v, n.minimum);
    if (key == "maximum") return number(v, n.maximum);
    if (key == "exclusiveMinimum") return number(v, n.exclusive_minimum);
    if (key == "exclusiveMaximum") return number(v, n.exclusive_maximum);
    if (key == "pattern") {
      if (!v.is_string()) return false;
      n.pattern = std::make_unique<Pattern>(v.get<std::string>());
      return true;
    }
    if (key == "format") {
      if (!v.is_string()) return false;
      n.format = v.get<std::string>();
      return true;
    }
    if (key == "required") {
      if (!v.is_array()) return false;
      for (const auto& r : v) {
        if (!r.is_string()) return false;
        n.required.push_back(r.get<std::string>());
      }
      return true;
    }
    if (key == "properties") {
      if (!v.is_object()) return false;
      for (const auto& [name, s] : v.items()) {
        const auto* c = sub(s);
        if (c == nullptr) return false;
        n.properties.emplace_back(name, c);  // nlohmann's object is sorted: so is this
      }
      return true;
    }
    if (key == "additionalProperties") {
      if (v.is_boolean()) {
        n.closed = !v.get<bool>();
        return true;
      }
      n.additional = sub(v);
      return n.additional != nullptr;
    }
    if (key == "propertyNames") return (n.property_names = sub(v)) != nullptr;
    if (key == "items") return v.is_object() && (n.items = sub(v)) != nullptr;  // not the tuple form
    if (key == "uniqueItems") {
      if (!v.is_boolean()) return false;
      n.unique_items = v.get<bool>();
      return true;
    }
    if (key == "allOf") return list(v, n.all_of);
    if (key == "anyOf") return list(v, n.any_of);
    if (key == "oneOf") return list(v, n.one_of);
    if (key == "not") return (n.negated = sub(v)) != nullptr;
    if (key == "if") return (n.if_ = sub(v)) != nullptr;
    if (key == "then") return (n.then_ = sub(v)) != nullptr;
    if (key == "else") return (n.else_ = sub(v)) != nullptr;
    return false;
  }

  std::deque<Checker::Node>& nodes_;
  const RefLookup& lookup_;
  std::map<const json*, const Checker::Node*> done_;
};

}  // namespace

Verdict Checker::Node::check(const json& v) const {
  if (reject_all) return Verdict::invalid;
  if (types != 0 && !type_matches(types, v)) return Verdict::invalid;
  Verdict out = has_enum ? check_enum(v) : Verdict::valid;
  if (out == Verdict::invalid) return out;
  if (v.is_string()) {
    out = both(out, check_string(v.get_ref<const std::string&>()));
  } else if (v.is_number()) {
    const double d = v.get<double>();
    if ((minimum && d < *minimum) || (maximum && d > *maximum) || (exclusive_minimum && d <= *exclusive_minimum) ||
        (exclusive_maximum && d >= *exclusive_maximum))
      return Verdict::invalid;
    if (!format.empty()) out = both(out, Verdict::unknown);
  } else if (v.is_object()) {
    out = both(out, check_object(v));
  } else if (v.is_array()) {
    out = both(out, check_array(v));
  } else if (!format.empty()) {
    out = both(out, Verdict::unknown);
  }
  if (out == Verdict::invalid) return out;
  return both(out, check_combined(v));
}

Verdict Checker::Node::check_enum(const json& v) const {
  if (scalar_without_numbers(v)) {
    for (const auto& e : enum_values)
      if (e.type() == v.type() && e == v) return Verdict::valid;
    return Verdict::invalid;
  }
  // How valijson compares numbers, objects and arrays with enum values is left to it.
  const bool comparable = std::any_of(enum_values.begin(), enum_values.end(),
                                      [](const json& e) { return !scalar_without_numbers(e); });
  return comparable ? Verdict::unknown : Verdict::invalid;
}

Verdict Checker::Node::check_string(const std::string& s) const {
  if (min_length || max_length) {
    const auto n = code_points(s);
    if (!n) return Verdict::unknown;
    if ((min_length && *n < *min_length) || (max_length && *n > *max_length)) return Verdict::invalid;
  }
  if (pattern && !pattern->search(s)) return Verdict::invalid;
  if (!format.empty() && is_fast_format(format) && !format_ok(format, s)) return Verdict::invalid;
  return Verdict::valid;  // valijson checks no other format
}

Verdict Checker::Node::check_object(const json& v) const {
  const std::size_t count = v.size();
  if ((min_properties && count < *min_properties) || (max_properties && count > *max_properties)) return Verdict::invalid;
  for (const auto& r : required)
    if (!v.contains(r)) return Verdict::invalid;
  Verdict out = Verdict::valid;
  // Both sorted by name: one walk pairs each member with its property schema.
  auto p = properties.begin();
  for (auto it = v.begin(); it != v.end(); ++it) {
    const std::string& key = it.key();
    while (p != properties.end() && p->first < key) ++p;
    const Node* schema = nullptr;
    if (p != properties.end() && p->first == key) schema = p->second;
    else if (closed) return Verdict::invalid;
    else schema = additional;
    if (schema != nullptr) out = both(out, schema->check(*it));
    if (property_names != nullptr) out = both(out, property_names->check(json(key)));
    if (out == Verdict::invalid) return out;
  }
  return out;
}

Verdict Checker::Node::check_array(const json& v) const {
  if ((min_items && v.size() < *min_items) || (max_items && v.size() > *max_items)) return Verdict::invalid;
  Verdict out = Verdict::valid;
  if (items != nullptr) {
    for (const auto& e : v) {
      out = both(out, items->check(e));
      if (out == Verdict::invalid) return out;
    }
  }
  if (unique_items && v.size() > 1) {
    if (!std::all_of(v.begin(), v.end(), scalar_without_numbers)) return both(out, Verdict::unknown);
    for (std::size_t i = 0; i < v.size(); ++i)
      for (std::size_t j = i + 1; j < v.size(); ++j)
        if (v[i] == v[j]) return Verdict::invalid;
  }
  return out;
}

Verdict Checker::Node::check_combined(const json& v) const {
  Verdict out = Verdict::valid;
  for (const Node* n : all_of) {
    out = both(out, n->check(v));
    if (out == Verdict::invalid) return out;
  }
  if (!any_of.empty()) {
    Verdict any = Verdict::invalid;
    for (const Node* n : any_of) {
      const Verdict r = n->check(v);
      if (r == Verdict::valid) {
        any = r;
        break;
      }
      if (r == Verdict::unknown) any = r;
    }
    out = both(out, any);
  }
  if (!one_of.empty()) {
    int valid = 0;
    bool unknown = false;
    for (const Node* n : one_of) {
      const Verdict r = n->check(v);
      valid += r == Verdict::valid;
      unknown |= r == Verdict::unknown;
    }
    out = both(out, valid > 1 ? Verdict::invalid : unknown ? Verdict::unknown : valid == 1 ? Verdict::valid : Verdict::invalid);
  }
  if (negated != nullptr) {
    const Verdict r = negated->check(v);
    out = both(out, r == Verdict::unknown ? r : r == Verdict::valid ? Verdict::invalid : Verdict::valid);
  }
  if (if_ != nullptr) {
    const Verdict r = if_->check(v);
    if (r == Verdict::unknown) return both(out, r);
    const Node* branch = r == Verdict::valid ? then_ : else_;
    if (branch != nullptr) out = both(out, branch->check(v));
  }
  return out;
}

Checker::Checker() : impl_(std::make_unique<Impl>()) {}
Checker::~Checker() = default;

std::unique_ptr<Checker> Checker::compile(const json& root, const RefLookup& lookup) {
  std::unique_ptr<Checker> c(new Checker());
  Compiler compiler(c->impl_->nodes, lookup);
  try {
    c->impl_->root = compiler.compile(root, root, true);
  } catch (const std::exception&) {
    return nullptr;  // a pattern std::regex refuses: valijson reports it
  }
  if (c->impl_->root == nullptr) return nullptr;
  return c;
}

bool Checker::valid(const json& doc) const { return impl_->root->check(doc) == Verdict::valid; }

}  // namespace schakel::schema
