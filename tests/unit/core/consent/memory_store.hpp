#pragma once
// An in-memory store::Store for the consent tests, which use the store interface only (the SQLite
// implementation is its own module). Writes go to a copy and become visible on commit, so a failed
// unit of work leaves nothing behind, as with the real store.
#include <algorithm>
#include <map>
#include <utility>

#include "store/store.hpp"

namespace schakel::test {

struct MemoryData {
  std::map<std::pair<int, std::string>, store::Entity> entities;
  std::vector<store::AuditRow> audit;
};

class MemoryTransaction final : public store::Transaction {
 public:
  explicit MemoryTransaction(MemoryData& data) : data_(data), work_(data) {}

  Result<store::UpsertOutcome> upsert(const store::Entity& e) override {
    auto key = std::pair{int(e.kind), e.id};
    const bool had = work_.entities.count(key) > 0;
    work_.entities[key] = e;
    return had ? store::UpsertOutcome::updated : store::UpsertOutcome::inserted;
  }
  Status put(const store::Entity& e) override {
    if (fail_put_) return error(ErrorCode::io, "disk full (injected)");
    work_.entities[{int(e.kind), e.id}] = e;
    return {};
  }
  Result<std::optional<store::Entity>> get(store::Kind kind, const std::string& id) override {
    auto it = work_.entities.find({int(kind), id});
    if (it == work_.entities.end()) return std::optional<store::Entity>{};
    return std::optional<store::Entity>{it->second};
  }
  Result<std::optional<store::Entity>> get_by_source(store::Kind kind, const std::string& connector,
                                                     const std::string& source_key) override {
    for (const auto& [key, e] : work_.entities)
      if (e.kind == kind && e.connector == connector && e.source_key == source_key)
        return std::optional<store::Entity>{e};
    return std::optional<store::Entity>{};
  }
  Result<std::vector<store::Entity>> list(const store::EntityQuery& q) override {
    std::vector<store::Entity> out;
    for (const auto& [key, e] : work_.entities) {  // ordered by (kind, id), as paging needs
      if (e.kind != q.kind || e.id <= q.after_id || (!e.active && !q.include_inactive)) continue;
      if (q.student_id && e.student_id != *q.student_id) continue;
      if (q.tenant && e.tenant != *q.tenant) continue;
      out.push_back(e);
      if (int(out.size()) == q.limit) break;
    }
    ++list_calls_;
    return out;
  }
  Result<std::vector<store::Entity>> guardians_of(const std::string& student_id) override {
    std::vector<store::Entity> out;
    for (const auto& [key, e] : work_.entities) {
      if (e.kind != store::Kind::guardian || !e.active || !e.doc.contains("children")) continue;
      const auto& children = e.doc["children"];
      if (std::any_of(children.begin(), children.end(),
                      [&](const nlohmann::json& c) { return c.value("student_id", "") == student_id; }))
        out.push_back(e);
    }
    return out;
  }
  Status remove(store::Kind kind, const std::string& id) override {
    work_.entities.erase({int(kind), id});
    return {};
  }
  Result<std::optional<std::string>> connector_state(const std::string&, const std::string&) override {
    return std::optional<std::string>{};
  }
  Status put_connector_state(const std::string&, const std::string&, const std::string&) override { return {}; }
  Status append_audit(store::AuditRow& row) override {
    row.seq = std::int64_t(work_.audit.size()) + 1;
    work_.audit.push_back(row);
    return {};
  }
  Result<std::optional<store::AuditRow>> last_audit() override {
    if (work_.audit.empty()) return std::optional<store::AuditRow>{};
    return std::optional<store::AuditRow>{work_.audit.back()};
  }
  Result<std::vector<store::AuditRow>> audit_range(std::int64_t from_seq, int limit) override {
    std::vector<store::AuditRow> out;
    for (const auto& r : work_.audit)
      if (r.seq >= from_seq && int(out.size()) < limit) out.push_back(r);
    return out;
  }
  Result<std::vector<store::AuditRow>> find_audit(const store::AuditQuery&) override { return work_.audit; }
  Status quarantine(store::QuarantineRow&) override { return {}; }
  Result<std::vector<store::QuarantineRow>> quarantined(const std::string&, int) override {
    return std::vector<store::QuarantineRow>{};
  }
  // The consent tests never touch the outbox or tokens: these say so if one ever does.
  static Status no_outbox() { return error(ErrorCode::internal, "memory store: no outbox"); }
  Result<store::EnqueueOutcome> enqueue_outbox(const store::OutboxItem&) override { return no_outbox(); }
  Result<std::vector<store::OutboxItem>> lease_outbox(const std::string&, TimePoint, int) override { return no_outbox(); }
  Status mark_outbox_delivered(std::int64_t, const std::string&, TimePoint) override { return no_outbox(); }
  Status reschedule_outbox(std::int64_t, TimePoint, const std::string&) override { return no_outbox(); }
  Status mark_outbox_dead(std::int64_t, const std::string&, bool) override { return no_outbox(); }
  Status mark_outbox_dropped(std::int64_t, const std::string&) override { return no_outbox(); }
  Status drop_pending_outbox(std::int64_t, const std::string&) override { return no_outbox(); }
  Result<std::optional<store::OutboxItem>> get_outbox(std::int64_t) override { return no_outbox(); }
  Result<std::vector<store::OutboxItem>> list_outbox(const store::OutboxQuery&) override { return no_outbox(); }
  Status replay_outbox(std::int64_t, TimePoint) override { return no_outbox(); }
  Result<int> reset_in_flight_outbox() override { return no_outbox(); }
  Result<std::vector<store::OutboxItem>> delivered_outbox_by_consent(const std::string&) override { return no_outbox(); }
  Result<std::optional<TimePoint>> next_outbox_due(const std::string&) override { return no_outbox(); }
  Status insert_api_token(const store::ApiTokenRow&) override { return no_outbox(); }
  Result<std::optional<store::ApiTokenRow>> api_token(const std::string&) override { return no_outbox(); }
  Result<std::optional<store::ApiTokenRow>> api_token_by_hash(const std::string&) override { return no_outbox(); }
  Status revoke_api_token(const std::string&, TimePoint) override { return no_outbox(); }
  Status insert_calendar_feed(const store::CalendarFeedRow&) override { return no_outbox(); }
  Result<std::optional<store::CalendarFeedRow>> calendar_feed(const std::string&) override { return no_outbox(); }
  Result<std::optional<store::CalendarFeedRow>> calendar_feed_by_hash(const std::string&) override { return no_outbox(); }
  Status revoke_calendar_feed(const std::string&, TimePoint) override { return no_outbox(); }
  Status commit() override {
    data_ = work_;
    return {};
  }

  bool fail_put_ = false;
  int list_calls_ = 0;

 private:
  MemoryData& data_;
  MemoryData work_;
};

class MemoryStore final : public store::Store {
 public:
  Result<std::unique_ptr<store::Transaction>> begin(bool) override {
    return std::unique_ptr<store::Transaction>(std::make_unique<MemoryTransaction>(data_));
  }
  Status write(const std::function<Status(store::Transaction&)>& work) override {
    MemoryTransaction tx(data_);
    tx.fail_put_ = fail_put_;
    SCHAKEL_TRY(work(tx));
    return tx.commit();
  }
  Status health() override { return {}; }
  int schema_version() const override { return 1; }

  MemoryData data_;
  bool fail_put_ = false;
};

}  // namespace schakel::test
