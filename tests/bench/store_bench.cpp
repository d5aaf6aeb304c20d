// Upserting 100,000 students through the Store interface, against a plain prepared INSERT of the
// same rows on raw SQLite, both in one transaction with the same pragmas and schema, in one run.
// Usage: store_bench [COUNT] [ROUNDS]
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "store/store.hpp"

namespace {

using namespace schakel;
using Clock = std::chrono::steady_clock;

constexpr std::array<const char*, 8> k_voornamen = {"Sanne Maria", "Daan", "Emma Johanna",
                                                    "Noah Pieter", "Julia", "Sem Willem",
                                                    "Tess", "Mohammed Amin"};
constexpr std::array<const char*, 8> k_roepnamen = {"Sanne", "Daan", "Emma", "Noah",
                                                    "Julia", "Sem",  "Tess", "Mo"};
constexpr std::array<const char*, 8> k_achternamen = {"Dijk",   "Jansen",  "Bakker", "Visser",
                                                      "Smit",   "Meijer",  "Bulut",  "El Amrani"};
constexpr std::array<const char*, 3> k_voorvoegsels = {"van", "de", "van der"};

// A student as the LAS import produces it (DOMAIN.md): ids, name parts, birth date, group.
store::Entity make_student(int n) {
  char id[32];
  std::snprintf(id, sizeof id, "stu-%07d", n);
  char eckid[128];
  std::snprintf(eckid, sizeof eckid, "https://ketenid.nl/201703/%064x", n * 2654435761U);
  char birth[16];
  std::snprintf(birth, sizeof birth, "20%02d-%02d-%02d", 12 + n % 9, 1 + n % 12, 1 + n % 28);
  const int groep = 1 + n % 8;
  const std::string school = "sch-" + std::to_string(10 + n % 50) + "AB00";
  nlohmann::json naam = {{"voornamen", k_voornamen[n % 8]},
                         {"roepnaam", k_roepnamen[n % 8]},
                         {"achternaam", k_achternamen[(n / 8) % 8]}};
  if (n % 3 == 0) naam["voorvoegsel"] = k_voorvoegsels[n % 3];
  store::Entity e;
  e.kind = store::Kind::student;
  e.id = id;
  e.tenant = std::to_string(10 + n % 50) + "AB00";
  e.connector = "las";
  e.source_key = "LAS" + std::to_string(1000000 + n);
  e.source_version = "2026-11-20T06:00:00Z";
  e.doc = {{"id", id},
           {"school_id", school},
           {"las_key", e.source_key},
           {"eckid", eckid},
           {"bsn", std::to_string(100000000 + n * 7)},
           {"naam", naam},
           {"birth_date", birth},
           {"gender", n % 2 == 0 ? "female" : "male"},
           {"groep", std::to_string(groep)},
           {"jaargroep", groep},
           {"status", "active"}};
  e.updated_at = TimePoint{std::chrono::seconds{1763618400}};
  return e;
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "store_bench: %s\n", what.c_str());
  std::exit(1);
}

std::unique_ptr<store::Store> open_store(const std::filesystem::path& path) {
  store::Options options;
  options.path = path;
  auto s = store::open_sqlite(options);
  if (!s) die(s.status().message());
  return std::move(*s);
}

double bench_store(const std::filesystem::path& path, const std::vector<store::Entity>& rows) {
  auto s = open_store(path);
  const auto start = Clock::now();
  auto tx = s->begin(true);
  if (!tx) die(tx.status().message());
  for (const auto& e : rows) {
    auto r = (*tx)->upsert(e);
    if (!r || *r != store::UpsertOutcome::inserted) die("upsert: " + r.status().message());
  }
  if (Status st = (*tx)->commit(); !st) die(st.message());
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void check(sqlite3* db, int rc, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE) die(std::string(what) + ": " + sqlite3_errmsg(db));
}

// The baseline: the store's own schema (so the same indexes), the same pragmas the store sets, and
// one prepared INSERT per row. `texts` non-empty: JSON already serialised; else dumped per row.
double bench_raw(const std::filesystem::path& path, const std::vector<store::Entity>& rows,
                 const std::vector<std::string>& texts) {
  open_store(path).reset();  // creates and migrates the file
  sqlite3* db = nullptr;
  check(db, sqlite3_open(path.c_str(), &db), "open");
  check(db, sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON;"
                             " PRAGMA synchronous=FULL", nullptr, nullptr, nullptr), "pragmas");
  sqlite3_stmt* ins = nullptr;
  check(db, sqlite3_prepare_v2(db,
                               "INSERT INTO students (id, tenant, student_id, connector, source_key,"
                               " source_version, active, doc, updated_at)"
                               " VALUES (?,?,?,?,?,?,?,?,?)", -1, &ins, nullptr), "prepare");
  const auto start = Clock::now();
  check(db, sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), "begin");
  std::string dumped;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& e = rows[i];
    if (texts.empty()) dumped = e.doc.dump();
    const std::string& doc = texts.empty() ? dumped : texts[i];
    sqlite3_bind_text(ins, 1, e.id.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(ins, 2, e.tenant.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(ins, 3, e.student_id.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(ins, 4, e.connector.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(ins, 5, e.source_key.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(ins, 6, e.source_version.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(ins, 7, e.active ? 1 : 0);
    sqlite3_bind_text(ins, 8, doc.c_str(), static_cast<int>(doc.size()), SQLITE_TRANSIENT);
    sqlite3_bind_int64(ins, 9, e.updated_at.time_since_epoch().count());
    check(db, sqlite3_step(ins), "insert");
    sqlite3_reset(ins);
  }
  check(db, sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr), "commit");
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  sqlite3_finalize(ins);
  sqlite3_close(db);
  return seconds;
}

void remove_db(const std::filesystem::path& path) {
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::filesystem::remove(path.string() + suffix);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int count = argc > 1 ? std::atoi(argv[1]) : 100000;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 3;
  if (count <= 0 || rounds <= 0) die("usage: store_bench [COUNT] [ROUNDS]");

  std::string tmpl = (std::filesystem::temp_directory_path() / "schakel-bench-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) die("mkdtemp failed");
  const std::filesystem::path dir = tmpl;

  std::vector<store::Entity> rows;
  std::vector<std::string> texts;
  rows.reserve(static_cast<std::size_t>(count));
  for (int n = 0; n < count; ++n) rows.push_back(make_student(n));
  std::size_t bytes = 0;
  for (const auto& e : rows) {
    texts.push_back(e.doc.dump());
    bytes += texts.back().size();
  }

  // Best of several rounds, alternating, so neither side gets the warm cache alone.
  double store_s = 1e9;
  double raw_s = 1e9;
  double raw_dump_s = 1e9;
  const auto db = dir / "bench.db";
  for (int r = 0; r < rounds; ++r) {
    remove_db(db);
    raw_s = std::min(raw_s, bench_raw(db, rows, texts));
    remove_db(db);
    raw_dump_s = std::min(raw_dump_s, bench_raw(db, rows, {}));
    remove_db(db);
    store_s = std::min(store_s, bench_store(db, rows));
  }
  std::filesystem::remove_all(dir);

  const double n = count;
  std::printf("store_bench: %d students (avg document %zu bytes), one transaction, "
              "synchronous=FULL, WAL, best of %d rounds\n",
              count, bytes / rows.size(), rounds);
  std::printf("  Store::upsert                       %10.0f students/s  (%.3f s)\n", n / store_s,
              store_s);
  std::printf("  raw prepared INSERT, JSON pre-dumped %10.0f students/s  (%.3f s)\n", n / raw_s,
              raw_s);
  std::printf("  raw prepared INSERT + json dump()    %10.0f students/s  (%.3f s)\n",
              n / raw_dump_s, raw_dump_s);
  std::printf("  ratio store / raw (pre-dumped)       %.2f   (target >= 0.50)\n", raw_s / store_s);
  std::printf("  ratio store / raw (+ dump)           %.2f\n", raw_dump_s / store_s);
  return 0;
}
