#pragma once
// Five-field cron expressions (minute hour day-of-month month day-of-week), evaluated in
// Europe/Amsterdam wall-clock time.
//
// Syntax: each field is a comma list of `*`, `N`, `N-M`, `*/S` or `N-M/S`; months may be written
// jan..dec and weekdays sun..sat (case-insensitive); weekday 0 and 7 are both Sunday, and a
// weekday range may end at 7 or `sun` ("fri-sun"). Ranges must ascend.
//
// Day rule (as Vixie cron): when both day-of-month and day-of-week are restricted (neither field
// starts with `*`), a day matches if EITHER matches; otherwise both must match.
//
// DST rule, for the two nights a year the wall clock jumps:
// - A "fixed-time" job (hour field does not start with `*`, e.g. `30 2 * * *`) runs once per
//   matching local time. A local time skipped in spring (02:00-02:59 on the last Sunday of
//   March) runs at the first valid instant after the gap, 03:00 summer time (01:00 UTC); a local
//   time repeated in autumn (02:00-02:59 on the last Sunday of October) runs at its first
//   occurrence only (summer time).
// - An "interval" job (hour field `*` or `*/N`, e.g. `*/15 * * * *`) follows elapsed time: it
//   does not run for skipped local times and runs in both passes of the repeated hour, so a poll
//   every 15 minutes never leaves an hour's hole.
#include <cstdint>
#include <string>
#include <string_view>

#include "base/clock.hpp"
#include "base/status.hpp"
#include "schedule/amsterdam_time.hpp"

namespace schakel {

class CronExpression {
 public:
  // Errors name the field and the 1-based column in `text`, e.g.
  // "field 2 (hour): 25 is out of range 0-23 at column 4".
  static Result<CronExpression> parse(std::string_view text);

  // The first instant strictly after `after` at which the job is due (always on a whole minute).
  [[nodiscard]] TimePoint next_after(TimePoint after) const;

  // Whether the wall-clock minute containing `local` matches the fields (ignores DST).
  [[nodiscard]] bool matches(LocalTime local) const;

  // True for an interval job (see the DST rule above).
  [[nodiscard]] bool is_interval() const { return hour_star_; }
  [[nodiscard]] const std::string& text() const { return text_; }

 private:
  friend class CronParser;
  CronExpression() = default;

  [[nodiscard]] bool day_matches(std::chrono::year_month_day ymd) const;
  // The first matching local minute at or after `from` (a whole minute).
  [[nodiscard]] LocalTime next_match(LocalTime from) const;

  std::uint64_t minutes_ = 0;   // bit m for minute m
  std::uint32_t hours_ = 0;     // bit h for hour h
  std::uint32_t days_ = 0;      // bit d for day-of-month d (1-31)
  std::uint32_t months_ = 0;    // bit m for month m (1-12)
  std::uint32_t weekdays_ = 0;  // bit w for weekday w (0 = Sunday .. 6)
  bool dom_star_ = true;
  bool dow_star_ = true;
  bool hour_star_ = true;
  std::string text_;
};

}  // namespace schakel
