// Consent at delivery time: the re-check before each attempt, withdrawal, revocation, replay.
#include <gtest/gtest.h>

#include "fixture.hpp"
#include "outbox/engine.hpp"

namespace schakel::test {
namespace {

using namespace std::chrono_literals;
using outbox::DeliveryOutcome;
using outbox::DeliveryResult;
using store::OutboxState;

struct ConsentFixture : ::testing::Test {
  StoreFixture f;
  ManualClock clock{t0()};
  TestGate gate;
  TestAuditSink audit;
  TestDestination dest{true};
  outbox::DeliveryEngine engine{*f.store, clock, gate, audit, options()};

  static outbox::DeliveryOptions options() {
    outbox::DeliveryOptions o;
    o.backoff_initial = 100ms;
    o.backoff_max = 100ms;
    o.seed = 7;
    return o;
  }
  void SetUp() override { engine.add_destination("swv-portal", dest, {2, 1000, 0}); }
};

TEST_F(ConsentFixture, AnItemWaitingInBackoffIsDroppedOnWithdrawalAndNeverArrives) {
  dest.script([](const std::string&, int call) -> DeliveryResult {
    if (call == 1) return {DeliveryOutcome::retry, "503", 1s, {}};
    return {};
  });
  const auto id = enqueue(*f.store, make_item("k", "swv-portal", clock.now()));
  ASSERT_TRUE(engine.run_due("swv-portal", 10));
  ASSERT_EQ(f.item(id).state, OutboxState::pending);

  gate.deny("identity");  // the consent module now denies the student's identity
  ASSERT_TRUE(engine.on_consent_withdrawn("con_0001", "stu_1", "ouder trekt toestemming in", {"ib:fatima", "staff"}));
  auto it = f.item(id);
  EXPECT_EQ(it.state, OutboxState::dropped);
  EXPECT_NE(it.last_error.find("consent con_0001 withdrawn"), std::string::npos) << it.last_error;
  EXPECT_EQ(f.audit_count("deliver", "dropped"), 1);
  ASSERT_FALSE(f.audit().empty());
  EXPECT_EQ(f.audit().back().actor, "ib:fatima");
  EXPECT_EQ(f.audit().back().actor_role, "staff");

  clock.advance(1h);
  auto r = engine.run_due("swv-portal", 10);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->empty());
  ASSERT_EQ(dest.calls().size(), 1U);  // only the failed first attempt
}

TEST_F(ConsentFixture, ConsentIsDecidedAgainJustBeforeEachAttemptAndNeverReRedacted) {
  const auto id = enqueue(*f.store, make_item("k", "swv-portal", clock.now()));
  gate.deny("case");
  auto r = engine.run_due("swv-portal", 10);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->size(), 1U);
  EXPECT_EQ(r->front().state, OutboxState::dropped);
  EXPECT_TRUE(dest.calls().empty());
  const auto it = f.item(id);
  EXPECT_EQ(it.state, OutboxState::dropped);
  EXPECT_NE(it.last_error.find("denied: case"), std::string::npos) << it.last_error;
  const auto rows = f.audit();
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(rows.back().outcome, "dropped");
  EXPECT_EQ(rows.back().payload_sha256, outbox::sha256_hex(it.document));
}

TEST_F(ConsentFixture, RevocationAfterDeliveryCarriesTheReceiptAndPassesNoGate) {
  dest.script([](const std::string& key, int) -> DeliveryResult {
    return {DeliveryOutcome::ok, "", {}, {{"portal_id", "AANM-" + key}}};
  });
  const auto id = enqueue(*f.store, make_item("k", "swv-portal", clock.now()));
  ASSERT_TRUE(engine.run_due("swv-portal", 10));
  ASSERT_EQ(f.item(id).state, OutboxState::delivered);

  gate.deny("identity");
  gate.deny("case");
  const int gate_calls = gate.calls();
  ASSERT_TRUE(engine.on_consent_withdrawn("con_0001", "stu_1", "toestemming ingetrokken", {"ib:fatima", "staff"}));
  // Queuing twice (a repeated withdrawal) does not queue a second revocation.
  ASSERT_TRUE(engine.on_consent_withdrawn("con_0001", "stu_1", "toestemming ingetrokken", {"ib:fatima", "staff"}));
  auto r = engine.run_due("swv-portal", 10);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->size(), 1U);
  EXPECT_EQ(r->front().state, OutboxState::delivered);
  EXPECT_EQ(gate.calls(), gate_calls);  // no gate for a revocation

  const auto calls = dest.calls();
  ASSERT_EQ(calls.size(), 2U);
  EXPECT_TRUE(calls[1].revoke);
  EXPECT_EQ(calls[1].receipt["portal_id"], "AANM-k");
  EXPECT_EQ(calls[1].reason, "toestemming ingetrokken");
  const auto rev = f.item(r->front().id);
  EXPECT_EQ(rev.kind, "revocation");
  EXPECT_EQ(rev.revokes_id, id);
  EXPECT_EQ(f.audit_count("revoke", "permitted"), 1);  // queued, by the person who withdrew
  EXPECT_EQ(f.audit_count("revoke", "delivered"), 1);
}

TEST_F(ConsentFixture, NoRevocationToADestinationWithoutTheCapability) {
  TestDestination plain{false};
  engine.add_destination("calendar", plain, {1, 1000, 0});
  const auto id = enqueue(*f.store, make_item("k", "calendar", clock.now()));
  ASSERT_TRUE(engine.run_due("calendar", 10));
  ASSERT_EQ(f.item(id).state, OutboxState::delivered);
  ASSERT_TRUE(engine.on_consent_withdrawn("con_0001", "stu_1", "ingetrokken", {"ib", "staff"}));
  EXPECT_EQ(f.outbox().size(), 1U);
}

TEST_F(ConsentFixture, DeadLetterIsListedInspectedAndReplayedWithAnAuditEntry) {
  bool refuse = true;
  dest.script([&](const std::string&, int) -> DeliveryResult {
    if (refuse) return {DeliveryOutcome::reject, "422 /leerling/geboortedatum", {}, {}};
    return {};
  });
  const auto id = enqueue(*f.store, make_item("k", "swv-portal", clock.now()));
  ASSERT_TRUE(engine.run_due("swv-portal", 10));
  auto dead = engine.dead_letters(std::nullopt, 0, 10);
  ASSERT_TRUE(dead);
  ASSERT_EQ(dead->size(), 1U);
  EXPECT_EQ(dead->front().id, id);
  EXPECT_EQ(dead->front().last_error, "rejected by swv-portal: 422 /leerling/geboortedatum");
  auto one = engine.inspect(id);
  ASSERT_TRUE(one && *one);
  EXPECT_EQ((*one)->document, make_item("k", "swv-portal", clock.now()).document);

  refuse = false;  // the admin fixed the birth date at the source
  auto replayed = engine.replay(id, {"admin:jan", "operator"});
  ASSERT_TRUE(replayed) << replayed.status().message();
  EXPECT_EQ(replayed->state, OutboxState::pending);
  EXPECT_EQ(replayed->attempts, 0);
  EXPECT_EQ(f.item(id).attempts, 0);
  auto rows = f.audit();
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(rows.back().actor, "admin:jan");
  EXPECT_EQ(rows.back().actor_role, "operator");
  EXPECT_NE(rows.back().reason.find("dead letter replayed by admin:jan"), std::string::npos);
  ASSERT_TRUE(engine.run_due("swv-portal", 10));
  EXPECT_EQ(f.item(id).state, OutboxState::delivered);
  // A replay of something not dead is refused.
  EXPECT_EQ(engine.replay(id, {"admin:jan", "operator"}).status().code(), ErrorCode::conflict);
}

}  // namespace
}  // namespace schakel::test
