// Parsing of five-field cron expressions; every error names the field and the column.
#include <array>
#include <cctype>
#include <cstdint>
#include <string>
#include <vector>

#include "schedule/cron_expression.hpp"

namespace schakel {

namespace {

struct FieldSpec {
  int number;  // 1-based, as in error messages
  const char* name;
  int min;
  int max;
  const char* const* names;  // names[i] stands for min + i; nullptr when the field has none
  int name_count;
};

constexpr const char* kMonthNames[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                       "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr const char* kWeekdayNames[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

constexpr std::array<FieldSpec, 5> kFields{{
    {1, "minute", 0, 59, nullptr, 0},
    {2, "hour", 0, 23, nullptr, 0},
    {3, "day-of-month", 1, 31, nullptr, 0},
    {4, "month", 1, 12, kMonthNames, 12},
    {5, "day-of-week", 0, 7, kWeekdayNames, 7},
}};

struct Token {
  std::string_view text;
  std::size_t column;  // 1-based column of text[0] in the whole expression
};

}  // namespace

// Friend of CronExpression, so it can fill the bit sets.
class CronParser {
 public:
  explicit CronParser(std::string_view text) : text_(text) {}

  Result<CronExpression> parse() {
    std::vector<Token> fields = split_fields();
    if (fields.size() != kFields.size()) {
      return error(ErrorCode::invalid,
                   "expected 5 fields (minute hour day-of-month month day-of-week), got " +
                       std::to_string(fields.size()));
    }
    CronExpression expr;
    expr.text_ = std::string(text_);
    std::array<std::uint64_t, 5> bits{};
    for (std::size_t i = 0; i < kFields.size(); ++i) {
      spec_ = &kFields[i];
      Result<std::uint64_t> field = parse_field(fields[i]);
      if (!field) return field.status();
      bits[i] = *field;
    }
    expr.minutes_ = bits[0];
    expr.hours_ = static_cast<std::uint32_t>(bits[1]);
    expr.days_ = static_cast<std::uint32_t>(bits[2]);
    expr.months_ = static_cast<std::uint32_t>(bits[3]);
    // Weekday 7 is Sunday, as 0 is.
    expr.weekdays_ = static_cast<std::uint32_t>((bits[4] | (bits[4] >> 7)) & 0x7f);
    expr.hour_star_ = fields[1].text.front() == '*';
    expr.dom_star_ = fields[2].text.front() == '*';
    expr.dow_star_ = fields[4].text.front() == '*';
    if (expr.dow_star_ && !any_day_exists(expr.days_, expr.months_)) {
      return error(ErrorCode::invalid,
                   "field 3 (day-of-month): no selected day occurs in the selected months at column " +
                       std::to_string(fields[2].column));
    }
    return expr;
  }

 private:
  std::vector<Token> split_fields() const {
    std::vector<Token> out;
    std::size_t i = 0;
    while (i < text_.size()) {
      while (i < text_.size() && (text_[i] == ' ' || text_[i] == '\t')) ++i;
      const std::size_t start = i;
      while (i < text_.size() && text_[i] != ' ' && text_[i] != '\t') ++i;
      if (i > start) out.push_back({text_.substr(start, i - start), start + 1});
    }
    return out;
  }

  Status fail(const std::string& what, std::size_t column) const {
    return error(ErrorCode::invalid, "field " + std::to_string(spec_->number) + " (" + spec_->name +
                                         "): " + what + " at column " + std::to_string(column));
  }

  Result<std::uint64_t> parse_field(Token field) const {
    std::uint64_t bits = 0;
    std::size_t pos = 0;
    while (true) {
      const std::size_t comma = field.text.find(',', pos);
      const std::size_t end = comma == std::string_view::npos ? field.text.size() : comma;
      const Token element{field.text.substr(pos, end - pos), field.column + pos};
      if (element.text.empty()) return fail("empty list element", element.column);
      Result<std::uint64_t> element_bits = parse_element(element);
      if (!element_bits) return element_bits.status();
      bits |= *element_bits;
      if (comma == std::string_view::npos) break;
      pos = comma + 1;
    }
    return bits;
  }

  // `*`, `*/S`, `N`, `N-M`, `N-M/S`.
  Result<std::uint64_t> parse_element(Token element) const {
    std::string_view range = element.text;
    int step = 1;
    const std::size_t slash = range.find('/');
    if (slash != std::string_view::npos) {
      const Token step_token{range.substr(slash + 1), element.column + slash + 1};
      if (step_token.text.empty()) return fail("missing step after '/'", step_token.column);
      Result<int> parsed = parse_number(step_token);
      if (!parsed) return parsed.status();
      const int span = spec_->max - spec_->min + 1;
      if (*parsed < 1 || *parsed > span) {
        return fail("step " + std::string(step_token.text) + " is out of range 1-" + std::to_string(span),
                    step_token.column);
      }
      step = *parsed;
      range = range.substr(0, slash);
    }
    int first = spec_->min;
    int last = spec_->max;
    if (range == "*") {
      // the whole field
    } else if (range.empty()) {
      return fail("missing value before '/'", element.column);
    } else {
      const std::size_t dash = range.find('-', 1);
      const Token low{range.substr(0, dash), element.column};
      Result<int> low_value = parse_value(low);
      if (!low_value) return low_value.status();
      first = *low_value;
      if (dash == std::string_view::npos) {
        if (slash != std::string_view::npos) return fail("a step needs '*' or a range before '/'", element.column);
        last = first;
      } else {
        const Token high{range.substr(dash + 1), element.column + dash + 1};
        if (high.text.empty()) return fail("missing end of range", high.column);
        Result<int> high_value = parse_value(high);
        if (!high_value) return high_value.status();
        last = *high_value;
        // "fri-sun": a weekday range may end at Sunday, read as 7.
        if (spec_->number == 5 && last == 0 && first > 0) last = 7;
        if (last < first) {
          return fail("range " + std::string(range) + " is reversed", element.column);
        }
      }
    }
    std::uint64_t bits = 0;
    for (int v = first; v <= last; v += step) bits |= std::uint64_t{1} << v;
    return bits;
  }

  Result<int> parse_value(Token token) const {
    if (!token.text.empty() && std::isalpha(static_cast<unsigned char>(token.text.front()))) {
      std::string lower;
      for (char c : token.text) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      for (int i = 0; i < spec_->name_count; ++i) {
        if (lower == spec_->names[i]) return spec_->min + i;
      }
      return fail("unknown name '" + std::string(token.text) + "'", token.column);
    }
    Result<int> value = parse_number(token);
    if (!value) return value.status();
    if (*value < spec_->min || *value > spec_->max) {
      return fail(std::string(token.text) + " is out of range " + std::to_string(spec_->min) + "-" +
                      std::to_string(spec_->max),
                  token.column);
    }
    return *value;
  }

  Result<int> parse_number(Token token) const {
    if (token.text.empty()) return fail("missing number", token.column);
    int value = 0;
    for (std::size_t i = 0; i < token.text.size(); ++i) {
      const char c = token.text[i];
      if (c < '0' || c > '9') {
        return fail("unexpected '" + std::string(1, c) + "' in '" + std::string(token.text) + "'",
                    token.column + i);
      }
      if (value < 1000) value = value * 10 + (c - '0');  // saturates: large numbers are out of range anyway
    }
    return value;
  }

  static bool any_day_exists(std::uint32_t days, std::uint32_t months) {
    constexpr int kLongest[] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    for (int m = 1; m <= 12; ++m) {
      if (!(months & (1U << m))) continue;
      for (int d = 1; d <= kLongest[m]; ++d) {
        if (days & (1U << d)) return true;
      }
    }
    return false;
  }

  std::string_view text_;
  const FieldSpec* spec_ = nullptr;
};

Result<CronExpression> CronExpression::parse(std::string_view text) { return CronParser{text}.parse(); }

}  // namespace schakel
