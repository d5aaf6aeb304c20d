#pragma once
// Europe/Amsterdam wall-clock time and its mapping back to UTC. base/clock.hpp converts UTC to
// local; schedules need the reverse, where one local time can map to zero or two instants.
#include <chrono>

#include "base/clock.hpp"

namespace schakel {

using LocalTime = std::chrono::local_time<std::chrono::microseconds>;

// The Amsterdam wall-clock reading at instant `utc`.
LocalTime amsterdam_local(TimePoint utc);

struct LocalTimeMapping {
  enum class Kind {
    unique,     // the local time occurs once: earliest == latest
    ambiguous,  // fall-back hour: earliest is the summer-time (first) pass, latest the winter one
    skipped,    // spring-forward gap: earliest == latest == the first instant after the gap
  };
  Kind kind = Kind::unique;
  TimePoint earliest;
  TimePoint latest;
};

// Where the local time `local` falls in UTC. A skipped time maps to the moment the clocks jump
// (03:00 summer time, 01:00 UTC), so "the first valid instant at or after it" holds for all kinds.
LocalTimeMapping amsterdam_to_utc(LocalTime local);

}  // namespace schakel
