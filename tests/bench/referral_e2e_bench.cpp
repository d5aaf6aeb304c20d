// Referrals per second end to end into the SWV portal simulator, and where the time goes.
//
// Per referral, as the daemon does it: the referral is stored (a durable commit), referral.queued
// fires the route (projection from the store, the real consent gate on the real consent index,
// the disclosure's audit entry and the outbox row in one durable commit), the delivery engine
// leases it, re-checks consent, and the real referral-portal plugin posts the Aanmelding over TLS
// (OAuth2 token, Idempotency-Key) to tests/fakes/referral-portal/portal.py on loopback; the
// outcome and its audit entry are committed durably. SQLite with synchronous=FULL throughout.
//
// Where the time goes, measured in the same run: the plugin calls are timed around deliver()
// (mapping, TLS, HTTP over loopback and the simulator's answer); CPU time is read for this
// process (the hub: store, gate, audit, outbox, plugin, TLS client) and for the simulator's
// process (/proc/<pid>/stat). The simulator is one Python process under the GIL, so its CPU time
// is close to the time it was busy; the rest of the wall time is the hub's, fsync waits included.
//
// The route's document is the core's own: StoreProjector's {referral, student, school}, completed
// after the gate by routing::complete_referral with `kind` and the `consent` it leaves under.
//
// Usage: referral_e2e_bench [referrals=300] [concurrency=1,4] [producers=4]
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "../unit/plugins/referral_portal/portal_sim.hpp"
#include "../support/temp_dir.hpp"
#include "audit/audit_writer.hpp"
#include "consent/persist.hpp"
#include "daemon/pipeline.hpp"
#include "outbox/engine.hpp"
#include "routing/route.hpp"
#include "routing/router.hpp"

namespace {

using namespace schakel;
using nlohmann::json;
using Steady = std::chrono::steady_clock;

const std::string k_secret = "bench-portal-secret-1b7e";

// Times each plugin call and counts the deliveries that succeeded.
class TimedDestination final : public outbox::Destination {
 public:
  explicit TimedDestination(outbox::Destination& inner) : inner_(inner) {}
  outbox::DeliveryResult deliver(const std::string& bytes, const std::string& key) override {
    const auto t0 = Steady::now();
    auto r = inner_.deliver(bytes, key);
    call_ns_ += (Steady::now() - t0).count();
    if (r.outcome == outbox::DeliveryOutcome::ok) ++ok_;
    else ++not_ok_;
    return r;
  }
  outbox::DeliveryResult revoke(const json& receipt, const std::string& reason, const std::string& key) override {
    return inner_.revoke(receipt, reason, key);
  }
  [[nodiscard]] bool can_revoke() const override { return inner_.can_revoke(); }
  std::atomic<long long> call_ns_{0};
  std::atomic<int> ok_{0}, not_ok_{0};

 private:
  outbox::Destination& inner_;
};

json student_doc() {
  return {{"id", "student-b1"}, {"school_id", "school-b"}, {"las_key", "B1"},
          {"naam", {{"voornamen", "Daan Pieter"}, {"roepnaam", "Daan"}, {"voorvoegsel", "van der"}, {"achternaam", "Berg"}}},
          {"birth_date", "2017-05-14"}, {"gender", "male"}, {"groep", "5B"}, {"jaargroep", 5}, {"status", "active"}};
}
json guardian_doc() {
  return {{"id", "guardian-b1"}, {"naam", {{"voornamen", "Marieke"}, {"achternaam", "Berg"}}},
          {"children", json::array({{{"student_id", "student-b1"}, {"relation", "parent"}, {"gezag", "yes"}}})}};
}
json consent_doc() {
  return {{"id", "con-bench"}, {"student_id", "student-b1"}, {"school_id", "school-b"},
          {"grantors", json::array({{{"kind", "guardian"}, {"guardian_id", "guardian-b1"}}})},
          {"recipients", json::array({{{"organisation", "SWV PO 27-01"}}})}, {"purposes", json::array({"swv_request"})},
          {"categories", json::array({"identity", "education", "case", "views", "contact"})},
          {"valid_from", "2026-01-01"}, {"status", "active"}, {"legal_basis", "consent"},
          {"evidence", {{"form_version", "f1"}, {"recorded_by", "ib"}, {"recorded_at", "2026-01-01T10:00:00Z"}}}};
}
json referral_doc(int i) {
  return {{"id", "ref-" + std::to_string(i)}, {"school_id", "school-b"}, {"student_id", "student-b1"}, {"case_id", "case-b1"},
          {"type", "arrangement"}, {"status", "queued"}, {"question", "Welke ondersteuning helpt bij rekenen?"},
          {"requested_support", "Ambulant begeleider, 2 uur per week."}, {"education_needs", {"kleine stappen"}},
          {"parent_view", "Wij steunen de aanvraag."}, {"health", "niet gedeeld"},
          {"contact_person", {{"role", "ib"}, {"name", "F. El Amrani"}, {"email", "ib@regenboog.example"}}}};
}

store::Entity entity(store::Kind kind, const json& doc, const std::string& student) {
  store::Entity e;
  e.kind = kind;
  e.id = doc["id"];
  e.tenant = "school-b";
  e.student_id = student;
  e.doc = doc;
  e.updated_at = SystemClock().now();
  return e;
}

double cpu_seconds_self() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto sec = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return sec(u.ru_utime) + sec(u.ru_stime);
}

// CPU seconds of this process's child python3 processes (the simulator), from /proc.
double cpu_seconds_children() {
  double total = 0;
  const long ticks = sysconf(_SC_CLK_TCK);
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::ifstream in(entry.path() / "stat");
    std::string text;
    if (!in || !std::getline(in, text)) continue;
    const auto close = text.rfind(')');
    if (close == std::string::npos || text.find("(python3") == std::string::npos) continue;
    std::istringstream rest(text.substr(close + 2));
    std::string field;
    std::vector<std::string> f;
    while (rest >> field) f.push_back(field);
    // After the name: state(0) ppid(1) ... utime(11) stime(12).
    if (f.size() < 13 || std::stol(f[1]) != static_cast<long>(::getpid())) continue;
    total += static_cast<double>(std::stoll(f[11]) + std::stoll(f[12])) / static_cast<double>(ticks);
  }
  return total;
}

int run(int referrals, int concurrency, int producers) {
  test::TempDir work;
  std::filesystem::create_directories(work.path() / "portal");
  test::PortalSim sim(work.path() / "portal", k_secret);
  SystemClock clock;
  auto st = store::open_sqlite({work.path() / "schakel.db", 5000, true});
  if (!st) return std::fprintf(stderr, "%s\n", st.status().message().c_str()), 1;
  auto& store = **st;
  audit::AuditWriterOptions ao{work.path() / "keys", work.path() / "audit.checkpoints", 1000, std::chrono::seconds{600}, &clock};
  auto writer = audit::AuditWriter::open(ao);
  if (!writer) return std::fprintf(stderr, "%s\n", writer.status().message().c_str()), 1;

  daemon::ConsentService consents;
  (void)store.write([&](store::Transaction& tx) -> Status {
    SCHAKEL_TRY(tx.put(entity(store::Kind::school, {{"id", "school-b"}, {"brin", "12AB"}, {"vestiging", "00"}, {"naam", "OBS De Regenboog"}, {"swv_code", "PO2701"}}, "")));
    SCHAKEL_TRY(tx.put(entity(store::Kind::student, student_doc(), "student-b1")));
    return tx.put(entity(store::Kind::guardian, guardian_doc(), "student-b1"));
  });
  (void)consents.change([&](consent::ConsentIndex& index) {
    (void)index.apply_student(student_doc());
    (void)index.apply_guardian(guardian_doc());
    return consent::record_consent(store, index, consent_doc(), clock.now(),
                                   [](store::Transaction&, const consent::ConsentRecord&, const std::string&) { return Status{}; })
        .status();
  });

  const auto plugin_dir = work.path() / "plugins";
  std::filesystem::create_directories(plugin_dir);
  ::chmod(plugin_dir.c_str(), 0755);
  std::filesystem::copy_file(SCHAKEL_REFERRAL_PORTAL_PLUGIN, plugin_dir / "libschakel_referral_portal.so");
  plugin_host::HostOptions ho;
  ho.load.plugin_dirs = {plugin_dir};
  ho.load.daemon_uid = ::getuid();
  ho.load.schema_dir = std::string(SCHAKEL_SOURCE_DIR) + "/schemas";
  ho.clock = &clock;
  ho.workers = concurrency;
  ho.on_log = [](const std::string&, int, const std::string&) {};  // one receipt line per referral otherwise
  plugin_host::PluginHost host(ho);
  if (auto s = host.add_connector({"swv-portal", plugin_dir / "libschakel_referral_portal.so", std::nullopt,
                                   {{"base_url", sim.base_url()}, {"ca_file", sim.ca_file()},
                                    {"client_id", test::PortalSim::k_client_id}, {"client_secret", k_secret}}});
      !s)
    return std::fprintf(stderr, "%s\n", s.message().c_str()), 1;

  auto schemas = schema::SchemaSet::load(std::string(SCHAKEL_SOURCE_DIR) + "/schemas");
  if (!schemas) return std::fprintf(stderr, "%s\n", schemas.status().message().c_str()), 1;
  daemon::ConsentGate gate(consents, *schemas, host);
  daemon::AuditLogSink audit(**writer);
  daemon::PluginDestination plugin_dest(host, "swv-portal", true);
  TimedDestination dest(plugin_dest);
  outbox::DeliveryOptions dopt;
  dopt.backoff_initial = std::chrono::milliseconds{5};
  dopt.backoff_max = std::chrono::milliseconds{50};
  dopt.worker_threads = concurrency;
  outbox::DeliveryEngine engine(store, clock, gate, audit, dopt);
  engine.add_destination("swv-portal", dest, {concurrency, 1e6, 0});

  const json config = {{"routes", json::array({{{"id", "referral-to-swv"}, {"trigger", "referral.queued"}, {"projection", "referral"},
                                                 {"connector", "swv-portal"},
                                                 {"recipient", {{"organisation", "SWV PO 27-01"}, {"role", "education_specialist"}, {"name", "Loket arrangementen"}}},
                                                 {"purpose", "swv_request"}, {"processing_activity", "art. 30 nr. 4"}, {"denied", "redact"}}})}};
  auto routes = routing::load_routes(config, "bench", [](const std::string&) {
    return std::optional<routing::ConnectorInfo>(routing::ConnectorInfo{true, true, "both", {}});
  }, {});
  routing::StoreProjector projector;
  routing::Router router(store, clock, gate, audit, projector, std::move(routes.routes), [&] { engine.wake(); });
  if (auto s = engine.start(); !s) return std::fprintf(stderr, "%s\n", s.message().c_str()), 1;

  const double hub_cpu0 = cpu_seconds_self(), sim_cpu0 = cpu_seconds_children();
  const auto t0 = Steady::now();
  // Several producers, as several IBs queue referrals through the API at once: their durable
  // commits share fsyncs (the store's group commit).
  std::atomic<int> next{0}, failed{0};
  std::vector<std::thread> threads;
  for (int p = 0; p < producers; ++p) {
    threads.emplace_back([&] {
      for (int i = next++; i < referrals; i = next++) {
        const json doc = referral_doc(i);
        const Status put = store.write([&](store::Transaction& tx) { return tx.put(entity(store::Kind::referral, doc, "student-b1")); });
        routing::Event ev;
        ev.type = "referral.queued";
        ev.entity_id = doc["id"];
        auto fired = put ? router.fire(ev) : Result<std::vector<routing::FireOutcome>>(put);
        if (!fired || fired->empty() || (*fired)[0].outcome == outbox::GateOutcome::blocked) ++failed;
      }
    });
  }
  for (auto& t : threads) t.join();
  if (failed > 0) return std::fprintf(stderr, "%d referrals were not queued\n", failed.load()), 1;
  const double queued_s = std::chrono::duration<double>(Steady::now() - t0).count();
  const bool done = engine.wait_for([&] { return dest.ok_.load() >= referrals; }, std::chrono::minutes(10));
  const double wall_s = std::chrono::duration<double>(Steady::now() - t0).count();
  engine.stop();
  const double hub_cpu = cpu_seconds_self() - hub_cpu0, sim_cpu = cpu_seconds_children() - sim_cpu0;
  const auto counters = sim.get("/counters");
  const int created = counters["aanmeldingen_created"].get<int>();
  if (!done || created != referrals) {
    std::fprintf(stderr, "only %d of %d arrived (%d failed calls)\n", created, referrals, dest.not_ok_.load());
    return 1;
  }
  const double call_s = static_cast<double>(dest.call_ns_.load()) / 1e9;
  std::printf("%d producers, concurrency %d: %d referrals in %.2f s = %.1f referrals/s end to end (all queued after %.2f s)\n",
              producers, concurrency, referrals, wall_s, referrals / wall_s, queued_s);
  std::printf("  per referral: %.2f ms wall; %.2f ms in the plugin call (TLS, HTTP, the simulator's answer)\n",
              1e3 * wall_s / referrals, 1e3 * call_s / referrals);
  std::printf("  CPU: hub %.2f s, simulator %.2f s -> hub %.0f%% / simulator %.0f%%; of the wall time the simulator "
              "was busy %.0f%%, the hub (fsync waits included) the rest\n",
              hub_cpu, sim_cpu, 100 * hub_cpu / (hub_cpu + sim_cpu), 100 * sim_cpu / (hub_cpu + sim_cpu),
              100 * sim_cpu / wall_s);
  std::printf("  portal counted %d created in %d requests\n", created, counters["requests_total"].get<int>());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const int referrals = argc > 1 ? std::atoi(argv[1]) : 300;
  std::vector<int> levels = {1, 4};
  if (argc > 2) levels = {std::atoi(argv[2])};
  const int producers = argc > 3 ? std::atoi(argv[3]) : 4;
  std::printf("referral_e2e_bench: referral.queued -> consent gate -> audit -> outbox -> referral-portal plugin "
              "-> TLS -> portal simulator; SQLite synchronous=FULL\n");
  for (int c : levels) {
    if (int rc = run(referrals, c, producers); rc != 0) return rc;
  }
  return 0;
}
