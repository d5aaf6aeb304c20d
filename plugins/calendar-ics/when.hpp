#pragma once
// Date and date-time properties read through libical, with the time zone resolved: a VTIMEZONE
// in the feed first, then a Windows zone name, then the system's IANA zones; floating times and
// dates are taken as Europe/Amsterdam. Callers hold the libical lock (feed.cpp).
#include <libical/ical.h>

#include <string>

#include "base/clock.hpp"
#include "base/status.hpp"
#include "outline.hpp"

namespace schakel::calendar_ics {

struct When {
  icaltimetype local{};          // as written, with `zone` attached (for RRULE iteration)
  icaltimezone* zone = nullptr;  // never null once read
  bool all_day = false;
  TimePoint utc;
};

Status at_line(int line, const std::string& what);

icaltimezone* amsterdam_zone();

// Reads a DTSTART, DTEND, RECURRENCE-ID or EXDATE property; `name` is its name for errors.
Result<When> when_of(icalproperty* p, icaltimetype value, icalcomponent* calendar, const EventOutline& outline,
                     const char* name);

// Midnight at the start of an Amsterdam calendar date, in UTC.
TimePoint amsterdam_midnight(icaltimetype date);

// The key of an instance: "YYYYMMDD" for an all-day one, else UTC "YYYYMMDDTHHMMSSZ".
std::string instance_key(const When& w, bool all_day);

}  // namespace schakel::calendar_ics
