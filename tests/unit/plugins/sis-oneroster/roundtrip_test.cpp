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

INSTANTIATE_TEST_SUITE_P(Versions, RoundTrip, ::testing::Values("1.1", "1.2"),
                         [](const auto& p) { return p.param == "1.1" ? "v1_1" : "v1_2"; });

}  // namespace
}  // namespace schakel::test
