#pragma once
// Test helpers: instants written as RFC 3339 text, so tables read as local times with offsets.
#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>

#include "base/clock.hpp"
#include "schedule/amsterdam_time.hpp"

namespace schakel::test {

// "2026-03-29T03:00:00+02:00" or "...Z"; throws on a typo in a test table.
inline TimePoint at(const std::string& rfc3339) {
  TimePoint t;
  if (!parse_rfc3339(rfc3339, t)) throw std::invalid_argument("bad time in test: " + rfc3339);
  return t;
}

// A local wall-clock time written "2026-03-29 02:30".
inline LocalTime local(int y, unsigned mo, unsigned d, int h, int mi) {
  using namespace std::chrono;
  return LocalTime{local_days{year{y} / month{mo} / day{d}}} + hours{h} + minutes{mi};
}

// The instant in UTC with its Amsterdam offset, for readable failure messages.
inline std::string show(TimePoint t) {
  const auto offset = std::chrono::duration_cast<std::chrono::hours>(amsterdam_utc_offset(t)).count();
  return format_utc(t) + " (+0" + std::to_string(offset) + ":00 local)";
}

}  // namespace schakel::test
