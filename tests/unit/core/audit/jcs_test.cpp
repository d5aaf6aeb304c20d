#include "audit/jcs.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <cstdint>

namespace schakel::audit {
namespace {

std::string canon(const std::string& text) {
  auto r = canonical_json(nlohmann::json::parse(text));
  EXPECT_TRUE(r) << r.status().message();
  return r ? *r : "";
}

std::string num(std::uint64_t bits) { return format_es_number(std::bit_cast<double>(bits)); }

// RFC 8785 section 3.2.2: the sample input and its canonical form.
TEST(Jcs, RfcSampleCanonicalisesExactly) {
  const std::string input = R"({
    "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
    "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
    "literals": [null, true, false]
  })";
  EXPECT_EQ(canon(input),
            "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],"
            "\"string\":\"\xE2\x82\xAC$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}");
}

// RFC 8785 section 3.2.3: keys sort by UTF-16 code units, so U+1F600 (a surrogate pair) sorts
// before U+FB33 although its code point is larger.
TEST(Jcs, RfcKeySortingByUtf16Units) {
  const std::string input = R"({
    "\u20ac": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Hebrew Letter Dalet With Dagesh",
    "1": "One", "\ud83d\ude00": "Emoji: Grinning Face", "\u0080": "Control",
    "\u00f6": "Latin Small Letter O With Diaeresis"})";
  const auto out = canon(input);
  const std::vector<std::string> order = {"\\r", "1", "\xC2\x80", "\xC3\xB6", "\xE2\x82\xAC",
                                          "\xF0\x9F\x98\x80", "\xEF\xAC\xB3"};
  std::size_t pos = 0;
  for (const auto& key : order) {
    const auto found = out.find("\"" + key + "\":", pos);
    ASSERT_NE(found, std::string::npos) << key;
    pos = found;
  }
}

// RFC 8785 appendix B: IEEE 754 values and their ECMAScript forms.
TEST(Jcs, RfcNumberVectors) {
  EXPECT_EQ(num(0x0000000000000000), "0");
  EXPECT_EQ(num(0x8000000000000000), "0");
  EXPECT_EQ(num(0x0000000000000001), "5e-324");
  EXPECT_EQ(num(0x8000000000000001), "-5e-324");
  EXPECT_EQ(num(0x7fefffffffffffff), "1.7976931348623157e+308");
  EXPECT_EQ(num(0xffefffffffffffff), "-1.7976931348623157e+308");
  EXPECT_EQ(num(0x4340000000000000), "9007199254740992");
  EXPECT_EQ(num(0xc340000000000000), "-9007199254740992");
  EXPECT_EQ(num(0x4430000000000000), "295147905179352830000");
  EXPECT_EQ(num(0x44b52d02c7e14af5), "9.999999999999997e+22");
  EXPECT_EQ(num(0x44b52d02c7e14af6), "1e+23");
  EXPECT_EQ(num(0x44b52d02c7e14af7), "1.0000000000000001e+23");
  EXPECT_EQ(num(0x444b1ae4d6e2ef4e), "999999999999999700000");
  EXPECT_EQ(num(0x444b1ae4d6e2ef4f), "999999999999999900000");
  EXPECT_EQ(num(0x444b1ae4d6e2ef50), "1e+21");
  EXPECT_EQ(num(0x3eb0c6f7a0b5ed8c), "9.999999999999997e-7");
  EXPECT_EQ(num(0x3eb0c6f7a0b5ed8d), "0.000001");
  EXPECT_EQ(num(0x41b3de4355555553), "333333333.3333332");
  EXPECT_EQ(num(0x41b3de4355555554), "333333333.33333325");
  EXPECT_EQ(num(0x41b3de4355555555), "333333333.3333333");
  EXPECT_EQ(num(0x41b3de4355555556), "333333333.3333334");
  EXPECT_EQ(num(0x41b3de4355555557), "333333333.33333343");
  EXPECT_EQ(num(0xbecbf647612f3696), "-0.0000033333333333333333");
  EXPECT_EQ(num(0x43143ff3c1cb0959), "1424953923781206.2");
}

TEST(Jcs, IntegersBeyondDoublePrecisionRoundAsEcmaScriptDoes) {
  EXPECT_EQ(canon("[1, -7, 9007199254740993, 18446744073709551615]"),
            "[1,-7,9007199254740992,18446744073709552000]");
}

TEST(Jcs, NestedStructuresAndControlCharacters) {
  EXPECT_EQ(canon(R"({"b":[{"z":1,"a":"\u0001\t"}],"a":{}})"), "{\"a\":{},\"b\":[{\"a\":\"\\u0001\\t\",\"z\":1}]}");
}

TEST(Jcs, RefusesNonFiniteNumbersAndInvalidUtf8WithThePointer) {
  nlohmann::json j = {{"a", {1.0, std::numeric_limits<double>::infinity()}}};
  auto r = canonical_json(j);
  ASSERT_FALSE(r);
  EXPECT_NE(r.status().message().find("/a/1"), std::string::npos) << r.status().message();

  nlohmann::json bad = {{"name", std::string("\xC3\x28")}};
  auto r2 = canonical_json(bad);
  ASSERT_FALSE(r2);
  EXPECT_NE(r2.status().message().find("/name"), std::string::npos) << r2.status().message();
  nlohmann::json surrogate = {{"x", std::string("\xED\xA0\x80")}};  // UTF-8 encoded surrogate
  EXPECT_FALSE(canonical_json(surrogate));
}

// Strings escape exactly as JSON.stringify does; nlohmann's dump follows the same rules for
// valid UTF-8, so it serves as the oracle over seeded random strings of every length.
TEST(Jcs, StringEscapingMatchesAnIndependentSerialiser) {
  const std::string alphabet[] = {"a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\x01", "\x1f", "\x7f",
                                  "\xC3\xB6", "\xE2\x82\xAC", "\xF0\x9F\x98\x80"};
  std::uint64_t state = 42;
  for (int n = 0; n < 2000; ++n) {
    std::string s;
    const int len = n % 40;
    for (int k = 0; k < len; ++k) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      s += alphabet[(state >> 33) % std::size(alphabet)];
    }
    std::string out;
    ASSERT_TRUE(append_canonical_string(out, s));
    ASSERT_EQ(out, nlohmann::json(s).dump()) << "case " << n;
  }
}

}  // namespace
}  // namespace schakel::audit
