#include "base/clock.hpp"

#include <cstdio>

namespace schakel {

TimePoint SystemClock::now() const {
  return std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
}

TimePoint ShiftableClock::now() const {
  return SystemClock{}.now() + std::chrono::microseconds{offset_us_.load()};
}

void ShiftableClock::set(TimePoint at) {
  offset_us_ = (at - SystemClock{}.now()).count();
}

std::string format_utc(TimePoint t) {
  using namespace std::chrono;
  const auto day = floor<days>(t);
  const year_month_day ymd{day};
  const hh_mm_ss hms{t - day};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02ld:%02ld:%02ld.%06ldZ", int(ymd.year()),
                unsigned(ymd.month()), unsigned(ymd.day()), long(hms.hours().count()),
                long(hms.minutes().count()), long(hms.seconds().count()),
                long(hms.subseconds().count()));
  return buf;
}

bool parse_rfc3339(const std::string& text, TimePoint& out) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, n = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &n) != 6) return false;
  if (n != 19 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return false;
  std::size_t pos = 19;
  long long micros = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 6) micros = micros * 10 + (text[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return false;
    for (; digits < 6; ++digits) micros *= 10;
  }
  long offset_min = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos + 6 == text.size() && (text[pos] == '+' || text[pos] == '-') && text[pos + 3] == ':') {
    int oh = 0, om = 0;
    if (std::sscanf(text.c_str() + pos + 1, "%2d:%2d", &oh, &om) != 2 || oh > 23 || om > 59) return false;
    offset_min = (oh * 60 + om) * (text[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return false;
  }
  if (pos != text.size()) return false;
  using namespace std::chrono;
  const year_month_day ymd{year{y}, month{unsigned(mo)}, day{unsigned(d)}};
  if (!ymd.ok()) return false;
  out = TimePoint{sys_days{ymd}.time_since_epoch()} + hours{h} + minutes{mi} + seconds{s} +
        microseconds{micros} - minutes{offset_min};
  return true;
}

std::chrono::seconds amsterdam_utc_offset(TimePoint t) {
  // libstdc++ 12 has no std::chrono::zoned_time. Europe/Amsterdam follows the EU rule (in force
  // since 1996): CEST (UTC+2) from the last Sunday of March 01:00 UTC to the last Sunday of
  // October 01:00 UTC, CET (UTC+1) otherwise.
  using namespace std::chrono;
  const auto utc = time_point_cast<seconds>(t);
  const int y = int(year_month_day{floor<days>(utc)}.year());
  auto last_sunday = [y](unsigned m) {
    const sys_days last{year_month_day_last{year{y}, month_day_last{month{m}}}};
    return last - (weekday{last} - Sunday);
  };
  const bool summer = utc >= last_sunday(3) + hours{1} && utc < last_sunday(10) + hours{1};
  return summer ? hours{2} : hours{1};
}

std::chrono::year_month_day amsterdam_date(TimePoint t) {
  using namespace std::chrono;
  return year_month_day{floor<days>(t + amsterdam_utc_offset(t))};
}

}  // namespace schakel
