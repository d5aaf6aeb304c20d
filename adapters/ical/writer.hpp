#pragma once
// Writes RFC 5545 iCalendar: CRLF line ends, lines folded at 75 octets, TEXT escaped, times in
// Europe/Amsterdam with its VTIMEZONE, DTSTAMP in UTC. The same events give the same bytes.
#include <span>
#include <string>

#include "ical/event.hpp"

namespace schakel::ical {

// One VCALENDAR with the Europe/Amsterdam VTIMEZONE and one VEVENT per event. A CalDAV resource
// holds one event (one UID); a feed holds many.
std::string write_calendar(std::span<const Event> events);
inline std::string write_calendar(const Event& event) { return write_calendar(std::span<const Event>(&event, 1)); }

// "20261124T093000" (local Amsterdam wall time) and "20261124T083000Z" (UTC).
std::string ical_local_amsterdam(TimePoint t);
std::string ical_utc(TimePoint t);

}  // namespace schakel::ical
