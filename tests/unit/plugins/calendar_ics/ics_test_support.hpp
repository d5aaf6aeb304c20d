#pragma once
// Shared by the calendar-ics unit tests: the corpus in tests/data/ics, the school-year window,
// and a compact key per occurrence for comparing with the independent Python reading.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "feed.hpp"
#include "meetings.hpp"

namespace schakel::calendar_ics::test {

inline std::string corpus(const std::string& name) {
  std::ifstream in(std::string(SCHAKEL_SOURCE_DIR) + "/tests/data/ics/" + name, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline FeedLimits school_year() {
  using namespace std::chrono;
  FeedLimits l;
  l.first_day = sys_days{year{2026} / August / 1};
  l.last_day = sys_days{year{2027} / July / 31};
  return l;
}

inline bool everything(const EventFacts&) { return true; }

// "UID|RECURRENCE-ID|START|STATUS" as icalendar_expect.py prints it.
inline std::string key_of(const Occurrence& o) {
  char buf[64];
  if (o.all_day) {
    const auto d = amsterdam_date(o.start);
    std::snprintf(buf, sizeof buf, "%04d%02u%02u", int(d.year()), unsigned(d.month()), unsigned(d.day()));
  } else {
    const auto secs = std::chrono::floor<std::chrono::seconds>(o.start);
    const auto day = std::chrono::floor<std::chrono::days>(secs);
    const std::chrono::year_month_day d{day};
    const std::chrono::hh_mm_ss t{secs - day};
    std::snprintf(buf, sizeof buf, "%04d%02u%02uT%02d%02d%02dZ", int(d.year()), unsigned(d.month()), unsigned(d.day()),
                  int(t.hours().count()), int(t.minutes().count()), int(t.seconds().count()));
  }
  return o.uid + "|" + o.recurrence_id + "|" + buf + "|" + (o.cancelled ? "CANCELLED" : "CONFIRMED");
}

// The settings of the test connector: rules for the corpus.
inline nlohmann::json settings() {
  return {{"url", "https://feeds.example.invalid/ot.ics"},
          {"connector_id", "ics-regenboog"},
          {"school_id", "12AB00"},
          {"school_year", {{"first_day", "2026-08-01"}, {"last_day", "2027-07-31"}}},
          {"match",
           {{{"categories", {"Thema"}}, {"kind", "theme"}, {"theme", "Sociale veiligheid"}},
            {{"categories", {"consultatie"}}, {"kind", "collegial_consult"}},
            {{"categories", {"OT"}}},
            {{"summary", "\\bOT\\b"}},
            {{"summary", "^VOT"}, {"kind", "vot"}}}}};
}

}  // namespace schakel::calendar_ics::test
