#pragma once
// Shared helpers for the store tests: realistic student entities and a store in a temp dir.
#include <gtest/gtest.h>

#include <sqlite3.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>

#include "store/store.hpp"
#include "../../../support/temp_dir.hpp"

namespace schakel::store::test {

inline nlohmann::json student_doc(int n, const std::string& groep = "5") {
  char id[32];
  std::snprintf(id, sizeof id, "stu-%06d", n);
  return {{"id", id},
          {"school_id", "sch-12AB00"},
          {"las_key", "LAS" + std::to_string(100000 + n)},
          {"naam",
           {{"voornamen", "Sanne Maria"},
            {"roepnaam", "Sanne"},
            {"voorvoegsel", "van"},
            {"achternaam", "Dijk"}}},
          {"birth_date", "2016-04-12"},
          {"gender", "female"},
          {"groep", groep},
          {"jaargroep", 5},
          {"status", "active"}};
}

inline Entity student(int n, const std::string& version = "2026-01-01T00:00:00Z",
                      const std::string& groep = "5") {
  Entity e;
  e.kind = Kind::student;
  e.doc = student_doc(n, groep);
  e.id = e.doc["id"].get<std::string>();
  e.tenant = "12AB00";
  e.connector = "las";
  e.source_key = e.doc["las_key"].get<std::string>();
  e.source_version = version;
  e.updated_at = TimePoint{std::chrono::seconds{1767225600 + n}};
  return e;
}

inline std::unique_ptr<Store> open_store(const std::filesystem::path& path, int busy_ms = 5000) {
  Options options;
  options.path = path;
  options.busy_timeout_ms = busy_ms;
  auto store = open_sqlite(options);
  EXPECT_TRUE(store) << store.status().message();
  if (!store) return nullptr;
  return std::move(*store);
}

// Runs one SQL text on the file with plain SQLite, outside the store; returns the error text or "".
inline std::string raw_sql(const std::filesystem::path& path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::string error;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) {
    error = sqlite3_errmsg(db);
  } else {
    char* msg = nullptr;
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &msg) != SQLITE_OK) {
      error = msg != nullptr ? msg : "error";
    }
    sqlite3_free(msg);
  }
  sqlite3_close(db);
  return error;
}

// The first column of the first row of a query, as text, with plain SQLite.
inline std::string raw_scalar(const std::filesystem::path& path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::string out = "<error>";
  if (sqlite3_open(path.c_str(), &db) == SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK) {
      if (sqlite3_step(stmt) == SQLITE_ROW) {
        const auto* text = sqlite3_column_text(stmt, 0);
        out = text != nullptr ? reinterpret_cast<const char*>(text) : "";
      }
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return out;
}

}  // namespace schakel::store::test
