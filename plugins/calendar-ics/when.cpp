#include "when.hpp"

#include <cstdio>

#include "feed.hpp"

namespace schakel::calendar_ics {
namespace {

TimePoint from_time_t(time_t t) { return TimePoint{std::chrono::seconds{t}}; }

icaltimezone* resolve_tzid(const std::string& tzid, icalcomponent* calendar) {
  if (auto* z = icalcomponent_get_timezone(calendar, tzid.c_str())) return z;
  // Outlook sometimes names a Windows zone without publishing its VTIMEZONE.
  if (const std::string iana = iana_of_windows_zone(tzid); !iana.empty()) {
    if (iana == "UTC") return icaltimezone_get_utc_timezone();
    if (auto* z = icaltimezone_get_builtin_timezone(iana.c_str())) return z;
  }
  if (tzid == "UTC" || tzid == "GMT" || tzid == "Etc/UTC") return icaltimezone_get_utc_timezone();
  return icaltimezone_get_builtin_timezone(tzid.c_str());
}

}  // namespace

Status at_line(int line, const std::string& what) {
  return {ErrorCode::invalid, "line " + std::to_string(line) + ": " + what};
}

icaltimezone* amsterdam_zone() {
  static icaltimezone* zone = icaltimezone_get_builtin_timezone("Europe/Amsterdam");
  return zone;
}

Result<When> when_of(icalproperty* p, icaltimetype value, icalcomponent* calendar, const EventOutline& outline,
                     const char* name) {
  const int line = outline.line_of(name);
  if (icaltime_is_null_time(value) || !icaltime_is_valid_time(value))
    return at_line(line, std::string(name) + " has no valid date or date-time");
  When w;
  w.all_day = value.is_date != 0;
  if (w.all_day) {
    w.zone = amsterdam_zone();
  } else if (icaltime_is_utc(value)) {
    w.zone = icaltimezone_get_utc_timezone();
  } else if (icalparameter* tz = icalproperty_get_first_parameter(p, ICAL_TZID_PARAMETER)) {
    const char* tzid = icalparameter_get_tzid(tz);
    w.zone = resolve_tzid(tzid ? tzid : "", calendar);
    if (w.zone == nullptr)
      return at_line(line, std::string(name) + ": unknown time zone TZID=" + (tzid ? tzid : "") +
                               " (no VTIMEZONE in the feed, not a known Windows or IANA zone)");
  } else {
    w.zone = amsterdam_zone();  // floating: the school's own time
  }
  if (w.zone == nullptr) return at_line(line, "the system has no Europe/Amsterdam time zone (tzdata)");
  w.local = value;
  if (!w.all_day && !icaltime_is_utc(value)) w.local = icaltime_set_timezone(&w.local, w.zone);
  w.utc = from_time_t(icaltime_as_timet_with_zone(value, w.zone));
  return w;
}

TimePoint amsterdam_midnight(icaltimetype date) {
  date.is_date = 1;
  return from_time_t(icaltime_as_timet_with_zone(date, amsterdam_zone()));
}

std::string instance_key(const When& w, bool all_day) {
  char buf[96];
  if (all_day) {
    // The date as written (an all-day instance has no zone of its own).
    std::snprintf(buf, sizeof buf, "%04d%02d%02d", w.local.year, w.local.month, w.local.day);
    return buf;
  }
  const auto secs = std::chrono::floor<std::chrono::seconds>(w.utc);
  const auto day = std::chrono::floor<std::chrono::days>(secs);
  const std::chrono::year_month_day ymd{day};
  const std::chrono::hh_mm_ss hms{secs - day};
  std::snprintf(buf, sizeof buf, "%04d%02u%02uT%02ld%02ld%02ldZ", int(ymd.year()), unsigned(ymd.month()),
                unsigned(ymd.day()), static_cast<long>(hms.hours().count()), static_cast<long>(hms.minutes().count()),
                static_cast<long>(hms.seconds().count()));
  return buf;
}

}  // namespace schakel::calendar_ics
