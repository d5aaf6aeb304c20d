// Appending, chaining, checkpoints, key files and retention, on a real SQLite store.
#include <sys/stat.h>

#include <fstream>
#include <set>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "audit/entry.hpp"
#include "audit/jcs.hpp"
#include "audit_fixture.hpp"

namespace schakel::audit::test {
namespace {

using Chain = AuditFixture;

unsigned file_mode(const std::filesystem::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 0777;
}

TEST(Entry, FastCanonicalFormEqualsJcsOfTheFields) {
  store::AuditRow row;
  row.seq = 42;
  row.time = at("2026-03-04T09:15:00.000123Z");
  row.tenant = "12AB00";
  row.action = "disclose";
  row.outcome = "redacted";
  row.actor = "ib \"Jansen\"\n";
  row.subject = "abc";
  row.recipient = encode_recipient({"GGD", "youth_nurse", "Ünal Çelik"});
  row.categories = {"identity", "health"};
  row.consent_ids = {};
  row.reason = "tab\tand \\ backslash \x01";
  row.prev_hash = std::string(kGenesisHash);
  std::string fast;
  ASSERT_TRUE(append_canonical_entry(row, fast));
  auto slow = canonical_json(entry_fields(row));
  ASSERT_TRUE(slow);
  EXPECT_EQ(fast, *slow);
  EXPECT_NE(fast.find("\"time\":\"2026-03-04T09:15:00.000123Z\""), std::string::npos);
  EXPECT_EQ(compute_entry_hash(row), sha256_hex(row.prev_hash + fast));
  // The search answer's form of the entry: entry_json's dump, hash included, built directly.
  row.hash = compute_entry_hash(row);
  std::string answer = "[";
  ASSERT_TRUE(append_entry_json(row, answer));
  EXPECT_EQ(answer, "[" + entry_json(row).dump());
  const std::string before = answer;
  row.reason = "not UTF-8 \xff";
  EXPECT_FALSE(append_entry_json(row, answer));
  EXPECT_EQ(answer, before);  // left as it was
}

TEST_F(Chain, EntriesChainAndVerify) {
  append_n(25);
  auto txn = store_->begin(false);
  ASSERT_TRUE(txn);
  auto rows = (*txn)->audit_range(1, 100);
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 25u);
  EXPECT_EQ((*rows)[0].prev_hash, kGenesisHash);
  for (std::size_t i = 1; i < rows->size(); ++i) {
    EXPECT_EQ((*rows)[i].seq, static_cast<std::int64_t>(i + 1));
    EXPECT_EQ((*rows)[i].prev_hash, (*rows)[i - 1].hash);
  }
  // The subject is a pseudonym and the payload only a hash.
  EXPECT_EQ((*rows)[0].subject.size(), 64u);
  EXPECT_EQ((*rows)[0].subject.find("student"), std::string::npos);
  EXPECT_EQ((*rows)[0].payload_sha256, sha256_hex("payload number 1"));
  const auto report = verify();
  EXPECT_TRUE(report.ok()) << report.summary();
  EXPECT_EQ(report.entries, 25);
  EXPECT_EQ(report.checkpoints, 3);  // the first entry at once, then every 10: 1, 11, 21
}

TEST_F(Chain, AppendInTheCallersTransactionCommitsWithTheStateChange) {
  {
    auto txn = store_->begin(true);
    ASSERT_TRUE(txn);
    ASSERT_TRUE(writer_->append(**txn, disclosure(1)));
    // Not committed: rolled back with the transaction.
  }
  {
    auto txn = store_->begin(true);
    ASSERT_TRUE(txn);
    store::Entity c;
    c.kind = store::Kind::case_;
    c.id = "case-1";
    c.tenant = "12AB00";
    c.student_id = "student-1";
    c.doc = {{"id", "case-1"}};
    ASSERT_TRUE((*txn)->put(c));
    auto row = writer_->append(**txn, disclosure(2));
    ASSERT_TRUE(row) << row.status().message();
    EXPECT_EQ(row->seq, 1);
    ASSERT_TRUE((*txn)->commit());
  }
  ASSERT_TRUE(writer_->checkpoint_now(*store_));
  EXPECT_TRUE(verify().ok());
}

TEST_F(Chain, ConcurrentGroupCommittedAppendsChainInCommitOrder) {
  constexpr int kThreads = 8, kEach = 40;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t] {
      for (int i = 0; i < kEach; ++i) {
        auto row = writer_->append_durable(*store_, disclosure(t * kEach + i));
        ASSERT_TRUE(row) << row.status().message();
      }
    });
  }
  for (auto& th : threads) th.join();
  const auto report = verify();
  EXPECT_TRUE(report.ok()) << report.summary();
  EXPECT_EQ(report.entries, kThreads * kEach);
  EXPECT_GE(report.checkpoints, 1);
}

// Appends that no thread waits for (the API's audited reads) chain with waited-for ones, each
// reported once it is durable, and are checkpointed like them.
TEST_F(Chain, AsynchronousAppendsChainWithDurableOnes) {
  constexpr int kAsync = 60, kDurable = 20;
  std::mutex mu;
  std::condition_variable cv;
  int reported = 0;
  std::vector<Status> outcomes(kAsync);
  std::thread durable([this] {
    for (int i = 0; i < kDurable; ++i) ASSERT_TRUE(writer_->append_durable(*store_, disclosure(1000 + i)));
  });
  for (int i = 0; i < kAsync; ++i) {
    writer_->append_async(*store_, disclosure(i), [&, i](Status st) {
      std::lock_guard lock(mu);
      outcomes[i] = std::move(st);
      ++reported;
      cv.notify_one();
    });
  }
  durable.join();
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return reported == kAsync; });
  }
  for (const auto& st : outcomes) EXPECT_TRUE(st) << st.message();
  const auto report = verify();
  EXPECT_TRUE(report.ok()) << report.summary();
  EXPECT_EQ(report.entries, kAsync + kDurable);
  EXPECT_GE(report.checkpoints, 1);

  AuditEvent bad = disclosure(1);
  bad.action.clear();
  Status refused;
  writer_->append_async(*store_, bad, [&refused](Status st) { refused = std::move(st); });
  EXPECT_EQ(refused.code(), ErrorCode::invalid);  // refused before anything is queued
}

TEST_F(Chain, CheckpointsByCountAndByTime) {
  close_all();
  std::filesystem::remove(checkpoint_path());
  open_all(1000);  // the count alone would not checkpoint
  append_n(3);
  auto lines = read_checkpoint_file(checkpoint_path());
  ASSERT_TRUE(lines);
  EXPECT_EQ(lines->size(), 1u);  // the first entry: an hour since "never"
  clock_.advance(std::chrono::seconds{3601});
  ASSERT_TRUE(writer_->checkpoint_if_due(*store_));
  lines = read_checkpoint_file(checkpoint_path());
  ASSERT_TRUE(lines);
  ASSERT_EQ(lines->size(), 2u);
  EXPECT_EQ(lines->back().checkpoint->seq, 3);
  EXPECT_EQ(lines->back().checkpoint->n, 2);
  ASSERT_TRUE(writer_->checkpoint_if_due(*store_));  // nothing new: no line
  lines = read_checkpoint_file(checkpoint_path());
  EXPECT_EQ(lines->size(), 2u);
}

TEST_F(Chain, AFailedCheckpointKeepsTheAppendAndIsRetried) {
  std::filesystem::remove(checkpoint_path());
  std::filesystem::create_directory(checkpoint_path());  // the file cannot be opened for writing
  auto row = writer_->append_durable(*store_, disclosure(1));
  ASSERT_TRUE(row) << row.status().message();
  const Status health = writer_->checkpoint_health();
  ASSERT_FALSE(health);
  EXPECT_NE(health.message().find("audit.checkpoints"), std::string::npos) << health.message();
  std::filesystem::remove(checkpoint_path());
  ASSERT_TRUE(writer_->append_durable(*store_, disclosure(2)));
  EXPECT_TRUE(writer_->checkpoint_health()) << writer_->checkpoint_health().message();
  const auto report = verify();
  EXPECT_TRUE(report.ok()) << report.summary();
  EXPECT_EQ(report.entries, 2);
}

TEST_F(Chain, KeysLiveOutsideTheDatabaseWithMode0600) {
  append_n(1);
  EXPECT_EQ(file_mode(key_dir() / "tenant-12AB00.key"), 0600u);
  EXPECT_EQ(file_mode(key_dir() / "audit-signing.key"), 0600u);
  EXPECT_EQ(std::filesystem::file_size(key_dir() / "tenant-12AB00.key"), 32u);
  // Pseudonyms are stable across restarts (the key is read back, not regenerated) and differ
  // per tenant.
  auto p1 = writer_->keys().pseudonym("12AB00", "student-1");
  close_all();
  open_all();
  auto p2 = writer_->keys().pseudonym("12AB00", "student-1");
  auto other = writer_->keys().pseudonym("34CD01", "student-1");
  ASSERT_TRUE(p1 && p2 && other);
  EXPECT_EQ(*p1, *p2);
  EXPECT_NE(*p1, *other);
  EXPECT_FALSE(writer_->keys().pseudonym("../etc", "x"));
}

TEST_F(Chain, RefusesEntriesWithoutActionOrTenant) {
  AuditEvent e = disclosure(1);
  e.action.clear();
  auto r = writer_->append_durable(*store_, e);
  ASSERT_FALSE(r);
  EXPECT_NE(r.status().message().find("action"), std::string::npos);
  e = disclosure(1);
  e.reason = std::string("\xFF");
  EXPECT_FALSE(writer_->append_durable(*store_, e));
}

// Retention: deleting a case (or any entity) never deletes the entries that record it.
TEST_F(Chain, RemovingACaseLeavesItsAuditEntriesIntact) {
  {
    auto txn = store_->begin(true);
    ASSERT_TRUE(txn);
    store::Entity c;
    c.kind = store::Kind::case_;
    c.id = "case-7";
    c.tenant = "12AB00";
    c.student_id = "student-3";
    c.doc = {{"id", "case-7"}};
    ASSERT_TRUE((*txn)->put(c));
    AuditEvent e = disclosure(3);
    e.action = "case.record";
    ASSERT_TRUE(writer_->append(**txn, e));
    ASSERT_TRUE((*txn)->commit());
  }
  append_n(4);
  {
    auto txn = store_->begin(true);
    ASSERT_TRUE(txn);
    ASSERT_TRUE((*txn)->remove(store::Kind::case_, "case-7"));
    AuditEvent e = disclosure(3);
    e.action = "case.remove";
    ASSERT_TRUE(writer_->append(**txn, e));
    ASSERT_TRUE((*txn)->commit());
  }
  auto txn = store_->begin(false);
  ASSERT_TRUE(txn);
  auto rows = (*txn)->audit_range(1, 100);
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 6u);
  EXPECT_EQ(rows->front().action, "case.record");
  EXPECT_EQ(rows->back().action, "case.remove");
  txn->reset();
  EXPECT_TRUE(verify().ok());
}

}  // namespace
}  // namespace schakel::audit::test
