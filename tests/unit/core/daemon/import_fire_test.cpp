// RecordImporter firing the events of an import batch with one Router::fire_all (the daemon's
// fire_all_through), against a real SQLite store and a real Router: the events wait until the
// connector's flush (which the plugin host runs before a cursor moves), fire together in one
// group commit, and a failure to fire is reported by that flush, so the cursor stays and the
// records' repeat queues what was missing, nothing twice.
#include <gtest/gtest.h>

#include "../outbox/fixture.hpp"
#include "audit/audit_writer.hpp"
#include "daemon/pipeline.hpp"
#include "routing/router.hpp"
#include "store/sqlite_store.hpp"

namespace schakel::daemon {
namespace {

using nlohmann::json;

json queued_referral(const std::string& id, int version) {
  return {{"source_key", id},
          {"source_version", std::to_string(version)},
          {"source", "portal"},
          {"active", true},
          {"record", {{"id", id}, {"school_id", "sch_1"}, {"student_id", "stu_1"}, {"type", "arrangement"},
                      {"question", "Welke ondersteuning helpt?"}, {"status", "queued"}, {"version", version}}}};
}

class ImportFireTest : public ::testing::Test {
 protected:
  void SetUp() override {
    f_.seed_referral("ref_seed", 1);  // school sch_1 and student stu_1, which projections read
    auto a = audit::AuditWriter::open({f_.dir.path() / "keys", f_.dir.path() / "audit.checkpoints", 1000,
                                       std::chrono::seconds{300}, &clock_});
    ASSERT_TRUE(a.is_ok()) << a.status().message();
    writer_ = std::move(*a);
    importer_ = std::make_unique<RecordImporter>(*f_.store, *writer_, consent_, clock_);
    importer_->set_batch_size(RecordImporter::k_daemon_batch);  // as the daemon runs it
    auto fire = fire_all_through(router_);
    importer_->set_fire_all([this, fire](const std::vector<RecordImporter::ImportEvent>& events) {
      calls_.push_back(events.size());
      {
        auto tx = f_.store->begin(false);
        for (const auto& e : events) {
          auto stored = (*tx)->get(store::Kind::referral, e.entity_id);
          if (!stored || !*stored) ++unstored_at_fire_;
        }
      }
      return fire(events);
    });
  }
  std::int64_t commits() { return dynamic_cast<store::sqlite::SqliteStore&>(*f_.store).batches_committed(); }
  void import_referrals(int n, int version = 1) {
    for (int i = 0; i < n; ++i)
      ASSERT_TRUE(importer_->import("portal", "queued_referrals", queued_referral("ref_" + std::to_string(i), version)));
  }

  test::StoreFixture f_;
  ManualClock clock_{test::t0()};
  std::unique_ptr<audit::AuditWriter> writer_;
  ConsentService consent_;
  test::TestGate gate_;
  test::TestAuditSink audit_;
  routing::StoreProjector projector_;
  int woken_ = 0;
  routing::Router router_{*f_.store, clock_, gate_, audit_, projector_, {test::referral_route()}, [this] { ++woken_; }};
  std::unique_ptr<RecordImporter> importer_;
  std::vector<std::size_t> calls_;  // events per fire_all call
  int unstored_at_fire_ = 0;        // events fired before their record was stored
};

TEST_F(ImportFireTest, ABatchOfQueuedReferralsFiresOnceAtFlushAndQueuesOneRowEach) {
  constexpr int n = 40;
  import_referrals(n);
  EXPECT_TRUE(f_.outbox().empty()) << "the events wait for the flush";
  const auto before = commits();
  ASSERT_TRUE(importer_->flush("portal"));
  EXPECT_EQ(commits() - before, 2) << "one commit for the records, then one for all the events' entries and rows";
  ASSERT_EQ(calls_, std::vector<std::size_t>{n});
  EXPECT_EQ(unstored_at_fire_, 0) << "the records are stored before their events fire";
  const auto rows = f_.outbox();
  ASSERT_EQ(rows.size(), static_cast<std::size_t>(n));
  std::set<std::string> keys;
  for (const auto& r : rows) keys.insert(r.idempotency_key);
  EXPECT_EQ(keys.size(), static_cast<std::size_t>(n));
  EXPECT_EQ(f_.audit_count("disclose", "permitted"), n);
  EXPECT_EQ(woken_, 1) << "the delivery engine is woken once for the batch";
  EXPECT_TRUE(importer_->flush("portal"));
  EXPECT_EQ(calls_.size(), 1U) << "nothing left to fire";
}

TEST_F(ImportFireTest, AFailureToFireIsReportedByTheFlushAndTheRepeatQueuesEachOnce) {
  constexpr int n = 10;
  import_referrals(n);
  audit_.fail = true;  // the router's audit entries cannot be written: nothing is queued
  const Status st = importer_->flush("portal");
  ASSERT_FALSE(st) << "the host's state_put refuses the cursor on this";
  EXPECT_NE(st.message().find("referral.queued ref_0 not fired"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("and 9 more"), std::string::npos) << st.message();
  EXPECT_TRUE(f_.outbox().empty());
  EXPECT_TRUE(importer_->flush("portal")) << "a failure is reported once";

  // The cursor did not move: the source repeats its records, and their events fire again.
  audit_.fail = false;
  import_referrals(n);
  ASSERT_TRUE(importer_->flush("portal"));
  EXPECT_EQ(f_.outbox().size(), static_cast<std::size_t>(n));
  import_referrals(n);  // a repeat after a crash past the commit, before the cursor moved
  ASSERT_TRUE(importer_->flush("portal"));
  EXPECT_EQ(f_.outbox().size(), static_cast<std::size_t>(n)) << "the idempotency keys queue nothing twice";
}

TEST_F(ImportFireTest, AFullBatchOfEventsFiresWithoutWaitingForTheFlush) {
  importer_->set_batch_size(4);
  import_referrals(9);
  EXPECT_EQ(calls_, (std::vector<std::size_t>{4, 4}));
  EXPECT_EQ(f_.outbox().size(), 8U);
  ASSERT_TRUE(importer_->flush("portal"));
  EXPECT_EQ(calls_, (std::vector<std::size_t>{4, 4, 1}));
  EXPECT_EQ(f_.outbox().size(), 9U);
}

TEST_F(ImportFireTest, AnEntityImportedTwiceInABatchFiresEachVersionAsItWasImported) {
  import_referrals(1, 1);
  import_referrals(1, 2);  // the kept event of version 1 fires before version 2 is stored
  ASSERT_TRUE(importer_->flush("portal"));
  const auto rows = f_.outbox();
  ASSERT_EQ(rows.size(), 2U);
  EXPECT_NE(rows[0].idempotency_key, rows[1].idempotency_key);
  EXPECT_EQ(json::parse(rows[0].document)["referral"]["version"], 1);
  EXPECT_EQ(json::parse(rows[1].document)["referral"]["version"], 2);
}

TEST_F(ImportFireTest, WithoutBatchingEachEventFiresBeforeImportReturns) {
  importer_->set_batch_size(1);
  import_referrals(3);
  EXPECT_EQ(calls_, (std::vector<std::size_t>{1, 1, 1}));
  EXPECT_EQ(f_.outbox().size(), 3U);
}

}  // namespace
}  // namespace schakel::daemon
