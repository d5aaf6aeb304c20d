#include "schema/pattern.hpp"

#include <algorithm>
#include <cctype>
#include <functional>
#include <optional>

namespace schakel::schema {
namespace {

using Term = Pattern::Term;
using Sequence = Pattern::Sequence;
using Bytes = std::bitset<256>;

Bytes range(unsigned char lo, unsigned char hi) {
  Bytes b;
  for (unsigned c = lo; c <= hi; ++c) b.set(c);
  return b;
}
// The classes as std::regex's "C" locale traits see them.
Bytes space() {
  Bytes b;
  for (unsigned char c : {' ', '\t', '\n', '\v', '\f', '\r'}) b.set(c);
  return b;
}
Bytes word() { return range('a', 'z') | range('A', 'Z') | range('0', '9') | range('_', '_'); }

// A parse of the supported subset; nullopt for anything else (std::regex then decides).
class Parser {
 public:
  explicit Parser(const std::string& s) : s_(s) {}

  std::optional<std::vector<Sequence>> all() {
    auto alts = alternatives();
    if (!alts || at_ != s_.size()) return std::nullopt;
    return alts;
  }

 private:
  std::optional<std::vector<Sequence>> alternatives() {
    std::vector<Sequence> out;
    for (;;) {
      auto seq = sequence();
      if (!seq) return std::nullopt;
      out.push_back(std::move(*seq));
      if (at_ < s_.size() && s_[at_] == '|') {
        ++at_;
        continue;
      }
      return out;
    }
  }

  std::optional<Sequence> sequence() {
    Sequence seq;
    while (at_ < s_.size() && s_[at_] != '|' && s_[at_] != ')') {
      auto t = atom();
      if (!t || !quantifier(*t)) return std::nullopt;
      seq.push_back(std::move(*t));
    }
    return seq;
  }

  std::optional<Term> atom() {
    Term t;
    const char c = s_[at_++];
    switch (c) {
      case '^': t.kind = Term::Kind::begin; return t;
      case '$': t.kind = Term::Kind::end; return t;
      case '.': t.set = ~(Bytes().set('\n').set('\r')); return t;
      case '(': {
        if (at_ < s_.size() && s_[at_] == '?') return std::nullopt;  // (?:, lookaround
        auto alts = alternatives();
        if (!alts || at_ >= s_.size() || s_[at_] != ')') return std::nullopt;
        ++at_;
        t.kind = Term::Kind::group;
        t.alternatives = std::move(*alts);
        return t;
      }
      case '[': return klass();
      case '\\': {
        auto e = escape(false);
        if (!e) return std::nullopt;
        t.set = *e;
        return t;
      }
      case '*': case '+': case '?': case '{': case '}': case ')': case ']': return std::nullopt;
      default: t.set.set(static_cast<unsigned char>(c)); return t;
    }
  }

  // After a backslash: a class escape or a literal punctuation character.
  std::optional<Bytes> escape(bool in_class) {
    if (at_ >= s_.size()) return std::nullopt;
    const char c = s_[at_++];
    switch (c) {
      case 'd': return range('0', '9');
      case 'D': return ~range('0', '9');
      case 's': return space();
      case 'S': return ~space();
      case 'w': return word();
      case 'W': return ~word();
      case 'n': return Bytes().set('\n');
      case 't': return Bytes().set('\t');
      case 'r': return Bytes().set('\r');
      default: break;
    }
    if (std::isalnum(static_cast<unsigned char>(c)) || (c == '-' && !in_class)) return std::nullopt;  // \b, \1, \u...
    return Bytes().set(static_cast<unsigned char>(c));
  }

  std::optional<Term> klass() {
    Term t;
    bool negate = false;
    if (at_ < s_.size() && s_[at_] == '^') {
      negate = true;
      ++at_;
    }
    // ECMA 262 reads [] as a class of nothing and [^] as any character: left to std::regex.
    if (at_ < s_.size() && s_[at_] == ']') return std::nullopt;
    while (at_ < s_.size() && s_[at_] != ']') {
      std::optional<unsigned char> lo;
      if (s_[at_] == '\\') {
        ++at_;
        auto e = escape(true);
        if (!e) return std::nullopt;
        if (e->count() != 1) {  // \s, \d, \w: not a range end
          t.set |= *e;
          continue;
        }
        for (unsigned b = 0; b < 256; ++b)
          if (e->test(b)) lo = static_cast<unsigned char>(b);
      } else if (s_[at_] == '[') {
        return std::nullopt;  // [[:alpha:]] and the like
      } else {
        lo = static_cast<unsigned char>(s_[at_++]);
      }
      if (at_ + 1 < s_.size() && s_[at_] == '-' && s_[at_ + 1] != ']') {
        ++at_;
        if (s_[at_] == '\\') return std::nullopt;
        const auto hi = static_cast<unsigned char>(s_[at_++]);
        if (hi < *lo) return std::nullopt;
        t.set |= range(*lo, hi);
      } else {
        t.set.set(*lo);
      }
    }
    if (at_ >= s_.size()) return std::nullopt;
    ++at_;  // ']'
    if (negate) t.set = ~t.set;
    return t;
  }

  bool quantifier(Term& t) {
    if (at_ >= s_.size()) return true;
    const char c = s_[at_];
    if (c == '?' || c == '*' || c == '+') {
      ++at_;
      t.min = c == '+' ? 1 : 0;
      t.max = c == '?' ? 1 : -1;
    } else if (c == '{') {
      const std::size_t close = s_.find('}', at_);
      if (close == std::string::npos) return false;
      const std::string body = s_.substr(at_ + 1, close - at_ - 1);
      const std::size_t comma = body.find(',');
      auto number = [](const std::string& n, int& out) {
        if (n.empty() || n.size() > 4) return false;
        for (char d : n)
          if (!std::isdigit(static_cast<unsigned char>(d))) return false;
        out = std::stoi(n);
        return true;
      };
      if (comma == std::string::npos) {
        if (!number(body, t.min)) return false;
        t.max = t.min;
      } else {
        if (!number(body.substr(0, comma), t.min)) return false;
        const std::string hi = body.substr(comma + 1);
        if (hi.empty()) t.max = -1;
        else if (!number(hi, t.max) || t.max < t.min) return false;
      }
      at_ = close + 1;
    } else {
      return true;
    }
    if (t.kind == Term::Kind::begin || t.kind == Term::Kind::end) return false;
    // A lazy or a second quantifier is outside the subset.
    return at_ >= s_.size() || (s_[at_] != '?' && s_[at_] != '*' && s_[at_] != '+' && s_[at_] != '{');
  }

  const std::string& s_;
  std::size_t at_ = 0;
};

using Next = std::function<bool(std::size_t)>;

class Matcher {
 public:
  explicit Matcher(std::string_view text) : text_(text) {}

  bool alternatives(const std::vector<Sequence>& alts, std::size_t pos, const Next& next) const {
    for (const auto& seq : alts)
      if (sequence(seq, 0, pos, next)) return true;
    return false;
  }

 private:
  bool sequence(const Sequence& seq, std::size_t i, std::size_t pos, const Next& next) const {
    if (i == seq.size()) return next(pos);
    const Term& t = seq[i];
    switch (t.kind) {
      case Term::Kind::begin: return pos == 0 && sequence(seq, i + 1, pos, next);
      case Term::Kind::end: return pos == text_.size() && sequence(seq, i + 1, pos, next);
      case Term::Kind::set: {
        // Greedy: take as many as allowed, then give back one at a time.
        std::size_t n = 0;
        const std::size_t limit = t.max < 0 ? text_.size() - pos : std::min<std::size_t>(t.max, text_.size() - pos);
        while (n < limit && t.set.test(static_cast<unsigned char>(text_[pos + n]))) ++n;
        if (n < static_cast<std::size_t>(t.min)) return false;
        for (std::size_t k = n + 1; k-- > static_cast<std::size_t>(t.min);)
          if (sequence(seq, i + 1, pos + k, next)) return true;
        return false;
      }
      case Term::Kind::group: return repeat(seq, i, 0, pos, next);
    }
    return false;
  }

  bool repeat(const Sequence& seq, std::size_t i, int count, std::size_t pos, const Next& next) const {
    const Term& t = seq[i];
    if (t.max < 0 || count < t.max) {
      // One more round first (greedy); a round that matches nothing ends the loop.
      const Next more = [&](std::size_t after) {
        return after != pos && repeat(seq, i, count + 1, after, next);
      };
      if (alternatives(t.alternatives, pos, more)) return true;
    }
    if (count < t.min) {
      // The rounds still required may match nothing (as ECMA 262 allows below the minimum).
      const Next empty_round = [&](std::size_t after) { return after == pos && repeat(seq, i, count + 1, pos, next); };
      return alternatives(t.alternatives, pos, empty_round);
    }
    return sequence(seq, i + 1, pos, next);
  }

  std::string_view text_;
};

}  // namespace

Pattern::Pattern(const std::string& source) {
  if (auto parsed = Parser(source).all()) top_ = std::move(*parsed);
  else fallback_ = std::make_unique<std::regex>(source, std::regex::ECMAScript);
}

bool Pattern::search(std::string_view text) const {
  if (fallback_) return std::regex_search(text.begin(), text.end(), *fallback_);
  Matcher m(text);
  const Next done = [](std::size_t) { return true; };
  // Anchored at the start (as every case-schema pattern is): only one place to try.
  const bool anchored = std::all_of(top_.begin(), top_.end(), [](const Sequence& seq) {
    return !seq.empty() && seq.front().kind == Term::Kind::begin;
  });
  for (std::size_t start = 0; start <= (anchored ? 0 : text.size()); ++start)
    if (m.alternatives(top_, start, done)) return true;
  return false;
}

}  // namespace schakel::schema
