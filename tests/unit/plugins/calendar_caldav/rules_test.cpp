// The ownership rule without a server: Schakel's time and agenda, the recipient's PARTSTAT,
// SEQUENCE always above what recipients have seen; resource names that round-trip UIDs.
#include <gtest/gtest.h>

#include "rules.hpp"

namespace schakel::caldav {
namespace {

ical::Event base() {
  nlohmann::json j = {{"uid", "m@x"}, {"sequence", 2}, {"dtstamp", "2026-11-20T08:00:00Z"},
                      {"start", "2026-11-24T09:30:00+01:00"}, {"end", "2026-11-24T11:00:00+01:00"},
                      {"summary", "OT-overleg"},
                      {"attendees", {{{"email", "jvk@ggd.example"}}, {{"email", "ib@school.example"}, {"partstat", "accepted"}}}}};
  return *ical::event_from_json(j);
}

TEST(CaldavRules, ResolveTakesOnlyTheRecipientsPartstatFromTheServer) {
  ical::Event ours = base();
  ical::Event theirs = base();
  theirs.start += std::chrono::hours{2};
  theirs.sequence = 7;
  theirs.attendees[0].partstat = ical::PartStat::declined;
  theirs.attendees[1].partstat = ical::PartStat::declined;  // not theirs to change
  const ical::Event out = resolve(ours, theirs, "JVK@ggd.example");
  EXPECT_EQ(out.start, ours.start);
  EXPECT_EQ(out.sequence, 8);
  EXPECT_EQ(out.attendees[0].partstat, ical::PartStat::declined);
  EXPECT_EQ(out.attendees[1].partstat, ical::PartStat::accepted);
}

TEST(CaldavRules, ResolveWithOnlyAReplyKeepsTheSequence) {
  ical::Event theirs = base();
  theirs.attendees[0].partstat = ical::PartStat::accepted;
  const ical::Event out = resolve(base(), theirs, "jvk@ggd.example");
  EXPECT_EQ(out.sequence, 2);
  EXPECT_EQ(out.attendees[0].partstat, ical::PartStat::accepted);
}

TEST(CaldavRules, NextVersionRaisesTheSequenceForACancellationTheDocumentDidNotRaise) {
  ical::Event previous = base();
  previous.attendees[0].partstat = ical::PartStat::tentative;
  ical::Event doc = base();
  doc.status = ical::EventStatus::cancelled;
  const ical::Event out = next_version(doc, previous, "jvk@ggd.example");
  EXPECT_EQ(out.sequence, 3);
  EXPECT_EQ(out.attendees[0].partstat, ical::PartStat::tentative);
  ical::Event raised = doc;
  raised.sequence = 5;
  EXPECT_EQ(next_version(raised, previous, "jvk@ggd.example").sequence, 5);
  ical::Event same = base();
  EXPECT_EQ(next_version(same, previous, "jvk@ggd.example").sequence, 2) << "nothing owned changed";
}

TEST(CaldavRules, ResourceNamesRoundTripEveryUid) {
  for (const std::string uid : {"plain-uid_1.2~x", "ot@schakel.invalid", "a/b?c#d%e f", "caf\xc3\xa9"}) {
    const std::string name = resource_name(uid);
    EXPECT_EQ(name.find_first_of("/?#@ "), std::string::npos) << name;
    EXPECT_EQ(uid_from_href("/nurse/ot/" + name), uid);
  }
  EXPECT_EQ(resource_name("ot@schakel.invalid"), "ot%40schakel.invalid.ics");
  EXPECT_FALSE(uid_from_href("/nurse/ot/"));
}

TEST(CaldavRules, StateSurvivesItsJson) {
  EventState s{"http://h/c/m.ics", "\"e\"", {{"uid", "m@x"}}, base()};
  auto back = state_from_json(state_to_json(s).dump());
  ASSERT_TRUE(back) << back.status().message();
  EXPECT_EQ(back->href, s.href);
  EXPECT_EQ(back->etag, s.etag);
  EXPECT_EQ(back->sent, s.sent);
  EXPECT_EQ(back->written, s.written);
  EXPECT_FALSE(state_from_json("{not json"));
}

}  // namespace
}  // namespace schakel::caldav
