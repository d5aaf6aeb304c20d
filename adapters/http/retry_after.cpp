// Retry-After (RFC 9110 section 10.2.3): delay-seconds or an HTTP-date.
#include <array>
#include <cstdio>
#include <cstring>

#include "http/client.hpp"

namespace schakel::http {

namespace {

int month_number(const char* name) {
  static constexpr std::array<const char*, 12> k_months = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (std::size_t i = 0; i < k_months.size(); ++i) {
    if (std::strcmp(name, k_months[i]) == 0) return static_cast<int>(i) + 1;
  }
  return 0;
}

// The three date forms a recipient must accept; all are GMT.
std::optional<TimePoint> parse_http_date(const std::string& text) {
  int day = 0, year = 0, hour = 0, minute = 0, second = 0;
  char month[4] = {};
  char weekday[10] = {};
  const std::size_t comma = text.find(',');
  bool parsed = false;
  if (comma != std::string::npos) {
    const std::string rest = text.substr(comma + 1);
    char zone[4] = {};
    if (std::sscanf(rest.c_str(), " %2d %3s %4d %2d:%2d:%2d %3s", &day, month, &year, &hour, &minute, &second,
                    zone) == 7 &&
        std::strcmp(zone, "GMT") == 0) {
      parsed = true;  // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
    } else if (std::sscanf(rest.c_str(), " %2d-%3s-%2d %2d:%2d:%2d %3s", &day, month, &year, &hour, &minute,
                           &second, zone) == 7 &&
               std::strcmp(zone, "GMT") == 0) {
      year += year < 70 ? 2000 : 1900;  // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
      parsed = true;
    }
  } else if (std::sscanf(text.c_str(), "%3s %3s %2d %2d:%2d:%2d %4d", weekday, month, &day, &hour, &minute,
                         &second, &year) == 7) {
    parsed = true;  // asctime: Sun Nov  6 08:49:37 1994
  }
  const int m = month_number(month);
  if (!parsed || m == 0 || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(m)},
                                        std::chrono::day{static_cast<unsigned>(day)}};
  if (!ymd.ok()) return std::nullopt;
  return TimePoint{std::chrono::sys_days{ymd}} + std::chrono::hours{hour} + std::chrono::minutes{minute} +
         std::chrono::seconds{second};
}

}  // namespace

std::optional<Milliseconds> parse_retry_after(std::string_view value, TimePoint now) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  if (value.find_first_not_of("0123456789") == std::string_view::npos) {
    // A day is far more than any destination should ask for; larger values are clamped.
    constexpr long long k_max_seconds = 86'400;
    long long seconds = 0;
    for (char c : value) {
      seconds = seconds * 10 + (c - '0');
      if (seconds > k_max_seconds) return Milliseconds{k_max_seconds * 1000};
    }
    return Milliseconds{seconds * 1000};
  }
  const auto at = parse_http_date(std::string(value));
  if (!at) return std::nullopt;
  if (*at <= now) return Milliseconds{0};
  return std::chrono::duration_cast<Milliseconds>(*at - now);
}

}  // namespace schakel::http
