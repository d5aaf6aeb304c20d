// The delivery engine against a real store: retries, dead letters, limits and crash recovery.
#include <gtest/gtest.h>

#include <set>

#include "fixture.hpp"
#include "outbox/engine.hpp"

namespace schakel::test {
namespace {

using namespace std::chrono_literals;
using outbox::DeliveryOutcome;
using outbox::DeliveryResult;
using store::OutboxState;

outbox::DeliveryOptions fast_options() {
  outbox::DeliveryOptions o;
  o.max_attempts = 20;
  o.backoff_initial = 1ms;
  o.backoff_max = 4ms;
  o.worker_threads = 4;
  o.seed = 42;
  o.poll_interval = 20ms;
  return o;
}

outbox::DestinationLimits generous() { return {4, 100000, 0}; }

struct Engine {
  StoreFixture& f;
  const Clock& clock;
  TestGate gate;
  TestAuditSink audit;
  outbox::DeliveryEngine engine;
  Engine(StoreFixture& fx, const Clock& c, outbox::DeliveryOptions o)
      : f(fx), clock(c), engine(*fx.store, c, gate, audit, o) {}

  bool all_final(int n) {
    int done = 0;
    for (const auto& it : f.outbox()) done += it.state != OutboxState::pending && it.state != OutboxState::in_flight;
    return done == n;
  }
};

TEST(DeliveryEngine, FaultyDestinationDeliversEveryTransientItemAndDeadLettersRejects) {
  StoreFixture f;
  SystemClock clock;
  Engine e(f, clock, fast_options());
  TestDestination dest;
  // Deterministic faults by key: every 7th key is refused (422); about 30% of other calls fail
  // with 503 and a Retry-After of 1-3 ms, at most twice per key.
  dest.script([](const std::string& key, int call) -> DeliveryResult {
    const int n = std::stoi(key.substr(key.find('-') + 1));
    if (n % 7 == 0) return {DeliveryOutcome::reject, "422 /leerling/geboortedatum: required", {}, {}};
    if (call <= 2 && (n * 31 + call * 17) % 10 < 3) {
      return {DeliveryOutcome::retry, "503 Service Unavailable", std::chrono::milliseconds(1 + n % 3), {}};
    }
    return {DeliveryOutcome::ok, "", {}, {{"portal_id", "P-" + key}}};
  });
  e.engine.add_destination("swv-portal", dest, generous());
  const int n = 200;
  for (int i = 1; i <= n; ++i) enqueue(*f.store, make_item("key-" + std::to_string(i), "swv-portal", clock.now()));
  ASSERT_TRUE(e.engine.start());
  e.engine.wake();
  ASSERT_TRUE(e.engine.wait_for([&] { return e.all_final(n); }, 60s));
  e.engine.stop();

  int retried = 0;
  for (const auto& it : f.outbox()) {
    const int k = std::stoi(it.idempotency_key.substr(4));
    if (k % 7 == 0) {
      EXPECT_EQ(it.state, OutboxState::dead) << it.idempotency_key;
      EXPECT_EQ(it.attempts, 1);
      EXPECT_NE(it.last_error.find("422 /leerling/geboortedatum: required"), std::string::npos);
    } else {
      EXPECT_EQ(it.state, OutboxState::delivered) << it.idempotency_key;
      EXPECT_EQ(nlohmann::json::parse(it.receipt.value_or("{}"))["portal_id"], "P-" + it.idempotency_key);
      retried += it.attempts > 1;
    }
  }
  EXPECT_GT(retried, 20);
  // Every attempt is audited: one entry per call to the destination.
  const int audited = f.audit_count("deliver", "delivered") + f.audit_count("deliver", "failed") +
                      f.audit_count("deliver", "dead");
  EXPECT_EQ(audited, static_cast<int>(dest.calls().size()));
  EXPECT_EQ(f.audit_count("deliver", "dead"), n / 7);
  // Every call for one item carried the same key and the same bytes.
  std::map<std::string, std::set<std::string>> bytes_by_key;
  for (const auto& c : dest.calls()) bytes_by_key[c.key].insert(c.bytes);
  for (const auto& [key, bytes] : bytes_by_key) EXPECT_EQ(bytes.size(), 1U) << key;
}

TEST(DeliveryEngine, BackoffGrowsWithFullJitterAndRetryAfterWins) {
  StoreFixture f;
  ManualClock clock(t0());
  auto o = fast_options();
  o.backoff_initial = 10ms;
  o.backoff_max = 40ms;
  Engine e(f, clock, o);
  TestDestination dest;
  std::optional<std::chrono::milliseconds> retry_after;
  dest.script([&](const std::string&, int) -> DeliveryResult {
    return {DeliveryOutcome::retry, "503", retry_after, {}};
  });
  e.engine.add_destination("a", dest, generous());
  const auto id = enqueue(*f.store, make_item("k", "a", clock.now()));
  for (int attempt = 1; attempt <= 5; ++attempt) {
    const TimePoint before = clock.now();
    auto r = e.engine.run_due("a", 10);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->size(), 1U) << "attempt " << attempt;
    const auto it = f.item(id);
    const auto ceiling = std::min<std::chrono::microseconds>(40ms, 10ms * (1 << (attempt - 1)));
    EXPECT_GE(it.next_attempt_at, before);
    EXPECT_LE(it.next_attempt_at, before + ceiling) << "attempt " << attempt;
    // Not due before its time.
    auto early = e.engine.run_due("a", 10);
    ASSERT_TRUE(early);
    if (it.next_attempt_at > before) {
      EXPECT_TRUE(early->empty());
    }
    clock.set(it.next_attempt_at);
  }
  retry_after = 2500ms;
  const TimePoint before = clock.now();
  ASSERT_TRUE(e.engine.run_due("a", 10));
  EXPECT_EQ(f.item(id).next_attempt_at, before + 2500ms);
}

TEST(DeliveryEngine, MaxAttemptsMovesTheItemToDeadLettersWithTheReason) {
  StoreFixture f;
  ManualClock clock(t0());
  auto o = fast_options();
  o.max_attempts = 3;
  Engine e(f, clock, o);
  TestDestination dest;
  dest.script([](const std::string&, int) -> DeliveryResult { return {DeliveryOutcome::retry, "timeout after 30000 ms", {}, {}}; });
  e.engine.add_destination("a", dest, generous());
  const auto id = enqueue(*f.store, make_item("k", "a", clock.now()));
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(e.engine.run_due("a", 10));
    clock.advance(1s);
  }
  const auto it = f.item(id);
  EXPECT_EQ(it.state, OutboxState::dead);
  EXPECT_EQ(it.attempts, 3);
  EXPECT_EQ(it.last_error, "gave up after 3 attempts; last error: retry: timeout after 30000 ms");
  EXPECT_EQ(f.audit_count("deliver", "failed"), 2);
  EXPECT_EQ(f.audit_count("deliver", "dead"), 1);
}

TEST(DeliveryEngine, MaxAgeMovesTheItemToDeadLetters) {
  StoreFixture f;
  ManualClock clock(t0());
  auto o = fast_options();
  o.max_age = 1000ms;
  Engine e(f, clock, o);
  TestDestination dest;
  dest.script([](const std::string&, int) -> DeliveryResult { return {DeliveryOutcome::retry, "503", 600ms, {}}; });
  e.engine.add_destination("a", dest, generous());
  const auto id = enqueue(*f.store, make_item("k", "a", clock.now()));
  ASSERT_TRUE(e.engine.run_due("a", 10));  // fails at 0 ms, due at 600 ms
  clock.advance(600ms);
  ASSERT_TRUE(e.engine.run_due("a", 10));  // fails at 600 ms, due at 1200 ms
  clock.advance(600ms);
  auto r = e.engine.run_due("a", 10);      // 1200 ms: too old, no call
  ASSERT_TRUE(r);
  const auto it = f.item(id);
  EXPECT_EQ(it.state, OutboxState::dead);
  EXPECT_NE(it.last_error.find("too old: not delivered within 1000 ms"), std::string::npos) << it.last_error;
  EXPECT_EQ(dest.calls().size(), 2U);
}

TEST(DeliveryEngine, PerDestinationConcurrencyLimitIsRespected) {
  StoreFixture f;
  SystemClock clock;
  auto o = fast_options();
  o.worker_threads = 8;
  Engine e(f, clock, o);
  TestDestination limited;
  limited.hold_until_concurrent(3);
  TestDestination other;
  e.engine.add_destination("limited", limited, {3, 100000, 0});
  e.engine.add_destination("other", other, {1, 100000, 0});
  for (int i = 0; i < 30; ++i) enqueue(*f.store, make_item("l" + std::to_string(i), "limited", clock.now()));
  for (int i = 0; i < 10; ++i) enqueue(*f.store, make_item("o" + std::to_string(i), "other", clock.now()));
  ASSERT_TRUE(e.engine.start());
  ASSERT_TRUE(e.engine.wait_for([&] { return e.all_final(40); }, 60s));
  e.engine.stop();
  EXPECT_TRUE(limited.reached());
  EXPECT_EQ(limited.max_concurrent(), 3);
  EXPECT_EQ(other.max_concurrent(), 1);
  EXPECT_EQ(f.outbox(OutboxState::delivered).size(), 40U);
}

TEST(DeliveryEngine, RateLimitIsATokenBucketOnTheInjectedClock) {
  StoreFixture f;
  ManualClock clock(t0());
  Engine e(f, clock, fast_options());
  TestDestination dest;
  e.engine.add_destination("a", dest, {8, 10, 2});  // 10 a second, 2 saved up
  for (int i = 0; i < 10; ++i) enqueue(*f.store, make_item("k" + std::to_string(i), "a", clock.now()));
  auto ran = [&] {
    auto r = e.engine.run_due("a", 100);
    EXPECT_TRUE(r);
    return r ? r->size() : 0U;
  };
  EXPECT_EQ(ran(), 2U);  // the burst
  EXPECT_EQ(ran(), 0U);
  clock.advance(100ms);
  EXPECT_EQ(ran(), 1U);
  clock.advance(50ms);
  EXPECT_EQ(ran(), 0U);
  clock.advance(10s);
  EXPECT_EQ(ran(), 2U);  // capped at the burst, however long it waited
  EXPECT_EQ(dest.calls().size(), 5U);
}

TEST(DeliveryEngine, RestartReturnsInFlightItemsAndRedeliversWithTheSameKey) {
  StoreFixture f;
  SystemClock clock;
  const auto id = enqueue(*f.store, make_item("crash-key", "a", clock.now()));
  // A previous process leased the item, called the destination, and died before recording it.
  ASSERT_TRUE(f.store->write([&](store::Transaction& tx) -> Status {
    auto r = tx.lease_outbox("a", clock.now(), 10);
    return r ? Status::ok() : r.status();
  }));
  f.open();
  Engine e(f, clock, fast_options());
  TestDestination dest;
  e.engine.add_destination("a", dest, generous());
  ASSERT_TRUE(e.engine.start());
  ASSERT_TRUE(e.engine.wait_for([&] { return f.item(id).state == OutboxState::delivered; }, 30s));
  e.engine.stop();
  ASSERT_EQ(dest.calls().size(), 1U);
  EXPECT_EQ(dest.calls()[0].key, "crash-key");
}

TEST(DeliveryEngine, FatalStopsTheDestinationUntilResumed) {
  StoreFixture f;
  ManualClock clock(t0());
  Engine e(f, clock, fast_options());
  TestDestination dest;
  dest.script([](const std::string&, int call) -> DeliveryResult {
    if (call == 1) return {DeliveryOutcome::fatal, "credentials refused", {}, {}};
    return {};
  });
  e.engine.add_destination("a", dest, generous());
  const auto id = enqueue(*f.store, make_item("k", "a", clock.now()));
  ASSERT_TRUE(e.engine.run_due("a", 10));
  EXPECT_TRUE(e.engine.stopped("a"));
  clock.advance(1h);
  auto r = e.engine.run_due("a", 10);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->empty());
  e.engine.resume("a");
  ASSERT_TRUE(e.engine.run_due("a", 10));
  EXPECT_EQ(f.item(id).state, OutboxState::delivered);
}

// An admin's pause (PAUSE via the API): no attempt until unpaused, and the item waits pending.
TEST(DeliveryEngine, PausedDestinationTakesNoItemsUntilUnpaused) {
  StoreFixture f;
  ManualClock clock(t0());
  Engine e(f, clock, fast_options());
  TestDestination dest;
  e.engine.add_destination("a", dest, generous());
  const auto id = enqueue(*f.store, make_item("k", "a", clock.now()));
  e.engine.set_paused("a", true);
  EXPECT_TRUE(e.engine.paused("a"));
  auto r = e.engine.run_due("a", 10);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->empty());
  EXPECT_EQ(f.item(id).state, OutboxState::pending);
  e.engine.set_paused("a", false);
  EXPECT_FALSE(e.engine.paused("a"));
  ASSERT_TRUE(e.engine.run_due("a", 10));
  EXPECT_EQ(f.item(id).state, OutboxState::delivered);
}

}  // namespace
}  // namespace schakel::test
