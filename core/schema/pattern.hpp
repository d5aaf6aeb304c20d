#pragma once
// A JSON Schema "pattern" (ECMA 262), matched as valijson matches it: std::regex_search over the
// string's bytes. std::regex backtracks through a generic automaton and cost most of a record's
// validation, so the patterns the case schemas use (anchors, literals, classes, groups with
// alternatives, greedy quantifiers; no backreferences or lookaround) are compiled to a small
// backtracking matcher of their own, and any other pattern keeps std::regex. Without
// backreferences, whether a match exists does not depend on the order alternatives are tried, so
// both give the same answer (pattern_test.cpp checks that against std::regex).
#include <bitset>
#include <memory>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

namespace schakel::schema {

class Pattern {
 public:
  // Throws std::regex_error for a pattern std::regex refuses, as valijson's own compile would.
  explicit Pattern(const std::string& source);
  [[nodiscard]] bool search(std::string_view text) const;
  // Whether the pattern got the small matcher (false: std::regex).
  [[nodiscard]] bool compiled() const { return !fallback_; }

  struct Term;
  using Sequence = std::vector<Term>;
  struct Term {
    enum class Kind { set, group, begin, end } kind = Kind::set;
    std::bitset<256> set;              // Kind::set: the bytes it matches
    std::vector<Sequence> alternatives;  // Kind::group
    int min = 1, max = 1;              // max -1: unbounded
  };

 private:
  std::vector<Sequence> top_;  // alternatives
  std::unique_ptr<std::regex> fallback_;
};

}  // namespace schakel::schema
