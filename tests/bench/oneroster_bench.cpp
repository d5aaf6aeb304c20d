// A full import of a generated OneRoster 1.2 bundle (scripts/gen-oneroster) through the real
// plugin host: the sis-oneroster plugin parses and maps every row, the host validates every
// record against its stream schema (the case schemas), and an importer upserts it into a SQLite
// store. Compared in the same run with a plain prepared INSERT of the same rows (the records'
// JSON) on raw SQLite in one transaction. Reports records/s, the ratio, and peak RSS.
// Usage: oneroster_bench [STUDENTS=100000] [BATCH=1000]
//   BATCH: records per store transaction in the importer (1 = one write per record).
#include <sqlite3.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "plugin_host/plugin_host.hpp"
#include "store/store.hpp"
#include "sync.hpp"

namespace {

using namespace schakel;
using nlohmann::json;
using Steady = std::chrono::steady_clock;

double seconds_since(Steady::time_point t) { return std::chrono::duration<double>(Steady::now() - t).count(); }

// CPU seconds of the whole process (every thread): on a shared machine the wall clock also counts
// time spent waiting for a core, so both are reported.
double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

long peak_rss_mb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024;
}

store::Kind kind_of(const std::string& stream) {
  if (stream == "schools") return store::Kind::school;
  if (stream == "guardians") return store::Kind::guardian;
  if (stream == "staff") return store::Kind::staff;
  return store::Kind::student;
}

store::Entity entity_of(const std::string& stream, const json& env) {
  store::Entity e;
  e.kind = kind_of(stream);
  e.doc = env["record"];
  e.id = e.doc["id"];
  e.tenant = e.doc.value("school_id", e.id);
  if (e.kind == store::Kind::guardian) e.student_id = e.doc["children"][0]["student_id"];
  e.connector = "sis";
  e.source_key = env["source_key"];
  e.source_version = env["source_version"];
  e.active = env["active"];
  return e;
}

// Plain SQLite: the same rows' JSON, one prepared INSERT each, one transaction.
double raw_insert_seconds(const std::filesystem::path& bundle, const std::filesystem::path& db_path,
                          std::size_t* rows) {
  sqlite3* db = nullptr;
  sqlite3_open(db_path.c_str(), &db);
  sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;"
                   "CREATE TABLE rows(kind TEXT, id TEXT PRIMARY KEY, source_key TEXT, version TEXT, doc TEXT)",
               nullptr, nullptr, nullptr);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO rows VALUES (?,?,?,?,?)", -1, &stmt, nullptr);
  double spent = 0;
  sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
  sis_oneroster::MappingConfig config = sis_oneroster::default_mapping_config();
  config.swv_code = "PO2701";
  sis_oneroster::SyncOptions options;
  options.fallback_version = "2026-11-01T00:00:00.000000Z";
  sis_oneroster::SyncOutput out;
  out.emit = [&](const std::string& stream, const json& env) {
    if (!env.contains("record")) return true;
    std::string doc = env["record"].dump();
    std::string id = env["record"]["id"];
    std::string key = env["source_key"], version = env["source_version"];
    auto t = Steady::now();  // only the insert itself is the raw rate
    sqlite3_bind_text(stmt, 1, stream.c_str(), -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, id.c_str(), -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, key.c_str(), -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 4, version.c_str(), -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 5, doc.c_str(), -1, SQLITE_STATIC);
    sqlite3_step(stmt);
    sqlite3_reset(stmt);
    spent += seconds_since(t);
    ++*rows;
    return true;
  };
  auto stats = sis_oneroster::sync_bundle(bundle, config, options, out);
  auto t = Steady::now();
  sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  spent += seconds_since(t);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  if (!stats) std::fprintf(stderr, "raw pass: %s\n", stats.status().message().c_str());
  return spent;
}

}  // namespace

int main(int argc, char** argv) {
  const int students = argc > 1 ? std::atoi(argv[1]) : 100000;
  const std::size_t batch = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 1000;
  char tmpl[] = "/tmp/oneroster-bench-XXXXXX";
  const std::filesystem::path dir = mkdtemp(tmpl);
  const auto bundle = dir / "bundle";
  std::string gen = "python3 -B " SCHAKEL_SOURCE_DIR "/scripts/gen-oneroster --version 1.2 --out " +
                    bundle.string() + " --students " + std::to_string(students);
  if (std::system(gen.c_str()) != 0) return 1;
  const auto plugin_dir = dir / "plugins";
  std::filesystem::create_directories(plugin_dir);
  std::filesystem::copy_file(SCHAKEL_SIS_ONEROSTER_PLUGIN, plugin_dir / "libschakel_sis_oneroster.so");

  store::Options so;
  so.path = dir / "schakel.db";
  so.durable = false;
  auto st = store::open_sqlite(so);
  if (!st) {
    std::fprintf(stderr, "%s\n", st.status().message().c_str());
    return 1;
  }
  auto& store = **st;
  std::vector<store::Entity> pending;
  std::size_t stored = 0;
  auto flush = [&]() -> Status {
    if (pending.empty()) return Status::ok();
    auto s = store.write([&](store::Transaction& tx) -> Status {
      for (const auto& e : pending) SCHAKEL_TRY(tx.upsert(e));
      return Status::ok();
    });
    stored += pending.size();
    pending.clear();
    return s;
  };
  plugin_host::HostOptions o;
  o.load.plugin_dirs = {plugin_dir};
  o.load.daemon_uid = getuid();
  o.load.schema_dir = SCHAKEL_SOURCE_DIR "/schemas";
  o.watchdog_thread = false;
  o.call_deadline = std::chrono::minutes(30);
  o.records = [&](const std::string&, const std::string& stream, const json& env) -> Status {
    if (stream == "rejected_rows" || !env.contains("record")) return Status::ok();
    pending.push_back(entity_of(stream, env));
    return pending.size() >= batch ? flush() : Status::ok();
  };
  std::size_t quarantined = 0;
  o.quarantine = [&](store::QuarantineRow&) {
    ++quarantined;
    return Status::ok();
  };
  plugin_host::PluginHost host(std::move(o));
  auto added = host.add_connector({"sis", plugin_dir / "libschakel_sis_oneroster.so", std::nullopt,
                                   json{{"bundle_dir", bundle.string()}, {"swv_code", "PO2701"}}});
  if (!added) {
    std::fprintf(stderr, "%s\n", added.message().c_str());
    return 1;
  }
  auto t = Steady::now();
  const double cpu0 = cpu_seconds();
  auto r = host.poll("sis").get();
  auto fl = flush();
  const double import_s = seconds_since(t);
  const double import_cpu = cpu_seconds() - cpu0;
  if (r.code != plugin_host::CallCode::ok || !fl) {
    std::fprintf(stderr, "import failed: %s %s\n", r.message.c_str(), fl.message().c_str());
    return 1;
  }
  const long rss_import = peak_rss_mb();
  std::size_t raw_rows = 0;
  const double raw_s = raw_insert_seconds(bundle, dir / "raw.db", &raw_rows);
  const double rate = static_cast<double>(stored) / import_s;
  const double raw_rate = static_cast<double>(raw_rows) / raw_s;
  std::printf("oneroster_bench: %d students, %zu records stored (%zu quarantined), batch %zu\n", students,
              stored, quarantined, batch);
  std::printf("  import (parse, map, validate, upsert): %.2f s, %.0f records/s (target >= 50000)\n", import_s, rate);
  std::printf("  import CPU time (all threads): %.2f s, %.0f records per CPU second\n", import_cpu,
              static_cast<double>(stored) / import_cpu);
  std::printf("  raw SQLite insert of the same %zu rows:  %.2f s, %.0f records/s\n", raw_rows, raw_s, raw_rate);
  std::printf("  ratio to raw: %.3f (target >= 0.2)\n", rate / raw_rate);
  std::printf("  peak RSS after import: %ld MB; at the end: %ld MB (target < 150)\n", rss_import, peak_rss_mb());
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return 0;
}
