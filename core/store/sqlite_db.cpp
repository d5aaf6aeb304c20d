#include "store/sqlite_db.hpp"

#include <sqlite3.h>

#include <cerrno>
#include <cstring>

namespace schakel::store::sqlite {
namespace {

// A statement's first words name it well enough in an error without echoing whole SQL.
std::string sql_head(sqlite3_stmt* stmt) {
  const char* sql = sqlite3_sql(stmt);
  std::string head = std::string("running ") + (sql != nullptr ? sql : "a statement");
  for (char& c : head) {
    if (c == '\n' || c == '\t') c = ' ';
  }
  if (head.size() > 56) head = head.substr(0, 56) + "...";
  return head;
}

std::string errno_text(int system_errno) {
  if (system_errno == 0) return "";
  return std::string(": ") + std::strerror(system_errno);
}

}  // namespace

Status status_for(int rc, const std::string& file, std::string_view doing, std::string_view detail,
                  int system_errno) {
  ErrorCode code = ErrorCode::internal;
  std::string what;
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      code = ErrorCode::busy;
      what = "database is locked by another process";
      break;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      code = ErrorCode::corrupt;
      what = "database file is corrupt or not a database (" + std::string(detail) + ")";
      break;
    case SQLITE_FULL:
      code = ErrorCode::io;
      what = "disk full";
      break;
    case SQLITE_IOERR:
      code = ErrorCode::io;
      if (system_errno == ENOSPC) {
        what = "disk full";
      } else if (system_errno == EFBIG) {
        what = "disk full: file size limit reached";
      } else {
        what = "I/O error" + errno_text(system_errno) + " (" + std::string(detail) + ")";
      }
      break;
    case SQLITE_CANTOPEN:
      code = ErrorCode::io;
      what = "cannot open the database file" + errno_text(system_errno);
      break;
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      code = ErrorCode::io;
      what = "database is not writable (" + std::string(detail) + ")";
      break;
    case SQLITE_CONSTRAINT:
      code = ErrorCode::conflict;
      what = std::string(detail);
      break;
    case SQLITE_NOMEM:
      what = "out of memory";
      break;
    default:
      what = std::string(detail);
      break;
  }
  std::string message = file + ": " + what;
  if (!doing.empty()) message += " (while " + std::string(doing) + ")";
  return {code, std::move(message)};
}

Stmt::~Stmt() {
  if (stmt_ != nullptr) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

Stmt& Stmt::bind(int index, std::string_view text) {
  const int rc = sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT,
                                     SQLITE_UTF8);
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Stmt& Stmt::bind(int index, std::int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Stmt& Stmt::bind_blob(int index, std::string_view bytes) {
  const int rc = sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Result<bool> Stmt::step() {
  if (bind_rc_ != SQLITE_OK) return db_->error(bind_rc_, "binding " + sql_head(stmt_));
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return db_->error(rc, sql_head(stmt_));
}

Status Stmt::run() {
  auto row = step();
  if (!row) return row.status();
  return Status::ok();
}

std::string Stmt::text(int column) const { return std::string(text_view(column)); }

std::string_view Stmt::text_view(int column) const {
  const auto* p = sqlite3_column_text(stmt_, column);
  const int n = sqlite3_column_bytes(stmt_, column);
  if (p == nullptr) return {};
  return {reinterpret_cast<const char*>(p), static_cast<std::size_t>(n)};
}

std::int64_t Stmt::integer(int column) const { return sqlite3_column_int64(stmt_, column); }

bool Stmt::is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

Result<std::unique_ptr<Db>> Db::open(const std::filesystem::path& path, const OpenFlags& flags) {
  // SQLite counts every allocation under one process-wide mutex unless told not to; with a
  // connection per API handler that mutex is contended on every query. Set before SQLite starts
  // (a no-op, SQLITE_MISUSE, if something in the process started it already).
  static const int memstatus_off = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  (void)memstatus_off;
  const std::string file = path.string();
  sqlite3* raw = nullptr;
  int open_flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  if (flags.create) open_flags |= SQLITE_OPEN_CREATE;
  const int rc = sqlite3_open_v2(file.c_str(), &raw, open_flags, nullptr);
  if (rc != SQLITE_OK) {
    const std::string detail = raw != nullptr ? sqlite3_errmsg(raw) : "out of memory";
    const int sys = raw != nullptr ? sqlite3_system_errno(raw) : 0;
    sqlite3_close_v2(raw);
    return status_for(rc, file, "opening", detail, sys);
  }
  std::unique_ptr<Db> db(new Db(raw, file));
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, flags.busy_timeout_ms);

  if (!flags.query_only) {
    // WAL lets readers run beside the single writer; the mode is stored in the file.
    auto mode = db->prepare("PRAGMA journal_mode=WAL");
    if (!mode) return mode.status();
    auto row = mode->step();
    if (!row) return row.status();
    if (!*row || mode->text(0) != "wal") {
      return Status(ErrorCode::io, file + ": cannot switch the database to WAL mode");
    }
  }
  SCHAKEL_TRY(db->exec("PRAGMA foreign_keys=ON", "enabling foreign keys"));
  SCHAKEL_TRY(db->exec(flags.durable ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL",
                       "setting the sync level"));
  if (flags.query_only) SCHAKEL_TRY(db->exec("PRAGMA query_only=1", "opening a reader"));
  return db;
}

Db::~Db() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

Status Db::exec(const char* sql, std::string_view doing) {
  // BEGIN, COMMIT, ROLLBACK and SAVEPOINT run for every transaction, reads included: a single
  // statement is compiled once and kept with the others, instead of on every call.
  if (std::strchr(sql, ';') == nullptr) {
    sqlite3_stmt* stmt = nullptr;
    if (auto it = cache_.find(sql); it != cache_.end()) {
      stmt = it->second;
    } else {
      const int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
      if (rc != SQLITE_OK) return error(rc, doing);
      cache_.emplace(sql, stmt);
    }
    int rc = sqlite3_step(stmt);
    while (rc == SQLITE_ROW) rc = sqlite3_step(stmt);
    Status st = rc == SQLITE_DONE ? Status::ok() : error(rc, doing);
    sqlite3_reset(stmt);
    return st;
  }
  char* err = nullptr;
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  sqlite3_free(err);
  if (rc != SQLITE_OK) return error(rc, doing);
  return Status::ok();
}

Result<Stmt> Db::prepare(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) return Stmt(*this, it->second);
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size() + 1),
                                    SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return error(rc, "preparing a statement");
  cache_.emplace(sql, stmt);
  return Stmt(*this, stmt);
}

Status Db::error(int rc, std::string_view doing) const {
  return status_for(rc, file_, doing, sqlite3_errmsg(db_), sqlite3_system_errno(db_));
}

bool Db::in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

std::int64_t Db::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }

int Db::changes() const { return sqlite3_changes(db_); }

}  // namespace schakel::store::sqlite
