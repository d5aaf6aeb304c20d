// The admin API under wrk (issue 6, Benchmark), next to nginx in the same run.
//
// A real schakeld (this bench build) serves a data directory seeded here through the audit and
// store libraries: 1,000,000 audit entries with a valid hash chain (one student among them with a
// page of its own), a school and the student, and tokens for an operator and a privacy officer.
// wrk (-t2, 64 connections, keep-alive) then measures, over plain HTTP on loopback (allowed by
// api.allow_plain_http_on_loopback) and over TLS (a second start of the daemon on the same data):
//   GET /v1/health                    public
//   GET /v1/connectors                bearer token (operator)
//   GET /v1/audit?student=…&limit=PAGE  bearer token (privacy officer); each search is itself
//                                     appended to the audit log through group commit. The student
//                                     has PAGE (default 20) seeded entries spread over the log, so
//                                     every search answers the same bytes although each one adds
//                                     an audit.read entry about the student after them.
// and nginx-light (one process, started here on free loopback ports with its own config, pid and
// logs) serving each response's exact bytes as a static file, plain and over TLS with the same
// certificate. Reported: requests/s and p99 for each, schakeld's CPU time (all threads) per
// request (a figure that holds on a busy machine too), and schakeld's share of nginx's rate.
// Targets: ≥ 0.8 of nginx for health, ≥ 0.5 for the authenticated read, p99 < 20 ms for the search.
//
// Usage: api_wrk_bench [ENTRIES=1000000] [SECONDS=4] [PAGE=20]
//   env API_WRK_ONLY=part-of-target  runs only the matching endpoints (e.g. audit, health, tls/)
//   env API_WRK_KEEP=DIR             seeds into DIR once and reuses it on later runs with the same
//                                    ENTRIES and PAGE (each run appends its own audit.read entries)
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "../support/temp_dir.hpp"
#include "api/tls.hpp"
#include "api/token_store.hpp"
#include "api_wrk_tools.hpp"
#include "audit/audit_writer.hpp"
#include "audit/entry.hpp"
#include "store/store.hpp"

namespace {

using namespace schakel;
using Steady = std::chrono::steady_clock;

const std::string k_tenant = "12AB00";
const std::string k_student = "stu-target";

struct Seeded {
  std::string operator_token;
  std::string privacy_token;
};

audit::AuditEvent background_event(int i) {
  audit::AuditEvent e;
  e.tenant = i % 50 == 0 ? k_tenant : "sch" + std::to_string(10 + i % 50) + "AB00";
  e.action = i % 7 == 0 ? "import" : "disclose";
  e.outcome = i % 4 == 0 ? "redacted" : "delivered";
  e.actor = "connector:referral-portal";
  e.actor_role = "system";
  e.student_id = "stu-" + std::to_string(i % 30000);
  e.recipient = audit::encode_recipient({"SWV Passend Onderwijs Rijnmond", "education_specialist", "A. de Vries"});
  e.purpose = "swv_request";
  e.processing_activity = "passend-onderwijs-aanmelding";
  e.categories = {"identity", "education", "case"};
  e.consent_ids = {"consent-" + std::to_string(i % 90000)};
  e.payload_sha256 = std::string(64, 'a');
  e.trace_id = std::to_string(1'000'000'000 + i);
  return e;
}

Result<Seeded> seed(const std::filesystem::path& data, int entries, int page) {
  std::filesystem::create_directories(data);
  ::chmod(data.c_str(), 0700);
  SystemClock clock;
  store::Options so;
  so.path = data / "schakel.db";
  so.durable = false;  // seeding only; the daemon opens the file durable (synchronous=FULL)
  auto st = store::open_sqlite(so);
  if (!st) return st.status();
  audit::AuditWriterOptions wo{data / "keys", data / "audit.checkpoints", 1000, std::chrono::seconds{3600}, &clock};
  auto writer = audit::AuditWriter::open(wo);
  if (!writer) return writer.status();

  const Status entities = (*st)->write([&](store::Transaction& tx) -> Status {
    store::Entity school{store::Kind::school, "school-12ab", k_tenant, "", "", "", "", true,
                         {{"id", "school-12ab"}, {"brin", "12AB"}, {"vestiging", "00"}, {"naam", "OBS De Regenboog"}},
                         clock.now()};
    SCHAKEL_TRY(tx.put(school));
    store::Entity student{store::Kind::student, k_student, k_tenant, k_student, "", "", "", true,
                          {{"id", k_student}, {"school_id", "school-12ab"}, {"las_key", "B1"},
                           {"naam", {{"voornamen", "Daan Pieter"}, {"roepnaam", "Daan"}, {"achternaam", "Berg"}}},
                           {"birth_date", "2017-05-14"}, {"gender", "male"}, {"groep", "5B"}, {"jaargroep", 5},
                           {"status", "active"}},
                          clock.now()};
    return tx.put(student);
  });
  if (!entities) return entities;

  // The student's own entries are spread evenly through the log, so the search needs the index.
  const int spacing = entries / page;
  const auto t0 = Steady::now();
  constexpr int k_batch = 20'000;
  for (int done = 0; done < entries;) {
    auto tx = (*st)->begin(true);
    if (!tx) return tx.status();
    for (int i = 0; i < k_batch && done < entries; ++i, ++done) {
      audit::AuditEvent e = background_event(done);
      if (done % spacing == spacing / 2 && done / spacing < page) {
        e.tenant = k_tenant;
        e.student_id = k_student;
      }
      auto row = (*writer)->append(**tx, e);
      if (!row) return row.status();
    }
    SCHAKEL_TRY((*tx)->commit());
  }
  SCHAKEL_TRY((*writer)->checkpoint_now(**st));
  const double secs = std::chrono::duration<double>(Steady::now() - t0).count();
  std::printf("seeded %d audit entries (%d of %s) in %.1f s: %.0f entries/s, chain and checkpoint valid\n", entries,
              page, k_student.c_str(), secs, entries / secs);

  api::TokenStore tokens(**st, clock);
  const TimePoint expiry = clock.now() + std::chrono::hours(24);
  auto op = tokens.create({api::Role::operator_, {"12AB"}, expiry, "bench", "wrk operator"});
  if (!op) return op.status();
  auto po = tokens.create({api::Role::privacy_officer, {"12AB"}, expiry, "bench", "wrk privacy officer"});
  if (!po) return po.status();
  return Seeded{op->secret, po->secret};
}

std::string config_text(const std::filesystem::path& data, const std::filesystem::path& tls_dir, bool tls) {
  std::string api = "api:\n  listen: 127.0.0.1:0\n  max_connections_per_client: 256\n";
  api += tls ? "  tls: {cert_file: " + (tls_dir / "cert.pem").string() + ", key_file: " + (tls_dir / "key.pem").string() + "}\n"
             : "  allow_plain_http_on_loopback: true\n";
  return "version: 1\ninstance:\n  name: api-bench\n  data_dir: " + data.string() +
         "\n  log: {format: json, level: info}\n  shutdown_deadline_ms: 2000\n"
         "  plugin_dirs: ['" + std::string(SCHAKEL_BINARY_DIR) + "/plugins']\n" + api +
         "schools:\n  - {brin: 12AB, vestiging: '00', naam: OBS De Regenboog}\n"
         "connectors:\n  - {id: src, plugin: schakel_demo_source, schedule: '0 3 * * *', run_missed_at_start: false}\n"
         "  - {id: sink, plugin: schakel_noop_sink}\n";
}

// One schakeld on the seeded data; killed by ChildProcess if the bench ends early.
struct Daemon {
  std::unique_ptr<test::ChildProcess> process;
  std::string url;
  std::uint16_t port = 0;

  bool start(const std::filesystem::path& config) {
    process = std::make_unique<test::ChildProcess>(
        std::vector<std::string>{std::string(SCHAKEL_BINARY_DIR) + "/bin/schakeld", "--config", config.string()});
    auto ready = process->wait_for("\"msg\":\"ready\"", std::chrono::seconds(60));
    if (!ready) return false;
    url = nlohmann::json::parse(*ready)["api"].get<std::string>();
    port = static_cast<std::uint16_t>(std::stoi(url.substr(url.rfind(':') + 1)));
    return true;
  }
  void stop() {
    if (!process) return;
    process->signal(SIGTERM);
    (void)process->wait_exit(std::chrono::seconds(10));
    process.reset();
  }
};

struct Endpoint {
  std::string name;
  std::string target;
  std::string file;  // nginx's copy of the response
  std::vector<std::string> headers;
};

struct Row {
  std::string transport, endpoint;
  bench::WrkResult hub, nginx;
  double hub_cpu_us = 0;  // the daemon's CPU time (all threads) per request served
};

// utime + stime of a process in seconds, from /proc/PID/stat (fields 14 and 15, after the name).
double process_cpu_seconds(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(stat.substr(close + 2));
  std::string skip;
  for (int i = 3; i < 14; ++i) fields >> skip;
  double utime = 0, stime = 0;
  fields >> utime >> stime;
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

void print_row(const Row& r) {
  std::printf("%-6s %-34s %9.0f %8.2f %8.0f %9.0f %8.2f %6.2f %6ld\n", r.transport.c_str(), r.endpoint.c_str(),
              r.hub.requests_per_second, r.hub.p99_ms, r.hub_cpu_us, r.nginx.requests_per_second, r.nginx.p99_ms,
              r.nginx.requests_per_second > 0 ? r.hub.requests_per_second / r.nginx.requests_per_second : 0.0,
              r.hub.bad);
  std::fflush(stdout);
}

int fail(const std::string& what) {
  std::fprintf(stderr, "api_wrk_bench: %s\n", what.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  const int entries = argc > 1 ? std::atoi(argv[1]) : 1'000'000;
  const int seconds = argc > 2 ? std::atoi(argv[2]) : 4;
  const int page = argc > 3 ? std::atoi(argv[3]) : 20;
  if (entries < page || page < 1 || page > 1000 || seconds < 1) return fail("usage: api_wrk_bench [ENTRIES] [SECONDS] [PAGE]");
  test::TempDir temp;
  const char* keep = std::getenv("API_WRK_KEEP");
  struct {
    std::filesystem::path dir;
    [[nodiscard]] const std::filesystem::path& path() const { return dir; }
  } work{keep ? std::filesystem::path(keep) : temp.path()};
  const auto data = work.path() / "data";
  const auto tls_dir = work.path() / "tls";
  const auto www = work.path() / "www";
  std::filesystem::create_directories(www);

  SystemClock clock;
  if (auto files = api::ensure_self_signed(tls_dir, clock); !files) return fail(files.status().message());
  const auto seed_file = work.path() / "seeded.json";
  const std::string seed_key = std::to_string(entries) + "/" + std::to_string(page);
  Result<Seeded> seeded = Seeded{};
  if (keep && std::filesystem::exists(seed_file)) {
    const auto j = nlohmann::json::parse(std::ifstream(seed_file), nullptr, false);
    if (j.is_discarded() || j.value("key", "") != seed_key) return fail(seed_file.string() + " is from another seed; remove " + keep);
    seeded = Seeded{j["operator"].get<std::string>(), j["privacy"].get<std::string>()};
    std::printf("reusing the seeded data in %s\n", keep);
  } else {
    seeded = seed(data, entries, page);
    if (!seeded) return fail("seeding: " + seeded.status().message());
    if (keep) {
      std::ofstream(seed_file) << nlohmann::json{{"key", seed_key}, {"operator", seeded->operator_token},
                                                 {"privacy", seeded->privacy_token}}.dump();
    }
  }

  const std::vector<Endpoint> endpoints = {
      {"GET /v1/health", "/v1/health", "health.json", {}},
      {"GET /v1/connectors (token)", "/v1/connectors", "connectors.json",
       {"Authorization: Bearer " + seeded->operator_token}},
      {"GET /v1/audit?student= (audited)", "/v1/audit?student=" + k_student + "&limit=" + std::to_string(page),
       "audit.json", {"Authorization: Bearer " + seeded->privacy_token}}};
  bench::WrkOptions wrk;
  wrk.seconds = seconds;
  // API_WRK_ONLY=audit (a part of the target) runs only the matching lines, e.g. for perf.
  const char* only = std::getenv("API_WRK_ONLY");

  std::vector<Row> rows;
  std::unique_ptr<bench::Nginx> nginx;
  std::printf("wrk -t%d -c%d -d%ds --latency; schakeld and nginx-light (1 process) alternate per line\n", wrk.threads,
              wrk.connections, wrk.seconds);
  std::printf("%-6s %-34s %9s %8s %8s %9s %8s %6s %6s\n", "", "endpoint", "hub rps", "p99 ms", "cpu us", "nginx",
              "p99 ms", "ratio", "errors");
  for (const bool tls : {false, true}) {
    const auto config = work.path() / (tls ? "tls.yaml" : "plain.yaml");
    std::ofstream(config) << config_text(data, tls_dir, tls);
    Daemon daemon;
    if (!daemon.start(config)) return fail("schakeld did not become ready:\n" + daemon.process->all_output());
    if (!nginx) {
      // nginx serves the daemon's own response bodies, so both send the same number of bytes.
      for (const auto& e : endpoints) {
        auto r = bench::plain_get(daemon.port, e.target, e.headers);
        if (!r || r->status != 200) return fail(e.target + ": no 200 from schakeld: " + (r ? r->body : "no response"));
        std::ofstream(www / e.file, std::ios::binary) << r->body;
        std::printf("       %-34s %zu bytes\n", e.name.c_str(), r->body.size());
      }
      nginx = std::make_unique<bench::Nginx>(work.path() / "nginx", www, tls_dir / "cert.pem", tls_dir / "key.pem");
      if (!nginx->error().empty()) return fail(nginx->error());
    }
    const std::string nginx_base = std::string(tls ? "https" : "http") + "://127.0.0.1:" +
                                   std::to_string(tls ? nginx->tls_port() : nginx->plain_port());
    for (const auto& e : endpoints) {
      const std::string line = std::string(tls ? "tls/" : "plain/") + e.target;
      if (only && line.find(only) == std::string::npos) continue;
      Row row{tls ? "tls" : "plain", e.name, {}, {}};
      wrk.headers = e.headers;
      const double cpu_before = process_cpu_seconds(daemon.process->pid());
      row.hub = bench::run_wrk(daemon.url + e.target, wrk);
      if (row.hub.requests > 0)
        row.hub_cpu_us = (process_cpu_seconds(daemon.process->pid()) - cpu_before) * 1e6 / double(row.hub.requests);
      while (daemon.process->read_line(std::chrono::milliseconds(1))) {
      }  // keeps the daemon's log pipe from filling
      wrk.headers.clear();
      row.nginx = bench::run_wrk(nginx_base + "/" + e.file, wrk);
      if (!row.hub.ok) return fail("wrk against schakeld failed:\n" + row.hub.output);
      if (!row.nginx.ok) return fail("wrk against nginx failed:\n" + row.nginx.output);
      print_row(row);
      rows.push_back(row);
    }
    daemon.stop();
  }

  std::printf("\ntargets (ratios from this run):\n");
  bool met = true;
  for (const auto& r : rows) {
    const double ratio = r.hub.requests_per_second / r.nginx.requests_per_second;
    std::string verdict;
    if (r.endpoint.find("health") != std::string::npos) {
      verdict = ratio >= 0.8 ? "met (>= 0.8 of nginx)" : "NOT met (< 0.8 of nginx)";
      met = met && ratio >= 0.8;
    } else if (r.endpoint.find("connectors") != std::string::npos) {
      verdict = ratio >= 0.5 ? "met (>= 0.5 of nginx)" : "NOT met (< 0.5 of nginx)";
      met = met && ratio >= 0.5;
    } else {
      verdict = r.hub.p99_ms < 20 ? "met (p99 < 20 ms)" : "NOT met (p99 >= 20 ms)";
      met = met && r.hub.p99_ms < 20;
    }
    if (r.hub.bad > 0) {
      verdict += "; " + std::to_string(r.hub.bad) + " errors";
      met = false;
    }
    std::printf("  %-6s %-34s ratio %.2f, p99 %.2f ms: %s\n", r.transport.c_str(), r.endpoint.c_str(), ratio,
                r.hub.p99_ms, verdict.c_str());
  }
  std::printf("%s\n", met ? "all targets met" : "some targets not met");
  return 0;
}
