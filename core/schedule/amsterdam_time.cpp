#include "schedule/amsterdam_time.hpp"

namespace schakel {

using std::chrono::hours;
using std::chrono::microseconds;

LocalTime amsterdam_local(TimePoint utc) {
  return LocalTime{(utc + amsterdam_utc_offset(utc)).time_since_epoch()};
}

namespace {

// The instant at which the offset changes, somewhere in (from, to]; the offset at `from` differs
// from the offset at `to`. Bisects, so it does not rely on transitions being on whole hours.
TimePoint find_transition(TimePoint from, TimePoint to) {
  const auto before = amsterdam_utc_offset(from);
  while (to - from > microseconds{1}) {
    const TimePoint mid = from + (to - from) / 2;
    if (amsterdam_utc_offset(mid) == before) {
      from = mid;
    } else {
      to = mid;
    }
  }
  return to;
}

}  // namespace

LocalTimeMapping amsterdam_to_utc(LocalTime local) {
  // Amsterdam is UTC+1 or UTC+2, so the instant is local-1h or local-2h; a candidate counts only
  // if the offset in force at that instant is the one it assumed.
  const TimePoint as_local{local.time_since_epoch()};
  const TimePoint summer = as_local - hours{2};
  const TimePoint winter = as_local - hours{1};
  const bool summer_ok = amsterdam_utc_offset(summer) == hours{2};
  const bool winter_ok = amsterdam_utc_offset(winter) == hours{1};
  if (summer_ok && winter_ok) return {LocalTimeMapping::Kind::ambiguous, summer, winter};
  if (summer_ok) return {LocalTimeMapping::Kind::unique, summer, summer};
  if (winter_ok) return {LocalTimeMapping::Kind::unique, winter, winter};
  // In the gap: at `summer` winter time still holds, at `winter` summer time already does.
  const TimePoint jump = find_transition(summer, winter);
  return {LocalTimeMapping::Kind::skipped, jump, jump};
}

}  // namespace schakel
