// Pattern's own matcher answers exactly as std::regex_search (what valijson uses) for every
// pattern of the case schemas and for the constructs around them, on strings built to sit on
// either side of each pattern's edges.
#include "schema/pattern.hpp"

#include <filesystem>
#include <fstream>
#include <random>
#include <regex>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "schema/schema_set.hpp"

namespace schakel::schema {
namespace {

using nlohmann::json;

void collect_patterns(const json& node, std::vector<std::string>& out) {
  if (node.is_object()) {
    for (const auto& [key, value] : node.items()) {
      if (key == "pattern" && value.is_string()) out.push_back(value.get<std::string>());
      collect_patterns(value, out);
    }
  } else if (node.is_array()) {
    for (const auto& v : node) collect_patterns(v, out);
  }
}

std::vector<std::string> schema_patterns() {
  std::vector<std::string> out;
  for (const auto& entry : std::filesystem::directory_iterator(default_schema_dir())) {
    if (!entry.path().string().ends_with(".schema.json")) continue;
    std::ifstream in(entry.path());
    collect_patterns(json::parse(in), out);
  }
  return out;
}

// Strings near a pattern: random ones over the bytes that matter (digits, letters, the
// punctuation the patterns use, a space, a newline, a UTF-8 letter), of lengths around the bounds.
std::vector<std::string> probes(std::mt19937& rng) {
  static const std::vector<std::string> atoms = {"0", "1", "9", "a", "f", "z", "A", "Z", "_", "-", ".", "@", ":",
                                                 "/", "+", " ", "\n", "T", "\xc3\xab", "PO", "VO", "[", "]", "\\",
                                                 "https://ketenid.nl/201703/", "2026-", "1234 AB", "'"};
  std::vector<std::string> out = {"", "a", "0", "2026-03-04", "1234AB", "1234 AB", "PO1234", "stu-1",
                                  "a@b.nl", "+31 6 1234 5678", "[::1]:8443", "example.nl:443", "text/calendar"};
  std::uniform_int_distribution<std::size_t> pick(0, atoms.size() - 1), length(0, 24);
  for (int i = 0; i < 400; ++i) {
    std::string s;
    for (std::size_t n = length(rng); n > 0; --n) s += atoms[pick(rng)];
    out.push_back(s);
  }
  for (std::size_t n : {63u, 64u, 65u, 127u, 128u, 129u}) {
    out.push_back(std::string(n, 'a'));
    out.push_back(std::string(n, '0'));
    out.push_back("https://ketenid.nl/201703/" + std::string(n, 'f'));
  }
  return out;
}

void expect_same(const std::string& pattern, const std::vector<std::string>& texts) {
  const std::regex reference(pattern, std::regex::ECMAScript);
  const Pattern ours(pattern);
  for (const auto& t : texts)
    EXPECT_EQ(ours.search(t), std::regex_search(t, reference)) << "pattern " << pattern << " on \"" << t << "\"";
}

TEST(Pattern, EverySchemaPatternGetsTheSmallMatcherAndAnswersAsStdRegex) {
  std::mt19937 rng(20261124);
  const auto texts = probes(rng);
  const auto patterns = schema_patterns();
  ASSERT_GT(patterns.size(), 20u);
  for (const auto& p : patterns) {
    EXPECT_TRUE(Pattern(p).compiled()) << p;
    expect_same(p, texts);
  }
}

TEST(Pattern, ConstructsAroundTheSchemaPatternsAnswerAsStdRegex) {
  std::mt19937 rng(7);
  auto texts = probes(rng);
  for (const char* extra : {"ab", "aab", "abab", "ba", "aaa", "abc", "ac", "b"}) texts.push_back(extra);
  for (const char* p : {"a", "ab", "^a", "a$", "^$", "a|b", "^(a|ab)c$", "^(a|ab)*$", "^(ab)+$", "^(a?){2}$",
                        "^a{2,}$", "^a{0,2}b?$", "^[^a-f]+$", "^[a\\-z]+$", "^[-a]+$", "^[a-]+$",
                        "^[\\s\\d]+$", "^\\w+\\W?$", "^.+$", "[.]", "^(|a)b$", "\\.nl$", "^(a|b)c|d$"}) {
    EXPECT_TRUE(Pattern(p).compiled()) << p;
    expect_same(p, texts);
  }
}

TEST(Pattern, OtherConstructsFallBackToStdRegexAndStillAnswer) {
  for (const char* p : {"^(?:a|b)$", "^(a)\\1$", "^[]a]+$", "^[^]$", "^a+?$", "\\bword\\b", "^[[:alpha:]]+$", "^\\u0041$"}) {
    const Pattern ours(p);
    EXPECT_FALSE(ours.compiled()) << p;
    expect_same(p, {"", "a", "aa", "b", "word", "A", "ab", "a word here"});
  }
  EXPECT_THROW(Pattern("^(a$"), std::regex_error);
}

}  // namespace
}  // namespace schakel::schema
