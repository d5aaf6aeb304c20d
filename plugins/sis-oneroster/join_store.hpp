#pragma once
// What a sync pass joins onto the users (demographics, homeroom placements, 1.2 roles, the
// guardians' children), kept in a private temporary SQLite database instead of maps in memory:
// SQLite's page cache bounds the memory, so a pass over a bundle of any size stays flat, and the
// file is deleted when the store closes. One transaction spans the pass (nothing to roll back:
// the file is thrown away). A failed write is kept and reported by status().
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/status.hpp"
#include "csv/reader.hpp"
#include "oneroster/model.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace schakel::sis_oneroster {

struct Placement {
  std::string class_id;
  std::string version;
  bool homeroom = false;
};

// What is joined onto a student's users row.
struct UserJoins {
  std::optional<oneroster::Demographics> demographics;
  std::optional<Placement> placement;
};

class JoinStore {
 public:
  // `cache_kib` bounds SQLite's page cache, and with it the store's memory.
  static Result<std::unique_ptr<JoinStore>> open(int cache_kib = 4096);
  ~JoinStore();
  JoinStore(const JoinStore&) = delete;
  JoinStore& operator=(const JoinStore&) = delete;

  // The first failure of any call so far (ok while none).
  [[nodiscard]] const Status& status() const { return status_; }

  void put_demographics(const oneroster::Demographics& d);  // the last row of a user wins
  std::optional<oneroster::Demographics> demographics(const std::string& user);

  // The homeroom class is the student's groep; a scheduled class only while there is none.
  void place(const std::string& user, const Placement& p);
  void clear_placements();
  UserJoins user(const std::string& user);  // demographics and placement in one lookup

  // A primary role goes before the others (the latest primary first), the rest in file order.
  void add_role(const std::string& user, const std::string& role, const std::string& org, bool primary);
  std::vector<std::pair<std::string, std::string>> roles(const std::string& user);  // (role, org)

  void add_child(const std::string& guardian, const std::string& student);
  std::vector<std::string> children(const std::string& guardian);  // sorted, no repeats

  // Rows kept for later (a guardian's users row waits for all its children): the fields and the
  // line, handed back in the order they were kept.
  void defer(const csv::Row& row);
  void each_deferred(const std::function<void(csv::Row&)>& f);

 private:
  JoinStore() = default;
  Status prepare(sqlite3_stmt** stmt, const char* sql);
  bool step(sqlite3_stmt* stmt, const char* what);  // true while a row is there
  void fail(const char* what);

  sqlite3* db_ = nullptr;
  Status status_ = Status::ok();
  long long role_seq_ = 0;
  sqlite3_stmt* put_demographics_ = nullptr;
  sqlite3_stmt* get_demographics_ = nullptr;
  sqlite3_stmt* place_ = nullptr;
  sqlite3_stmt* get_user_ = nullptr;
  sqlite3_stmt* add_role_ = nullptr;
  sqlite3_stmt* get_roles_ = nullptr;
  sqlite3_stmt* add_child_ = nullptr;
  sqlite3_stmt* get_children_ = nullptr;
  sqlite3_stmt* defer_ = nullptr;
  sqlite3_stmt* get_deferred_ = nullptr;
};

}  // namespace schakel::sis_oneroster
