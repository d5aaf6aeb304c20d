// The iCalendar writer: structure, times in Europe/Amsterdam, stable UID, cancellation, and the
// errors for a bad meeting view; read back with Schakel's own reader for a round trip.
#include <functional>

#include <gtest/gtest.h>

#include "ical/reader.hpp"
#include "ical/text.hpp"
#include "ical/writer.hpp"
#include "sample_event.hpp"

namespace schakel::ical {
namespace {

using nlohmann::json;

std::vector<std::string> physical_lines(const std::string& ics) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < ics.size()) {
    const std::size_t end = ics.find("\r\n", pos);
    if (end == std::string::npos) {
      out.push_back("<no CRLF>" + ics.substr(pos));
      break;
    }
    out.push_back(ics.substr(pos, end - pos));
    pos = end + 2;
  }
  return out;
}

bool has_line(const std::string& ics, const std::string& line) {
  return unfold(ics).find("\r\n" + line + "\r\n") != std::string::npos;
}

TEST(IcalWriter, WritesCrlfLinesOfAtMost75OctetsWithoutBareNewlines) {
  const std::string ics = write_calendar(test::sample_event());
  ASSERT_EQ(ics.substr(0, 17), "BEGIN:VCALENDAR\r\n");
  ASSERT_EQ(ics.substr(ics.size() - 15), "END:VCALENDAR\r\n");
  for (const auto& l : physical_lines(ics)) {
    EXPECT_LE(l.size(), 75U) << l;
    EXPECT_EQ(l.find_first_of("\r\n"), std::string::npos) << l;
  }
}

TEST(IcalWriter, WritesTheFieldsEscapedWithAmsterdamTimesAndTheVtimezone) {
  const std::string ics = write_calendar(test::sample_event());
  EXPECT_TRUE(has_line(ics, "UID:meeting-7f3a@schakel.invalid"));
  EXPECT_TRUE(has_line(ics, "SEQUENCE:3"));
  EXPECT_TRUE(has_line(ics, "DTSTAMP:20261120T080000Z"));
  EXPECT_TRUE(has_line(ics, "DTSTART;TZID=Europe/Amsterdam:20261124T093000"));
  EXPECT_TRUE(has_line(ics, "DTEND;TZID=Europe/Amsterdam:20261124T110000"));
  EXPECT_TRUE(has_line(ics, "SUMMARY:OT-overleg\\; casus 1\\, casus 2 \\\\ groep 5-8"));
  EXPECT_TRUE(has_line(ics, "STATUS:CONFIRMED"));
  EXPECT_TRUE(has_line(ics, "TZID:Europe/Amsterdam"));
  EXPECT_TRUE(has_line(ics, "ORGANIZER;CN=IB De Regenboog:mailto:ib@regenboog.example"));
  EXPECT_TRUE(has_line(ics,
      "ATTENDEE;CN=\"Jeugdverpleegkundige, GGD\";ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED:mailto:jvk@ggd.example"));
  EXPECT_TRUE(has_line(ics,
      "ATTENDEE;CN=Sam 'SMW' de Vries;ROLE=OPT-PARTICIPANT;PARTSTAT=NEEDS-ACTION:mailto:smw@wijkteam.example"));
  EXPECT_NE(unfold(ics).find("DESCRIPTION:Agenda:\\n09:30 casus 1\\n10:15 casus 2\\nNeem het OPP mee\\;"),
            std::string::npos);
}

TEST(IcalWriter, SummerTimeIsWrittenAsLocalWallTime) {
  Event e = test::sample_event();
  ASSERT_TRUE(parse_rfc3339("2027-06-01T13:00:00+02:00", e.start));
  ASSERT_TRUE(parse_rfc3339("2027-06-01T14:30:00+02:00", e.end));
  const std::string ics = write_calendar(e);
  EXPECT_TRUE(has_line(ics, "DTSTART;TZID=Europe/Amsterdam:20270601T130000"));
  EXPECT_TRUE(has_line(ics, "DTEND;TZID=Europe/Amsterdam:20270601T143000"));
}

TEST(IcalWriter, SameEventSameBytesAndTheUidSurvivesAMoveAndACancellation) {
  Event e = test::sample_event();
  EXPECT_EQ(write_calendar(e), write_calendar(e));
  Event moved = e;
  moved.start += std::chrono::hours{24};
  moved.end += std::chrono::hours{24};
  moved.sequence = 4;
  Event cancelled = moved;
  cancelled.status = EventStatus::cancelled;
  cancelled.sequence = 5;
  for (const Event& v : {moved, cancelled}) EXPECT_TRUE(has_line(write_calendar(v), "UID:meeting-7f3a@schakel.invalid"));
  EXPECT_TRUE(has_line(write_calendar(cancelled), "STATUS:CANCELLED"));
  EXPECT_TRUE(has_line(write_calendar(cancelled), "SEQUENCE:5"));
}

TEST(IcalWriter, ReadingBackGivesTheSameEvent) {
  Event e = test::sample_event();
  auto back = read_event(write_calendar(e));
  // What the format cannot carry: CRLF in text reads back as LF, a quote in CN as an apostrophe.
  e.description.erase(e.description.find('\r'), 1);
  e.attendees[1].name = "Sam 'SMW' de Vries";
  ASSERT_TRUE(back) << back.status().message();
  EXPECT_EQ(*back, e);
  EXPECT_EQ(event_to_json(*back), event_to_json(e));
}

TEST(IcalWriter, AFeedHoldsOneVtimezoneAndEveryEvent) {
  Event a = test::sample_event();
  Event b = a;
  b.uid = "meeting-second@schakel.invalid";
  const std::vector<Event> both{a, b};
  const std::string ics = unfold(write_calendar(both));
  auto count = [&](const std::string& s) {
    std::size_t n = 0;
    for (std::size_t p = ics.find(s); p != std::string::npos; p = ics.find(s, p + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count("BEGIN:VTIMEZONE"), 1U);
  EXPECT_EQ(count("BEGIN:VEVENT"), 2U);
}

json valid_view() { return event_to_json(test::sample_event()); }

TEST(IcalEventJson, ErrorsNameThePointerAndTheProblem) {
  struct Case {
    std::function<void(json&)> change;
    std::string message;
  };
  const std::vector<Case> cases = {
      {[](json& j) { j.erase("uid"); }, "/uid: is required"},
      {[](json& j) { j["uid"] = "has space"; }, "/uid: must be 1-255 characters without white space"},
      {[](json& j) { j["sequence"] = -1; }, "/sequence: must be an integer >= 0"},
      {[](json& j) { j["start"] = "2026-11-24T09:30:00Z"; }, "/start: must be a Europe/Amsterdam time like 2026-11-24T09:30:00+01:00, not \"2026-11-24T09:30:00Z\""},
      {[](json& j) { j["start"] = "2026-11-24T09:30:00+02:00"; }, "/start: offset +02:00 is not Europe/Amsterdam's at 2026-11-24T09:30:00"},
      {[](json& j) { j["end"] = "2026-11-24T09:00:00+01:00"; }, "/end: must be after start"},
      {[](json& j) { j["status"] = "postponed"; }, "/status: must be planned or cancelled"},
      {[](json& j) { j["attendees"][1]["partstat"] = "maybe"; }, "/attendees/1/partstat: must be one of needs_action, accepted, declined, tentative, delegated"},
      {[](json& j) { j["attendees"][0]["email"] = "x@y>\r\nATTENDEE:evil"; }, "/attendees/0/email: must be a plain e-mail address"},
      {[](json& j) { j["summary"] = ""; }, "/summary: must not be empty"},
  };
  for (const auto& c : cases) {
    json j = valid_view();
    c.change(j);
    auto e = event_from_json(j, "/event");
    ASSERT_FALSE(e) << c.message;
    EXPECT_EQ(e.status().message(), "/event" + c.message);
  }
}

TEST(IcalReader, ReadsTimesInUtcAndOtherFormsAndKeepsPartstat) {
  const std::string ics =
      "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:x\nSEQUENCE:2\nDTSTART:20261124T083000Z\n"
      "DTEND;TZID=Europe/Amsterdam:20261124T\n 100000\nSUMMARY:a\\,b\n"
      "ATTENDEE;PARTSTAT=DECLINED;CN=\"A, B\":MAILTO:a@b.example\nBEGIN:VALARM\nSUMMARY:alarm\nEND:VALARM\n"
      "END:VEVENT\nEND:VCALENDAR\n";
  auto e = read_event(ics);
  ASSERT_TRUE(e) << e.status().message();
  EXPECT_EQ(format_amsterdam(e->start), "2026-11-24T09:30:00+01:00");
  EXPECT_EQ(format_amsterdam(e->end), "2026-11-24T10:00:00+01:00");
  EXPECT_EQ(e->summary, "a,b");
  ASSERT_EQ(e->attendees.size(), 1U);
  EXPECT_EQ(e->attendees[0].email, "a@b.example");
  EXPECT_EQ(e->attendees[0].name, "A, B");
  EXPECT_EQ(e->attendees[0].partstat, PartStat::declined);
}

TEST(IcalReader, ErrorsNameTheLine) {
  auto e = read_event("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:2026-11-24\r\nEND:VEVENT\r\n");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.status().message(), "line 4: DTSTART: bad date \"2026-11-24\"");
  auto no_start = read_event("BEGIN:VEVENT\nUID:x\nEND:VEVENT\n");
  ASSERT_FALSE(no_start);
  EXPECT_EQ(no_start.status().message(), "VEVENT x without DTSTART");
  auto garbage = read_event("<html>not a calendar</html>");
  ASSERT_FALSE(garbage);
  EXPECT_EQ(garbage.status().message(), "line 1: not a content line (NAME:value)");
}

}  // namespace
}  // namespace schakel::ical
