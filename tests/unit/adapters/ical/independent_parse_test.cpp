// What the writer produces, parsed by python3-icalendar (an independent implementation): every
// field must come back as meant, text unescaped and unfolded, times in Europe/Amsterdam.
#include <fstream>

#include <gtest/gtest.h>

#include "child_process.hpp"
#include "ical/writer.hpp"
#include "sample_event.hpp"
#include "temp_dir.hpp"

namespace schakel::ical {
namespace {

using nlohmann::json;

json parse_with_python(const std::string& ics) {
  test::TempDir dir;
  const auto file = dir.path() / "written.ics";
  std::ofstream(file, std::ios::binary) << ics;
  auto r = test::run_program({"/usr/bin/python3", "-B",
                              std::string(SCHAKEL_SOURCE_DIR) + "/tests/unit/adapters/ical/ical_dump.py", file.string()});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return json::parse(r.output, nullptr, false);
}

TEST(IcalIndependentParse, PythonIcalendarReadsEveryField) {
  const Event e = test::sample_event();
  const json cal = parse_with_python(write_calendar(e));
  ASSERT_TRUE(cal.is_object());
  EXPECT_EQ(cal["version"], "2.0");
  EXPECT_EQ(cal["timezones"], json::array({"Europe/Amsterdam"}));
  ASSERT_EQ(cal["events"].size(), 1U);
  const json& ev = cal["events"][0];
  EXPECT_EQ(ev["uid"], e.uid);
  EXPECT_EQ(ev["sequence"], 3);
  EXPECT_EQ(ev["dtstamp"], "2026-11-20T08:00:00+00:00");
  EXPECT_EQ(ev["start"]["iso"], "2026-11-24T09:30:00+01:00");
  EXPECT_EQ(ev["start"]["tzid"], "Europe/Amsterdam");
  EXPECT_EQ(ev["end"]["iso"], "2026-11-24T11:00:00+01:00");
  EXPECT_EQ(ev["summary"], e.summary);
  EXPECT_EQ(ev["location"], e.location);
  // The writer turns CRLF into a newline, so compare against LF-only text.
  std::string description = e.description;
  description.erase(description.find('\r'), 1);
  EXPECT_EQ(ev["description"], description);
  EXPECT_EQ(ev["status"], "CONFIRMED");
  EXPECT_EQ(ev["organizer"], "mailto:ib@regenboog.example");
  ASSERT_EQ(ev["attendees"].size(), 2U);
  EXPECT_EQ(ev["attendees"][0], (json{{"address", "mailto:jvk@ggd.example"}, {"cn", "Jeugdverpleegkundige, GGD"},
                                      {"partstat", "ACCEPTED"}, {"role", "REQ-PARTICIPANT"}}));
  EXPECT_EQ(ev["attendees"][1]["cn"], "Sam 'SMW' de Vries");
  EXPECT_EQ(ev["attendees"][1]["role"], "OPT-PARTICIPANT");
}

TEST(IcalIndependentParse, CancelledSummerEventsInOneFeed) {
  Event summer = test::sample_event();
  ASSERT_TRUE(parse_rfc3339("2027-06-01T13:00:00+02:00", summer.start));
  ASSERT_TRUE(parse_rfc3339("2027-06-01T14:00:00+02:00", summer.end));
  summer.uid = "summer@schakel.invalid";
  Event cancelled = test::sample_event();
  cancelled.status = EventStatus::cancelled;
  cancelled.sequence = 4;
  const std::vector<Event> feed{summer, cancelled};
  const json cal = parse_with_python(write_calendar(feed));
  ASSERT_EQ(cal["events"].size(), 2U);
  EXPECT_EQ(cal["events"][0]["start"]["iso"], "2027-06-01T13:00:00+02:00");
  EXPECT_EQ(cal["events"][1]["status"], "CANCELLED");
  EXPECT_EQ(cal["events"][1]["sequence"], 4);
}

}  // namespace
}  // namespace schakel::ical
