#pragma once
// Reads a published ICS feed with libical into the occurrences of the events a filter wants:
// time zones (VTIMEZONE, IANA and Windows names), all-day and floating times, and RRULE/RDATE
// with EXDATE and RECURRENCE-ID overrides expanded within a school-year window.
#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.hpp"
#include "base/status.hpp"

namespace schakel::calendar_ics {

struct FeedLimits {
  std::size_t max_bytes = 10U << 20U;
  int max_instances = 1000;  // per recurring series inside the window; more is an error
  std::chrono::sys_days first_day{};  // the window, as Amsterdam calendar dates, both included
  std::chrono::sys_days last_day{};
};

// What an event is recognised by.
struct EventFacts {
  std::string summary;
  std::vector<std::string> categories;
};

struct Occurrence {
  std::string uid;
  std::string recurrence_id;  // empty for a single event; UTC "YYYYMMDDTHHMMSSZ", or "YYYYMMDD" all-day
  TimePoint start;
  TimePoint end;
  bool all_day = false;
  EventFacts facts;   // of the master, or of the override that replaced this instance
  EventFacts series;  // what the series was recognised by: the master's (an orphan override's own)
  std::string location;
  int sequence = 0;
  bool cancelled = false;
  int line = 0;  // BEGIN:VEVENT of the master or override it came from
};

using EventFilter = std::function<bool(const EventFacts&)>;

// Errors are ErrorCode::invalid, "line N: ...". Nothing is returned unless the whole feed reads.
Result<std::vector<Occurrence>> read_feed(std::string_view text, const FeedLimits& limits, const EventFilter& wanted);

// The IANA zone for a Windows time zone name as Outlook writes it ("W. Europe Standard Time"),
// or an empty string.
std::string iana_of_windows_zone(std::string_view windows_name);

}  // namespace schakel::calendar_ics
