// A full import of generated OneRoster 1.2 bundles (scripts/gen-oneroster) along the daemon's own
// path: the sis-oneroster plugin behind the real plugin host parses and maps every row, the host
// validates every record against its stream schema (the case schemas), and the daemon's
// RecordImporter stores it in a SQLite store in batched transactions, flushed before the cursor
// moves. Compared in the same run with a plain prepared INSERT of the same rows (the records' JSON)
// on raw SQLite in one transaction. Each import and each raw pass runs in a child process of its
// own, so the peak RSS of each is its own; two bundle sizes show whether memory stays flat.
// Usage: oneroster_bench [STUDENTS=100000] [SMALL=20000]   (SMALL 0: one size only)
//        oneroster_bench --import DIR | --raw DIR             (the children; print one line)
#include <jemalloc/jemalloc.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "audit/audit_writer.hpp"
#include "daemon/pipeline.hpp"
#include "plugin_host/plugin_host.hpp"
#include "store/store.hpp"
#include "sync.hpp"

namespace {

using namespace schakel;
using nlohmann::json;
using Steady = std::chrono::steady_clock;
namespace fs = std::filesystem;

double seconds_since(Steady::time_point t) { return std::chrono::duration<double>(Steady::now() - t).count(); }

// CPU seconds of the whole process (every thread): on a shared machine the wall clock also counts
// time spent waiting for a core, so both are reported.
double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

long peak_rss_kb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

// Bytes the allocator (jemalloc, as in schakeld) has handed out and not had back.
std::size_t heap_in_use() {
  std::uint64_t epoch = 1;
  std::size_t size = sizeof epoch;
  mallctl("epoch", &epoch, &size, &epoch, size);  // refreshes the statistics
  std::size_t allocated = 0;
  size = sizeof allocated;
  return mallctl("stats.allocated", &allocated, &size, nullptr, 0) == 0 ? allocated : 0;
}

// The import child: plugin host + daemon importer + store, as the daemon wires them.
int run_import(const fs::path& dir) {
  const fs::path plugin_dir = dir / "plugins";
  fs::create_directories(plugin_dir);
  fs::copy_file(SCHAKEL_SIS_ONEROSTER_PLUGIN, plugin_dir / "libschakel_sis_oneroster.so",
                fs::copy_options::overwrite_existing);
  SystemClock clock;
  store::Options so;
  so.path = dir / "schakel.db";
  so.durable = false;
  auto st = store::open_sqlite(so);
  if (!st) {
    std::fprintf(stderr, "%s\n", st.status().message().c_str());
    return 1;
  }
  auto& store = **st;
  auto audit = audit::AuditWriter::open({dir / "keys", dir / "audit.checkpoints", 1000, std::chrono::seconds{300}, &clock});
  if (!audit) {
    std::fprintf(stderr, "%s\n", audit.status().message().c_str());
    return 1;
  }
  daemon::ConsentService consent;
  if (Status loaded = consent.load(store); !loaded) {  // as the daemon starts
    std::fprintf(stderr, "%s\n", loaded.message().c_str());
    return 1;
  }
  daemon::RecordImporter importer(store, **audit, consent, clock);
  importer.set_batch_size(daemon::RecordImporter::k_daemon_batch);
  std::map<std::string, std::size_t> stored;
  plugin_host::HostOptions o;
  o.load.plugin_dirs = {plugin_dir};
  o.load.daemon_uid = getuid();
  o.load.schema_dir = SCHAKEL_SOURCE_DIR "/schemas";
  o.watchdog_thread = false;
  o.call_deadline = std::chrono::minutes(30);
  o.clock = &clock;
  o.records = [&](const std::string& connector, const std::string& stream, json&& env,
                  std::string_view record_text) -> Status {
    if (env.contains("record")) ++stored[stream];
    return importer.import(connector, stream, std::move(env), record_text);
  };
  o.flush_records = [&](const std::string& connector) { return importer.flush(connector); };
  std::size_t quarantined = 0;
  o.quarantine = [&](store::QuarantineRow&) {
    ++quarantined;
    return Status::ok();
  };
  o.on_log = [](const std::string&, int, const std::string&) {};
  plugin_host::PluginHost host(std::move(o));
  auto added = host.add_connector({"sis", plugin_dir / "libschakel_sis_oneroster.so", std::nullopt,
                                   json{{"bundle_dir", (dir / "bundle").string()}, {"swv_code", "PO2701"}}});
  if (!added) {
    std::fprintf(stderr, "%s\n", added.message().c_str());
    return 1;
  }
  const long rss_before = peak_rss_kb();
  auto t = Steady::now();
  const double cpu0 = cpu_seconds();
  auto r = host.poll("sis").get();
  const double wall = seconds_since(t);
  const double cpu = cpu_seconds() - cpu0;
  // What is still allocated once the poll is done (the daemon's consent index, the plugin's
  // reconcile keys): the part of the peak that is kept, not transient.
  const double heap_mb = static_cast<double>(heap_in_use()) / (1024.0 * 1024.0);
  if (r.code != plugin_host::CallCode::ok) {
    std::fprintf(stderr, "import failed: %s\n", r.message.c_str());
    return 1;
  }
  std::size_t total = 0;
  for (const auto& [stream, n] : stored) total += n;
  // What the store holds, counted back: the figure is of records stored, not merely emitted.
  std::size_t in_store = 0;
  for (auto kind : {store::Kind::school, store::Kind::student, store::Kind::guardian, store::Kind::staff}) {
    auto tx = store.begin(false);
    store::EntityQuery q;
    q.kind = kind;
    q.limit = 5000;
    for (;;) {
      auto page = (*tx)->list(q);
      if (!page || page->empty()) break;
      in_store += page->size();
      q.after_id = page->back().id;
    }
  }
  std::printf("import records=%zu stored=%zu quarantined=%zu wall=%.3f cpu=%.3f rss_kb=%ld rss_before_kb=%ld heap_mb=%.1f\n",
              total, in_store, quarantined, wall, cpu, peak_rss_kb(), rss_before, heap_mb);
  return 0;
}

// The raw child: the same rows' JSON, one prepared INSERT each, one transaction. Only the inserts
// and the commit are timed.
int run_raw(const fs::path& dir) {
  sqlite3* db = nullptr;
  sqlite3_open((dir / "raw.db").c_str(), &db);
  sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;"
                   "CREATE TABLE rows(kind TEXT, id TEXT PRIMARY KEY, source_key TEXT, version TEXT, doc TEXT)",
               nullptr, nullptr, nullptr);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO rows VALUES (?,?,?,?,?)", -1, &stmt, nullptr);
  double spent = 0;
  std::size_t rows = 0;
  sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
  sis_oneroster::MappingConfig config = sis_oneroster::default_mapping_config();
  config.swv_code = "PO2701";
  sis_oneroster::SyncOptions options;
  options.fallback_version = "2026-11-01T00:00:00.000000Z";
  sis_oneroster::SyncOutput out;
  out.emit = [&](sis_oneroster::Outgoing o) {
    const json env = json::parse(o.text);  // outside the timed part, as the mapping
    if (!env.contains("record")) return;
    const std::string& stream = o.stream;
    std::string doc = env["record"].dump();
    std::string id = env["record"]["id"];
    std::string key = env["source_key"], version = env["source_version"];
    auto t = Steady::now();
    sqlite3_bind_text(stmt, 1, stream.c_str(), -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, id.c_str(), -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, key.c_str(), -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 4, version.c_str(), -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 5, doc.c_str(), -1, SQLITE_STATIC);
    sqlite3_step(stmt);
    sqlite3_reset(stmt);
    spent += seconds_since(t);
    ++rows;
  };
  auto stats = sis_oneroster::sync_bundle(dir / "bundle", config, options, out);
  auto t = Steady::now();
  sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  spent += seconds_since(t);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  if (!stats) {
    std::fprintf(stderr, "raw pass: %s\n", stats.status().message().c_str());
    return 1;
  }
  std::printf("raw rows=%zu seconds=%.3f rss_kb=%ld\n", rows, spent, peak_rss_kb());
  return 0;
}

// Runs this binary with `args` and returns the one line it prints ("" on failure).
std::string run_child(const char* self, const std::vector<std::string>& args) {
  int fds[2];
  if (pipe(fds) != 0) return "";
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    std::vector<char*> argv{const_cast<char*>(self)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv("/proc/self/exe", argv.data());
    _exit(127);
  }
  close(fds[1]);
  std::string out;
  char buf[512];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return "";
  return out;
}

double field(const std::string& line, const std::string& name) {
  auto at = line.find(" " + name + "=");
  return at == std::string::npos ? 0 : std::atof(line.c_str() + at + name.size() + 2);
}

struct Figures {
  int students = 0;
  double records = 0, stored = 0, quarantined = 0, wall = 0, cpu = 0, rss_mb = 0, heap_mb = 0;
  double raw_rows = 0, raw_s = 0;
};

bool measure(const char* self, int students, Figures& f) {
  char tmpl[] = "/tmp/oneroster-bench-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return false;
  const fs::path dir = tmpl;
  std::string gen = "python3 -B " SCHAKEL_SOURCE_DIR "/scripts/gen-oneroster --version 1.2 --out " +
                    (dir / "bundle").string() + " --students " + std::to_string(students);
  bool ok = std::system(gen.c_str()) == 0;
  const std::string imp = ok ? run_child(self, {"--import", dir.string()}) : "";
  const std::string raw = ok && !imp.empty() ? run_child(self, {"--raw", dir.string()}) : "";
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (imp.empty() || raw.empty()) return false;
  f.students = students;
  f.records = field(imp, "records");
  f.stored = field(imp, "stored");
  f.quarantined = field(imp, "quarantined");
  f.wall = field(imp, "wall");
  f.cpu = field(imp, "cpu");
  f.rss_mb = field(imp, "rss_kb") / 1024;
  f.heap_mb = field(imp, "heap_mb");
  f.raw_rows = field(raw, "rows");
  f.raw_s = field(raw, "seconds");
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::strcmp(argv[1], "--import") == 0) return run_import(argv[2]);
  if (argc == 3 && std::strcmp(argv[1], "--raw") == 0) return run_raw(argv[2]);
  const int students = argc > 1 ? std::atoi(argv[1]) : 100000;
  const int small = argc > 2 ? std::atoi(argv[2]) : 20000;
  std::vector<Figures> all;
  for (int n : {small, students}) {
    if (n <= 0) continue;
    Figures f;
    if (!measure(argv[0], n, f)) {
      std::fprintf(stderr, "oneroster_bench: the run with %d students failed\n", n);
      return 1;
    }
    all.push_back(f);
  }
  std::printf("oneroster_bench: plugin -> host (validate) -> daemon RecordImporter (the daemon's batches) -> SQLite store\n");
  for (const auto& f : all) {
    const double rate = f.stored / f.wall;
    const double raw_rate = f.raw_rows / f.raw_s;
    std::printf("  %d students: %.0f records emitted, %.0f in the store, %.0f quarantined\n", f.students, f.records,
                f.stored, f.quarantined);
    std::printf("    import: %.2f s wall, %.0f records/s (target >= 50000); %.2f CPU s, %.0f records per CPU second\n",
                f.wall, rate, f.cpu, f.stored / f.cpu);
    std::printf("    raw SQLite insert of the same %.0f rows: %.2f s, %.0f records/s\n", f.raw_rows, f.raw_s, raw_rate);
    std::printf("    ratio to raw: %.3f (target >= 0.2)\n", rate / raw_rate);
    std::printf("    peak RSS of the import process: %.0f MB (target < 150, flat in the bundle size); heap still in use"
                " after the poll: %.0f MB\n", f.rss_mb, f.heap_mb);
  }
  return 0;
}
