#include "join_store.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <string>

namespace schakel::sis_oneroster {
namespace {

constexpr const char* k_schema =
    "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA temp_store=FILE;"
    // A user's demographics and placement in one row, so that a student is one lookup: dversion
    // is NULL until a demographics row came, class until an enrollment did.
    "CREATE TABLE users(user TEXT PRIMARY KEY, birth TEXT, sex TEXT, dversion TEXT, class TEXT, cversion TEXT,"
    " homeroom INT NOT NULL DEFAULT 0) WITHOUT ROWID;"
    "CREATE TABLE roles(user TEXT, seq INT, role TEXT, org TEXT, PRIMARY KEY(user, seq)) WITHOUT ROWID;"
    "CREATE TABLE children(guardian TEXT, student TEXT, PRIMARY KEY(guardian, student)) WITHOUT ROWID;"
    "CREATE TABLE deferred(seq INTEGER PRIMARY KEY, line INT, fields BLOB);"
    "BEGIN;";

// Not "bind": for a std::string argument, argument-dependent lookup would prefer std::bind.
void bind_text(sqlite3_stmt* s, int i, const std::string& v) {
  sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
}
std::string text(sqlite3_stmt* s, int i) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
  return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s, i))) : std::string();
}

}  // namespace

Result<std::unique_ptr<JoinStore>> JoinStore::open(int cache_kib) {
  std::unique_ptr<JoinStore> j(new JoinStore());
  // "" opens a private temporary database on disk, deleted when closed. One pass uses it from one
  // thread, so SQLite's own locking (a mutex around every call) is left out.
  if (sqlite3_open_v2("", &j->db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr) !=
      SQLITE_OK)
    return Status(ErrorCode::io, "sync: cannot open a temporary database");
  char* err = nullptr;
  const std::string schema = "PRAGMA cache_size=-" + std::to_string(cache_kib) + ";" + k_schema;
  if (sqlite3_exec(j->db_, schema.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    Status st(ErrorCode::io, std::string("sync: temporary database: ") + (err ? err : "unknown error"));
    sqlite3_free(err);
    return st;
  }
  SCHAKEL_TRY(j->prepare(&j->put_demographics_,
                         "INSERT INTO users(user, birth, sex, dversion) VALUES (?,?,?,?) ON CONFLICT(user) DO UPDATE SET"
                         " birth = excluded.birth, sex = excluded.sex, dversion = excluded.dversion"));
  SCHAKEL_TRY(j->prepare(&j->get_demographics_, "SELECT birth, sex, dversion FROM users WHERE user = ? AND dversion IS NOT NULL"));
  SCHAKEL_TRY(j->prepare(&j->place_,
                         "INSERT INTO users(user, class, cversion, homeroom) VALUES (?,?,?,?) ON CONFLICT(user) DO UPDATE SET"
                         " class = excluded.class, cversion = excluded.cversion, homeroom = excluded.homeroom"
                         " WHERE users.class IS NULL OR (excluded.homeroom AND NOT users.homeroom)"));
  SCHAKEL_TRY(j->prepare(&j->get_user_, "SELECT birth, sex, dversion, class, cversion, homeroom FROM users WHERE user = ?"));
  SCHAKEL_TRY(j->prepare(&j->add_role_, "INSERT INTO roles VALUES (?,?,?,?)"));
  SCHAKEL_TRY(j->prepare(&j->get_roles_, "SELECT role, org FROM roles WHERE user = ? ORDER BY seq"));
  SCHAKEL_TRY(j->prepare(&j->add_child_, "INSERT OR IGNORE INTO children VALUES (?,?)"));
  SCHAKEL_TRY(j->prepare(&j->get_children_, "SELECT student FROM children WHERE guardian = ? ORDER BY student"));
  SCHAKEL_TRY(j->prepare(&j->defer_, "INSERT INTO deferred(line, fields) VALUES (?,?)"));
  SCHAKEL_TRY(j->prepare(&j->get_deferred_, "SELECT line, fields FROM deferred ORDER BY seq"));
  return j;
}

JoinStore::~JoinStore() {
  for (sqlite3_stmt* s : {put_demographics_, get_demographics_, place_, get_user_, add_role_, get_roles_,
                          add_child_, get_children_, defer_, get_deferred_})
    sqlite3_finalize(s);
  sqlite3_close(db_);
}

Status JoinStore::prepare(sqlite3_stmt** stmt, const char* sql) {
  if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt, nullptr) == SQLITE_OK) return Status::ok();
  return Status(ErrorCode::internal, std::string("sync: temporary database: ") + sqlite3_errmsg(db_));
}

void JoinStore::fail(const char* what) {
  if (status_) status_ = Status(ErrorCode::io, std::string("sync: temporary database: ") + what + ": " + sqlite3_errmsg(db_));
}

bool JoinStore::step(sqlite3_stmt* stmt, const char* what) {
  const int rc = sqlite3_step(stmt);
  if (rc == SQLITE_ROW) return true;
  if (rc != SQLITE_DONE) fail(what);
  return false;
}

void JoinStore::put_demographics(const oneroster::Demographics& d) {
  bind_text(put_demographics_, 1, d.sourced_id);
  bind_text(put_demographics_, 2, d.birth_date);
  bind_text(put_demographics_, 3, d.sex);
  bind_text(put_demographics_, 4, d.date_last_modified);
  step(put_demographics_, "storing demographics");
  sqlite3_reset(put_demographics_);
}

std::optional<oneroster::Demographics> JoinStore::demographics(const std::string& user) {
  bind_text(get_demographics_, 1, user);
  std::optional<oneroster::Demographics> out;
  if (step(get_demographics_, "reading demographics")) {
    out.emplace();
    out->sourced_id = user;
    out->birth_date = text(get_demographics_, 0);
    out->sex = text(get_demographics_, 1);
    out->date_last_modified = text(get_demographics_, 2);
  }
  sqlite3_reset(get_demographics_);
  return out;
}

void JoinStore::place(const std::string& user, const Placement& p) {
  bind_text(place_, 1, user);
  bind_text(place_, 2, p.class_id);
  bind_text(place_, 3, p.version);
  sqlite3_bind_int(place_, 4, p.homeroom ? 1 : 0);
  step(place_, "storing a placement");
  sqlite3_reset(place_);
}

UserJoins JoinStore::user(const std::string& user) {
  bind_text(get_user_, 1, user);
  UserJoins out;
  if (step(get_user_, "reading demographics and placement")) {
    if (sqlite3_column_type(get_user_, 2) != SQLITE_NULL) {
      out.demographics.emplace();
      out.demographics->sourced_id = user;
      out.demographics->birth_date = text(get_user_, 0);
      out.demographics->sex = text(get_user_, 1);
      out.demographics->date_last_modified = text(get_user_, 2);
    }
    if (sqlite3_column_type(get_user_, 3) != SQLITE_NULL)
      out.placement = Placement{text(get_user_, 3), text(get_user_, 4), sqlite3_column_int(get_user_, 5) != 0};
  }
  sqlite3_reset(get_user_);
  return out;
}

void JoinStore::clear_placements() {
  if (sqlite3_exec(db_, "UPDATE users SET class = NULL, cversion = NULL, homeroom = 0", nullptr, nullptr, nullptr) !=
      SQLITE_OK)
    fail("clearing placements");
}

void JoinStore::add_role(const std::string& user, const std::string& role, const std::string& org, bool primary) {
  ++role_seq_;
  bind_text(add_role_, 1, user);
  sqlite3_bind_int64(add_role_, 2, primary ? -role_seq_ : role_seq_);
  bind_text(add_role_, 3, role);
  bind_text(add_role_, 4, org);
  step(add_role_, "storing a role");
  sqlite3_reset(add_role_);
}

std::vector<std::pair<std::string, std::string>> JoinStore::roles(const std::string& user) {
  std::vector<std::pair<std::string, std::string>> out;
  bind_text(get_roles_, 1, user);
  while (step(get_roles_, "reading roles")) out.emplace_back(text(get_roles_, 0), text(get_roles_, 1));
  sqlite3_reset(get_roles_);
  return out;
}

void JoinStore::add_child(const std::string& guardian, const std::string& student) {
  bind_text(add_child_, 1, guardian);
  bind_text(add_child_, 2, student);
  step(add_child_, "storing a link");
  sqlite3_reset(add_child_);
}

std::vector<std::string> JoinStore::children(const std::string& guardian) {
  std::vector<std::string> out;
  bind_text(get_children_, 1, guardian);
  while (step(get_children_, "reading links")) out.push_back(text(get_children_, 0));
  sqlite3_reset(get_children_);
  return out;
}

// A row's fields as one blob: each field's length (4 bytes, little end first), then its bytes.
void JoinStore::defer(const csv::Row& row) {
  std::string blob;
  for (const auto& f : row.fields) {
    const auto n = static_cast<std::uint32_t>(f.size());
    for (int i = 0; i < 4; ++i) blob.push_back(static_cast<char>((n >> (8 * i)) & 0xffu));
    blob += f;
  }
  sqlite3_bind_int64(defer_, 1, static_cast<sqlite3_int64>(row.line));
  sqlite3_bind_blob(defer_, 2, blob.data(), static_cast<int>(blob.size()), SQLITE_STATIC);
  step(defer_, "keeping a row");
  sqlite3_reset(defer_);
}

void JoinStore::each_deferred(const std::function<void(csv::Row&)>& f) {
  csv::Row row;
  while (step(get_deferred_, "reading kept rows")) {
    row.line = static_cast<std::uint64_t>(sqlite3_column_int64(get_deferred_, 0));
    const auto* p = static_cast<const unsigned char*>(sqlite3_column_blob(get_deferred_, 1));
    const auto size = static_cast<std::size_t>(sqlite3_column_bytes(get_deferred_, 1));
    row.fields.clear();
    for (std::size_t at = 0; at + 4 <= size;) {
      std::uint32_t n = 0;
      for (int i = 0; i < 4; ++i) n |= static_cast<std::uint32_t>(p[at + static_cast<std::size_t>(i)]) << (8 * i);
      at += 4;
      row.fields.emplace_back(reinterpret_cast<const char*>(p + at), std::min<std::size_t>(n, size - at));
      at += n;
    }
    f(row);
  }
  sqlite3_reset(get_deferred_);
}

}  // namespace schakel::sis_oneroster
