#pragma once
// A byte-at-a-time UTF-8 validator (RFC 3629): rejects overlong forms, surrogates and code points
// above U+10FFFF, so a reader can say exactly where the first bad byte is.
#include <cstdint>
#include <string_view>

namespace schakel::csv {

class Utf8Check {
 public:
  // Feeds one byte; false if it cannot continue a valid UTF-8 sequence.
  bool feed(std::uint8_t b) {
    if (need_ == 0) {
      if (b < 0x80) return true;
      if (b >= 0xC2 && b <= 0xDF) return start(1, 0x80, 0xBF);
      if (b == 0xE0) return start(2, 0xA0, 0xBF);
      if ((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF) return start(2, 0x80, 0xBF);
      if (b == 0xED) return start(2, 0x80, 0x9F);  // no UTF-16 surrogates
      if (b == 0xF0) return start(3, 0x90, 0xBF);
      if (b >= 0xF1 && b <= 0xF3) return start(3, 0x80, 0xBF);
      if (b == 0xF4) return start(3, 0x80, 0x8F);  // nothing above U+10FFFF
      return false;
    }
    if (b < lo_ || b > hi_) return false;
    --need_;
    lo_ = 0x80;
    hi_ = 0xBF;
    return true;
  }
  // True when no multi-byte sequence is left open.
  [[nodiscard]] bool complete() const { return need_ == 0; }

 private:
  bool start(int need, std::uint8_t lo, std::uint8_t hi) {
    need_ = need;
    lo_ = lo;
    hi_ = hi;
    return true;
  }
  int need_ = 0;
  std::uint8_t lo_ = 0x80;
  std::uint8_t hi_ = 0xBF;
};

inline bool valid_utf8(std::string_view s) {
  Utf8Check check;
  for (char c : s)
    if (!check.feed(static_cast<std::uint8_t>(c))) return false;
  return check.complete();
}

}  // namespace schakel::csv
