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
  Result<std::optional<Entity>> get_by_source(Kind kind, const std::string& connector,
                                              const std::string& source_key) override;
  Result<std::vector<Entity>> list(const EntityQuery& query) override;
  Status remove(Kind kind, const std::string& id) override;

  Result<std::optional<std::string>> connector_state(const std::string& connector,
                                                     const std::string& key) override;
  Status put_connector_state(const std::string& connector, const std::string& key,
                             const std::string& value) override;

  Status append_audit(AuditRow& row) override;
  Result<std::optional<AuditRow>> last_audit() override;
  Result<std::vector<AuditRow>> audit_range(std::int64_t from_seq, int limit) override;
  Result<std::vector<AuditRow>> find_audit(const AuditQuery& query) override;

  Status quarantine(QuarantineRow& row) override;
  Result<std::vector<QuarantineRow>> quarantined(const std::string& connector, int limit) override;

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

  Db& db_;
  Mode mode_;
  std::function<void()> release_;
  bool finished_ = false;
};

}  // namespace schakel::store::sqlite
