// calendar-ics without a connector_id setting (the host knows which connector imports a meeting),
// and the one-time re-offer of every meeting when the "known" state predates the meetings import.
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "changes.hpp"
#include "ics_test_support.hpp"
#include "schema/schema_set.hpp"

namespace schakel::calendar_ics::test {
namespace {

using ojson = nlohmann::ordered_json;
using nlohmann::json;

json settings_without_id() {
  json s = settings();
  s.erase("connector_id");
  return s;
}

std::vector<ojson> records(const json& s) {
  const auto rules = import_rules_from(s);
  auto occ = read_feed(corpus("google_ot.ics"), school_year(),
                       [&](const EventFacts& f) { return match_rule(rules, f) != nullptr; });
  EXPECT_TRUE(occ.is_ok()) << occ.status().message();
  std::vector<ojson> out;
  if (occ)
    for (const auto& o : *occ) out.push_back(meeting_of(o, *match_rule(rules, o.series), rules));
  return out;
}

json manifest() {
  std::ifstream in(std::string(SCHAKEL_SOURCE_DIR) + "/plugins/calendar-ics/manifest.json");
  std::stringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str());
}

class IcsWithoutConnectorId : public ::testing::Test {
 protected:
  void SetUp() override {
    auto loaded = schema::SchemaSet::load(std::string(SCHAKEL_SOURCE_DIR) + "/schemas");
    ASSERT_TRUE(loaded.is_ok()) << loaded.status().message();
    schemas_ = std::make_unique<schema::SchemaSet>(std::move(*loaded));
    const json m = manifest();
    ASSERT_TRUE(schemas_->add("x-plugin-stream.meetings", m["streams"]["meetings"]["schema"]));
    ASSERT_TRUE(schemas_->add("x-plugin-config.calendar-ics", m["config_schema"]));
  }
  std::unique_ptr<schema::SchemaSet> schemas_;
};

}  // namespace

TEST_F(IcsWithoutConnectorId, TheSettingsNeedNoConnectorId) {
  EXPECT_TRUE(schemas_->validate("x-plugin-config.calendar-ics", settings_without_id()).empty());
  EXPECT_TRUE(schemas_->validate("x-plugin-config.calendar-ics", settings()).empty()) << "older settings still load";
}

TEST_F(IcsWithoutConnectorId, RecordsLeaveTheOwnerToTheHostAndAreValidOnceItIsFilledIn) {
  const auto rs = records(settings_without_id());
  ASSERT_FALSE(rs.empty());
  for (const auto& r : rs) {
    EXPECT_EQ(r["owner"], (ojson{{"kind", "connector"}}));
    const json record = json::parse(r.dump());
    for (const auto& v : schemas_->validate("x-plugin-stream.meetings", record))
      ADD_FAILURE() << "stream schema: " << v.pointer << ": " << v.message;
    // What the importer stores: the owner named by the host's connector id.
    json stored = record;
    stored["owner"]["connector_id"] = "ics-regenboog";
    for (const auto& v : schemas_->validate("meeting", stored)) ADD_FAILURE() << "meeting: " << v.pointer << ": " << v.message;
  }
}

TEST_F(IcsWithoutConnectorId, TheStreamSchemaStillRefusesWhatAMeetingMayNotHold) {
  json r = json::parse(records(settings_without_id()).front().dump());
  json schakels = r;
  schakels["owner"] = {{"kind", "schakel"}};
  EXPECT_FALSE(schemas_->validate("x-plugin-stream.meetings", schakels).empty()) << "a feed cannot claim Schakel's meetings";
  json extra = r;
  extra["bsn"] = "111222333";
  EXPECT_FALSE(schemas_->validate("x-plugin-stream.meetings", extra).empty());
  json bad_time = r;
  bad_time["start"] = "tomorrow";
  EXPECT_FALSE(schemas_->validate("x-plugin-stream.meetings", bad_time).empty());
}

TEST_F(IcsWithoutConnectorId, IdsAreScopedByTheSchoolAndAConfiguredIdKeepsTheOldOnes) {
  const auto without = records(settings_without_id());
  const auto with = records(settings());
  ASSERT_EQ(without.size(), with.size());
  const auto rules = import_rules_from(settings_without_id());
  EXPECT_EQ(id_scope(rules), "school 12AB00");
  EXPECT_EQ(id_scope(import_rules_from(settings())), "ics-regenboog");
  for (std::size_t i = 0; i < with.size(); ++i) {
    EXPECT_NE(without[i]["id"], with[i]["id"]);
    EXPECT_EQ(without[i]["ical_uid"], with[i]["ical_uid"]) << "calendars see the same UID either way";
  }
  EXPECT_EQ(records(settings_without_id())[0]["id"], without[0]["id"]) << "stable";
}

TEST(IcsKnownState, AnUntrustedStateOffersEveryMeetingOnceAndStillCancelsTheOnesThatLeft) {
  TimePoint now;
  ASSERT_TRUE(parse_rfc3339("2026-09-01T08:00:00Z", now));
  const ojson a = {{"id", "ics.a"}, {"start", "2026-10-01T13:00:00+02:00"}, {"status", "planned"}, {"sequence", 0}};
  const ojson gone = {{"id", "ics.gone"}, {"start", "2026-10-08T13:00:00+02:00"}, {"status", "planned"}, {"sequence", 0}};
  ojson known = ojson::object();
  known["ics.a"] = a;  // "emitted" when the host stored no meetings
  known["ics.gone"] = gone;

  const auto trusted = plan_changes(known, {a}, now);
  ASSERT_EQ(trusted.emit.size(), 1u) << "an unchanged meeting is not offered again";
  EXPECT_EQ(trusted.emit[0]["status"], "cancelled");

  const auto reoffered = plan_changes(known, {a}, now, true);
  ASSERT_EQ(reoffered.emit.size(), 2u);
  EXPECT_EQ(reoffered.emit[0], a);
  EXPECT_EQ(reoffered.emit[1]["id"], "ics.gone");
  EXPECT_EQ(reoffered.emit[1]["status"], "cancelled");
  EXPECT_EQ(reoffered.known, trusted.known);
}

}  // namespace schakel::calendar_ics::test
