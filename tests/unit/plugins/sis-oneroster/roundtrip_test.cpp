// Bulk then delta through the real plugin host into a real SQLite store.
#include "sis_fixture.hpp"

namespace schakel::test {
namespace {

class RoundTrip : public SisHost, public ::testing::WithParamInterface<std::string> {
 protected:
  // Every expected student is in the store with the expected name parts and status.
  void expect_students(const json& expected) {
    for (const auto& [key, want] : expected["students"].items()) {
      auto e = by_key(store::Kind::student, key);
      ASSERT_TRUE(e.has_value()) << key;
      const auto& naam = e->doc["naam"];
      EXPECT_EQ(naam["achternaam"], want["achternaam"]) << key;
      EXPECT_EQ(naam.value("voorvoegsel", ""), want["voorvoegsel"]) << key;
      EXPECT_EQ(naam.value("voornamen", ""), want["voornamen"]) << key;
      EXPECT_EQ(e->doc["status"], want["status"]) << key;
      EXPECT_EQ(e->active, want["status"] == "active") << key;
      EXPECT_EQ(e->source_version.substr(0, 19), want["version"].get<std::string>().substr(0, 19)) << key;
      EXPECT_FALSE(e->doc.contains("eckid")) << "ECK iD stored without allow_eckid";
      EXPECT_FALSE(e->doc.contains("bsn")) << "BSN stored without allow_bsn";
    }
    EXPECT_EQ(all(store::Kind::student).size(), expected["students"].size());
  }
  void expect_guardians(const json& expected) {
    for (const auto& [key, want] : expected["guardians"].items()) {
      auto e = by_key(store::Kind::guardian, key);
      ASSERT_TRUE(e.has_value()) << key;
      const auto& kids = e->doc["children"];
      ASSERT_EQ(kids.size(), want["children"].size()) << key;
      const std::string las = want["gezag"];
      const std::string gezag = las == "ja" ? "yes" : las == "nee" ? "no" : "unknown";
      for (const auto& k : kids) EXPECT_EQ(k["gezag"], gezag) << key;
    }
  }
};

TEST_P(RoundTrip, BulkThenDeltaKeepsTheStoreEqualToTheBundle) {
  const auto version = GetParam();
  generate(bundle_, 60, version, 0, work_.path() / "bulk.json");
  add({{"gezag_column", "metadata.nl.gezag"}});
  auto r = poll();
  ASSERT_EQ(r.code, plugin_host::CallCode::ok) << r.message;
  auto bulk = read_json(work_.path() / "bulk.json");
  expect_students(bulk);
  expect_guardians(bulk);
  EXPECT_EQ(all(store::Kind::school).size(), bulk["schools"].get<std::size_t>());
  EXPECT_EQ(all(store::Kind::staff).size(), bulk["staff"].get<std::size_t>());
  EXPECT_TRUE(quarantined().empty());
  // OT roles come through from the LAS's role column.
  std::set<std::string> roles;
  for (const auto& s : all(store::Kind::staff)) roles.insert(s.doc["role"]);
  EXPECT_EQ(roles, (std::set<std::string>{"director", "ib", "orthopedagogue", "school_social_worker",
                                          "teacher", "youth_nurse"}));

  // The delta adds, changes and deletes students; the cursor skips the unchanged classes.
  generate(bundle_, 60, version, 5, work_.path() / "delta.json");
  r = poll();
  ASSERT_EQ(r.code, plugin_host::CallCode::ok) << r.message;
  auto delta = read_json(work_.path() / "delta.json");
  expect_students(delta);
  expect_guardians(delta);
  int left = 0;
  for (const auto& s : all(store::Kind::student)) left += s.doc["status"] == "left";
  EXPECT_EQ(left, 5);
}

// A full resync replays the old bulk: the store keeps the newer delta versions.
TEST_P(RoundTrip, OlderBulkNeverOverwritesNewerDelta) {
  const auto version = GetParam();
  add({{"full_resync", true}, {"allow_eckid", true}});
  generate(bundle_, 40, version);
  ASSERT_EQ(poll().code, plugin_host::CallCode::ok);
  generate(bundle_, 40, version, 4, work_.path() / "delta.json");
  ASSERT_EQ(poll().code, plugin_host::CallCode::ok);
  generate(bundle_, 40, version);
  ASSERT_EQ(poll().code, plugin_host::CallCode::ok);
  auto delta = read_json(work_.path() / "delta.json");
  for (const auto& [key, want] : delta["students"].items()) {
    auto e = by_key(store::Kind::student, key);
    ASSERT_TRUE(e.has_value()) << key;
    EXPECT_EQ(e->doc["naam"]["achternaam"], want["achternaam"]) << key;
    EXPECT_EQ(e->doc["status"], want["status"]) << key;
    EXPECT_TRUE(e->doc.contains("eckid") || want["status"] == "left") << "allow_eckid stores the ECK iD";
    EXPECT_FALSE(e->doc.contains("bsn"));
  }
}

// A CSV delta that changes a student's demographics and enrollment without its users row cannot
// build the whole student: the rows are quarantined with file, line and why, the stored student
// stays as it was, and a delta that does list the user applies the change.
TEST_P(RoundTrip, ADeltaChangingDemographicsWithoutTheUsersRowIsQuarantinedNotLost) {
  const auto version = GetParam();
  generate(bundle_, 20, version);
  add(json::object());
  ASSERT_EQ(poll().code, plugin_host::CallCode::ok);
  const std::string users_bulk = read_text(bundle_ / "users.csv");
  const std::string roles_bulk = version == "1.2" ? read_text(bundle_ / "roles.csv") : "";
  const auto before = by_key(store::Kind::student, "stu-000003");
  ASSERT_TRUE(before.has_value());

  const std::string t = "2026-12-02T06:00:00.000Z";
  auto write_delta = [&](const std::string& users) {
    std::string manifest = "propertyName,value\r\nmanifest.version,1.0\r\noneroster.version," + version +
                           "\r\nfile.demographics,delta\r\nfile.enrollments,delta\r\nfile.users," +
                           (users.empty() ? "absent" : "delta") + "\r\n";
    write_text(bundle_ / "manifest.csv", manifest);
    const std::string demo_header = read_text(bundle_ / "demographics.csv").substr(0, read_text(bundle_ / "demographics.csv").find('\n') + 1);
    write_text(bundle_ / "demographics.csv", demo_header + "stu-000003,active," + t + ",2015-06-07,female,,,,,,,,,,,\r\n");
    const std::string enr = read_text(bundle_ / "enrollments.csv");
    write_text(bundle_ / "enrollments.csv", enr.substr(0, enr.find('\n') + 1));
    std::filesystem::remove(bundle_ / "users.csv");
    std::filesystem::remove(bundle_ / "roles.csv");
    if (users.empty()) return;
    write_text(bundle_ / "users.csv", users);
    if (roles_bulk.empty()) return;
    // 1.2 keeps the user's role in roles.csv: the delta carries it with the users row.
    const auto at = roles_bulk.find("\nrole-stu-000003,") + 1;
    write_text(bundle_ / "roles.csv", roles_bulk.substr(0, roles_bulk.find('\n') + 1) +
                                          roles_bulk.substr(at, roles_bulk.find('\n', at) + 1 - at));
    write_text(bundle_ / "manifest.csv", read_text(bundle_ / "manifest.csv") + "file.roles,delta\r\n");
  };
  write_delta("");
  ASSERT_EQ(poll().code, plugin_host::CallCode::ok);
  auto q = quarantined();
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].source, "demographics.csv:2");
  EXPECT_NE(q[0].reason.find("users row is not in this delta"), std::string::npos) << q[0].reason;
  auto unchanged = by_key(store::Kind::student, "stu-000003");
  ASSERT_TRUE(unchanged.has_value());
  EXPECT_EQ(unchanged->doc["birth_date"], before->doc["birth_date"]);

  // The same change with the student's users row (its header and its own line from the bulk).
  const auto header_end = users_bulk.find('\n') + 1;
  const auto line_at = users_bulk.find("\nstu-000003,") + 1;
  const std::string row = users_bulk.substr(line_at, users_bulk.find('\n', line_at) + 1 - line_at);
  std::string newer = row;
  newer.replace(newer.find("2026-"), 24, t);  // its dateLastModified: the users row changed too
  write_delta(users_bulk.substr(0, header_end) + newer);
  ASSERT_EQ(poll().code, plugin_host::CallCode::ok);
  EXPECT_EQ(quarantined().size(), 1u);
  auto changed = by_key(store::Kind::student, "stu-000003");
  ASSERT_TRUE(changed.has_value());
  EXPECT_EQ(changed->doc["birth_date"], "2015-06-07");
}

INSTANTIATE_TEST_SUITE_P(Versions, RoundTrip, ::testing::Values("1.1", "1.2"),
                         [](const auto& p) { return p.param == "1.1" ? "v1_1" : "v1_2"; });

}  // namespace
}  // namespace schakel::test
