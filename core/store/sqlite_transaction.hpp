#pragma once
// The SQLite Transaction: entity rows, connector state, audit and quarantine on one connection.
// Private to core/store.
#include <functional>
#include <string>
#include <variant>
#include <vector>

#include "store/sqlite_db.hpp"
#include "store/store.hpp"

namespace schakel::store::sqlite {

// A value bound to a placeholder in SQL built from optional filters.
using Param = std::variant<std::string, std::int64_t>;
void bind_all(Stmt& stmt, const std::vector<Param>& params);

std::int64_t to_micros(TimePoint t);
TimePoint from_micros(std::int64_t us);

class SqliteTransaction final : public Transaction {
 public:
  enum class Mode {
    read,    // BEGIN already run on a reader connection
    write,   // BEGIN IMMEDIATE already run on the writer connection
    nested,  // one work inside a group commit: the store owns BEGIN, SAVEPOINT and COMMIT
  };

  // `release` runs once, when the transaction ends (commit or destruction): it hands the
  // connection back.
  SqliteTransaction(Db& db, Mode mode, std::function<void()> release)
      : db_(db), mode_(mode), release_(std::move(release)) {}
  ~SqliteTransaction() override;
  SqliteTransaction(const SqliteTransaction&) = delete;
  SqliteTransaction& operator=(const SqliteTransaction&) = delete;

  Result<UpsertOutcome> upsert(const Entity& entity) override;
  Status put(const Entity& entity) override;
  Result<std::optional<Entity>> get(Kind kind, const std::string& id) override;
  Result<std::optional<std::string>> tenant_of(Kind kind, const std::string& id) override;
  Result<std::optional<Entity>> get_by_source(Kind kind, const std::string& connector,
                                              const std::string& source_key) override;
  Result<std::vector<Entity>> list(const EntityQuery& query) override;
  Result<std::vector<Entity>> guardians_of(const std::string& student_id) override;
  Status remove(Kind kind, const std::string& id) override;

  Result<std::optional<std::string>> connector_state(const std::string& connector,
                                                     const std::string& key) override;
  Status put_connector_state(const std::string& connector, const std::string& key,
                             const std::string& value) override;

  Status append_audit(AuditRow& row) override;
  Result<std::optional<AuditRow>> last_audit() override;
  Result<std::optional<AuditHead>> audit_head() override;
  Result<std::vector<AuditRow>> audit_range(std::int64_t from_seq, int limit) override;
  Result<std::vector<AuditRow>> find_audit(const AuditQuery& query) override;

  Status quarantine(QuarantineRow& row) override;
  Result<std::vector<QuarantineRow>> quarantined(const std::string& connector, int limit) override;

  Result<EnqueueOutcome> enqueue_outbox(const OutboxItem& item) override;
  Result<std::vector<OutboxItem>> lease_outbox(const std::string& connector, TimePoint now,
                                               int limit) override;
  Status mark_outbox_delivered(std::int64_t id, const std::string& receipt, TimePoint at) override;
  Status reschedule_outbox(std::int64_t id, TimePoint next_attempt_at,
                           const std::string& error) override;
  Status mark_outbox_dead(std::int64_t id, const std::string& reason, bool counted) override;
  Status mark_outbox_dropped(std::int64_t id, const std::string& reason) override;
  Status drop_pending_outbox(std::int64_t id, const std::string& reason) override;
  Result<std::optional<OutboxItem>> get_outbox(std::int64_t id) override;
  Result<std::vector<OutboxItem>> list_outbox(const OutboxQuery& query) override;
  Status replay_outbox(std::int64_t id, TimePoint now) override;
  Result<int> reset_in_flight_outbox() override;
  Result<std::vector<OutboxItem>> delivered_outbox_by_consent(const std::string& consent_id) override;
  Result<std::optional<TimePoint>> next_outbox_due(const std::string& connector) override;
  Status insert_api_token(const ApiTokenRow& row) override;
  Result<std::optional<ApiTokenRow>> api_token(const std::string& id) override;
  Result<std::optional<ApiTokenRow>> api_token_by_hash(const std::string& token_sha256) override;
  Status revoke_api_token(const std::string& id, TimePoint at) override;
  Status insert_calendar_feed(const CalendarFeedRow& row) override;
  Result<std::optional<CalendarFeedRow>> calendar_feed(const std::string& id) override;
  Result<std::optional<CalendarFeedRow>> calendar_feed_by_hash(const std::string& token_sha256) override;
  Status revoke_calendar_feed(const std::string& id, TimePoint at) override;

  Status commit() override;

  // Ends a nested transaction: later calls through a kept reference fail instead of writing
  // into someone else's group commit.
  void close_nested() { finished_ = true; }

 private:
  // ok when the transaction is open and, for `writing`, may write.
  [[nodiscard]] Status usable(bool writing) const;
  [[nodiscard]] Status check_limit(int limit) const;
  Result<std::vector<AuditRow>> read_audit(const std::string& where, const std::vector<Param>& params,
                                           const std::string& order, int limit);
  void end();
  // For a guardian: its rows in guardian_children follow its document from `before` to `after`
  // (nullptr: none); other kinds have none.
  Status relink_children(Kind kind, const std::string& id, const nlohmann::json* before, const nlohmann::json* after);
  // The stored document of a guardian about to change (null when there is none, or another kind).
  Result<nlohmann::json> stored_guardian_doc(Kind kind, const std::string& id);
  Result<std::vector<OutboxItem>> read_outbox(const std::string& sql, const std::vector<Param>& params);
  Status change_outbox(const std::string& sql, const std::vector<Param>& params, std::int64_t id,
                       const char* doing);
  Result<std::optional<ApiTokenRow>> read_api_token(const char* column, const std::string& value);
  Result<std::optional<CalendarFeedRow>> read_calendar_feed(const char* column, const std::string& value);

  Db& db_;
  Mode mode_;
  std::function<void()> release_;
  bool finished_ = false;
};

}  // namespace schakel::store::sqlite
