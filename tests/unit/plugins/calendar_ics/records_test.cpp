// Meeting records: valid against schemas/meeting.schema.json, stable ids, the configured rules,
// and what a poll emits when the feed changes.
#include <gtest/gtest.h>

#include <set>

#include "changes.hpp"
#include "ics_test_support.hpp"
#include "schema/schema_set.hpp"

namespace schakel::calendar_ics::test {
namespace {

using ojson = nlohmann::ordered_json;

std::vector<ojson> meetings_of(const std::string& text, const nlohmann::json& s = settings()) {
  const auto rules = import_rules_from(s);
  auto occ = read_feed(text, school_year(), [&](const EventFacts& f) { return match_rule(rules, f) != nullptr; });
  EXPECT_TRUE(occ.is_ok()) << occ.status().message();
  std::vector<ojson> out;
  if (occ)
    for (const auto& o : *occ) out.push_back(meeting_of(o, *match_rule(rules, o.series), rules));
  return out;
}

TEST(IcsRecords, EveryRecordOfTheCorpusIsAValidMeeting) {
  auto schemas = schema::SchemaSet::load(std::string(SCHAKEL_SOURCE_DIR) + "/schemas");
  ASSERT_TRUE(schemas.is_ok()) << schemas.status().message();
  std::size_t n = 0;
  for (const char* file : {"outlook_ot.ics", "google_ot.ics", "apple_ot.ics", "outlook_no_vtimezone.ics"}) {
    for (const auto& m : meetings_of(corpus(file))) {
      ++n;
      const auto violations = schemas->validate("meeting", nlohmann::json::parse(m.dump()));
      for (const auto& v : violations) ADD_FAILURE() << file << ": " << m.dump() << ": " << v.pointer << ": " << v.message;
      EXPECT_EQ(m["owner"], (ojson{{"kind", "connector"}, {"connector_id", "ics-regenboog"}}));
      EXPECT_EQ(m["school_id"], "12AB00");
    }
  }
  EXPECT_EQ(n, 25u);
}

TEST(IcsRecords, IdsAreStableAndDistinctPerInstance) {
  const auto a = meetings_of(corpus("google_ot.ics"));
  const auto b = meetings_of(corpus("google_ot.ics"));
  ASSERT_EQ(a.size(), b.size());
  std::set<std::string> ids;
  std::set<std::string> uids;
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i]["id"], b[i]["id"]);
    ids.insert(a[i]["id"].get<std::string>());
    uids.insert(a[i]["ical_uid"].get<std::string>());
  }
  EXPECT_EQ(ids.size(), a.size());
  EXPECT_EQ(uids.size(), a.size());
  // The id hangs on UID + RECURRENCE-ID only: moving an instance keeps it.
  EXPECT_EQ(meeting_id("ics-regenboog", "u@x", "20261105T120000Z"), meeting_id("ics-regenboog", "u@x", "20261105T120000Z"));
  EXPECT_NE(meeting_id("ics-regenboog", "u@x", "20261105T120000Z"), meeting_id("ics-other", "u@x", "20261105T120000Z"));
}

TEST(IcsRecords, KeepSummaryUsesTheSummaryAsTitle) {
  auto s = settings();
  s["keep_summary"] = true;
  const auto ms = meetings_of(corpus("outlook_ot.ics"), s);
  ASSERT_FALSE(ms.empty());
  EXPECT_EQ(ms[0]["title"], "OT-overleg groep 1-4");
}

TEST(IcsRecords, AnInvalidSummaryPatternNamesTheSetting) {
  auto s = settings();
  s["match"] = {{{"summary", "OT("}}};
  try {
    (void)import_rules_from(s);
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("settings/match/0/summary: not a valid regular expression"), std::string::npos)
        << e.what();
  }
}

TEST(IcsRecords, AmsterdamTimeHasTheOffsetOfItsSeason) {
  TimePoint t;
  ASSERT_TRUE(parse_rfc3339("2026-10-25T00:59:59Z", t));
  EXPECT_EQ(amsterdam_time(t), "2026-10-25T02:59:59+02:00");
  ASSERT_TRUE(parse_rfc3339("2026-10-25T01:00:00Z", t));
  EXPECT_EQ(amsterdam_time(t), "2026-10-25T02:00:00+01:00");
}

TEST(IcsChanges, AnUnchangedFeedEmitsNothing) {
  const auto ms = meetings_of(corpus("google_ot.ics"));
  TimePoint now;
  ASSERT_TRUE(parse_rfc3339("2026-11-01T09:00:00Z", now));
  const auto first = plan_changes(ojson::object(), ms, now);
  EXPECT_EQ(first.emit.size(), ms.size());
  const auto second = plan_changes(first.known, ms, now);
  EXPECT_TRUE(second.emit.empty());
  EXPECT_EQ(second.known, first.known);
}

TEST(IcsChanges, AMovedInstanceIsEmittedAndAFutureRemovalIsACancellation) {
  TimePoint now;
  ASSERT_TRUE(parse_rfc3339("2026-11-01T09:00:00Z", now));
  std::string text = corpus("google_ot.ics");
  const auto before = meetings_of(text);
  const auto known = plan_changes(ojson::object(), before, now).known;
  // The VOT moves an hour; the single "VOT groep 7" event then disappears altogether.
  std::string moved = text;
  moved.replace(moved.find("DTSTART:20270118T130000Z"), 24, "DTSTART:20270118T140000Z");
  moved.replace(moved.find("DTEND:20270118T143000Z"), 22, "DTEND:20270118T153000Z");
  auto plan = plan_changes(known, meetings_of(moved), now);
  ASSERT_EQ(plan.emit.size(), 1u);
  EXPECT_EQ(plan.emit[0]["start"], "2027-01-18T15:00:00+01:00");
  const std::string vot_id = plan.emit[0]["id"];
  std::string gone = text;
  gone.erase(gone.find("BEGIN:VEVENT\nDTSTART:20270118"), gone.find("END:VEVENT", gone.find("DTSTART:20270118")) + 11 -
                                                              gone.find("BEGIN:VEVENT\nDTSTART:20270118"));
  plan = plan_changes(plan.known, meetings_of(gone), now);
  ASSERT_EQ(plan.emit.size(), 1u);
  EXPECT_EQ(plan.emit[0]["id"], vot_id);
  EXPECT_EQ(plan.emit[0]["status"], "cancelled");
  EXPECT_EQ(plan.emit[0]["sequence"], 1);
  // Cancelled once: the next poll does not cancel it again.
  EXPECT_TRUE(plan_changes(plan.known, meetings_of(gone), now).emit.empty());
}

TEST(IcsChanges, APastMeetingThatLeftTheFeedIsForgottenNotCancelled) {
  TimePoint now;
  ASSERT_TRUE(parse_rfc3339("2027-02-01T09:00:00Z", now));  // after the VOT of 18 January
  const std::string text = corpus("google_ot.ics");
  const auto known = plan_changes(ojson::object(), meetings_of(text), now).known;
  std::string gone = text;
  gone.erase(gone.find("BEGIN:VEVENT\nDTSTART:20270118"), gone.find("END:VEVENT", gone.find("DTSTART:20270118")) + 11 -
                                                              gone.find("BEGIN:VEVENT\nDTSTART:20270118"));
  const auto plan = plan_changes(known, meetings_of(gone), now);
  EXPECT_TRUE(plan.emit.empty());
  EXPECT_EQ(plan.known.size(), known.size() - 1);
}

}  // namespace
}  // namespace schakel::calendar_ics::test
