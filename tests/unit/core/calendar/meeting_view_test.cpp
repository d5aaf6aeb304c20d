// What each calendar recipient sees of one OT meeting, decided by the real consent index.
#include "calendar/meeting_view.hpp"

#include <gtest/gtest.h>

#include "../consent/fixtures.hpp"
#include "consent/consent_index.hpp"

using namespace schakel;
using consent::Recipient;
using test::json;

namespace {

const TimePoint k_now = test::at_utc("2026-11-24T10:00:00Z");
const Recipient k_nurse{"GGD Hollands Noorden", "youth_nurse", "A. Bos", ""};
const Recipient k_social_worker{"Wijkteam Noord", "school_social_worker", "B. de Vries", ""};

json meeting() {
  return {{"id", "m1"},
          {"school_id", "school-1"},
          {"kind", "ot"},
          {"start", "2026-12-01T13:00:00+01:00"},
          {"end", "2026-12-01T15:00:00+01:00"},
          {"location", "Kamer 4"},
          {"owner", {{"kind", "schakel"}}},
          {"ical_uid", "m1@schakel.invalid"},
          {"sequence", 2},
          {"status", "planned"},
          {"agenda",
           {{{"start", "2026-12-01T13:30:00+01:00"}, {"end", "2026-12-01T14:00:00+01:00"}, {"case_id", "k1"},
             {"student_id", "s1"}},
            {{"start", "2026-12-01T14:00:00+01:00"}, {"end", "2026-12-01T14:30:00+01:00"}, {"case_id", "k2"},
             {"student_id", "s2"}}}}};
}

class MeetingViewTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(index_.apply_student(test::student_doc("s1", "2016-04-02")));
    ASSERT_TRUE(index_.apply_student(test::student_doc("s2", "2015-09-12")));
    ASSERT_TRUE(index_.apply_guardian(test::guardian_doc("g1", {{"s1", "yes"}})));
    ASSERT_TRUE(index_.apply_guardian(test::guardian_doc("g2", {{"s2", "yes"}})));
    ASSERT_TRUE(index_.apply_guardian(test::guardian_doc("g3", {{"s2", "no"}})));
    // The parents of s1 let the youth nurse see, in her calendar, that their child is discussed.
    auto c = index_.record(test::consent_doc({.id = "c1", .student_id = "s1", .grantors = {"g1"},
                                              .categories = {"identity", "case"}, .purposes = {"calendar"},
                                              .role = "youth_nurse", .organisation = "GGD Hollands Noorden"}),
                           k_now);
    ASSERT_TRUE(c) << c.status().message();
  }

  std::optional<calendar::MeetingView> view(const Recipient& r) {
    return calendar::view_for(
        meeting(), r,
        [&](const std::string& student, const std::vector<std::string>& categories) {
          return index_.decide(student, r, "calendar", categories, k_now, "");
        },
        [](const std::string& student) -> std::optional<std::string> {
          if (student == "s1") return "Sanne";
          if (student == "s2") return "Daan";
          return std::nullopt;
        });
  }

  consent::ConsentIndex index_;
};

std::vector<std::string> labels(const calendar::MeetingView& v) {
  std::vector<std::string> out;
  for (const auto& s : v.slots) out.push_back(s.label);
  return out;
}

}  // namespace

TEST_F(MeetingViewTest, AStandingMemberWithConsentSeesOnlyThePermittedName) {
  auto v = view(k_nurse);
  ASSERT_TRUE(v);
  EXPECT_EQ(labels(*v), (std::vector<std::string>{"casus 1: Sanne", "casus 2"}));
  EXPECT_EQ(v->summary, "OT-overleg");
  EXPECT_EQ(v->start, "2026-12-01T13:00:00+01:00");
  EXPECT_EQ(v->end, "2026-12-01T15:00:00+01:00");
  EXPECT_EQ(v->location, "Kamer 4");
  EXPECT_EQ(v->uid, "m1@schakel.invalid");
  EXPECT_EQ(v->sequence, 2);
  EXPECT_EQ(v->consent_ids, (std::vector<std::string>{"c1"}));
  EXPECT_EQ(v->students, (std::vector<std::string>{"s1"}));
  EXPECT_EQ(v->description, "13:30-14:00 casus 1: Sanne\n14:00-14:30 casus 2\n");
}

TEST_F(MeetingViewTest, AStandingMemberWithoutConsentSeesNoChild) {
  auto v = view(k_social_worker);
  ASSERT_TRUE(v);
  EXPECT_EQ(labels(*v), (std::vector<std::string>{"casus 1", "casus 2"}));
  EXPECT_EQ(v->categories, (std::vector<std::string>{"meeting"}));
  EXPECT_TRUE(v->consent_ids.empty());
  EXPECT_TRUE(v->students.empty());
  EXPECT_EQ(v->description.find("Sanne"), std::string::npos);
}

TEST_F(MeetingViewTest, ParentsSeeOnlyTheirOwnChildsSlotByOwnChild) {
  auto g1 = view({"", "parent", "ouder", "g1"});
  ASSERT_TRUE(g1);
  EXPECT_EQ(labels(*g1), (std::vector<std::string>{"casus 1: Sanne"}));
  EXPECT_EQ(g1->start, "2026-12-01T13:30:00+01:00");  // they join for their child's part only
  EXPECT_EQ(g1->end, "2026-12-01T14:00:00+01:00");
  EXPECT_EQ(g1->students, (std::vector<std::string>{"s1"}));

  auto g2 = view({"", "parent", "ouder", "g2"});
  ASSERT_TRUE(g2);
  EXPECT_EQ(labels(*g2), (std::vector<std::string>{"casus 2: Daan"}));
  EXPECT_EQ(g2->description.find("Sanne"), std::string::npos);
}

TEST_F(MeetingViewTest, AGuardianWithoutGezagOrChildInTheMeetingSeesNothing) {
  EXPECT_FALSE(view({"", "parent", "ouder", "g3"}));   // no gezag of s2
  EXPECT_FALSE(view({"", "parent", "ouder", "g9"}));   // not known at all
  EXPECT_FALSE(view({"", "student", "leerling", "s1"}));  // under 16: not on their own
}

TEST_F(MeetingViewTest, AWithdrawnConsentTakesTheNameOutOfTheNextCopy) {
  auto w = index_.withdraw("c1", {consent::GrantorKind::guardian, "g1"}, k_now, "no longer");
  ASSERT_TRUE(w) << w.status().message();
  auto v = view(k_nurse);
  ASSERT_TRUE(v);
  EXPECT_EQ(labels(*v), (std::vector<std::string>{"casus 1", "casus 2"}));
}

TEST_F(MeetingViewTest, ACancelledMeetingStaysAnEventMarkedCancelled) {
  auto m = meeting();
  m["status"] = "cancelled";
  m["sequence"] = 3;
  auto v = calendar::view_for(
      m, k_social_worker,
      [&](const std::string& s, const std::vector<std::string>& c) {
        return index_.decide(s, k_social_worker, "calendar", c, k_now, "");
      },
      [](const std::string&) { return std::optional<std::string>(); });
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->cancelled);
  EXPECT_EQ(v->sequence, 3);
}
