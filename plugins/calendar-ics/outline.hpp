#pragma once
// A line-level pass over a feed before libical sees it. libical accepts a truncated or foreign
// text without complaint and reports no line numbers, so this pass checks the structure (a
// VCALENDAR, every BEGIN ended, the size limit) and records where each VEVENT and each of its
// properties starts, so that later errors can name the line.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.hpp"

namespace schakel::calendar_ics {

struct PropertyLine {
  std::string name;  // upper case, without parameters
  int line = 0;      // 1-based physical line where the (folded) property starts
};

struct EventOutline {
  int begin_line = 0;
  std::vector<PropertyLine> properties;  // the VEVENT's own, not those of a nested VALARM
  // The line of the first property with this name, or the BEGIN:VEVENT line.
  [[nodiscard]] int line_of(std::string_view name) const;
};

struct FeedOutline {
  std::vector<EventOutline> events;  // in document order, as libical lists them
  int lines = 0;
};

// Errors are ErrorCode::invalid with a message starting "line N: ".
Result<FeedOutline> outline_feed(std::string_view text, std::size_t max_bytes);

}  // namespace schakel::calendar_ics
