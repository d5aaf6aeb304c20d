#include "audit/jcs.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace schakel::audit {
namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 when it is not valid (overlong
// forms, surrogates and code points above U+10FFFF included).
std::size_t utf8_sequence_length(std::string_view s, std::size_t i, std::uint32_t& cp) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  std::size_t len = 0;
  std::uint32_t min = 0;
  if (b0 < 0x80) { cp = b0; return 1; }
  if ((b0 & 0xE0) == 0xC0) { len = 2; cp = b0 & 0x1Fu; min = 0x80; }
  else if ((b0 & 0xF0) == 0xE0) { len = 3; cp = b0 & 0x0Fu; min = 0x800; }
  else if ((b0 & 0xF8) == 0xF0) { len = 4; cp = b0 & 0x07u; min = 0x10000; }
  else return 0;
  if (i + len > s.size()) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3Fu);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

// UTF-16 code units of a valid UTF-8 string: the order RFC 8785 sorts keys by.
std::vector<std::uint16_t> utf16_units(std::string_view s) {
  std::vector<std::uint16_t> units;
  units.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    std::uint32_t cp = 0;
    std::size_t len = utf8_sequence_length(s, i, cp);
    if (len == 0) { cp = 0xFFFD; len = 1; }  // invalid keys are refused before sorting matters
    if (cp >= 0x10000) {
      cp -= 0x10000;
      units.push_back(static_cast<std::uint16_t>(0xD800 + (cp >> 10)));
      units.push_back(static_cast<std::uint16_t>(0xDC00 + (cp & 0x3FF)));
    } else {
      units.push_back(static_cast<std::uint16_t>(cp));
    }
    i += len;
  }
  return units;
}

std::string escape_pointer_token(const std::string& key) {
  std::string out;
  for (char c : key) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

Status serialise(const nlohmann::json& v, std::string& out, const std::string& pointer) {
  using T = nlohmann::json::value_t;
  switch (v.type()) {
    case T::null: out += "null"; return {};
    case T::boolean: out += v.get<bool>() ? "true" : "false"; return {};
    case T::number_integer: {
      const auto n = v.get<std::int64_t>();
      // Beyond 2^53 ECMAScript would round to a double; do the same.
      if (n > (std::int64_t{1} << 53) || n < -(std::int64_t{1} << 53)) {
        out += format_es_number(static_cast<double>(n));
      } else {
        out += std::to_string(n);
      }
      return {};
    }
    case T::number_unsigned: {
      const auto n = v.get<std::uint64_t>();
      if (n > (std::uint64_t{1} << 53)) out += format_es_number(static_cast<double>(n));
      else out += std::to_string(n);
      return {};
    }
    case T::number_float: {
      const double d = v.get<double>();
      if (!std::isfinite(d)) {
        return error(ErrorCode::invalid, (pointer.empty() ? "/" : pointer) +
                                             ": NaN and infinity have no JSON form");
      }
      out += format_es_number(d);
      return {};
    }
    case T::string:
      if (!append_canonical_string(out, v.get_ref<const std::string&>())) {
        return error(ErrorCode::invalid, (pointer.empty() ? "/" : pointer) + ": string is not valid UTF-8");
      }
      return {};
    case T::array: {
      out += '[';
      std::size_t i = 0;
      for (const auto& item : v) {
        if (i) out += ',';
        SCHAKEL_TRY(serialise(item, out, pointer + "/" + std::to_string(i)));
        ++i;
      }
      out += ']';
      return {};
    }
    case T::object: {
      std::vector<std::pair<std::vector<std::uint16_t>, nlohmann::json::const_iterator>> members;
      members.reserve(v.size());
      for (auto it = v.cbegin(); it != v.cend(); ++it) members.emplace_back(utf16_units(it.key()), it);
      std::sort(members.begin(), members.end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
      out += '{';
      bool first = true;
      for (const auto& [units, it] : members) {
        if (!first) out += ',';
        first = false;
        const std::string child = pointer + "/" + escape_pointer_token(it.key());
        if (!append_canonical_string(out, it.key())) {
          return error(ErrorCode::invalid, child + ": key is not valid UTF-8");
        }
        out += ':';
        SCHAKEL_TRY(serialise(it.value(), out, child));
      }
      out += '}';
      return {};
    }
    case T::binary:
    case T::discarded:
      break;
  }
  return error(ErrorCode::invalid, (pointer.empty() ? "/" : pointer) + ": value has no JSON form");
}

}  // namespace

char* write_canonical_string(char* p, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  const char* s = text.data();
  const std::size_t n = text.size();
  *p++ = '"';
  for (std::size_t i = 0; i < n;) {
    // Eight bytes at a time while none needs escaping or UTF-8 checking: most fields are plain
    // ASCII, and this loop is most of the verifier's work besides SHA-256.
#ifdef __SSE2__
    // Sixteen at a time: a signed compare flags control characters and UTF-8 bytes together.
    while (i + 16 <= n) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i));
      const __m128i hit = _mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)),
                                       _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                                                    _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))));
      if (_mm_movemask_epi8(hit) != 0) break;
      _mm_storeu_si128(reinterpret_cast<__m128i*>(p), v);
      p += 16;
      i += 16;
    }
#endif
    while (i + 8 <= n) {
      constexpr std::uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
      std::uint64_t w;
      std::memcpy(&w, s + i, 8);
      const std::uint64_t quote = w ^ (ones * '"'), backslash = w ^ (ones * '\\');
      // The classic "has a byte less than n" / "has a zero byte" tests (exact as booleans).
      const std::uint64_t special = ((w - ones * 0x20) & ~w & highs) | ((quote - ones) & ~quote & highs) |
                                    ((backslash - ones) & ~backslash & highs) | (w & highs);
      if (special != 0) break;
      std::memcpy(p, s + i, 8);
      p += 8;
      i += 8;
    }
    if (i >= n) break;
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      std::uint32_t cp = 0;
      const std::size_t len = utf8_sequence_length(text, i, cp);
      if (len == 0) return nullptr;
      std::memcpy(p, s + i, len);
      p += len;
      i += len;
      continue;
    }
    ++i;
    if (c >= 0x20 && c != '"' && c != '\\') {
      *p++ = static_cast<char>(c);
      continue;
    }
    *p++ = '\\';
    switch (c) {
      case '"': *p++ = '"'; break;
      case '\\': *p++ = '\\'; break;
      case '\b': *p++ = 'b'; break;
      case '\f': *p++ = 'f'; break;
      case '\n': *p++ = 'n'; break;
      case '\r': *p++ = 'r'; break;
      case '\t': *p++ = 't'; break;
      default:
        std::memcpy(p, "u00", 3);
        p += 3;
        *p++ = kHex[c >> 4];
        *p++ = kHex[c & 0xF];
    }
  }
  *p++ = '"';
  return p;
}

bool append_canonical_string(std::string& out, std::string_view text) {
  const std::size_t old = out.size();
  out.resize(old + canonical_string_bound(text));
  char* end = write_canonical_string(out.data() + old, text);
  if (!end) {
    out.resize(old);
    return false;
  }
  out.resize(static_cast<std::size_t>(end - out.data()));
  return true;
}

std::string format_es_number(double value) {
  if (value == 0) return "0";  // -0 too
  std::string out;
  if (value < 0) { out += '-'; value = -value; }
  // Shortest round-trip digits, as ECMAScript requires; then lay them out by its rules.
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
  const std::string_view sci(buf, static_cast<std::size_t>(res.ptr - buf));
  const auto e_pos = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e_pos)) {
    if (c != '.') digits += c;
  }
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  const int exp10 = std::atoi(std::string(sci.substr(e_pos + 1)).c_str());
  const int k = static_cast<int>(digits.size());
  const int n = exp10 + 1;  // the decimal point sits after n digits
  if (k <= n && n <= 21) {
    out += digits;
    out.append(static_cast<std::size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out += digits.substr(0, static_cast<std::size_t>(n));
    out += '.';
    out += digits.substr(static_cast<std::size_t>(n));
  } else if (-6 < n && n <= 0) {
    out += "0.";
    out.append(static_cast<std::size_t>(-n), '0');
    out += digits;
  } else {
    out += digits[0];
    if (k > 1) {
      out += '.';
      out += digits.substr(1);
    }
    out += 'e';
    out += (n - 1 >= 0) ? '+' : '-';
    out += std::to_string(std::abs(n - 1));
  }
  return out;
}

Result<std::string> canonical_json(const nlohmann::json& value) {
  std::string out;
  SCHAKEL_TRY(serialise(value, out, ""));
  return out;
}

}  // namespace schakel::audit
