// Throughput and latency from trigger to delivery through the daemon's own parts, as Runtime wires
// them: Router::fire (projection from the store, the real consent gate over the consent index,
// the audit entry from the real AuditWriter with its pseudonyms and hash chain, and the outbox
// row, committed together) → DeliveryEngine (lease, consent re-check, call, delivered mark with
// its audit entry) → the no-op sink plugin (plugins/demo/noop_sink.cpp) behind the plugin host.
// Durable commits (synchronous=FULL; the store group-commits concurrent transactions).
// Latency ends when the plugin's answer reaches the engine; its delivered mark commits next.
//
// Usage: data_path_bench [items=20000] [producers=8] [concurrency=8]
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "daemon/pipeline.hpp"
#include "outbox/engine.hpp"
#include "routing/router.hpp"
#include "store/sqlite_store.hpp"

namespace {

using namespace schakel;
namespace fs = std::filesystem;
using Steady = std::chrono::steady_clock;

// The daemon's PluginDestination, with the time each answer came back.
class TimedDestination final : public outbox::Destination {
 public:
  explicit TimedDestination(outbox::Destination& inner) : inner_(inner) {}
  outbox::DeliveryResult deliver(const std::string& bytes, const std::string& key) override {
    auto r = inner_.deliver(bytes, key);
    const auto now = Steady::now();
    std::lock_guard lock(mu_);
    if (r.outcome == outbox::DeliveryOutcome::ok) at_.emplace(key, now);
    return r;
  }
  outbox::DeliveryResult revoke(const nlohmann::json& receipt, const std::string& reason,
                                const std::string& key) override {
    return inner_.revoke(receipt, reason, key);
  }
  [[nodiscard]] bool can_revoke() const override { return inner_.can_revoke(); }
  std::size_t count() {
    std::lock_guard lock(mu_);
    return at_.size();
  }
  std::unordered_map<std::string, Steady::time_point> at_;

 private:
  outbox::Destination& inner_;
  std::mutex mu_;
};

int arg(int argc, char** argv, int i, int fallback) { return argc > i ? std::atoi(argv[i]) : fallback; }
double ms(Steady::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

void fail(const Status& st) {
  std::fprintf(stderr, "data_path_bench: %s\n", st.message().c_str());
  std::exit(1);
}

Status seed(store::Store& db, daemon::ConsentService& consent, const Clock& clock, int items) {
  const nlohmann::json student = {{"id", "stu_1"},        {"school_id", "sch_1"}, {"las_key", "1"},
                                  {"birth_date", "2015-03-01"}, {"status", "active"},
                                  {"naam", {{"roepnaam", "Zoë"}, {"achternaam", "Visser"}}}};
  const Status written = db.write([&](store::Transaction& tx) -> Status {
    auto put = [&](store::Kind k, const std::string& id, nlohmann::json doc) {
      store::Entity e;
      e.kind = k;
      e.id = id;
      e.tenant = "sch_1";
      e.student_id = k == store::Kind::school ? "" : "stu_1";
      e.doc = std::move(doc);
      e.updated_at = clock.now();
      return tx.put(e);
    };
    SCHAKEL_TRY(put(store::Kind::school, "sch_1", {{"id", "sch_1"}, {"brin", "12AB"}, {"naam", "OBS De Regenboog"}}));
    SCHAKEL_TRY(put(store::Kind::student, "stu_1", student));
    for (int i = 0; i < items; ++i) {
      const std::string id = "ref_" + std::to_string(i);
      SCHAKEL_TRY(put(store::Kind::referral, id,
                      {{"id", id}, {"school_id", "sch_1"}, {"student_id", "stu_1"}, {"case_id", "cas_1"},
                       {"type", "arrangement"}, {"question", "Welke ondersteuning helpt deze leerling in de klas?"},
                       {"status", "queued"}, {"version", 1}}));
    }
    return Status::ok();
  });
  if (!written) return written;
  return consent.change([&](consent::ConsentIndex& i) { return i.apply_student(student); });
}

}  // namespace

int main(int argc, char** argv) {
  const int items = arg(argc, argv, 1, 20000);
  const int producers = arg(argc, argv, 2, 8);
  const int concurrency = arg(argc, argv, 3, 8);

  std::string tmpl = (fs::temp_directory_path() / "schakel-bench-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) return 1;
  const fs::path dir = tmpl;
  int rc = 0;
  {
    SystemClock clock;
    auto opened = store::sqlite::SqliteStore::open({dir / "bench.db", 5000, true});
    if (!opened) fail(opened.status());
    auto& db = **opened;
    auto schemas = schema::SchemaSet::load(fs::path(SCHAKEL_SOURCE_DIR) / "schemas");
    if (!schemas) fail(schemas.status());
    daemon::ConsentService consent;
    if (auto st = consent.load(db); !st) fail(st);
    if (auto st = seed(db, consent, clock, items); !st) fail(st);
    auto writer = audit::AuditWriter::open({dir / "keys", dir / "audit.checkpoints", 1000, std::chrono::seconds{300}, &clock});
    if (!writer) fail(writer.status());

    // The no-op sink installed as an admin would (mode 0755), behind the host as the daemon runs it.
    fs::create_directory(dir / "plugins");
    const fs::path plugin = dir / "plugins" / "libschakel_noop_sink.so";
    fs::copy_file(fs::path(SCHAKEL_BINARY_DIR) / "plugins" / "libschakel_noop_sink.so", plugin);
    ::chmod(plugin.c_str(), 0755);
    plugin_host::HostOptions host_options;
    host_options.load.plugin_dirs = {dir / "plugins"};
    host_options.load.schema_dir = fs::path(SCHAKEL_SOURCE_DIR) / "schemas";
    host_options.load.daemon_uid = ::geteuid();
    host_options.clock = &clock;
    host_options.on_log = [](const std::string&, int, const std::string&) {};
    host_options.on_event = [](const plugin_host::HostEvent&) {};
    plugin_host::PluginHost host(host_options);
    if (auto st = host.add_connector({"noop", plugin, std::nullopt, {}}); !st) fail(st);

    daemon::ConsentGate gate(consent, *schemas, host);
    daemon::AuditLogSink audit_sink(**writer);
    daemon::PluginDestination plugin_dest(host, "noop", true);
    TimedDestination dest(plugin_dest);
    outbox::DeliveryOptions opts = outbox::DeliveryOptions::from_config(nlohmann::json::object());
    opts.seed = 1;
    outbox::DeliveryEngine engine(db, clock, gate, audit_sink, opts);
    engine.add_destination("noop", dest, {concurrency, 1e9, 0});
    outbox::RouteSpec route;
    route.id = "bench";
    route.trigger = "referral.queued";
    route.projection = "referral";
    route.connector = "noop";
    route.recipient = {"SWV PO 27-01", "education_specialist", "Loket"};
    route.purpose = "swv_request";
    route.processing_activity = "bench";
    route.denied = outbox::DeniedPolicy::redact;
    routing::StoreProjector projector;
    routing::Router router(db, clock, gate, audit_sink, projector, {route}, [&] { engine.wake(); });
    if (auto st = engine.start(); !st) fail(st);

    // Baseline in the same run: durable group commits of one audit entry each, same producers.
    const int base_n = std::min(items, 2000);
    const auto base_start = Steady::now();
    {
      std::atomic<int> next{0};
      std::vector<std::thread> threads;
      for (int p = 0; p < producers; ++p) {
        threads.emplace_back([&] {
          while (next.fetch_add(1) < base_n) {
            (void)db.write([&](store::Transaction& tx) {
              outbox::AuditEvent e;
              e.action = "read";
              e.outcome = "permitted";
              return audit_sink.append(tx, e);
            });
          }
        });
      }
      for (auto& t : threads) t.join();
    }
    const double base_rate = base_n / std::chrono::duration<double>(Steady::now() - base_start).count();

    const auto commits_before = db.batches_committed();
    std::vector<Steady::time_point> fired_at(static_cast<std::size_t>(items));
    std::vector<std::string> keys(static_cast<std::size_t>(items));
    std::atomic<int> next{0};
    std::atomic<int> failures{0};
    const auto start = Steady::now();
    std::vector<std::thread> threads;
    for (int p = 0; p < producers; ++p) {
      threads.emplace_back([&] {
        for (int i = next.fetch_add(1); i < items; i = next.fetch_add(1)) {
          fired_at[static_cast<std::size_t>(i)] = Steady::now();
          auto r = router.fire({"referral.queued", "ref_" + std::to_string(i), "", "", "", "bench", ""});
          if (!r || r->empty() || r->front().outbox_id == 0) {
            ++failures;
          } else {
            keys[static_cast<std::size_t>(i)] = r->front().idempotency_key;
          }
        }
      });
    }
    for (auto& t : threads) t.join();
    const auto fired = Steady::now();
    const bool all = engine.wait_for([&] { return dest.count() >= static_cast<std::size_t>(items - failures); },
                                     std::chrono::minutes(5));
    const auto end = Steady::now();
    engine.stop();
    const auto commits = db.batches_committed() - commits_before;

    std::vector<double> latency;
    latency.reserve(static_cast<std::size_t>(items));
    for (int i = 0; i < items; ++i) {
      auto it = dest.at_.find(keys[static_cast<std::size_t>(i)]);
      if (it != dest.at_.end()) latency.push_back(ms(it->second - fired_at[static_cast<std::size_t>(i)]));
    }
    std::sort(latency.begin(), latency.end());
    auto pct = [&](double p) {
      return latency.empty() ? 0.0
                             : latency[std::min(latency.size() - 1, static_cast<std::size_t>(p * static_cast<double>(latency.size())))];
    };
    const double seconds = std::chrono::duration<double>(end - start).count();
    const double rate = static_cast<double>(latency.size()) / seconds;
    std::printf("data_path_bench: %d items, %d producer threads, sink concurrency %d, durable (synchronous=FULL)\n",
                items, producers, concurrency);
    std::printf("  real parts: consent gate, AuditWriter chain, outbox, DeliveryEngine, no-op sink plugin via PluginHost\n");
    std::printf("  fired in %.0f ms (%.0f fires/s); all delivered in %.0f ms\n", ms(fired - start),
                items / std::chrono::duration<double>(fired - start).count(), ms(end - start));
    std::printf("  throughput trigger->delivery: %.0f items/s (target >= 5000)\n", rate);
    std::printf("  latency trigger->delivery: p50 %.1f ms, p99 %.1f ms, max %.1f ms\n", pct(0.50), pct(0.99),
                latency.empty() ? 0.0 : latency.back());
    std::printf("  baseline in this run: %.0f bare durable one-entry audit commits/s; pipeline/baseline = %.2f\n",
                base_rate, rate / base_rate);
    std::printf("  %lld group commits through Store::write for %d items (%.2f per item)\n",
                static_cast<long long>(commits), items, static_cast<double>(commits) / items);
    if (!all || failures > 0) {
      std::printf("  INCOMPLETE: %d fire failures, %zu delivered\n", failures.load(), dest.count());
      rc = 1;
    }
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  return rc;
}
