#pragma once
// Reads back the first VEVENT of an iCalendar object (what a CalDAV server returns), enough to
// compare it with what Schakel wrote: the times, texts, STATUS, SEQUENCE and each attendee's
// PARTSTAT. Not a general parser: the ICS import uses libical.
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.hpp"
#include "ical/event.hpp"

namespace schakel::ical {

struct ContentLine {
  std::string name;                           // upper case
  std::map<std::string, std::string> params;  // upper-case names; quotes removed
  std::string value;                          // raw, still escaped
};

// Splits one unfolded line "NAME;P=V:value"; the error names what is wrong.
Result<ContentLine> parse_content_line(std::string_view line);

// The first VEVENT, with times in Europe/Amsterdam or UTC (floating times and other TZIDs are
// read as Europe/Amsterdam wall time; DATE values as midnight). Errors name the line number.
Result<Event> read_event(std::string_view ics);

// A DATE-TIME or DATE value with its TZID parameter (empty for none) as an instant.
Result<TimePoint> resolve_time(const std::string& value, const std::string& tzid);

}  // namespace schakel::ical
