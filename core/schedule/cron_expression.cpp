// Evaluation of cron expressions: calendar matching in local time, then the DST rule.
#include <algorithm>

#include "schedule/cron_expression.hpp"

namespace schakel {

using namespace std::chrono;

namespace {

// A local minute split into calendar parts.
struct LocalParts {
  year_month_day ymd;
  int hour;
  int minute;
};

LocalParts split(LocalTime t) {
  const auto day = floor<days>(t);
  const auto in_day = duration_cast<minutes>(t - day).count();
  return {year_month_day{day}, static_cast<int>(in_day / 60), static_cast<int>(in_day % 60)};
}

LocalTime join(year_month_day ymd, int hour, int minute) {
  return LocalTime{local_days{ymd}} + hours{hour} + minutes{minute};
}

bool has(std::uint64_t bits, unsigned v) { return (bits >> v) & 1U; }

}  // namespace

bool CronExpression::day_matches(year_month_day ymd) const {
  const bool dom = has(days_, unsigned(ymd.day()));
  const bool dow = has(weekdays_, weekday{sys_days{ymd}}.c_encoding());
  if (dom_star_ || dow_star_) return dom && dow;
  return dom || dow;
}

bool CronExpression::matches(LocalTime local) const {
  const LocalParts p = split(local);
  return has(months_, unsigned(p.ymd.month())) && day_matches(p.ymd) &&
         has(hours_, unsigned(p.hour)) && has(minutes_, unsigned(p.minute));
}

LocalTime CronExpression::next_match(LocalTime from) const {
  LocalParts p = split(from);
  // Parse-time checks guarantee a match within a leap cycle; the bound only guards the loop.
  const year limit = p.ymd.year() + years{9};
  while (p.ymd.year() < limit) {
    if (!has(months_, unsigned(p.ymd.month()))) {
      const auto next_month = year_month{p.ymd.year(), p.ymd.month()} + months{1};
      p = {next_month / day{1}, 0, 0};
      continue;
    }
    if (!day_matches(p.ymd)) {
      p = {year_month_day{sys_days{p.ymd} + days{1}}, 0, 0};
      continue;
    }
    if (!has(hours_, unsigned(p.hour))) {
      if (++p.hour == 24) p = {year_month_day{sys_days{p.ymd} + days{1}}, 0, 0};
      p.minute = 0;
      continue;
    }
    if (!has(minutes_, unsigned(p.minute))) {
      if (++p.minute == 60) {
        p.minute = 0;
        if (++p.hour == 24) p = {year_month_day{sys_days{p.ymd} + days{1}}, 0, 0};
      }
      continue;
    }
    return join(p.ymd, p.hour, p.minute);
  }
  return LocalTime::max();
}

TimePoint CronExpression::next_after(TimePoint after) const {
  // The first-pass instant of a local minute grows with the minute (a skipped minute maps to the
  // jump), so the first match whose first pass is after `after` ends the search. Only the second
  // pass of a repeated minute (interval jobs) can come earlier, and only for a minute in the hour
  // before the clocks go back; so start there when that hour is near, else at `after`'s minute.
  const bool fall_back_soon = amsterdam_utc_offset(after + hours{1}) < amsterdam_utc_offset(after);
  LocalTime local = fall_back_soon ? LocalTime{(after + hours{1}).time_since_epoch()} : amsterdam_local(after);
  local = floor<minutes>(local);
  TimePoint second_pass = TimePoint::max();
  while (true) {
    local = next_match(local);
    if (local == LocalTime::max()) return second_pass;
    const LocalTimeMapping at = amsterdam_to_utc(local);
    if (at.kind == LocalTimeMapping::Kind::ambiguous && is_interval() && at.latest > after) {
      second_pass = std::min(second_pass, at.latest);
    }
    const bool skip = at.kind == LocalTimeMapping::Kind::skipped && is_interval();
    if (!skip && at.earliest > after) return std::min(second_pass, at.earliest);
    local += minutes{1};
  }
}

}  // namespace schakel
