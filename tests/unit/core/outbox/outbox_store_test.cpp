// The outbox operations of the SQLite store, on a real file.
#include <gtest/gtest.h>

#include "fixture.hpp"

namespace schakel::test {
namespace {

using store::OutboxState;
using namespace std::chrono_literals;

TEST(OutboxStore, SecondEnqueueOfAKeyIsANoOpReturningTheStoredItem) {
  StoreFixture f;
  auto first = make_item("k1", "swv-portal", t0());
  auto second = first;
  second.document = R"({"different":true})";
  std::int64_t first_id = 0;
  ASSERT_TRUE(f.store->write([&](store::Transaction& tx) -> Status {
    auto a = tx.enqueue_outbox(first);
    if (!a) return a.status();
    EXPECT_TRUE(a->inserted);
    first_id = a->item.id;
    auto b = tx.enqueue_outbox(second);
    if (!b) return b.status();
    EXPECT_FALSE(b->inserted);
    EXPECT_EQ(b->item.id, first_id);
    EXPECT_EQ(b->item.document, first.document);  // the first bytes stay
    return Status::ok();
  }));
  EXPECT_EQ(f.outbox().size(), 1U);
}

TEST(OutboxStore, DocumentBytesAndFieldsRoundTripExactly) {
  StoreFixture f;
  auto it = make_item("k1", "swv-portal", t0());
  it.document = std::string("{\"naam\":\"Zoë\",\"x\":\"\\u0000\"}");
  it.trace_id = "trace-1";
  const auto id = enqueue(*f.store, it);
  const auto got = f.item(id);
  EXPECT_EQ(got.document, it.document);
  EXPECT_EQ(got.categories, it.categories);
  EXPECT_EQ(got.consent_ids, it.consent_ids);
  EXPECT_EQ(got.recipient, it.recipient);
  EXPECT_EQ(got.route, it.route);
  EXPECT_EQ(got.schema_name, "projection/referral");
  EXPECT_EQ(got.trace_id, "trace-1");
  EXPECT_EQ(got.state, OutboxState::pending);
  EXPECT_EQ(got.next_attempt_at, t0());
}

TEST(OutboxStore, LeaseTakesOnlyDueItemsOfTheConnectorUpToTheLimit) {
  StoreFixture f;
  enqueue(*f.store, make_item("due-1", "a", t0()));
  enqueue(*f.store, make_item("due-2", "a", t0() - 1s));
  enqueue(*f.store, make_item("due-3", "a", t0()));
  enqueue(*f.store, make_item("later", "a", t0() + 1s));
  enqueue(*f.store, make_item("other", "b", t0()));
  std::vector<store::OutboxItem> leased;
  ASSERT_TRUE(f.store->write([&](store::Transaction& tx) -> Status {
    auto r = tx.lease_outbox("a", t0(), 2);
    if (!r) return r.status();
    leased = *r;
    return Status::ok();
  }));
  ASSERT_EQ(leased.size(), 2U);
  EXPECT_EQ(leased[0].idempotency_key, "due-2");  // oldest due first
  EXPECT_EQ(leased[1].idempotency_key, "due-1");
  EXPECT_EQ(f.outbox(OutboxState::in_flight).size(), 2U);
  auto tx = f.store->begin(false);
  auto next = (*tx)->next_outbox_due("a");
  ASSERT_TRUE(next && *next);
  EXPECT_EQ(**next, t0());  // due-3 is still pending
}

TEST(OutboxStore, StateChangesNeedAnItemInFlight) {
  StoreFixture f;
  const auto id = enqueue(*f.store, make_item("k1", "a", t0()));
  // Pending, not leased: a stale worker must not mark it delivered.
  Status st = f.store->write([&](store::Transaction& tx) { return tx.mark_outbox_delivered(id, "{}", t0()); });
  EXPECT_EQ(st.code(), ErrorCode::conflict);
  EXPECT_NE(st.message().find("is pending"), std::string::npos) << st.message();
  st = f.store->write([&](store::Transaction& tx) { return tx.mark_outbox_dead(999, "x", true); });
  EXPECT_EQ(st.code(), ErrorCode::not_found);

  auto lease = [&] {
    ASSERT_TRUE(f.store->write([&](store::Transaction& tx) -> Status {
      auto r = tx.lease_outbox("a", t0() + 1h, 10);
      return r ? Status::ok() : r.status();
    }));
  };
  lease();
  ASSERT_TRUE(f.store->write([&](store::Transaction& tx) {
    return tx.reschedule_outbox(id, t0() + 5s, "retry: 503");
  }));
  auto it = f.item(id);
  EXPECT_EQ(it.state, OutboxState::pending);
  EXPECT_EQ(it.attempts, 1);
  EXPECT_EQ(it.next_attempt_at, t0() + 5s);
  EXPECT_EQ(it.last_error, "retry: 503");

  lease();
  ASSERT_TRUE(f.store->write([&](store::Transaction& tx) {
    return tx.mark_outbox_delivered(id, R"({"portal_id":"A-1"})", t0() + 6s);
  }));
  it = f.item(id);
  EXPECT_EQ(it.state, OutboxState::delivered);
  EXPECT_EQ(it.attempts, 2);
  EXPECT_EQ(it.receipt.value_or(""), R"({"portal_id":"A-1"})");
  EXPECT_EQ(it.delivered_at.value_or(TimePoint{}), t0() + 6s);
}

TEST(OutboxStore, DeadLettersAreListedPagedAndReplayedAsNew) {
  StoreFixture f;
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(enqueue(*f.store, make_item("k" + std::to_string(i), "a", t0())));
  ASSERT_TRUE(f.store->write([&](store::Transaction& tx) -> Status {
    auto r = tx.lease_outbox("a", t0(), 10);
    if (!r) return r.status();
    for (int i = 0; i < 4; ++i) SCHAKEL_TRY(tx.mark_outbox_dead(ids[i], "reject: 422", true));
    return tx.mark_outbox_dropped(ids[4], "consent withdrawn");
  }));
  auto tx = f.store->begin(false);
  store::OutboxQuery q;
  q.state = OutboxState::dead;
  q.limit = 3;
  auto page1 = (*tx)->list_outbox(q);
  ASSERT_TRUE(page1);
  ASSERT_EQ(page1->size(), 3U);
  q.after_id = page1->back().id;
  auto page2 = (*tx)->list_outbox(q);
  ASSERT_TRUE(page2);
  ASSERT_EQ(page2->size(), 1U);
  EXPECT_EQ(page2->front().last_error, "reject: 422");
  tx->reset();

  ASSERT_TRUE(f.store->write([&](store::Transaction& t) { return t.replay_outbox(ids[0], t0() + 1h); }));
  auto it = f.item(ids[0]);
  EXPECT_EQ(it.state, OutboxState::pending);
  EXPECT_EQ(it.attempts, 0);
  EXPECT_EQ(it.next_attempt_at, t0() + 1h);
  // Only dead letters are replayed: a dropped item stays dropped.
  Status st = f.store->write([&](store::Transaction& t) { return t.replay_outbox(ids[4], t0()); });
  EXPECT_EQ(st.code(), ErrorCode::conflict);
}

TEST(OutboxStore, InFlightItemsReturnToPendingAtStart) {
  StoreFixture f;
  enqueue(*f.store, make_item("k1", "a", t0()));
  enqueue(*f.store, make_item("k2", "a", t0()));
  ASSERT_TRUE(f.store->write([&](store::Transaction& tx) -> Status {
    auto r = tx.lease_outbox("a", t0(), 10);
    return r ? Status::ok() : r.status();
  }));
  f.open();  // as after a crash: a new connection to the same file
  int reset = 0;
  ASSERT_TRUE(f.store->write([&](store::Transaction& tx) -> Status {
    auto n = tx.reset_in_flight_outbox();
    if (!n) return n.status();
    reset = *n;
    return Status::ok();
  }));
  EXPECT_EQ(reset, 2);
  EXPECT_EQ(f.outbox(OutboxState::pending).size(), 2U);
}

TEST(OutboxStore, DeliveredItemsAreFoundByConsent) {
  StoreFixture f;
  auto a = make_item("k1", "a", t0());
  a.consent_ids = {"con_1", "con_2"};
  auto b = make_item("k2", "a", t0());
  b.consent_ids = {"con_3"};
  auto c = make_item("k3", "a", t0());
  c.consent_ids = {"con_2"};  // stays pending
  const auto ida = enqueue(*f.store, a);
  const auto idb = enqueue(*f.store, b);
  enqueue(*f.store, c);
  ASSERT_TRUE(f.store->write([&](store::Transaction& tx) -> Status {
    auto r = tx.lease_outbox("a", t0(), 2);
    if (!r) return r.status();
    SCHAKEL_TRY(tx.mark_outbox_delivered(ida, "{}", t0()));
    return tx.mark_outbox_delivered(idb, "{}", t0());
  }));
  auto tx = f.store->begin(false);
  auto found = (*tx)->delivered_outbox_by_consent("con_2");
  ASSERT_TRUE(found);
  ASSERT_EQ(found->size(), 1U);
  EXPECT_EQ(found->front().id, ida);
}

}  // namespace
}  // namespace schakel::test

namespace schakel::test {
namespace {

// enqueue_outbox builds the returned item from what it bound instead of reading the row back;
// it must still be exactly what a read gives (state, attempts, no receipt).
TEST(OutboxStore, EnqueueReturnsTheItemAsStored) {
  StoreFixture f;
  auto it = make_item("k-returned", "swv-portal", t0() + std::chrono::microseconds{1234567});
  it.trace_id = "trace-2";
  it.state = store::OutboxState::delivered;  // ignored: a new item is pending
  it.attempts = 3;
  it.receipt = "{}";
  store::OutboxItem returned;
  ASSERT_TRUE(f.store->write([&](store::Transaction& tx) -> Status {
    auto r = tx.enqueue_outbox(it);
    if (!r) return r.status();
    returned = r->item;
    return Status::ok();
  }));
  const auto read = f.item(returned.id);
  EXPECT_EQ(returned.id, read.id);
  EXPECT_EQ(returned.state, read.state);
  EXPECT_EQ(returned.attempts, read.attempts);
  EXPECT_EQ(returned.next_attempt_at, read.next_attempt_at);
  EXPECT_EQ(returned.created_at, read.created_at);
  EXPECT_EQ(returned.receipt, read.receipt);
  EXPECT_EQ(returned.last_error, read.last_error);
  EXPECT_EQ(returned.delivered_at, read.delivered_at);
  EXPECT_EQ(returned.document, read.document);
  EXPECT_EQ(returned.recipient, read.recipient);
  EXPECT_EQ(returned.route, read.route);
  EXPECT_EQ(returned.categories, read.categories);
  EXPECT_EQ(returned.consent_ids, read.consent_ids);
  EXPECT_EQ(returned.trace_id, read.trace_id);
  EXPECT_EQ(read.state, store::OutboxState::pending);
  EXPECT_EQ(read.attempts, 0);
}

}  // namespace
}  // namespace schakel::test
