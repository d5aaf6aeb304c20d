// The join store: what a sync pass joins onto the users, in a temporary SQLite database.
#include "join_store.hpp"

#include <gtest/gtest.h>

namespace schakel::sis_oneroster {
namespace {

std::unique_ptr<JoinStore> open_store() {
  auto j = JoinStore::open(256);
  EXPECT_TRUE(j.is_ok()) << j.status().message();
  return j ? std::move(*j) : nullptr;
}

using Roles = std::vector<std::pair<std::string, std::string>>;

TEST(JoinStore, RolesPutTheLatestPrimaryFirstAndTheRestInFileOrder) {
  auto j = open_store();
  ASSERT_TRUE(j);
  j->add_role("u1", "aide", "org-1", false);
  j->add_role("u1", "teacher", "org:2", true);
  j->add_role("u1", "guardian", "", false);
  j->add_role("u1", "principal", "123:45", true);
  j->add_role("u2", "student", "org-Ümit", false);
  EXPECT_EQ(j->roles("u1"),
            (Roles{{"principal", "123:45"}, {"teacher", "org:2"}, {"aide", "org-1"}, {"guardian", ""}}));
  EXPECT_EQ(j->roles("u2"), (Roles{{"student", "org-Ümit"}}));
  EXPECT_EQ(j->roles("u3"), Roles{});
  EXPECT_TRUE(j->status()) << j->status().message();
}

TEST(JoinStore, AStudentsDemographicsAndPlacementComeInOneLookup) {
  auto j = open_store();
  ASSERT_TRUE(j);
  oneroster::Demographics d;
  d.sourced_id = "s1";
  d.birth_date = "2016-04-01";
  d.sex = "female";
  d.date_last_modified = "2026-09-01T06:00:00Z";
  j->place("s1", {"class-math", "v1", false});  // before its demographics
  j->put_demographics(d);
  d.birth_date = "2016-04-02";  // the last row of a user wins
  j->put_demographics(d);
  j->place("s1", {"class-art", "v2", false});      // a scheduled class only while there is none
  j->place("s1", {"homeroom-5a", "v3", true});     // the homeroom wins
  j->place("s1", {"homeroom-6b", "v4", true});     // the first homeroom stays
  auto s1 = j->user("s1");
  ASSERT_TRUE(s1.demographics);
  EXPECT_EQ(s1.demographics->sourced_id, "s1");
  EXPECT_EQ(s1.demographics->birth_date, "2016-04-02");
  EXPECT_EQ(s1.demographics->sex, "female");
  EXPECT_EQ(s1.demographics->date_last_modified, "2026-09-01T06:00:00Z");
  ASSERT_TRUE(s1.placement);
  EXPECT_EQ(s1.placement->class_id, "homeroom-5a");
  EXPECT_EQ(s1.placement->version, "v3");
  EXPECT_TRUE(s1.placement->homeroom);
  EXPECT_TRUE(j->demographics("s1"));

  j->place("s2", {"class-art", "v1", false});  // a placement without demographics
  auto s2 = j->user("s2");
  EXPECT_FALSE(s2.demographics);
  EXPECT_FALSE(j->demographics("s2"));
  ASSERT_TRUE(s2.placement);
  EXPECT_FALSE(s2.placement->homeroom);

  j->clear_placements();  // keeps the demographics
  s1 = j->user("s1");
  EXPECT_TRUE(s1.demographics);
  EXPECT_FALSE(s1.placement);
  j->place("s1", {"class-art", "v5", false});
  EXPECT_EQ(j->user("s1").placement->class_id, "class-art");
  EXPECT_FALSE(j->user("s9").demographics);
  EXPECT_TRUE(j->status());
}

TEST(JoinStore, ChildrenAreSortedWithoutRepeatsAndKeptRowsComeBackInOrder) {
  auto j = open_store();
  ASSERT_TRUE(j);
  j->add_child("g1", "s2");
  j->add_child("g1", "s1");
  j->add_child("g1", "s2");
  EXPECT_EQ(j->children("g1"), (std::vector<std::string>{"s1", "s2"}));
  EXPECT_TRUE(j->children("g2").empty());
  csv::Row a{{"grd-1", "", "Zoë, \"Z\"\nde Vries"}, 7};
  csv::Row b{{"grd-2"}, 9};
  j->defer(a);
  j->defer(b);
  std::vector<csv::Row> back;
  j->each_deferred([&](csv::Row& r) { back.push_back(r); });
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].fields, a.fields);
  EXPECT_EQ(back[0].line, 7u);
  EXPECT_EQ(back[1].fields, b.fields);
  EXPECT_TRUE(j->status());
}

}  // namespace
}  // namespace schakel::sis_oneroster
