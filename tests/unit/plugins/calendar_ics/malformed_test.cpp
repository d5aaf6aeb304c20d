// Bad feeds: each is refused as a whole with the line that is wrong, so nothing partial is read.
#include <gtest/gtest.h>

#include <algorithm>

#include "ics_test_support.hpp"
#include "outline.hpp"

namespace schakel::calendar_ics::test {
namespace {

std::string feed_with(const std::string& events) {
  return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" + events + "END:VCALENDAR\r\n";
}

// Reads `text` wanting every event; expects an error whose message starts with "line N: " and
// holds `what`.
void expect_error(const std::string& text, int line, const std::string& what, FeedLimits limits = school_year()) {
  auto r = read_feed(text, limits, everything);
  ASSERT_FALSE(r.is_ok()) << "read " << r->size() << " occurrences";
  const std::string m = r.status().message();
  EXPECT_EQ(m.rfind("line " + std::to_string(line) + ": ", 0), 0u) << m;
  EXPECT_NE(m.find(what), std::string::npos) << m;
}

TEST(IcsMalformed, HtmlIsNotAFeed) {
  expect_error("<!DOCTYPE html>\n<html><body>Inloggen vereist</body></html>\n", 1,
               "not an iCalendar feed: expected BEGIN:VCALENDAR, found '<!DOCTYPE html>'");
}

TEST(IcsMalformed, EmptyBodyIsNotAFeed) { expect_error("", 1, "not an iCalendar feed: it is empty"); }

TEST(IcsMalformed, TruncatedFeedNamesTheOpenComponent) {
  const std::string full = corpus("outlook_ot.ics");
  const std::string cut = full.substr(0, full.find("RECURRENCE-ID"));  // inside the second VEVENT
  const int lines = static_cast<int>(std::count(cut.begin(), cut.end(), '\n'));
  expect_error(cut, lines, "the feed is truncated: BEGIN:VEVENT at line 59 has no END");
}

TEST(IcsMalformed, MismatchedEndNamesBothLines) {
  expect_error(feed_with("BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20261110T120000Z\r\nEND:VTODO\r\n"), 7,
               "END:VTODO where END:VEVENT (begun at line 4) was expected");
}

TEST(IcsMalformed, GarbageLineNamesItsLine) {
  expect_error(feed_with("BEGIN:VEVENT\r\nUID:a\r\nthis is no property\r\nEND:VEVENT\r\n"), 6, "no ':'");
}

TEST(IcsMalformed, EventWithoutDtstartNamesItsBeginLine) {
  expect_error(feed_with("BEGIN:VEVENT\r\nUID:ok\r\nDTSTART:20261110T120000Z\r\nEND:VEVENT\r\n"
                         "BEGIN:VEVENT\r\nUID:no-start\r\nSUMMARY:OT\r\nEND:VEVENT\r\n"),
               8, "VEVENT UID no-start has no DTSTART");
}

TEST(IcsMalformed, EventWithoutDtstartThatIsNoMeetingIsLeftAlone) {
  const std::string text = feed_with("BEGIN:VEVENT\r\nUID:ok\r\nSUMMARY:OT\r\nDTSTART:20261110T120000Z\r\nEND:VEVENT\r\n"
                                     "BEGIN:VEVENT\r\nUID:other\r\nSUMMARY:Verjaardag\r\nEND:VEVENT\r\n");
  auto r = read_feed(text, school_year(), [](const EventFacts& f) { return f.summary == "OT"; });
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(r->size(), 1u);
}

TEST(IcsMalformed, UnboundedRuleOverTheCapNamesTheRruleLine) {
  FeedLimits l = school_year();
  l.max_instances = 500;
  expect_error(feed_with("BEGIN:VEVENT\r\nUID:every-minute\r\nDTSTART:20261110T120000Z\r\n"
                         "RRULE:FREQ=MINUTELY\r\nEND:VEVENT\r\n"),
               7, "more than 500 instances in the school year (max_instances)", l);
}

TEST(IcsMalformed, RuleThatRunsForYearsBeforeTheWindowIsStopped) {
  expect_error(feed_with("BEGIN:VEVENT\r\nUID:every-second\r\nDTSTART:20000101T000000Z\r\n"
                         "RRULE:FREQ=SECONDLY\r\nEND:VEVENT\r\n"),
               7, "repeats more than 200000 times before the end of the school year");
}

TEST(IcsMalformed, UnknownTimeZoneNamesTheLine) {
  expect_error(feed_with("BEGIN:VEVENT\r\nUID:tz\r\nDTSTART;TZID=Mars/Olympus_Mons:20261110T120000\r\nEND:VEVENT\r\n"), 6,
               "unknown time zone TZID=Mars/Olympus_Mons");
}

TEST(IcsMalformed, DtendBeforeDtstartNamesTheDtendLine) {
  expect_error(feed_with("BEGIN:VEVENT\r\nUID:back\r\nDTSTART:20261110T120000Z\r\nDTEND:20261110T110000Z\r\nEND:VEVENT\r\n"),
               7, "DTEND is before DTSTART");
}

TEST(IcsMalformed, TwentyMegabyteFeedIsRefusedAtTheLineWhereTheLimitIsCrossed) {
  FeedLimits l = school_year();
  l.max_bytes = 10U << 20U;
  std::string events;
  const std::string one = "BEGIN:VEVENT\r\nUID:x\r\nSUMMARY:" + std::string(200, 'a') + "\r\nEND:VEVENT\r\n";
  while (events.size() < (20U << 20U)) events += one;
  const std::string text = feed_with(events);
  const std::string head = text.substr(0, l.max_bytes);
  const int line = 1 + static_cast<int>(std::count(head.begin(), head.end(), '\n'));
  auto r = read_feed(text, l, everything);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("over the limit of 10485760 (max_feed_bytes)"), std::string::npos)
      << r.status().message();
  EXPECT_EQ(r.status().message().rfind("line " + std::to_string(line) + ": the feed is " + std::to_string(text.size()), 0), 0u)
      << r.status().message();
}

TEST(IcsMalformed, OutlineRecordsPropertyLinesOfEachEvent) {
  auto o = outline_feed(corpus("outlook_ot.ics"), 1U << 20U);
  ASSERT_TRUE(o.is_ok()) << o.status().message();
  ASSERT_EQ(o->events.size(), 3u);
  EXPECT_EQ(o->events[0].begin_line, 21);
  EXPECT_EQ(o->events[0].line_of("RRULE"), 30);  // after a DESCRIPTION folded over eight lines
  EXPECT_EQ(o->events[0].line_of("TRIGGER"), 21);  // VALARM properties are not the event's
}

}  // namespace
}  // namespace schakel::calendar_ics::test
