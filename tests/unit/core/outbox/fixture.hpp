#pragma once
// A real SQLite store in a temporary directory, with a school, a student and referrals to route.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "../../../support/temp_dir.hpp"
#include "doubles.hpp"
#include "store/store.hpp"

namespace schakel::test {

inline TimePoint t0() {
  TimePoint t;
  parse_rfc3339("2026-11-02T09:00:00Z", t);
  return t;
}

struct StoreFixture {
  TempDir dir;
  std::unique_ptr<store::Store> store;

  explicit StoreFixture(bool durable = true) { open(durable); }

  void open(bool durable = true) {
    store.reset();
    store::Options o;
    o.path = dir.path() / "schakel.db";
    o.durable = durable;
    auto s = store::open_sqlite(o);
    if (!s) throw std::runtime_error(s.status().message());
    store = std::move(*s);
  }

  void put(store::Kind kind, const std::string& id, const std::string& student_id,
           nlohmann::json doc) {
    store::Entity e;
    e.kind = kind;
    e.id = id;
    e.tenant = "12AB00";
    e.student_id = student_id;
    e.doc = std::move(doc);
    e.updated_at = t0();
    ASSERT_TRUE(store->write([&](store::Transaction& tx) { return tx.put(e); }));
  }

  // School sch_1, student stu_1, and referral `id` of that student at `version`.
  void seed_referral(const std::string& id, int version) {
    put(store::Kind::school, "sch_1", "", {{"id", "sch_1"}, {"brin", "12AB"}, {"naam", "OBS De Regenboog"}});
    put(store::Kind::student, "stu_1", "stu_1",
        {{"id", "stu_1"}, {"school_id", "sch_1"}, {"naam", {{"voornamen", "Zoë"}, {"achternaam", "Visser"}}}});
    put(store::Kind::referral, id, "stu_1",
        {{"id", id}, {"school_id", "sch_1"}, {"student_id", "stu_1"}, {"type", "arrangement"},
         {"question", "Welke ondersteuning helpt?"}, {"status", "queued"}, {"version", version}});
  }

  std::vector<store::OutboxItem> outbox(std::optional<store::OutboxState> state = std::nullopt) {
    auto tx = store->begin(false);
    EXPECT_TRUE(tx);
    store::OutboxQuery q;
    q.state = state;
    q.limit = 100000;
    auto rows = (*tx)->list_outbox(q);
    EXPECT_TRUE(rows) << rows.status().message();
    return rows ? *rows : std::vector<store::OutboxItem>{};
  }

  store::OutboxItem item(std::int64_t id) {
    auto tx = store->begin(false);
    auto it = (*tx)->get_outbox(id);
    EXPECT_TRUE(it && *it);
    return it && *it ? **it : store::OutboxItem{};
  }

  std::vector<store::AuditRow> audit() {
    auto tx = store->begin(false);
    auto rows = (*tx)->audit_range(1, 100000);
    EXPECT_TRUE(rows);
    return rows ? *rows : std::vector<store::AuditRow>{};
  }

  int audit_count(const std::string& action, const std::string& outcome) {
    int n = 0;
    for (const auto& r : audit()) n += (r.action == action && r.outcome == outcome) ? 1 : 0;
    return n;
  }
};

inline outbox::RouteSpec referral_route(const std::string& connector = "swv-portal",
                                        outbox::DeniedPolicy denied = outbox::DeniedPolicy::redact) {
  outbox::RouteSpec r;
  r.id = "referral-to-swv";
  r.trigger = "referral.queued";
  r.projection = "referral";
  r.connector = connector;
  r.recipient = {"SWV PO 27-01", "education_specialist", "Loket arrangementen"};
  r.purpose = "swv_request";
  r.processing_activity = "Aanvraag arrangement (register art. 30, nr. 4)";
  r.denied = denied;
  return r;
}

// An item queued directly, as the router would, for delivery tests.
inline store::OutboxItem make_item(const std::string& key, const std::string& connector,
                                   TimePoint now) {
  store::OutboxItem it;
  it.route_id = "referral-to-swv";
  it.connector = connector;
  it.idempotency_key = key;
  it.tenant = "12AB00";
  it.student_id = "stu_1";
  it.purpose = "swv_request";
  it.recipient = {{"organisation", "SWV PO 27-01"}};
  it.categories = {"case", "identity"};
  it.consent_ids = {"con_0001"};
  it.document = nlohmann::json{{"referral", {{"id", key}}}, {"student", {{"id", "stu_1"}}}}.dump();
  it.schema_name = "projection/referral";
  it.route = referral_route(connector).to_json();
  it.next_attempt_at = now;
  it.created_at = now;
  return it;
}

inline std::int64_t enqueue(store::Store& s, const store::OutboxItem& it) {
  std::int64_t id = 0;
  EXPECT_TRUE(s.write([&](store::Transaction& tx) -> Status {
    auto r = tx.enqueue_outbox(it);
    if (!r) return r.status();
    id = r->item.id;
    return Status::ok();
  }));
  return id;
}

}  // namespace schakel::test
