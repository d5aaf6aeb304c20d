// Reading the corpus (feeds shaped like Outlook, Google Calendar and Apple Calendar publish them):
// time zones, all-day and floating times, RRULE with EXDATE and overrides, checked against an
// independent reading by python3-icalendar and dateutil.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <memory>

#include "ics_test_support.hpp"

namespace schakel::calendar_ics::test {
namespace {

std::vector<std::string> python_reading(const std::string& file) {
  const std::string cmd = "/usr/bin/python3 -B '" + std::string(SCHAKEL_SOURCE_DIR) +
                          "/tests/unit/plugins/calendar_ics/icalendar_expect.py' '" + std::string(SCHAKEL_SOURCE_DIR) +
                          "/tests/data/ics/" + file + "' 2026-08-01 2027-07-31";
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
  std::vector<std::string> out;
  if (!p) return out;
  char line[1024];
  while (fgets(line, sizeof line, p.get()) != nullptr) {
    std::string l(line);
    while (!l.empty() && (l.back() == '\n' || l.back() == '\r')) l.pop_back();
    out.push_back(l);
  }
  return out;
}

std::vector<Occurrence> read_all(const std::string& text) {
  auto r = read_feed(text, school_year(), everything);
  EXPECT_TRUE(r.is_ok()) << r.status().message();
  return r ? *r : std::vector<Occurrence>{};
}

class CrossCheck : public ::testing::TestWithParam<std::string> {};

TEST_P(CrossCheck, SameInstancesAsPythonIcalendar) {
  const auto expected = python_reading(GetParam());
  ASSERT_FALSE(expected.empty()) << "python3-icalendar gave nothing for " << GetParam();
  std::vector<std::string> got;
  for (const auto& o : read_all(corpus(GetParam()))) got.push_back(key_of(o));
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, expected);
}

INSTANTIATE_TEST_SUITE_P(Corpus, CrossCheck,
                         ::testing::Values("outlook_ot.ics", "google_ot.ics", "apple_ot.ics", "outlook_no_vtimezone.ics"),
                         [](const auto& p) {
                           std::string n = p.param.substr(0, p.param.find('.'));
                           return n;
                         });

nlohmann::ordered_json only(const std::vector<nlohmann::ordered_json>& ms, const std::string& start) {
  for (const auto& m : ms)
    if (m["start"] == start) return m;
  ADD_FAILURE() << "no meeting starts at " << start;
  return {};
}

std::vector<nlohmann::ordered_json> meetings(const std::string& file) {
  const auto rules = import_rules_from(settings());
  auto occ = read_feed(corpus(file), school_year(), [&](const EventFacts& f) { return match_rule(rules, f) != nullptr; });
  EXPECT_TRUE(occ.is_ok()) << occ.status().message();
  std::vector<nlohmann::ordered_json> out;
  if (occ)
    for (const auto& o : *occ) out.push_back(meeting_of(o, *match_rule(rules, o.series), rules));
  return out;
}

TEST(IcsFeed, OutlookSeriesWithWindowsZoneExdateAndMovedInstance) {
  const auto ms = meetings("outlook_ot.ics");
  ASSERT_EQ(ms.size(), 9u);  // ten first Thursdays, one EXDATE; the studiedag is no OT
  const auto sep = only(ms, "2026-09-03T13:00:00+02:00");
  EXPECT_EQ(sep["end"], "2026-09-03T15:00:00+02:00");
  EXPECT_EQ(sep["sequence"], 2);
  EXPECT_EQ(sep["location"], "Lokaal 12 (Zoë Kamer)");
  EXPECT_EQ(sep["title"], "OT-overleg");  // not the SUMMARY: keep_summary is off
  EXPECT_EQ(only(ms, "2026-12-03T13:00:00+01:00")["kind"], "ot");
  const auto moved = only(ms, "2026-11-12T14:00:00+01:00");
  EXPECT_EQ(moved["sequence"], 3);
  EXPECT_EQ(moved["location"], "Lokaal 14");
  EXPECT_EQ(moved["ical_uid"].get<std::string>().substr(moved["ical_uid"].get<std::string>().size() - 17), "-20261105T120000Z");
  for (const auto& m : ms) EXPECT_NE(m["start"], "2027-01-07T13:00:00+01:00");
}

TEST(IcsFeed, GoogleUnboundedRuleIsCutAtTheSchoolYearAndACancelledInstanceStays) {
  const auto ms = meetings("google_ot.ics");
  ASSERT_EQ(ms.size(), 9u);  // eight every-six-weeks Tuesdays up to July, one VOT; no ouderavond
  EXPECT_EQ(ms.back()["start"], "2027-07-06T08:30:00+02:00");
  EXPECT_EQ(only(ms, "2026-10-27T08:30:00+01:00")["status"], "cancelled");
  EXPECT_EQ(only(ms, "2026-10-27T08:30:00+01:00")["sequence"], 1);
  EXPECT_EQ(only(ms, "2026-12-08T08:30:00+01:00")["status"], "planned");
  const auto vot = only(ms, "2027-01-18T14:00:00+01:00");
  EXPECT_EQ(vot["kind"], "vot");
  EXPECT_EQ(vot["end"], "2027-01-18T15:30:00+01:00");
  EXPECT_EQ(vot["ical_uid"], "0a9b8c7d6e5f4g3h2i1j@google.com");
}

TEST(IcsFeed, AppleAllDayFloatingDurationAndDaylightSavingChange) {
  const auto ms = meetings("apple_ot.ics");
  ASSERT_EQ(ms.size(), 5u);
  const auto theme = only(ms, "2026-10-09T00:00:00+02:00");
  EXPECT_EQ(theme["kind"], "theme");
  EXPECT_EQ(theme["theme"], "Sociale veiligheid");
  EXPECT_EQ(theme["end"], "2026-10-10T00:00:00+02:00");
  const auto floating = only(ms, "2027-03-11T14:00:00+01:00");  // floating: Amsterdam time
  EXPECT_EQ(floating["kind"], "collegial_consult");
  EXPECT_EQ(floating["end"], "2027-03-11T15:30:00+01:00");
  // A daily series across the change to summer time keeps its wall-clock time.
  only(ms, "2027-03-27T10:00:00+01:00");
  EXPECT_EQ(only(ms, "2027-03-28T10:00:00+02:00")["end"], "2027-03-28T11:00:00+02:00");
  only(ms, "2027-03-29T10:00:00+02:00");
}

TEST(IcsFeed, WindowsZoneNamesWithoutVtimezone) {
  const auto ms = meetings("outlook_no_vtimezone.ics");
  ASSERT_EQ(ms.size(), 2u);
  EXPECT_EQ(ms[0]["start"], "2026-10-12T09:00:00+02:00");
  EXPECT_EQ(ms[0]["location"], "Vergaderruimte met een heel lange naam zodat de regel gevouwen wordt: Zoë Zoë Zoë Zoë Zoë Zoë Zoë Zoë");
  EXPECT_EQ(ms[1]["start"], "2027-02-08T09:00:00+01:00");
}

TEST(IcsFeed, CrlfAndLfReadAlike) {
  std::string crlf = corpus("outlook_ot.ics");
  std::string lf;
  for (char c : crlf)
    if (c != '\r') lf += c;
  ASSERT_NE(lf.size(), crlf.size());
  std::vector<std::string> a;
  std::vector<std::string> b;
  for (const auto& o : read_all(crlf)) a.push_back(key_of(o));
  for (const auto& o : read_all(lf)) b.push_back(key_of(o));
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.size(), 10u);
}

TEST(IcsFeed, FoldInsideAUtf8CharacterIsJoinedBack) {
  // A publisher that folds at 75 octets may split "ë" (C3 AB) over two lines.
  std::string loc = "LOCATION:" + std::string(65, 'x') + "Zo\xC3";
  std::string text = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:fold-1\r\nSUMMARY:OT\r\n"
                     "DTSTART:20261110T120000Z\r\n" + loc + "\r\n \xABl en verder\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
  auto occ = read_feed(text, school_year(), everything);
  ASSERT_TRUE(occ.is_ok()) << occ.status().message();
  ASSERT_EQ(occ->size(), 1u);
  EXPECT_EQ((*occ)[0].location, std::string(65, 'x') + "Zoël en verder");
  EXPECT_EQ((*occ)[0].end, (*occ)[0].start);  // no DTEND, no DURATION: zero length (RFC 5545)
}

}  // namespace
}  // namespace schakel::calendar_ics::test
