// TEXT escaping and line folding (RFC 5545 3.1, 3.3.11), including a property test of folding
// over random multi-byte text.
#include <random>

#include <gtest/gtest.h>

#include "ical/text.hpp"

namespace schakel::ical {
namespace {

// Every physical line ends in CRLF, has at most 75 octets, continuations start with one space,
// and no line starts or ends inside a UTF-8 character.
void expect_well_folded(const std::string& folded, const std::string& original) {
  std::size_t pos = 0;
  bool first = true;
  std::string rebuilt;
  while (pos < folded.size()) {
    const std::size_t end = folded.find("\r\n", pos);
    ASSERT_NE(end, std::string::npos) << "a line without CRLF";
    std::string line = folded.substr(pos, end - pos);
    EXPECT_LE(line.size(), k_max_line_octets) << line;
    EXPECT_EQ(line.find('\n'), std::string::npos);
    if (!first) {
      ASSERT_FALSE(line.empty());
      EXPECT_EQ(line[0], ' ');
      line.erase(0, 1);
    }
    ASSERT_FALSE(line.empty()) << "an empty segment";
    EXPECT_NE(static_cast<unsigned char>(line.front()) & 0xC0U, 0x80U) << "a line starts inside a character";
    const unsigned char last_lead = [&] {
      std::size_t k = line.size() - 1;
      while (k > 0 && (static_cast<unsigned char>(line[k]) & 0xC0U) == 0x80U) --k;
      const unsigned char lead = static_cast<unsigned char>(line[k]);
      const std::size_t want = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
      EXPECT_EQ(line.size() - k, want) << "a line ends inside a character";
      return lead;
    }();
    (void)last_lead;
    rebuilt += line;
    pos = end + 2;
    first = false;
  }
  EXPECT_EQ(rebuilt, original);
  EXPECT_EQ(unfold(folded), original + "\r\n");
}

TEST(IcalText, EscapesBackslashSemicolonCommaAndEveryNewline) {
  EXPECT_EQ(escape_text("a\\b;c,d\ne\r\nf\rg"), "a\\\\b\\;c\\,d\\ne\\nf\\ng");
  EXPECT_EQ(escape_text("tab\tstays, bell\x07 goes"), "tab\tstays\\, bell goes");
  EXPECT_EQ(escape_text("caf\xc3\xa9: 10:00"), "caf\xc3\xa9: 10:00") << "colons need no escape in TEXT";
}

TEST(IcalText, UnescapeReversesEscape) {
  const std::string s = "Agenda;\n1, 2\\3\nN";
  EXPECT_EQ(unescape_text(escape_text(s)), s);
  EXPECT_EQ(unescape_text("a\\Nb"), "a\nb");
}

TEST(IcalText, ParamValuesAreQuotedWhenNeededAndNeverHoldAQuote) {
  EXPECT_EQ(param_value("Jan Jansen"), "Jan Jansen");
  EXPECT_EQ(param_value("Jansen, Jan"), "\"Jansen, Jan\"");
  EXPECT_EQ(param_value("Sam \"SMW\" de Vries"), "Sam 'SMW' de Vries");
}

TEST(IcalText, ShortLinesAreNotFolded) {
  EXPECT_EQ(fold_line("SUMMARY:OT"), "SUMMARY:OT\r\n");
  const std::string exactly75(75, 'x');
  EXPECT_EQ(fold_line(exactly75), exactly75 + "\r\n");
}

TEST(IcalText, LongAsciiFoldsAt75ThenAt74PlusTheSpace) {
  const std::string line(200, 'a');
  const std::string folded = fold_line(line);
  EXPECT_EQ(folded.substr(0, 77), std::string(75, 'a') + "\r\n");
  EXPECT_EQ(folded.substr(77, 77), " " + std::string(74, 'a') + "\r\n");
  expect_well_folded(folded, line);
}

TEST(IcalText, NeverSplitsAFourByteCharacterAtTheBoundary) {
  // 73 ASCII octets, then an emoji of 4 octets straddling octet 75: it moves whole to line two.
  const std::string line = std::string(73, 'x') + "\xf0\x9f\x98\x80" + "tail";
  const std::string folded = fold_line(line);
  EXPECT_EQ(folded.substr(0, 75), std::string(73, 'x') + "\r\n");
  expect_well_folded(folded, line);
}

// Property: for random lines mixing 1-4 octet characters, folding keeps every rule and unfolds
// back to the same bytes. Fixed seed, so a failure replays.
TEST(IcalText, FoldingPropertyOverRandomMultiByteText) {
  const std::vector<std::string> alphabet = {"a", "Z", " ", ";", "\xc3\xa9", "\xc3\xab", "\xe2\x82\xac",
                                             "\xe2\x80\x99", "\xf0\x9f\x98\x80", "\xf0\x9f\x8f\xab"};
  std::mt19937 rng(20261124);
  for (int round = 0; round < 2000; ++round) {
    std::uniform_int_distribution<int> len(0, 400);
    std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
    std::string line = "DESCRIPTION:";
    for (int n = len(rng); n > 0; --n) line += alphabet[pick(rng)];
    expect_well_folded(fold_line(line), line);
    if (testing::Test::HasFailure()) {
      ADD_FAILURE() << "round " << round << " line: " << line;
      return;
    }
  }
}

TEST(IcalText, UnfoldAcceptsLfAndTabContinuations) {
  EXPECT_EQ(unfold("SUMMARY:ab\n\tcd\r\n ef\r\nX:1"), "SUMMARY:abcdef\r\nX:1");
}

}  // namespace
}  // namespace schakel::ical
