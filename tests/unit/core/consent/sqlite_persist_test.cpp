// Consent changes through the real SQLite store: what record_consent and withdraw_consent write
// survives closing and reopening the file, and an index loaded from the reopened store decides
// exactly as the index that made the changes.
#include <gtest/gtest.h>

#include "consent/consent_index.hpp"
#include "consent/persist.hpp"
#include "fixtures.hpp"
#include "store/store.hpp"
#include "temp_dir.hpp"

using namespace schakel;
using namespace schakel::consent;
using test::json;

namespace {

const TimePoint k_now = test::at_utc("2026-03-04T10:00:00Z");
const Recipient k_nurse{"GGD", "youth_nurse", "A. Bos", ""};
const Recipient k_swv{"SWV PO2701", "education_specialist", "C. Smit", ""};

std::unique_ptr<store::Store> open_store(const std::filesystem::path& file) {
  auto s = store::open_sqlite({file, 5000, true});
  if (!s) throw std::runtime_error(s.status().message());
  return std::move(s.value());
}

Status put(store::Store& s, store::Kind kind, const std::string& id, const std::string& student, const json& doc) {
  return s.write([&](store::Transaction& tx) {
    return tx.put(store::Entity{kind, id, "school-1", student, "", "", "", true, doc, k_now});
  });
}

// Every decision the test asks about, as text, so two indexes can be compared whole.
std::string decisions(const ConsentIndex& index) {
  std::string out;
  for (const std::string student : {"s1", "s2"}) {
    for (const auto& recipient : {k_nurse, k_swv}) {
      for (const std::string purpose : {"ot_meeting", "swv_request"}) {
        auto d = index.decide(student, recipient, purpose, {"education", "health", "family"}, k_now, "consent");
        out += student + " " + recipient.role + " " + purpose + ": " + to_json(d).dump() + "\n";
      }
    }
  }
  return out;
}

}  // namespace

TEST(ConsentSqlite, ChangesSurviveAReopenAndDecideTheSame) {
  test::TempDir dir;
  const auto file = dir.path() / "schakel.db";
  ConsentIndex index;
  std::vector<std::string> actions;
  const AuditAppend audit = [&](store::Transaction& tx, const ConsentRecord& c, const std::string& action) {
    store::AuditRow row;
    row.action = action;
    row.consent_ids = {c.id};
    actions.push_back(action);
    return tx.append_audit(row);
  };
  {
    auto s = open_store(file);
    ASSERT_TRUE(put(*s, store::Kind::student, "s1", "s1", test::student_doc("s1", "2016-05-01")));
    ASSERT_TRUE(put(*s, store::Kind::student, "s2", "s2", test::student_doc("s2", "2015-02-11")));
    ASSERT_TRUE(put(*s, store::Kind::guardian, "g1", "", test::guardian_doc("g1", {{"s1", "yes"}, {"s2", "yes"}})));
    {
      auto tx = s->begin(false);
      ASSERT_TRUE(tx);
      ASSERT_TRUE(index.load(**tx));
    }
    for (const auto& spec : {test::ConsentSpec{.id = "c1", .student_id = "s1", .grantors = {"g1"},
                                               .categories = {"education", "health"}},
                             test::ConsentSpec{.id = "c2", .student_id = "s1", .grantors = {"g1"},
                                               .categories = {"education"}, .purposes = {"swv_request"},
                                               .role = "education_specialist", .organisation = "SWV PO2701"},
                             test::ConsentSpec{.id = "c3", .student_id = "s2", .grantors = {"g1"},
                                               .categories = {"family"}}}) {
      auto rec = record_consent(*s, index, test::consent_doc(spec), k_now, audit);
      ASSERT_TRUE(rec) << rec.status().message();
    }
    auto w = withdraw_consent(*s, index, "c3", {GrantorKind::guardian, "g1"}, k_now, "parents moved", audit);
    ASSERT_TRUE(w) << w.status().message();
  }
  EXPECT_EQ(actions, (std::vector<std::string>{"consent.record", "consent.record", "consent.record",
                                               "consent.withdraw"}));
  // The index that made the changes permits what was recorded and no longer what was withdrawn.
  EXPECT_TRUE(index.decide("s1", k_nurse, "ot_meeting", {"health"}, k_now).permitted("health"));
  EXPECT_FALSE(index.decide("s2", k_nurse, "ot_meeting", {"family"}, k_now).permitted("family"));

  auto reopened = open_store(file);
  ConsentIndex reloaded;
  auto tx = reopened->begin(false);
  ASSERT_TRUE(tx);
  ASSERT_TRUE(reloaded.load(**tx));
  EXPECT_EQ(reloaded.consent_count(), 3u);
  ASSERT_TRUE(reloaded.find_consent("c3"));
  EXPECT_TRUE(reloaded.find_consent("c3")->withdrawn);
  EXPECT_TRUE(reloaded.decide("s1", k_swv, "swv_request", {"education"}, k_now).permitted("education"));
  EXPECT_FALSE(reloaded.decide("s1", k_swv, "swv_request", {"health"}, k_now).permitted("health"));
  EXPECT_EQ(decisions(reloaded), decisions(index));
  // Both the changes and their audit entries are in the file.
  auto rows = (*tx)->audit_range(1, 100);
  ASSERT_TRUE(rows);
  EXPECT_EQ(rows->size(), 4u);
}
