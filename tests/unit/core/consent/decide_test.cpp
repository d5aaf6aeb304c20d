// Table tests: one row per rule of decide(), with the reason a person reads.
#include <gtest/gtest.h>

#include "consent/consent_index.hpp"
#include "fixtures.hpp"

using namespace schakel;
using namespace schakel::consent;
using test::ConsentSpec;
using test::json;

namespace {

// s_young turns 12 on 2026-03-10 (CET: midnight is 23:00 UTC the day before);
// s_teen turns 16 on 2026-06-15 (CEST: midnight is 22:00 UTC the day before).
const char* k_young_11 = "2026-03-09T22:59:59Z";
const char* k_young_12 = "2026-03-09T23:00:00Z";
const char* k_teen_15 = "2026-06-14T21:59:59Z";
const char* k_teen_16 = "2026-06-14T22:00:00Z";
const char* k_spring = "2026-03-04T10:00:00Z";

const Recipient k_nurse{"GGD", "youth_nurse", "A. Bos", ""};
const Recipient k_teacher{"School", "teacher", "B. Smit", ""};
Recipient parent(const std::string& id) { return {"", "parent", "Parent", id}; }
Recipient student_self(const std::string& id) { return {"", "student", "Student", id}; }

struct Withdraw {
  std::string consent_id{};
  std::string by{};  // guardian id or "student"
  std::string at = "2026-03-04T09:00:00Z";
};

struct Row {
  std::string name{};
  std::vector<ConsentSpec> consents{};
  std::vector<Withdraw> withdrawals{};
  std::string student = "s_young";
  Recipient recipient = k_nurse;
  std::string purpose = "ot_meeting";
  std::string category = "health";
  std::string at = k_spring;
  std::string legal_basis{};
  bool permitted = false;
  std::string reason{};
  std::vector<std::string> ids{};
};

ConsentSpec spec(const std::string& id, const std::string& student, std::vector<std::string> grantors,
                 std::vector<std::string> categories = {"health"}) {
  ConsentSpec s;
  s.id = id;
  s.student_id = student;
  s.grantors = std::move(grantors);
  s.categories = std::move(categories);
  return s;
}

template <typename F>
ConsentSpec with(ConsentSpec s, F edit) {
  edit(s);
  return s;
}

void fill(ConsentIndex& index) {
  EXPECT_TRUE(index.apply_student(test::student_doc("s_young", "2014-03-10")));
  EXPECT_TRUE(index.apply_student(test::student_doc("s_teen", "2010-06-15")));
  EXPECT_TRUE(index.apply_guardian(test::guardian_doc("g1", {{"s_young", "yes"}, {"s_teen", "yes"}})));
  EXPECT_TRUE(index.apply_guardian(test::guardian_doc("g2", {{"s_young", "yes"}})));
  EXPECT_TRUE(index.apply_guardian(test::guardian_doc("g4", {{"s_young", "unknown", true}})));
  EXPECT_TRUE(index.apply_guardian(test::guardian_doc("g5", {{"s_young", "no"}, {"s_teen", "no"}})));
}

std::vector<Row> rows() {
  std::vector<std::string> all_but_health;
  for (const auto* c : {"identity", "contact", "education", "wellbeing", "family", "case", "views", "meeting"})
    all_but_health.emplace_back(c);
  return {
      // Age: under 12 a guardian with gezag.
      {.name = "under 12, guardian grants", .consents = {spec("c1", "s_young", {"g1"})}, .at = k_young_11,
       .permitted = true, .reason = "permitted by consent c1", .ids = {"c1"}},
      {.name = "under 12, confirmed unknown gezag grants", .consents = {spec("c1", "s_young", {"g4"})},
       .at = k_young_11, .permitted = true, .ids = {"c1"}},
      {.name = "under 12, the student alone", .consents = {spec("c1", "s_young", {"student"})}, .at = k_young_11,
       .reason = "student is 11: the consent of a guardian with gezag is needed"},
      // 12-15: both, in one consent or two.
      {.name = "12 at Amsterdam midnight, guardian alone", .consents = {spec("c1", "s_young", {"g1"})},
       .at = k_young_12, .reason = "student is 12: the student's own consent is needed as well"},
      {.name = "12, the student alone", .consents = {spec("c1", "s_young", {"student"})}, .at = k_young_12,
       .reason = "student is 12: the consent of a guardian with gezag is needed as well"},
      {.name = "12, both in one consent", .consents = {spec("c1", "s_young", {"g1", "student"})},
       .at = k_young_12, .permitted = true, .ids = {"c1"}},
      {.name = "12, both in two consents",
       .consents = {spec("c1", "s_young", {"g1"}), spec("c2", "s_young", {"student"})}, .at = k_young_12,
       .permitted = true, .reason = "permitted by consent c1, c2", .ids = {"c1", "c2"}},
      {.name = "15, both", .consents = {spec("c1", "s_teen", {"g1", "student"})}, .student = "s_teen",
       .at = k_teen_15, .permitted = true, .ids = {"c1"}},
      {.name = "15, the student alone", .consents = {spec("c1", "s_teen", {"student"})}, .student = "s_teen",
       .at = k_teen_15, .reason = "student is 15: the consent of a guardian with gezag is needed as well"},
      // 16 and over: the student alone; a guardian's grant no longer counts.
      {.name = "16 at Amsterdam midnight, guardian alone", .consents = {spec("c1", "s_teen", {"g1"})},
       .student = "s_teen", .at = k_teen_16, .reason = "student is 16: the student's own consent is needed"},
      {.name = "16, the student alone", .consents = {spec("c1", "s_teen", {"student"})}, .student = "s_teen",
       .at = k_teen_16, .permitted = true, .ids = {"c1"}},
      {.name = "16, both: only the student's counts", .consents = {spec("c1", "s_teen", {"g1", "student"})},
       .student = "s_teen", .at = k_teen_16, .permitted = true, .ids = {"c1"}},
      // Withdrawal and joint gezag.
      {.name = "withdrawn", .consents = {spec("c1", "s_young", {"g1"})}, .withdrawals = {{"c1", "g1"}},
       .reason = "withdrawn by guardian g1 on 2026-03-04"},
      {.name = "joint gezag: g2's withdrawal withdraws g1's consent",
       .consents = {spec("c1", "s_young", {"g1"}), spec("c2", "s_young", {"g2"})},
       .withdrawals = {{"c2", "g2", "2026-03-03T23:30:00Z"}}, .reason = "withdrawn by guardian g2 on 2026-03-04"},
      {.name = "joint gezag: a withdrawal for another purpose does not",
       .consents = {spec("c1", "s_young", {"g1"}),
                    with(spec("c2", "s_young", {"g2"}), [](auto& s) { s.purposes = {"youth_health"}; })},
       .withdrawals = {{"c2", "g2"}}, .permitted = true, .ids = {"c1"}},
      {.name = "joint gezag: a withdrawal for another recipient does not",
       .consents = {spec("c1", "s_young", {"g1"}),
                    with(spec("c2", "s_young", {"g2"}), [](auto& s) { s.role = "teacher"; })},
       .withdrawals = {{"c2", "g2"}}, .permitted = true, .ids = {"c1"}},
      {.name = "14: the student's withdrawal withdraws the joint consent",
       .consents = {spec("c1", "s_teen", {"g1", "student"}), spec("c2", "s_teen", {"student"})},
       .withdrawals = {{"c2", "student"}}, .student = "s_teen", .at = "2025-01-10T10:00:00Z",
       .reason = "withdrawn by the student on 2026-03-04"},
      {.name = "16: a guardian's withdrawal leaves the student's consent",
       .consents = {spec("c1", "s_teen", {"student"}), spec("c2", "s_teen", {"g1"})},
       .withdrawals = {{"c2", "g1"}}, .student = "s_teen", .at = k_teen_16, .permitted = true, .ids = {"c1"}},
      // Validity on the Amsterdam calendar date.
      {.name = "not yet valid",
       .consents = {with(spec("c1", "s_young", {"g1"}), [](auto& s) { s.valid_from = "2026-03-05"; })},
       .at = "2026-03-04T22:59:59Z", .reason = "consent c1 is valid from 2026-03-05"},
      {.name = "valid from its first day",
       .consents = {with(spec("c1", "s_young", {"g1"}), [](auto& s) { s.valid_from = "2026-03-05"; })},
       .at = "2026-03-04T23:00:00Z", .permitted = true, .ids = {"c1"}},
      {.name = "valid on its last day",
       .consents = {with(spec("c1", "s_young", {"g1"}), [](auto& s) { s.valid_until = "2026-03-04"; })},
       .at = "2026-03-04T22:59:59Z", .permitted = true, .ids = {"c1"}},
      {.name = "expired",
       .consents = {with(spec("c1", "s_young", {"g1"}), [](auto& s) { s.valid_until = "2026-03-04"; })},
       .at = "2026-03-04T23:00:00Z", .reason = "consent c1 expired on 2026-03-04"},
      // Categories and recipients.
      {.name = "health only where named", .consents = {spec("c1", "s_young", {"g1"}, all_but_health)},
       .reason = "no consent for category health to youth_nurse for purpose ot_meeting"},
      {.name = "other categories of that consent", .consents = {spec("c1", "s_young", {"g1"}, all_but_health)},
       .category = "wellbeing", .permitted = true, .ids = {"c1"}},
      {.name = "another role", .consents = {with(spec("c1", "s_young", {"g1"}), [](auto& s) { s.role = "teacher"; })},
       .reason = "no consent for category health to youth_nurse for purpose ot_meeting"},
      {.name = "an organisation, any role",
       .consents = {with(spec("c1", "s_young", {"g1"}), [](auto& s) { s.role = ""; s.organisation = "GGD"; })},
       .permitted = true, .ids = {"c1"}},
      {.name = "another organisation",
       .consents = {with(spec("c1", "s_young", {"g1"}), [](auto& s) { s.role = ""; s.organisation = "Wijkteam"; })},
       .reason = "no consent for category health to youth_nurse for purpose ot_meeting"},
      {.name = "another purpose", .consents = {spec("c1", "s_young", {"g1"})}, .purpose = "swv_request",
       .reason = "no consent for category health to youth_nurse for purpose swv_request"},
      // Policy rules that hold whatever the consent.
      {.name = "ECK iD outside education", .consents = {spec("c1", "s_young", {"g1"}, {"identifier.eckid"})},
       .category = "identifier.eckid", .reason = "ECK iD never goes to a recipient outside education"},
      {.name = "ECK iD inside education",
       .consents = {with(spec("c1", "s_young", {"g1"}, {"identifier.eckid"}), [](auto& s) { s.role = "teacher"; })},
       .recipient = k_teacher, .category = "identifier.eckid", .permitted = true, .ids = {"c1"}},
      {.name = "BSN without a legal basis", .consents = {spec("c1", "s_young", {"g1"}, {"identifier.bsn"})},
       .category = "identifier.bsn", .reason = "a BSN only goes where the route names a legal basis"},
      {.name = "BSN with a legal basis", .consents = {spec("c1", "s_young", {"g1"}, {"identifier.bsn"})},
       .category = "identifier.bsn", .legal_basis = "legal_obligation", .permitted = true, .ids = {"c1"}},
      {.name = "BSN with a legal basis but no consent", .category = "identifier.bsn",
       .legal_basis = "legal_obligation",
       .reason = "no consent for category identifier.bsn to youth_nurse for purpose ot_meeting"},
      // own_child.
      {.name = "own_child: guardian with gezag, calendar", .recipient = parent("g1"), .purpose = "calendar",
       .category = "meeting", .permitted = true, .reason = "own_child: guardian g1 has gezag of this student"},
      {.name = "own_child: confirmed unknown gezag", .recipient = parent("g4"), .purpose = "calendar",
       .category = "education", .permitted = true},
      {.name = "own_child: not for health", .recipient = parent("g1"), .purpose = "calendar",
       .reason = "no consent for category health to parent for purpose calendar"},
      {.name = "own_child: not for the ECK iD", .recipient = parent("g1"), .purpose = "calendar",
       .category = "identifier.eckid", .reason = "ECK iD never goes to a recipient outside education"},
      {.name = "own_child: not for the BSN", .recipient = parent("g1"), .purpose = "calendar",
       .category = "identifier.bsn", .legal_basis = "public_task",
       .reason = "no consent for category identifier.bsn to parent for purpose calendar"},
      {.name = "own_child: guardian without gezag", .recipient = parent("g5"), .purpose = "calendar",
       .category = "meeting", .reason = "no consent for category meeting to parent for purpose calendar"},
      {.name = "own_child: guardian of another child", .student = "s_teen", .recipient = parent("g2"),
       .purpose = "calendar", .category = "meeting",
       .reason = "no consent for category meeting to parent for purpose calendar"},
      {.name = "own_child: only for calendar", .recipient = parent("g1"), .purpose = "ot_meeting",
       .category = "meeting", .reason = "no consent for category meeting to parent for purpose ot_meeting"},
      {.name = "own_child: the student at 16", .student = "s_teen", .recipient = student_self("s_teen"),
       .purpose = "calendar", .category = "case", .at = k_teen_16, .permitted = true,
       .reason = "own_child: the student is 16 or older"},
      {.name = "own_child: not the student at 15", .student = "s_teen", .recipient = student_self("s_teen"),
       .purpose = "calendar", .category = "case", .at = k_teen_15,
       .reason = "no consent for category case to student for purpose calendar"},
      // Default deny.
      {.name = "no consents at all", .reason = "no consent for category health to youth_nurse for purpose ot_meeting"},
      {.name = "unknown student", .student = "s_nobody", .reason = "unknown student s_nobody"},
      {.name = "unknown purpose", .purpose = "marketing", .reason = "unknown purpose 'marketing'"},
      {.name = "unknown category", .category = "shoe_size", .reason = "unknown category 'shoe_size'"},
  };
}

}  // namespace

TEST(Decide, EveryRuleAndReason) {
  ASSERT_GE(rows().size(), 45u);
  for (const auto& row : rows()) {
    SCOPED_TRACE(row.name);
    ConsentIndex index;
    fill(index);
    for (const auto& c : row.consents) {
      auto r = index.record(test::consent_doc(c), test::at_utc("2025-01-01T10:00:00Z"));
      ASSERT_TRUE(r) << r.status().message();
    }
    for (const auto& w : row.withdrawals) {
      const Grantor by = w.by == "student" ? Grantor{GrantorKind::student, ""} : Grantor{GrantorKind::guardian, w.by};
      auto r = index.withdraw(w.consent_id, by, test::at_utc(w.at), "");
      ASSERT_TRUE(r) << r.status().message();
    }
    auto d = index.decide(row.student, row.recipient, row.purpose, {row.category}, test::at_utc(row.at),
                          row.legal_basis);
    ASSERT_EQ(d.categories.size(), 1u);
    const auto& c = d.categories[0];
    EXPECT_EQ(c.category, row.category);
    EXPECT_EQ(c.permitted, row.permitted) << c.reason;
    if (!row.reason.empty()) {
      EXPECT_EQ(c.reason, row.reason);
    }
    EXPECT_EQ(c.consent_ids, row.ids);
  }
}

TEST(Decide, GezagChangesAfterRecording) {
  ConsentIndex index;
    fill(index);
  ASSERT_TRUE(index.record(test::consent_doc(spec("c1", "s_young", {"g4"})), test::at_utc(k_spring)));
  const auto at = test::at_utc(k_spring);
  ASSERT_TRUE(index.decide("s_young", k_nurse, "ot_meeting", {"health"}, at).permitted("health"));
  // Staff withdraw the confirmation (the gezag turned out to be unclear): the grant stops counting.
  ASSERT_TRUE(index.apply_guardian(test::guardian_doc("g4", {{"s_young", "unknown"}})));
  auto d = index.decide("s_young", k_nurse, "ot_meeting", {"health"}, at);
  EXPECT_FALSE(d.permitted("health"));
  EXPECT_EQ(d.categories[0].reason, "the gezag of guardian g4 is unknown and not yet confirmed by staff");
}

TEST(Decide, ManyCategoriesAtOnce) {
  ConsentIndex index;
    fill(index);
  ASSERT_TRUE(index.record(test::consent_doc(spec("c1", "s_young", {"g1"}, {"education", "wellbeing"})),
                           test::at_utc(k_spring)));
  ASSERT_TRUE(index.record(test::consent_doc(spec("c2", "s_young", {"g2"}, {"health"})), test::at_utc(k_spring)));
  auto d = index.decide("s_young", k_nurse, "ot_meeting", {"education", "health", "family"}, test::at_utc(k_spring));
  EXPECT_TRUE(d.permitted("education"));
  EXPECT_TRUE(d.permitted("health"));
  EXPECT_FALSE(d.permitted("family"));
  EXPECT_FALSE(d.permitted("case"));  // not asked: default deny
  EXPECT_FALSE(d.all_permitted());
  EXPECT_EQ(d.consent_ids(), (std::vector<std::string>{"c1", "c2"}));
  EXPECT_EQ(to_json(d)["family"]["reason"], "no consent for category family to youth_nurse for purpose ot_meeting");
}
