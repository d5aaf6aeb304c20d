#include "consent/consent_index.hpp"

#include <gtest/gtest.h>

#include "consent/persist.hpp"
#include "fixtures.hpp"
#include "memory_store.hpp"

using namespace schakel;
using namespace schakel::consent;
using test::ConsentSpec;
using test::json;

namespace {

const TimePoint k_now = test::at_utc("2026-03-04T10:00:00Z");
const Recipient k_nurse{"GGD", "youth_nurse", "A. Bos", ""};

class ConsentIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(index_.apply_student(test::student_doc("s1", "2018-05-01")));
    ASSERT_TRUE(index_.apply_guardian(test::guardian_doc("g1", {{"s1", "yes"}})));
    ASSERT_TRUE(index_.apply_guardian(test::guardian_doc("g2", {{"s1", "no"}})));
    ASSERT_TRUE(index_.apply_guardian(test::guardian_doc("g3", {{"s1", "unknown"}})));
    ASSERT_TRUE(index_.apply_guardian(test::guardian_doc("g4", {{"s2", "yes"}})));
  }
  std::string record_error(const ConsentSpec& spec) {
    auto c = index_.record(test::consent_doc(spec), k_now);
    return c ? "" : c.status().message();
  }
  ConsentIndex index_;
};

}  // namespace

TEST_F(ConsentIndexTest, RecordValidatesAgainstTheStudentAndGuardians) {
  struct Case {
    ConsentSpec spec;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {{.id = "c1", .student_id = "s9", .grantors = {"g1"}, .categories = {"health"}},
       "consent c1: /student_id: unknown student s9"},
      {{.id = "c1", .student_id = "s1", .grantors = {"g2"}, .categories = {"health"}},
       "consent c1: /grantors/0/guardian_id: guardian g2 has no gezag, so cannot grant consent"},
      {{.id = "c1", .student_id = "s1", .grantors = {"g1", "g3"}, .categories = {"health"}},
       "consent c1: /grantors/1/guardian_id: the gezag of guardian g3 is unknown and not yet confirmed by staff, so cannot grant consent"},
      {{.id = "c1", .student_id = "s1", .grantors = {"g4"}, .categories = {"health"}},
       "consent c1: /grantors/0/guardian_id: guardian g4 is not a guardian of student s1, so cannot grant consent"},
      {{.id = "c1", .student_id = "s1", .grantors = {"g1"}, .categories = {"health"}, .valid_from = "2026-05-01",
        .valid_until = "2026-04-30"},
       "consent c1: /valid_until: the period ends (2026-04-30) before it starts (2026-05-01)"},
      {{.id = "c1", .student_id = "s1", .grantors = {"g1"}, .categories = {"smell"}},
       "consent c1: /categories/0: unknown category 'smell'"},
      {{.id = "c1", .student_id = "s1", .grantors = {"g1"}, .categories = {"health"}, .purposes = {"sales"}},
       "consent c1: /purposes/0: unknown purpose 'sales'"},
  };
  for (const auto& c : cases) EXPECT_EQ(record_error(c.spec), c.expected);
  EXPECT_EQ(index_.consent_count(), 0u);

  // Confirmed by staff, the unknown gezag may grant.
  ASSERT_TRUE(index_.apply_guardian(test::guardian_doc("g3", {{"s1", "unknown", true}})));
  EXPECT_EQ(record_error({.id = "c1", .student_id = "s1", .grantors = {"g3"}, .categories = {"health"}}), "");
  EXPECT_EQ(record_error({.id = "c1", .student_id = "s1", .grantors = {"g1"}, .categories = {"health"}}),
            "consent c1: the id is already in use");
  EXPECT_EQ(index_.consent_count(), 1u);
}

TEST_F(ConsentIndexTest, WithdrawValidatesAndReturnsTheDocument) {
  ASSERT_TRUE(index_.record(test::consent_doc({.id = "c1", .student_id = "s1", .grantors = {"g1"},
                                               .categories = {"health"}}), k_now));
  EXPECT_EQ(index_.withdraw("c9", {GrantorKind::guardian, "g1"}, k_now, "").status().message(),
            "consent c9: unknown consent");
  EXPECT_EQ(index_.withdraw("c1", {GrantorKind::guardian, "g2"}, k_now, "").status().message(),
            "consent c1: /withdrawal/by/guardian_id: guardian g2 has no gezag, so cannot withdraw consent");
  EXPECT_EQ(index_.withdraw("c1", {GrantorKind::guardian, "g4"}, k_now, "").status().message(),
            "consent c1: /withdrawal/by/guardian_id: guardian g4 is not a guardian of student s1");
  auto w = index_.withdraw("c1", {GrantorKind::guardian, "g3"}, k_now, "changed our minds");
  ASSERT_TRUE(w) << w.status().message();
  const json doc = to_json(*w);
  EXPECT_EQ(doc["status"], "withdrawn");
  EXPECT_EQ(doc["withdrawal"]["by"]["guardian_id"], "g3");
  EXPECT_EQ(doc["withdrawal"]["reason"], "changed our minds");
  EXPECT_TRUE(index_.find_consent("c1")->withdrawn);
  auto again = index_.withdraw("c1", {GrantorKind::student, ""}, k_now, "");
  EXPECT_EQ(again.status().code(), ErrorCode::conflict);
  EXPECT_EQ(again.status().message(), "consent c1: already withdrawn by guardian g3 on 2026-03-04");
}

TEST_F(ConsentIndexTest, WithdrawalAfterADecisionDeniesTheNextDecision) {
  ASSERT_TRUE(index_.record(test::consent_doc({.id = "c1", .student_id = "s1", .grantors = {"g1"},
                                               .categories = {"health"}}), k_now));
  auto before = index_.decide("s1", k_nurse, "ot_meeting", {"health"}, k_now);
  ASSERT_TRUE(before.permitted("health")) << before.categories[0].reason;
  EXPECT_EQ(before.consent_ids(), std::vector<std::string>{"c1"});
  ASSERT_TRUE(index_.withdraw("c1", {GrantorKind::guardian, "g1"}, k_now, ""));
  auto after = index_.decide("s1", k_nurse, "ot_meeting", {"health"}, k_now + std::chrono::seconds(1));
  EXPECT_FALSE(after.permitted("health"));
  EXPECT_EQ(after.categories[0].reason, "withdrawn by guardian g1 on 2026-03-04");
}

TEST_F(ConsentIndexTest, GuardianChangesTakeEffectAtOnce) {
  ASSERT_TRUE(index_.record(test::consent_doc({.id = "c1", .student_id = "s1", .grantors = {"g1"},
                                               .categories = {"health"}}), k_now));
  ASSERT_TRUE(index_.decide("s1", k_nurse, "ot_meeting", {"health"}, k_now).permitted("health"));
  // The court takes gezag away from g1: the grant recorded earlier no longer counts.
  ASSERT_TRUE(index_.apply_guardian(test::guardian_doc("g1", {{"s1", "no"}})));
  auto d = index_.decide("s1", k_nurse, "ot_meeting", {"health"}, k_now);
  EXPECT_FALSE(d.permitted("health"));
  EXPECT_EQ(d.categories[0].reason, "guardian g1 has no gezag");
  index_.remove_guardian("g1");
  EXPECT_EQ(index_.decide("s1", k_nurse, "ot_meeting", {"health"}, k_now).categories[0].reason,
            "guardian g1 is not a guardian of student s1");
  index_.remove_student("s1");
  EXPECT_EQ(index_.decide("s1", k_nurse, "ot_meeting", {"health"}, k_now).categories[0].reason,
            "unknown student s1");
}

// Only students with a consent carry rules; the table that finds them grows (and rehashes) as an
// import adds thousands, and a removed student may come back. Decisions stay right throughout.
TEST(ConsentIndexGrowth, RulesFollowTheirStudentThroughGrowthAndRemoval) {
  ConsentIndex index;
  const int n = 300;  // several doublings of the table
  for (int i = 0; i < n; ++i) {
    const std::string s = "s" + std::to_string(i);
    ASSERT_TRUE(index.apply_student(test::student_doc(s, "2018-05-01")));
    ASSERT_TRUE(index.apply_guardian(test::guardian_doc("g" + std::to_string(i), {{s, "yes"}})));
    if (i % 3 == 0) {  // every third student consents, the others have none
      ASSERT_TRUE(index.record(test::consent_doc({.id = "c" + std::to_string(i), .student_id = s,
                                                   .grantors = {"g" + std::to_string(i)}, .categories = {"health"}}),
                               k_now));
    }
  }
  EXPECT_EQ(index.student_count(), std::size_t(n));
  for (int i = 0; i < n; ++i) {
    auto d = index.decide("s" + std::to_string(i), k_nurse, "ot_meeting", {"health"}, k_now);
    EXPECT_EQ(d.permitted("health"), i % 3 == 0) << i << ": " << d.categories[0].reason;
    if (i % 3 == 0) {
      EXPECT_EQ(d.consent_ids(), std::vector<std::string>{"c" + std::to_string(i)});
    }
  }
  // Removed and imported again: no consent of the old entry survives, the guardian relinks.
  index.remove_student("s0");
  EXPECT_FALSE(index.find_consent("c0"));
  ASSERT_TRUE(index.apply_student(test::student_doc("s0", "2018-05-01")));
  ASSERT_TRUE(index.apply_guardian(test::guardian_doc("g0", {{"s0", "yes"}})));
  EXPECT_FALSE(index.decide("s0", k_nurse, "ot_meeting", {"health"}, k_now).permitted("health"));
  ASSERT_TRUE(index.record(test::consent_doc({.id = "c0b", .student_id = "s0", .grantors = {"g0"},
                                               .categories = {"health"}}), k_now));
  EXPECT_TRUE(index.decide("s0", k_nurse, "ot_meeting", {"health"}, k_now).permitted("health"));
  // A student's first consent after the import gives it rules.
  ASSERT_TRUE(index.record(test::consent_doc({.id = "c1", .student_id = "s1", .grantors = {"g1"},
                                               .categories = {"health"}}), k_now));
  EXPECT_TRUE(index.decide("s1", k_nurse, "ot_meeting", {"health"}, k_now).permitted("health"));
  index.remove_guardian("g1");
  EXPECT_FALSE(index.decide("s1", k_nurse, "ot_meeting", {"health"}, k_now).permitted("health"));
}

TEST(ConsentIndexStore, LoadsFromTheStoreAndPersistsWithAudit) {
  test::MemoryStore store;
  auto put = [&](store::Kind kind, const std::string& id, const json& doc) {
    store.data_.entities[{int(kind), id}] = store::Entity{kind, id, "school-1", "", "", "", "", true, doc, {}};
  };
  // More than one page of students, to exercise paging.
  for (int i = 0; i < 2100; ++i) put(store::Kind::student, "s" + std::to_string(i), test::student_doc("s" + std::to_string(i), "2018-05-01"));
  put(store::Kind::guardian, "g1", test::guardian_doc("g1", {{"s1", "yes"}}));
  put(store::Kind::consent, "c1", test::consent_doc({.id = "c1", .student_id = "s1", .grantors = {"g1"},
                                                     .categories = {"education"}}));
  ConsentIndex index;
  {
    auto tx = store.begin(false);
    ASSERT_TRUE(tx);
    ASSERT_TRUE(index.load(**tx));
  }
  EXPECT_EQ(index.student_count(), 2100u);
  EXPECT_EQ(index.consent_count(), 1u);
  EXPECT_TRUE(index.decide("s1", k_nurse, "ot_meeting", {"education"}, k_now).permitted("education"));

  std::vector<std::string> actions;
  AuditAppend audit = [&](store::Transaction& tx, const ConsentRecord& c, const std::string& action) {
    store::AuditRow row;
    row.action = action;
    row.consent_ids = {c.id};
    actions.push_back(action);
    return tx.append_audit(row);
  };
  auto rec = record_consent(store, index, test::consent_doc({.id = "c2", .student_id = "s1", .grantors = {"g1"},
                                                             .categories = {"health"}}), k_now, audit);
  ASSERT_TRUE(rec) << rec.status().message();
  auto w = withdraw_consent(store, index, "c1", {GrantorKind::guardian, "g1"}, k_now, "moved", audit);
  ASSERT_TRUE(w) << w.status().message();
  EXPECT_EQ(actions, (std::vector<std::string>{"consent.record", "consent.withdraw"}));
  ASSERT_EQ(store.data_.audit.size(), 2u);
  EXPECT_EQ(store.data_.entities.at({int(store::Kind::consent), "c1"}).doc["status"], "withdrawn");
  EXPECT_EQ(store.data_.entities.at({int(store::Kind::consent), "c2"}).student_id, "s1");

  // A reload sees what was persisted.
  ConsentIndex reloaded;
  auto tx = store.begin(false);
  ASSERT_TRUE(reloaded.load(**tx));
  EXPECT_TRUE(reloaded.find_consent("c1")->withdrawn);
  EXPECT_TRUE(reloaded.decide("s1", k_nurse, "ot_meeting", {"health"}, k_now).permitted("health"));

  // A failed write leaves both the store and the index as they were.
  store.fail_put_ = true;
  auto failed = record_consent(store, index, test::consent_doc({.id = "c3", .student_id = "s1", .grantors = {"g1"},
                                                                .categories = {"family"}}), k_now, audit);
  EXPECT_EQ(failed.status().code(), ErrorCode::io);
  EXPECT_FALSE(index.find_consent("c3"));
  EXPECT_EQ(store.data_.audit.size(), 2u);
}

TEST(ConsentIndexStore, LoadNamesTheBrokenEntity) {
  test::MemoryStore store;
  store.data_.entities[{int(store::Kind::student), "s1"}] =
      store::Entity{store::Kind::student, "s1", "t", "", "", "", "", true, json{{"id", "s1"}}, {}};
  ConsentIndex index;
  auto tx = store.begin(false);
  EXPECT_EQ(index.load(**tx).message(), "student s1: /birth_date: required (student s1)");
}

// The index keeps each guardian's links to its children twice over (the student's guardians, the
// guardian's children): a guardian's new document replaces all its links, a removed student
// leaves no link behind, and the student's guardians keep the order they were linked in.
TEST(ConsentIndexLinks, AGuardiansNewDocumentReplacesItsLinks) {
  ConsentIndex index;
  ASSERT_TRUE(index.apply_student(test::student_doc("s1", "2018-05-01")));
  ASSERT_TRUE(index.apply_student(test::student_doc("s2", "2016-05-01")));
  ASSERT_TRUE(index.apply_guardian(test::guardian_doc("g1", {{"s1", "yes"}, {"s2", "yes"}})));
  ASSERT_TRUE(index.apply_guardian(test::guardian_doc("g2", {{"s1", "unknown", true}})));
  auto guardians = [&](const std::string& student) {
    std::vector<std::string> out;
    if (auto f = index.find_student(student))
      for (const auto& g : f->guardians)
        out.push_back(g.guardian_id + (g.gezag == Gezag::yes ? ":yes" : g.gezag == Gezag::no ? ":no" : ":unknown") +
                      (g.confirmed ? "+" : ""));
    return out;
  };
  using List = std::vector<std::string>;
  EXPECT_EQ(guardians("s1"), (List{"g1:yes", "g2:unknown+"}));
  EXPECT_EQ(guardians("s2"), (List{"g1:yes"}));
  const auto facts = index.find_student("s1");
  ASSERT_TRUE(facts);
  EXPECT_EQ(facts->school_id, "school-1");
  EXPECT_EQ(facts->birth_date, *parse_date("2018-05-01"));

  // g1 now names s2 only, with another gezag: s1 loses g1, which can no longer grant for s1.
  ASSERT_TRUE(index.apply_guardian(test::guardian_doc("g1", {{"s2", "no"}})));
  EXPECT_EQ(guardians("s1"), (List{"g2:unknown+"}));
  EXPECT_EQ(guardians("s2"), (List{"g1:no"}));
  EXPECT_EQ(index.record(test::consent_doc({.id = "c1", .student_id = "s1", .grantors = {"g1"},
                                             .categories = {"health"}}), k_now).status().message(),
            "consent c1: /grantors/0/guardian_id: guardian g1 is not a guardian of student s1, so cannot grant consent");
  ASSERT_TRUE(index.record(test::consent_doc({.id = "c2", .student_id = "s1", .grantors = {"g2"},
                                               .categories = {"health"}}), k_now));
  EXPECT_TRUE(index.decide("s1", k_nurse, "ot_meeting", {"health"}, k_now).permitted("health"));

  // A removed student leaves no link: g1's next document links s1 alone, after g2.
  index.remove_student("s2");
  EXPECT_FALSE(index.find_student("s2"));
  ASSERT_TRUE(index.apply_guardian(test::guardian_doc("g1", {{"s1", "yes"}})));
  EXPECT_EQ(guardians("s1"), (List{"g2:unknown+", "g1:yes"}));
  // A document that names a child twice links it once; the last gezag counts.
  ASSERT_TRUE(index.apply_guardian(test::guardian_doc("g3", {{"s1", "no"}, {"s1", "yes"}})));
  EXPECT_EQ(guardians("s1"), (List{"g2:unknown+", "g1:yes", "g3:yes"}));
  // Without g2, whose gezag carried consent c2, the decision follows at once.
  index.remove_guardian("g2");
  EXPECT_EQ(guardians("s1"), (List{"g1:yes", "g3:yes"}));
  EXPECT_FALSE(index.decide("s1", k_nurse, "ot_meeting", {"health"}, k_now).permitted("health"));
  // The student comes back with its consents gone and no guardian until one links it again.
  ASSERT_TRUE(index.apply_student(test::student_doc("s2", "2016-05-01")));
  EXPECT_EQ(guardians("s2"), List{});
}

// Holding some: the index holds the students with a consent and a bounded number of others, reads
// the rest from the store when asked (admit), and leaves a change to a student it does not hold to
// the store, so that an import of any size does not grow it.
class ConsentIndexHoldSome : public ::testing::Test {
 protected:
  void put(store::Kind kind, const json& doc) {
    const std::string id = doc["id"];
    store_.data_.entities[{int(kind), id}] = store::Entity{kind, id, "school-1", "", "", "", "", true, doc, {}};
  }
  void hold_some(std::size_t others) {
    index_.hold_some(
        [this](const std::string& id) -> Result<std::optional<StudentFacts>> {
          ++reads_;
          if (fail_) return error(ErrorCode::io, "disk gone (injected)");
          auto tx = store_.begin(false);
          if (!tx) return tx.status();
          return ConsentIndex::read_facts(**tx, id);
        },
        others);
    auto tx = store_.begin(false);
    ASSERT_TRUE(tx);
    ASSERT_TRUE(index_.load(**tx));
  }
  bool parent_sees(const std::string& student, const std::string& guardian) {
    const Recipient parent{"", "parent", "Ouder", guardian};
    return index_.decide(student, parent, "calendar", {"identity"}, k_now).permitted("identity");
  }

  test::MemoryStore store_;
  ConsentIndex index_;
  int reads_ = 0;
  bool fail_ = false;
};

TEST_F(ConsentIndexHoldSome, HoldsTheStudentsWithAConsentAndReadsOthersWhenAsked) {
  for (int i = 0; i < 6; ++i) {
    const std::string s = "s" + std::to_string(i);
    put(store::Kind::student, test::student_doc(s, "2018-05-01"));
    put(store::Kind::guardian, test::guardian_doc("g" + std::to_string(i), {{s, "yes"}}));
  }
  put(store::Kind::guardian, test::guardian_doc("g-both", {{"s2", "unknown"}, {"s1", "no"}, {"s2", "yes"}}));
  put(store::Kind::consent, test::consent_doc({.id = "c1", .student_id = "s1", .grantors = {"g1"},
                                               .categories = {"education"}}));
  hold_some(2);
  EXPECT_EQ(index_.student_count(), 1u);  // s1 has a consent; the others stay in the store
  EXPECT_TRUE(index_.holds("s1"));
  EXPECT_FALSE(index_.holds("s2"));
  EXPECT_TRUE(index_.decide("s1", k_nurse, "ot_meeting", {"education"}, k_now).permitted("education"));

  // A change to a student it does not hold is the store's: the index stays as it is.
  ASSERT_TRUE(index_.apply_student(test::student_doc("s2", "2009-01-01")));
  ASSERT_TRUE(index_.apply_guardian(test::guardian_doc("g3", {{"s3", "no"}})));
  EXPECT_EQ(index_.student_count(), 1u);
  EXPECT_FALSE(index_.decide("s2", k_nurse, "ot_meeting", {"education"}, k_now).permitted("education"));
  EXPECT_EQ(index_.decide("s2", k_nurse, "ot_meeting", {"education"}, k_now).find("education")->reason,
            "unknown student s2");

  // Admitted, s2 comes with its guardians from the store, the last mention of it counting.
  ASSERT_TRUE(index_.admit("s2"));
  EXPECT_TRUE(index_.holds("s2"));
  const auto s2 = index_.find_student("s2");
  ASSERT_TRUE(s2);
  ASSERT_EQ(s2->guardians.size(), 2u);
  EXPECT_EQ(s2->guardians[0].guardian_id, "g-both");
  EXPECT_EQ(s2->guardians[0].gezag, Gezag::yes);
  EXPECT_EQ(s2->guardians[1].guardian_id, "g2");
  EXPECT_TRUE(parent_sees("s2", "g-both"));
  EXPECT_TRUE(parent_sees("s2", "g2"));
  EXPECT_FALSE(parent_sees("s2", "g1"));
  const int reads = reads_;
  ASSERT_TRUE(index_.admit("s2"));  // held: no read
  EXPECT_EQ(reads_, reads);

  // Changes to a held student reach the index.
  ASSERT_TRUE(index_.apply_guardian(test::guardian_doc("g2", {{"s2", "no"}})));
  EXPECT_FALSE(parent_sees("s2", "g2"));
  ASSERT_TRUE(index_.apply_guardian(test::guardian_doc("g1", {{"s1", "no"}, {"s2", "yes"}})));
  EXPECT_TRUE(parent_sees("s2", "g1"));
  EXPECT_EQ(index_.decide("s1", k_nurse, "ot_meeting", {"education"}, k_now).find("education")->reason,
            "guardian g1 has no gezag");
  ASSERT_TRUE(index_.apply_guardian(test::guardian_doc("g1", {{"s1", "yes"}})));  // back as it was

  // The second admit after s2 lets go of every student without a consent: s2 and s3 go, s1 stays
  // with its consent and its guardian's link.
  ASSERT_TRUE(index_.admit("s3"));
  EXPECT_EQ(index_.student_count(), 3u);
  ASSERT_TRUE(index_.admit("s4"));
  EXPECT_EQ(index_.student_count(), 2u);
  EXPECT_TRUE(index_.holds("s1"));
  EXPECT_TRUE(index_.holds("s4"));
  EXPECT_FALSE(index_.holds("s2"));
  EXPECT_FALSE(index_.holds("s3"));
  EXPECT_TRUE(index_.decide("s1", k_nurse, "ot_meeting", {"education"}, k_now).permitted("education"));
  EXPECT_TRUE(parent_sees("s1", "g1"));
  EXPECT_EQ(index_.consent_count(), 1u);

  // A student without a record is not held; a consent for a student not held admits it first,
  // and a student with a consent is never let go.
  ASSERT_TRUE(index_.admit("nobody"));
  EXPECT_FALSE(index_.holds("nobody"));
  AuditAppend audit = [](store::Transaction& tx, const ConsentRecord&, const std::string& action) {
    store::AuditRow row;
    row.action = action;
    return tx.append_audit(row);
  };
  ASSERT_TRUE(record_consent(store_, index_, test::consent_doc({.id = "c5", .student_id = "s5", .grantors = {"g5"},
                                                                .categories = {"health"}}), k_now, audit));
  for (const char* s : {"s0", "s2", "s3", "s4", "s0"}) ASSERT_TRUE(index_.admit(s));
  EXPECT_TRUE(index_.holds("s5"));
  EXPECT_TRUE(index_.decide("s5", k_nurse, "ot_meeting", {"health"}, k_now).permitted("health"));
  EXPECT_EQ(index_.consent_count(), 2u);

  // A source that fails says so; nothing held changes.
  fail_ = true;
  EXPECT_EQ(index_.admit("s3").message(), "disk gone (injected)");
  EXPECT_TRUE(index_.holds("s5"));
}

TEST_F(ConsentIndexHoldSome, LoadNamesTheBrokenEntity) {
  put(store::Kind::student, test::student_doc("s1", "2018-05-01"));
  put(store::Kind::guardian, json{{"id", "g1"}, {"children", json::array({json{{"student_id", "s1"}}})}});
  put(store::Kind::consent, test::consent_doc({.id = "c1", .student_id = "s1", .grantors = {"g1"},
                                               .categories = {"education"}}));
  index_.hold_some([](const std::string&) { return Result<std::optional<StudentFacts>>(std::nullopt); }, 1);
  auto tx = store_.begin(false);
  EXPECT_EQ(index_.load(**tx).message(), "guardian g1: /children/0/gezag: must be \"yes\", \"no\" or \"unknown\"");
}
