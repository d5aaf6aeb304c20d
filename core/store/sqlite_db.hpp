#pragma once
// A thin RAII layer over one sqlite3 connection: opening with the project's pragmas, a cache of
// prepared statements, and the mapping of SQLite result codes to Status. Private to core/store;
// nothing outside the store includes it, so SQLite types stay out of the public interface.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/status.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace schakel::store::sqlite {

class Db;

// A borrowed, cached statement. Destroying it resets the statement and clears its bindings so
// the cache can hand it out again.
class Stmt {
 public:
  Stmt(Db& db, sqlite3_stmt* stmt) : db_(&db), stmt_(stmt) {}
  Stmt(Stmt&& other) noexcept : db_(other.db_), stmt_(other.stmt_), bind_rc_(other.bind_rc_) {
    other.stmt_ = nullptr;
  }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt& operator=(Stmt&&) = delete;
  ~Stmt();

  // Binding is 1-based as in SQLite. A failed bind is reported by the next step().
  Stmt& bind(int index, std::string_view text);
  Stmt& bind(int index, std::int64_t value);
  Stmt& bind_blob(int index, std::string_view bytes);

  // true: a row is ready; false: done.
  Result<bool> step();
  // Runs a statement that returns no rows.
  Status run();

  [[nodiscard]] std::string text(int column) const;
  [[nodiscard]] std::string_view text_view(int column) const;  // valid until the next step
  [[nodiscard]] std::int64_t integer(int column) const;
  [[nodiscard]] bool is_null(int column) const;
  [[nodiscard]] sqlite3_stmt* handle() const { return stmt_; }

 private:
  Db* db_;
  sqlite3_stmt* stmt_;
  int bind_rc_ = 0;
};

struct OpenFlags {
  bool create = true;
  bool query_only = false;  // a reader: refuses writes even by mistake
  int busy_timeout_ms = 5000;
  bool durable = true;
};

class Db {
 public:
  // Opens the file and applies WAL, foreign keys, the busy timeout and the sync level.
  static Result<std::unique_ptr<Db>> open(const std::filesystem::path& path, const OpenFlags& flags);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // Runs one or more statements without results (DDL, BEGIN, COMMIT, ...). A single statement
  // goes through the statement cache: the transaction control every group commit repeats
  // (SAVEPOINT, RELEASE, COMMIT) is parsed once.
  Status exec(const char* sql, std::string_view doing);
  // A prepared statement from the cache, compiled on first use.
  Result<Stmt> prepare(const std::string& sql);

  // The Status for a SQLite result code, naming the file and what was being done.
  [[nodiscard]] Status error(int rc, std::string_view doing) const;
  [[nodiscard]] const std::string& file() const { return file_; }
  [[nodiscard]] bool in_transaction() const;
  [[nodiscard]] sqlite3* handle() const { return db_; }
  [[nodiscard]] std::int64_t last_insert_rowid() const;
  [[nodiscard]] int changes() const;

 private:
  Db(sqlite3* db, std::string file) : db_(db), file_(std::move(file)) {}

  sqlite3* db_;
  std::string file_;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

// Maps a result code to Status without a connection (e.g. when opening failed).
Status status_for(int rc, const std::string& file, std::string_view doing, std::string_view detail,
                  int system_errno);

}  // namespace schakel::store::sqlite
