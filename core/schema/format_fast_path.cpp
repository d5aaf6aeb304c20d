#include "schema/format_fast_path.hpp"

#include <functional>

namespace schakel::schema {
namespace {

using nlohmann::json;

bool digit(char c) { return c >= '0' && c <= '9'; }
int two(const std::string& s, std::size_t i) { return (s[i] - '0') * 10 + (s[i + 1] - '0'); }

// valijson's validate_date_range: February up to 29, the other months 30 or 31.
bool day_in_month(int month, int day) {
  if (month == 2) return day <= 29;
  const int limit = month <= 7 ? (month % 2 == 0 ? 30 : 31) : (month % 2 != 0 ? 30 : 31);
  return day <= limit;
}

// ^([0-9]+)-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01]) from `i`; `i` moves past it.
bool date_part(const std::string& s, std::size_t& i, int& month, int& day) {
  const std::size_t start = i;
  while (i < s.size() && digit(s[i])) ++i;
  if (i == start || i + 6 > s.size() || s[i] != '-' || s[i + 3] != '-') return false;
  if (!digit(s[i + 1]) || !digit(s[i + 2]) || !digit(s[i + 4]) || !digit(s[i + 5])) return false;
  month = two(s, i + 1);
  day = two(s, i + 4);
  i += 6;
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

// ([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9]|60)(\.[0-9]+)?(([Zz])|([\+|\-]([01][0-9]|2[0-3]):[0-5][0-9]))$
bool time_part(const std::string& s, std::size_t i) {
  if (i + 8 > s.size() || s[i + 2] != ':' || s[i + 5] != ':') return false;
  for (std::size_t k : {0U, 1U, 3U, 4U, 6U, 7U})
    if (!digit(s[i + k])) return false;
  if (two(s, i) > 23 || two(s, i + 3) > 59 || two(s, i + 6) > 60) return false;
  i += 8;
  if (i < s.size() && s[i] == '.') {
    const std::size_t start = ++i;
    while (i < s.size() && digit(s[i])) ++i;
    if (i == start) return false;
  }
  if (i + 1 == s.size() && (s[i] == 'Z' || s[i] == 'z')) return true;
  // valijson's sign class is [\+|\-]: '+', '|' or '-'.
  if (i + 6 != s.size() || (s[i] != '+' && s[i] != '-' && s[i] != '|') || s[i + 3] != ':') return false;
  for (std::size_t k : {1U, 2U, 4U, 5U})
    if (!digit(s[i + k])) return false;
  return two(s, i + 1) <= 23 && two(s, i + 4) <= 59;
}

}  // namespace

bool is_fast_format(const std::string& format) {
  return format == "date" || format == "time" || format == "date-time";
}

bool format_ok(const std::string& format, const std::string& s) {
  std::size_t i = 0;
  int month = 0, day = 0;
  if (format == "date") return date_part(s, i, month, day) && i == s.size() && day_in_month(month, day);
  if (format == "time") return time_part(s, 0);
  if (format == "date-time")
    return date_part(s, i, month, day) && i < s.size() && (s[i] == 'T' || s[i] == 't') && time_part(s, i + 1) &&
           day_in_month(month, day);
  return true;
}

}  // namespace schakel::schema
