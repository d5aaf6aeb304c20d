// Router::fire_all: many events decided together and written in one group commit, each event
// with the same outcome fire() would give it, and one bad event never holding back the others.
#include <gtest/gtest.h>

#include "../outbox/fixture.hpp"
#include "routing/router.hpp"
#include "store/sqlite_store.hpp"

namespace schakel::test {
namespace {

using outbox::GateOutcome;
using routing::Event;

// The test audit sink, refusing the entries of one trace (a fault inside the shared write).
class TraceFailingAudit final : public outbox::AuditSink {
 public:
  std::string refuse_trace;
  Status append(store::Transaction& tx, const outbox::AuditEvent& e) override {
    if (!refuse_trace.empty() && e.trace_id == refuse_trace) return {ErrorCode::io, "audit refused (test)"};
    return inner_.append(tx, e);
  }

 private:
  TestAuditSink inner_;
};

struct RouterBatchFixture : ::testing::Test {
  StoreFixture f;
  ManualClock clock{t0()};
  TestGate gate;
  TraceFailingAudit audit;
  routing::StoreProjector projector;
  int woken = 0;

  routing::Router router() {
    return routing::Router(*f.store, clock, gate, audit, projector, {referral_route()}, [this] { ++woken; });
  }
  std::int64_t commits() { return dynamic_cast<store::sqlite::SqliteStore&>(*f.store).batches_committed(); }
  static Event queued(const std::string& id, const std::string& trace = "") {
    return {"referral.queued", id, "", "", trace.empty() ? "trace-" + id : trace, "ib:fatima", ""};
  }
};

TEST_F(RouterBatchFixture, ManyEventsShareOneGroupCommit) {
  std::vector<Event> events;
  for (int i = 0; i < 20; ++i) {
    f.seed_referral("ref_" + std::to_string(i), 1);
    events.push_back(queued("ref_" + std::to_string(i)));
  }
  auto r = router();
  const auto before = commits();
  const auto out = r.fire_all(events);
  EXPECT_EQ(commits() - before, 1);  // one durable commit (one fsync) for all twenty
  ASSERT_EQ(out.size(), events.size());
  for (std::size_t i = 0; i < out.size(); ++i) {
    ASSERT_TRUE(out[i]) << i << ": " << out[i].status().message();
    ASSERT_EQ(out[i]->size(), 1U);
    EXPECT_EQ(out[i]->front().outcome, GateOutcome::permitted);
    EXPECT_NE(out[i]->front().outbox_id, 0);
    EXPECT_FALSE(out[i]->front().duplicate);
    EXPECT_EQ(out[i]->front().idempotency_key,
              outbox::idempotency_key("referral-to-swv", "ref_" + std::to_string(i), "1"));
  }
  EXPECT_EQ(woken, 1);
  const auto items = f.outbox();
  const auto rows = f.audit();
  ASSERT_EQ(items.size(), 20U);
  ASSERT_EQ(rows.size(), 20U);
  // Each entry belongs to its own row: the trace and the payload hash match, in event order.
  for (std::size_t i = 0; i < items.size(); ++i) {
    EXPECT_EQ(items[i].trace_id, "trace-ref_" + std::to_string(i));
    EXPECT_EQ(rows[i].trace_id, items[i].trace_id);
    EXPECT_EQ(rows[i].payload_sha256, outbox::sha256_hex(items[i].document));
    EXPECT_NE(rows[i].reason.find("[outbox " + std::to_string(items[i].id) + "]"), std::string::npos);
  }
}

TEST_F(RouterBatchFixture, AMissingEntityFailsOnlyItsOwnEvent) {
  f.seed_referral("ref_1", 1);
  f.seed_referral("ref_2", 1);
  auto r = router();
  const auto out = r.fire_all({queued("ref_1"), queued("ref_gone"), queued("ref_2")});
  ASSERT_EQ(out.size(), 3U);
  EXPECT_TRUE(out[0]);
  ASSERT_FALSE(out[1]);
  EXPECT_EQ(out[1].status().code(), ErrorCode::not_found);
  EXPECT_NE(out[1].status().message().find("route referral-to-swv"), std::string::npos);
  EXPECT_NE(out[1].status().message().find("ref_gone"), std::string::npos);
  EXPECT_TRUE(out[2]);
  EXPECT_EQ(f.outbox().size(), 2U);
  EXPECT_EQ(f.audit().size(), 2U);
}

TEST_F(RouterBatchFixture, AFailingWriteFallsBackToOneEventAtATime) {
  for (const char* id : {"ref_1", "ref_2", "ref_3"}) f.seed_referral(id, 1);
  audit.refuse_trace = "trace-ref_2";
  auto r = router();
  const auto out = r.fire_all({queued("ref_1"), queued("ref_2"), queued("ref_3")});
  ASSERT_EQ(out.size(), 3U);
  ASSERT_TRUE(out[0]) << out[0].status().message();
  ASSERT_FALSE(out[1]);
  EXPECT_NE(out[1].status().message().find("audit refused"), std::string::npos);
  ASSERT_TRUE(out[2]) << out[2].status().message();
  // The refused event left neither its row nor its entry; the others are written exactly once,
  // and the ids they report are the rows that exist.
  const auto items = f.outbox();
  ASSERT_EQ(items.size(), 2U);
  EXPECT_EQ(items[0].id, out[0]->front().outbox_id);
  EXPECT_EQ(items[1].id, out[2]->front().outbox_id);
  EXPECT_EQ(items[0].trace_id, "trace-ref_1");
  EXPECT_EQ(items[1].trace_id, "trace-ref_3");
  EXPECT_EQ(f.audit().size(), 2U);
  EXPECT_EQ(woken, 1);
}

TEST_F(RouterBatchFixture, TheSameEventTwiceInOneBatchIsQueuedOnce) {
  f.seed_referral("ref_1", 1);
  auto r = router();
  const auto out = r.fire_all({queued("ref_1"), queued("ref_1")});
  ASSERT_TRUE(out[0] && out[1]);
  EXPECT_FALSE(out[0]->front().duplicate);
  EXPECT_TRUE(out[1]->front().duplicate);
  EXPECT_EQ(out[0]->front().outbox_id, out[1]->front().outbox_id);
  EXPECT_EQ(f.outbox().size(), 1U);
  EXPECT_EQ(f.audit().size(), 1U);  // the repeat wrote nothing
}

TEST_F(RouterBatchFixture, BlockedEventsInOneBatchWriteOnlyTheirAuditEntries) {
  f.seed_referral("ref_1", 1);
  f.put(store::Kind::student, "stu_2", "stu_2", {{"id", "stu_2"}, {"school_id", "sch_1"}});
  f.put(store::Kind::referral, "ref_2", "stu_2",
        {{"id", "ref_2"}, {"school_id", "sch_1"}, {"student_id", "stu_2"}, {"version", 1}});
  gate.deny("identity");  // the student part: blocked under the block policy
  routing::Router r(*f.store, clock, gate, audit, projector,
                    {referral_route("swv-portal", outbox::DeniedPolicy::block)}, [this] { ++woken; });
  const auto out = r.fire_all({queued("ref_1"), queued("ref_2")});
  ASSERT_TRUE(out[0] && out[1]);
  EXPECT_EQ(out[0]->front().outcome, GateOutcome::blocked);
  EXPECT_EQ(out[1]->front().outcome, GateOutcome::blocked);
  EXPECT_TRUE(f.outbox().empty());
  const auto rows = f.audit();
  ASSERT_EQ(rows.size(), 2U);
  EXPECT_EQ(rows[0].outcome, "blocked");
  EXPECT_EQ(rows[1].outcome, "blocked");
  EXPECT_EQ(woken, 0);
}

TEST_F(RouterBatchFixture, AnEmptyBatchWritesNothing) {
  auto r = router();
  const auto before = commits();
  EXPECT_TRUE(r.fire_all({}).empty());
  const auto none = r.fire_all({{"meeting.planned", "mtg_1", "", "", "", "system", ""}});  // no route
  ASSERT_TRUE(none.size() == 1 && none[0]);
  EXPECT_TRUE(none[0]->empty());
  EXPECT_EQ(commits(), before);
  EXPECT_TRUE(f.audit().empty());
  EXPECT_EQ(woken, 0);
}

}  // namespace
}  // namespace schakel::test
