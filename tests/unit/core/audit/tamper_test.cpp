// Tampering with the SQLite file directly (sqlite3 C API, the store's triggers dropped first) and
// with the checkpoint file: verify must catch each and name the first bad sequence number.
#include <sqlite3.h>

#include <fstream>
#include <sstream>

#include "audit/entry.hpp"
#include "audit_fixture.hpp"

namespace schakel::audit::test {
namespace {

class Tamper : public AuditFixture {
 protected:
  void SetUp() override {
    AuditFixture::SetUp();
    append_n(50);  // checkpoints at 1 (the first entry), 11, 21, 31 and 41
    auto txn = store_->begin(false);
    ASSERT_TRUE(txn);
    auto rows = (*txn)->audit_range(1, 100);
    ASSERT_TRUE(rows);
    rows_ = *rows;
    txn->reset();
    ASSERT_TRUE(verify().ok());
    close_all();
  }

  // Runs SQL on the database file as an attacker with file access would.
  void sql(const std::string& statements) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(db_path().c_str(), &db), SQLITE_OK);
    char* msg = nullptr;
    const std::string all = "DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete; " + statements;
    const int rc = sqlite3_exec(db, all.c_str(), nullptr, nullptr, &msg);
    const std::string text = msg ? msg : "";
    sqlite3_free(msg);
    sqlite3_close(db);
    ASSERT_EQ(rc, SQLITE_OK) << text;
  }

  static std::string q(const std::string& s) {
    std::string out = "'";
    for (char c : s) {
      if (c == '\'') out += '\'';
      out += c;
    }
    return out + "'";
  }

  static std::string insert_sql(const store::AuditRow& r) {
    return "INSERT INTO audit (seq, time, tenant, action, outcome, actor, actor_role, on_behalf_of, subject,"
           " recipient, purpose, processing_activity, categories, consent_ids, payload_sha256, trace_id,"
           " reason, prev_hash, hash) VALUES (" +
           std::to_string(r.seq) + "," + std::to_string(r.time.time_since_epoch().count()) + "," + q(r.tenant) +
           "," + q(r.action) + "," + q(r.outcome) + "," + q(r.actor) + "," + q(r.actor_role) + "," +
           q(r.on_behalf_of) + "," + q(r.subject) + "," + q(r.recipient) + "," + q(r.purpose) + "," +
           q(r.processing_activity) + "," + q(nlohmann::json(r.categories).dump()) + "," +
           q(nlohmann::json(r.consent_ids).dump()) + "," + q(r.payload_sha256) + "," + q(r.trace_id) + "," +
           q(r.reason) + "," + q(r.prev_hash) + "," + q(r.hash) + ");";
  }

  // Moves entries seq >= from one place up, leaving a free seq (two steps: seq is unique).
  static std::string shift_up_from(std::int64_t from) {
    const auto f = std::to_string(from);
    return "UPDATE audit SET seq = -seq - 1 WHERE seq >= " + f + "; UPDATE audit SET seq = -seq WHERE seq < 0;";
  }

  std::vector<std::string> checkpoint_lines() {
    std::ifstream in(checkpoint_path());
    std::vector<std::string> lines;
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    return lines;
  }
  void write_checkpoint_lines(const std::vector<std::string>& lines) {
    std::ofstream out(checkpoint_path(), std::ios::trunc);
    for (const auto& l : lines) out << l << "\n";
  }

  // Reopens and verifies; expects exactly this first finding.
  void expect_first(Problem problem, std::int64_t seq, std::int64_t checkpoint = -1) {
    open_all();
    const auto report = verify();
    ASSERT_FALSE(report.ok()) << "tampering not detected";
    const Finding& f = *report.first();
    EXPECT_EQ(problem_name(f.problem), std::string(problem_name(problem))) << report.summary();
    EXPECT_EQ(f.seq, seq) << report.summary();
    if (checkpoint >= 0) {
      EXPECT_EQ(f.checkpoint, checkpoint) << report.summary();
    }
    EXPECT_NE(report.summary().find("seq " + std::to_string(seq)), std::string::npos) << report.summary();
  }

  std::vector<store::AuditRow> rows_;
};

TEST_F(Tamper, ChangedField) {
  sql("UPDATE audit SET purpose = 'calendar' WHERE seq = 17;");
  expect_first(Problem::changed, 17);
}

TEST_F(Tamper, ChangedCategoriesToSomethingUnreadable) {
  sql("UPDATE audit SET categories = 'not json' WHERE seq = 23;");
  expect_first(Problem::changed, 23);
}

TEST_F(Tamper, ChangedTime) {
  sql("UPDATE audit SET time = time + 1 WHERE seq = 5;");
  expect_first(Problem::changed, 5);
}

TEST_F(Tamper, DeletedRow) {
  sql("DELETE FROM audit WHERE seq = 23;");
  expect_first(Problem::missing, 23);
}

TEST_F(Tamper, DeletedFirstRow) {
  sql("DELETE FROM audit WHERE seq = 1;");
  expect_first(Problem::missing, 1);
}

TEST_F(Tamper, InsertedRowThatChainsProperly) {
  store::AuditRow forged = rows_[28];  // a copy of entry 29, rewritten as a new entry 30
  forged.seq = 30;
  forged.recipient = encode_recipient({"Onbekend", "wijkteam_worker", "X"});
  forged.prev_hash = rows_[28].hash;
  forged.hash = compute_entry_hash(forged);
  sql(shift_up_from(30) + insert_sql(forged));
  expect_first(Problem::inserted, 30);
}

TEST_F(Tamper, InsertedRowWithGarbageHash) {
  store::AuditRow forged = rows_[10];
  forged.seq = 12;
  forged.reason = "inserted";
  forged.hash = std::string(64, 'a');
  sql(shift_up_from(12) + insert_sql(forged));
  expect_first(Problem::inserted, 12);
}

TEST_F(Tamper, SwappedTwoRows) {
  // Exchange the seq numbers of entries 12 and 35: the content of 35 now stands at 12.
  sql("UPDATE audit SET seq = -1 WHERE seq = 12; UPDATE audit SET seq = 12 WHERE seq = 35;"
      " UPDATE audit SET seq = 35 WHERE seq = -1;");
  expect_first(Problem::reordered, 12);
}

TEST_F(Tamper, SwappedNeighbours) {
  sql("UPDATE audit SET seq = -1 WHERE seq = 20; UPDATE audit SET seq = 20 WHERE seq = 21;"
      " UPDATE audit SET seq = 21 WHERE seq = -1;");
  expect_first(Problem::reordered, 20);
}

TEST_F(Tamper, TruncatedTail) {
  sql("DELETE FROM audit WHERE seq > 33;");
  expect_first(Problem::truncated, 34, 5);  // checkpoint 5 records entry 41
  open_all();
  EXPECT_NE(verify().summary().find("truncated after checkpoint 4"), std::string::npos) << verify().summary();
}

TEST_F(Tamper, RewrittenChainIsCaughtByTheCheckpoints) {
  // Change entry 15 and recompute every later hash, as an attacker without the signing key can.
  std::vector<store::AuditRow> rows = rows_;
  rows[14].purpose = "calendar";
  std::string updates;
  for (std::size_t i = 14; i < rows.size(); ++i) {
    rows[i].prev_hash = rows[i - 1].hash;
    rows[i].hash = compute_entry_hash(rows[i]);
    updates += "UPDATE audit SET purpose = " + q(rows[i].purpose) + ", prev_hash = " + q(rows[i].prev_hash) +
               ", hash = " + q(rows[i].hash) + " WHERE seq = " + std::to_string(rows[i].seq) + ";";
  }
  sql(updates);
  expect_first(Problem::changed, 12, 3);  // somewhere after checkpoint 2 (seq 11), up to 21
}

TEST_F(Tamper, CheckpointWithBadSignature) {
  auto lines = checkpoint_lines();
  ASSERT_EQ(lines.size(), 5u);
  auto j = nlohmann::json::parse(lines[1]);
  std::string sig = j["sig"];
  sig[10] = sig[10] == '0' ? '1' : '0';
  j["sig"] = sig;
  lines[1] = j.dump();
  write_checkpoint_lines(lines);
  expect_first(Problem::checkpoint_signature, 11, 2);
}

TEST_F(Tamper, CheckpointWithChangedSeqFailsItsSignature) {
  auto lines = checkpoint_lines();
  auto j = nlohmann::json::parse(lines[2]);
  j["seq"] = 29;
  lines[2] = j.dump();
  write_checkpoint_lines(lines);
  expect_first(Problem::checkpoint_signature, 29, 3);
}

TEST_F(Tamper, CheckpointLineRemoved) {
  auto lines = checkpoint_lines();
  lines.erase(lines.begin() + 2);  // checkpoint 3
  write_checkpoint_lines(lines);
  expect_first(Problem::checkpoint_missing, 12, 3);  // after checkpoint 2 at seq 11
}

TEST_F(Tamper, CheckpointFileRemoved) {
  // Reopening recreates an empty file; an empty file with entries in the log is refused too.
  std::filesystem::remove(checkpoint_path());
  expect_first(Problem::checkpoint_file_missing, 1);
}

}  // namespace
}  // namespace schakel::audit::test
