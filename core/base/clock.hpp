#pragma once
// One clock for all code that reads the time. The daemon uses the system clock; test builds may
// set or shift it (DESIGN section 9) so that a birthday or an expiry is crossed in seconds.
#include <atomic>
#include <chrono>
#include <memory>
#include <string>

namespace schakel {

using TimePoint = std::chrono::sys_time<std::chrono::microseconds>;

class Clock {
 public:
  virtual ~Clock() = default;
  [[nodiscard]] virtual TimePoint now() const = 0;
};

class SystemClock final : public Clock {
 public:
  [[nodiscard]] TimePoint now() const override;
};

// The real clock plus an offset that a test may change; setting an absolute time stores it as
// an offset, so time keeps flowing as it does in production.
class ShiftableClock final : public Clock {
 public:
  [[nodiscard]] TimePoint now() const override;
  void shift(std::chrono::microseconds by) { offset_us_ += by.count(); }
  void set(TimePoint at);

 private:
  std::atomic<long long> offset_us_{0};
};

// A clock that only moves when told: for unit tests and table-driven schedule tests.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start) : now_us_(start.time_since_epoch().count()) {}
  [[nodiscard]] TimePoint now() const override { return TimePoint{std::chrono::microseconds{now_us_.load()}}; }
  void set(TimePoint at) { now_us_ = at.time_since_epoch().count(); }
  void advance(std::chrono::microseconds by) { now_us_ += by.count(); }

 private:
  std::atomic<long long> now_us_;
};

// RFC 3339 in UTC with microseconds, e.g. 2026-03-04T09:15:00.000123Z.
std::string format_utc(TimePoint t);
// Parses RFC 3339 with Z or an offset; returns false on malformed input.
bool parse_rfc3339(const std::string& text, TimePoint& out);

// Europe/Amsterdam's offset from UTC at instant `t` (+1h in winter, +2h in summer).
std::chrono::seconds amsterdam_utc_offset(TimePoint t);
// The calendar date (YYYY-MM-DD) of `t` in Europe/Amsterdam.
std::chrono::year_month_day amsterdam_date(TimePoint t);

}  // namespace schakel
