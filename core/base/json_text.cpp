#include "base/json_text.hpp"

#include <charconv>
#include <cstdint>
#include <string_view>

namespace schakel {
namespace {

// The length of the well-formed UTF-8 sequence at s[i] (Unicode, table 3-7), 0 if it is not one.
std::size_t utf8_length(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0u; };
  const auto cont = [&](std::size_t k, unsigned lo = 0x80, unsigned hi = 0xBF) {
    const unsigned b = byte(k);
    return b >= lo && b <= hi;
  };
  const unsigned b0 = byte(0);
  if (b0 >= 0xC2 && b0 <= 0xDF) return cont(1) ? 2 : 0;
  if (b0 == 0xE0) return cont(1, 0xA0) && cont(2) ? 3 : 0;
  if ((b0 >= 0xE1 && b0 <= 0xEC) || b0 == 0xEE || b0 == 0xEF) return cont(1) && cont(2) ? 3 : 0;
  if (b0 == 0xED) return cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0;
  if (b0 == 0xF0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (b0 >= 0xF1 && b0 <= 0xF3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (b0 == 0xF4) return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

bool append_string(std::string& out, std::string_view s) {
  const std::size_t start = out.size();
  out.push_back('"');
  std::size_t run = 0;  // the start of the characters not yet copied
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const std::size_t n = utf8_length(s, i);
      if (n == 0) {
        out.resize(start);  // dump() reports the byte
        return false;
      }
      i += n;
      continue;
    }
    if (c >= 0x20 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    out.append(s, run, i - run);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: {
        static constexpr char k_hex[] = "0123456789abcdef";
        out += "\\u00";
        out.push_back(k_hex[c >> 4]);
        out.push_back(k_hex[c & 0xF]);
      }
    }
    run = ++i;
  }
  out.append(s, run, s.size() - run);
  out.push_back('"');
  return true;
}

template <typename Int>
void append_integer(std::string& out, Int v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// A recursive descent over the common shapes; false hands the whole text to nlohmann.
class Reader {
 public:
  explicit Reader(std::string_view text, std::string_view member = {})
      : p_(text.data()), end_(text.data() + text.size()), member_(member) {}

  // The text of the top-level object's member `member`, when it is written in canonical form.
  [[nodiscard]] std::string_view member_text() const { return member_text_; }

  bool document(nlohmann::json& out) {
    space();
    if (!value(out, 0)) return false;
    space();
    return p_ == end_;
  }

 private:
  static constexpr int k_max_depth = 256;

  void space() {
    const char* from = p_;
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
    if (p_ != from) canonical_ = false;
  }
  bool literal(std::string_view word) {
    if (static_cast<std::size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word) return false;
    p_ += word.size();
    return true;
  }

  bool value(nlohmann::json& out, int depth) {
    if (p_ == end_ || depth > k_max_depth) return false;
    switch (*p_) {
      case '{': return object(out, depth);
      case '[': return array(out, depth);
      case '"': {
        std::string s;
        if (!string(s)) return false;
        out = std::move(s);
        return true;
      }
      case 't': out = true; return literal("true");
      case 'f': out = false; return literal("false");
      case 'n': out = nullptr; return literal("null");
      default: return number(out);
    }
  }

  // The members of an object or the elements of an array, each read by `item`, up to `close`.
  template <typename Item>
  bool sequence(char close, Item item) {
    ++p_;  // the opening bracket
    space();
    if (p_ != end_ && *p_ == close) {
      ++p_;
      return true;
    }
    for (;;) {
      if (!item()) return false;
      space();
      if (p_ == end_) return false;
      if (*p_ == close) {
        ++p_;
        return true;
      }
      if (*p_ != ',') return false;
      ++p_;
      space();
    }
  }

  bool object(nlohmann::json& out, int depth) {
    out = nlohmann::json::object();
    auto& members = out.get_ref<nlohmann::json::object_t&>();
    return sequence('}', [&] {
      std::string key;
      if (p_ == end_ || *p_ != '"' || !string(key)) return false;
      space();
      if (p_ == end_ || *p_ != ':') return false;
      ++p_;
      space();
      nlohmann::json member;
      const bool wanted = depth == 0 && !member_.empty() && key == member_;
      const char* start = p_;
      const bool outer = canonical_;
      canonical_ = true;
      if (!value(member, depth + 1)) return false;
      if (wanted && canonical_) member_text_ = std::string_view(start, static_cast<std::size_t>(p_ - start));
      canonical_ = canonical_ && outer;
      // Written texts list members in order, so most go at the end without a search; a repeated
      // name: the last one counts, as in parse().
      if (members.empty() || members.rbegin()->first < key) {
        members.emplace_hint(members.end(), std::move(key), std::move(member));
      } else {
        canonical_ = false;
        if (wanted) member_text_ = {};  // out of order, or repeated: left to json_text
        members[std::move(key)] = std::move(member);
      }
      return true;
    });
  }

  bool array(nlohmann::json& out, int depth) {
    out = nlohmann::json::array();
    auto& elements = out.get_ref<nlohmann::json::array_t&>();
    return sequence(']', [&] { return value(elements.emplace_back(), depth + 1); });
  }

  bool string(std::string& out) {
    ++p_;  // the opening quote
    const char* run = p_;
    while (p_ != end_) {
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        out.append(run, p_);
        ++p_;
        return true;
      }
      if (c < 0x20) return false;
      if (c >= 0x80) {
        const std::size_t n = utf8_length(std::string_view(p_, static_cast<std::size_t>(end_ - p_)), 0);
        if (n == 0) return false;
        p_ += n;
        continue;
      }
      if (c != '\\') {
        ++p_;
        continue;
      }
      out.append(run, p_);
      if (++p_ == end_) return false;
      switch (*p_) {
        case '"': out.push_back('"'); break;
        case '\\': out.push_back('\\'); break;
        case '/': out.push_back('/'); canonical_ = false; break;  // written as it is
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        default: return false;  // \u (surrogate pairs and all) is the parser's
      }
      run = ++p_;
    }
    return false;
  }

  // Integers only, as parse() types them: unsigned when not negative, signed when negative; a
  // fraction, an exponent or a value past 64 bits is the parser's.
  bool number(nlohmann::json& out) {
    const bool negative = *p_ == '-';
    if (negative) ++p_;
    if (p_ == end_ || *p_ < '0' || *p_ > '9') return false;
    std::uint64_t v = 0;
    if (*p_ == '0') {
      ++p_;
    } else {
      for (; p_ != end_ && *p_ >= '0' && *p_ <= '9'; ++p_) {
        const auto digit = static_cast<std::uint64_t>(*p_ - '0');
        if (v > (UINT64_MAX - digit) / 10) return false;
        v = v * 10 + digit;
      }
    }
    if (p_ != end_ && (*p_ == '.' || *p_ == 'e' || *p_ == 'E' || (*p_ >= '0' && *p_ <= '9'))) return false;
    if (!negative) {
      out = v;
      return true;
    }
    if (v > static_cast<std::uint64_t>(INT64_MAX) + 1) return false;
    if (v == 0) canonical_ = false;  // -0 is written 0
    out = v == static_cast<std::uint64_t>(INT64_MAX) + 1 ? INT64_MIN : -static_cast<std::int64_t>(v);
    return true;
  }

  const char* p_;
  const char* end_;
  // Canonical: written as json_text writes it (no spaces, members in order, no "\/", no -0).
  bool canonical_ = true;
  std::string_view member_;
  std::string_view member_text_;
};

}  // namespace

nlohmann::json parse_json_text(std::string_view text, std::string_view member, std::string_view* member_text) {
  nlohmann::json out;
  Reader reader(text, member);
  if (reader.document(out)) {
    if (member_text != nullptr) *member_text = reader.member_text();
    return out;
  }
  if (member_text != nullptr) *member_text = {};
  return nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
}

void append_json_text(std::string& out, const nlohmann::json& value) {
  using Type = nlohmann::json::value_t;
  switch (value.type()) {
    case Type::object: {
      out.push_back('{');
      bool first = true;
      for (const auto& [key, member] : value.get_ref<const nlohmann::json::object_t&>()) {
        if (!first) out.push_back(',');
        first = false;
        if (!append_string(out, key)) out += nlohmann::json(key).dump();
        out.push_back(':');
        append_json_text(out, member);
      }
      out.push_back('}');
      return;
    }
    case Type::array: {
      out.push_back('[');
      bool first = true;
      for (const auto& element : value.get_ref<const nlohmann::json::array_t&>()) {
        if (!first) out.push_back(',');
        first = false;
        append_json_text(out, element);
      }
      out.push_back(']');
      return;
    }
    case Type::string:
      if (!append_string(out, value.get_ref<const std::string&>())) out += value.dump();
      return;
    case Type::boolean: out += value.get<bool>() ? "true" : "false"; return;
    case Type::null: out += "null"; return;
    case Type::number_integer: append_integer(out, value.get<std::int64_t>()); return;
    case Type::number_unsigned: append_integer(out, value.get<std::uint64_t>()); return;
    default: out += value.dump(); return;  // floating point, binary, discarded
  }
}

void JsonWriter::separate() {
  if (!after_key_ && !first_) out_.push_back(',');
  after_key_ = false;
  first_ = false;
}

JsonWriter& JsonWriter::open(char bracket) {
  separate();
  out_.push_back(bracket);
  first_ = true;
  return *this;
}

JsonWriter& JsonWriter::close(char bracket) {
  out_.push_back(bracket);
  first_ = false;
  return *this;
}

JsonWriter& JsonWriter::key(std::string_view name) {
  string(name);
  out_.push_back(':');
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::string(std::string_view s) {
  separate();
  if (!append_string(out_, s)) out_ += nlohmann::json(std::string(s)).dump();  // throws as dump() does
  return *this;
}

JsonWriter& JsonWriter::integer(std::int64_t v) {
  separate();
  append_integer(out_, v);
  return *this;
}

JsonWriter& JsonWriter::boolean(bool b) {
  separate();
  out_ += b ? "true" : "false";
  return *this;
}

JsonWriter& JsonWriter::raw(std::string_view json) {
  separate();
  out_ += json;
  return *this;
}

}  // namespace schakel
