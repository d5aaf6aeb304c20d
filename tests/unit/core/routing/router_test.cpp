// Firing routes: projection, gate, and the audit entry with the outbox row in one transaction.
#include <gtest/gtest.h>

#include "../outbox/fixture.hpp"
#include "outbox/engine.hpp"
#include "routing/router.hpp"

namespace schakel::test {
namespace {

using namespace std::chrono_literals;
using outbox::GateOutcome;
using routing::Event;
using store::OutboxState;

struct RouterFixture : ::testing::Test {
  StoreFixture f;
  ManualClock clock{t0()};
  TestGate gate;
  TestAuditSink audit;
  routing::StoreProjector projector;
  int woken = 0;

  routing::Router router(std::vector<outbox::RouteSpec> routes) {
    return routing::Router(*f.store, clock, gate, audit, projector, std::move(routes),
                           [this] { ++woken; });
  }
  static Event queued(const std::string& id) { return {"referral.queued", id, "", "", "trace-1", "ib:fatima", ""}; }
};

TEST_F(RouterFixture, AuditEntryAndOutboxRowAreWrittenTogether) {
  f.seed_referral("ref_1", 3);
  auto r = router({referral_route()});
  auto out = r.fire(queued("ref_1"));
  ASSERT_TRUE(out) << out.status().message();
  ASSERT_EQ(out->size(), 1U);
  EXPECT_EQ(out->front().outcome, GateOutcome::permitted);
  EXPECT_EQ(woken, 1);

  const auto items = f.outbox();
  ASSERT_EQ(items.size(), 1U);
  const auto& it = items[0];
  EXPECT_EQ(it.id, out->front().outbox_id);
  EXPECT_EQ(it.connector, "swv-portal");
  EXPECT_EQ(it.student_id, "stu_1");
  EXPECT_EQ(it.tenant, "12AB00");
  EXPECT_EQ(it.state, OutboxState::pending);
  const auto doc = nlohmann::json::parse(it.document);
  EXPECT_EQ(doc["referral"]["id"], "ref_1");
  EXPECT_EQ(doc["student"]["naam"]["voornamen"], "Zoë");
  EXPECT_EQ(doc["school"]["brin"], "12AB");
  EXPECT_EQ(it.document, doc.dump());  // stored exactly as it is sent
  EXPECT_EQ(it.schema_name, "projection/referral");

  const auto rows = f.audit();
  ASSERT_EQ(rows.size(), 1U);
  EXPECT_EQ(rows[0].action, "disclose");
  EXPECT_EQ(rows[0].outcome, "permitted");
  EXPECT_EQ(rows[0].actor, "ib:fatima");
  EXPECT_EQ(rows[0].purpose, "swv_request");
  EXPECT_EQ(rows[0].payload_sha256, outbox::sha256_hex(it.document));
  EXPECT_EQ(nlohmann::json::parse(rows[0].recipient)["name"], "Loket arrangementen");
  EXPECT_NE(rows[0].reason.find("[outbox " + std::to_string(it.id) + "]"), std::string::npos);
}

TEST_F(RouterFixture, AFailingAuditAppendRollsBackTheOutboxRow) {
  f.seed_referral("ref_1", 3);
  auto r = router({referral_route()});
  audit.fail = true;
  auto out = r.fire(queued("ref_1"));
  ASSERT_FALSE(out);
  EXPECT_NE(out.status().message().find("audit log unavailable"), std::string::npos);
  EXPECT_TRUE(f.outbox().empty());
  EXPECT_TRUE(f.audit().empty());
  EXPECT_EQ(woken, 0);
  // Once the audit log works again, firing again queues it.
  audit.fail = false;
  ASSERT_TRUE(r.fire(queued("ref_1")));
  EXPECT_EQ(f.outbox().size(), 1U);
}

TEST_F(RouterFixture, TheIdempotencyKeyIsStableAndFollowsTheVersion) {
  f.seed_referral("ref_1", 3);
  auto r = router({referral_route()});
  auto first = r.fire(queued("ref_1"));
  auto again = r.fire(queued("ref_1"));
  ASSERT_TRUE(first && again);
  EXPECT_EQ(first->front().idempotency_key, again->front().idempotency_key);
  EXPECT_TRUE(again->front().duplicate);
  EXPECT_EQ(f.outbox().size(), 1U);
  EXPECT_EQ(f.audit().size(), 1U);  // the repeat wrote nothing
  // The same inputs give the same key in every process and release.
  EXPECT_EQ(first->front().idempotency_key, outbox::idempotency_key("referral-to-swv", "ref_1", "3"));
  EXPECT_EQ(outbox::idempotency_key("referral-to-swv", "ref_1", "3"),
            "referral-to-swv-" + outbox::sha256_hex("schakel-outbox-v1\n15:referral-to-swv\n5:ref_1\n1:3").substr(0, 32));
  EXPECT_NE(outbox::idempotency_key("r", "a:b", "c"), outbox::idempotency_key("r", "a", "b:c"));

  f.seed_referral("ref_1", 4);  // a new version is a new disclosure
  auto newer = r.fire(queued("ref_1"));
  ASSERT_TRUE(newer);
  EXPECT_NE(newer->front().idempotency_key, first->front().idempotency_key);
  EXPECT_EQ(f.outbox().size(), 2U);
}

TEST_F(RouterFixture, ABlockedDocumentWritesOnlyTheAuditEntry) {
  f.seed_referral("ref_1", 3);
  gate.deny("identity");
  auto r = router({referral_route("swv-portal", outbox::DeniedPolicy::block)});
  auto out = r.fire(queued("ref_1"));
  ASSERT_TRUE(out);
  EXPECT_EQ(out->front().outcome, GateOutcome::blocked);
  EXPECT_EQ(out->front().outbox_id, 0);
  EXPECT_TRUE(f.outbox().empty());
  const auto rows = f.audit();
  ASSERT_EQ(rows.size(), 1U);
  EXPECT_EQ(rows[0].outcome, "blocked");
  EXPECT_EQ(rows[0].reason, "no consent for category identity");
  EXPECT_EQ(rows[0].categories, std::vector<std::string>{"identity"});
  EXPECT_EQ(woken, 0);
}

TEST_F(RouterFixture, ARedactedDocumentIsStoredWithoutTheDeniedPart) {
  f.seed_referral("ref_1", 3);
  gate.deny("identity");
  auto r = router({referral_route("swv-portal", outbox::DeniedPolicy::redact)});
  auto out = r.fire(queued("ref_1"));
  ASSERT_TRUE(out);
  EXPECT_EQ(out->front().outcome, GateOutcome::redacted);
  const auto items = f.outbox();
  ASSERT_EQ(items.size(), 1U);
  EXPECT_FALSE(nlohmann::json::parse(items[0].document).contains("student"));
  EXPECT_EQ(items[0].categories, std::vector<std::string>{"case"});
  EXPECT_EQ(f.audit_count("disclose", "redacted"), 1);
}

TEST_F(RouterFixture, OnlyTheNamedEventFiresARoute) {
  f.seed_referral("ref_1", 3);
  f.put(store::Kind::case_, "cas_1", "stu_1",
        {{"id", "cas_1"}, {"school_id", "sch_1"}, {"student_id", "stu_1"}, {"stage", "ot"}, {"version", 1}});
  outbox::RouteSpec stage = referral_route();
  stage.id = "case-at-ot";
  stage.trigger = "case.stage_reached";
  stage.stage = "ot";
  stage.projection = "case";
  auto r = router({referral_route(), stage});
  auto none = r.fire({"referral.supplement_answered", "ref_1", "", "", "", "system", ""});
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  auto other_stage = r.fire({"case.stage_reached", "cas_1", "", "vot", "", "system", ""});
  ASSERT_TRUE(other_stage);
  EXPECT_TRUE(other_stage->empty());
  auto at_ot = r.fire({"case.stage_reached", "cas_1", "", "ot", "", "system", ""});
  ASSERT_TRUE(at_ot);
  ASSERT_EQ(at_ot->size(), 1U);
  EXPECT_EQ(at_ot->front().route_id, "case-at-ot");
  EXPECT_EQ(nlohmann::json::parse(f.outbox()[0].document)["case"]["stage"], "ot");
}

TEST_F(RouterFixture, AMissingEntityIsAClearError) {
  auto r = router({referral_route()});
  auto out = r.fire(queued("ref_404"));
  ASSERT_FALSE(out);
  EXPECT_EQ(out.status().code(), ErrorCode::not_found);
  EXPECT_NE(out.status().message().find("route referral-to-swv: referral ref_404 not found"), std::string::npos)
      << out.status().message();
}

TEST_F(RouterFixture, FromTriggerToDestination) {
  f.seed_referral("ref_1", 3);
  TestDestination dest;
  outbox::DeliveryOptions o;
  o.seed = 1;
  outbox::DeliveryEngine engine(*f.store, clock, gate, audit, o);
  engine.add_destination("swv-portal", dest, {1, 10, 1});
  auto r = router({referral_route()});
  ASSERT_TRUE(r.fire(queued("ref_1")));
  auto done = engine.run_due("swv-portal", 10);
  ASSERT_TRUE(done);
  ASSERT_EQ(done->size(), 1U);
  EXPECT_EQ(done->front().state, OutboxState::delivered);
  ASSERT_EQ(dest.calls().size(), 1U);
  EXPECT_EQ(dest.calls()[0].bytes, f.outbox()[0].document);
  EXPECT_EQ(dest.calls()[0].key, outbox::idempotency_key("referral-to-swv", "ref_1", "3"));
  EXPECT_EQ(f.audit_count("deliver", "delivered"), 1);
}

}  // namespace
}  // namespace schakel::test
