// Throughput and latency from trigger to delivery through the daemon's own parts, as Runtime wires
// them: Router::fire (projection from the store, the real consent gate over the consent index,
// the audit entry from the real AuditWriter with its pseudonyms and hash chain, and the outbox
// row, committed together) → DeliveryEngine (lease, consent re-check, call, delivered mark with
// its audit entry) → the no-op sink plugin (plugins/demo/noop_sink.cpp) behind the plugin host.
// Durable commits (synchronous=FULL; the store group-commits concurrent transactions).
// Latency ends when the plugin's answer reaches the engine; its delivered mark commits next.
//
// Three phases in one run: one event per Router::fire (as API calls come), Router::fire_all with
// `batch` events per call from several threads, and the daemon's own import path: a source's
// queued_referrals records through RecordImporter (the daemon's batches, as Runtime sets them), each
// stored, their referral.queued events fired with one Router::fire_all (fire_all_through, as
// Runtime wires it) when the poll's records are flushed, as the plugin host flushes them before a
// cursor moves. One connector's polls never overlap, so that phase has one producer.
//
// Usage: data_path_bench [items=20000 per phase] [producers=8] [concurrency=8] [batch=64]
//                        [records per poll=500]
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>

#include "daemon/pipeline.hpp"
#include "data_path_report.hpp"
#include "outbox/engine.hpp"
#include "routing/router.hpp"
#include "store/sqlite_store.hpp"

namespace {

using namespace schakel;
namespace fs = std::filesystem;

// The daemon's PluginDestination, with the time each answer came back.
class TimedDestination final : public outbox::Destination {
 public:
  explicit TimedDestination(outbox::Destination& inner) : inner_(inner) {}
  outbox::DeliveryResult deliver(const std::string& bytes, const std::string& key) override {
    auto r = inner_.deliver(bytes, key);
    if (r.outcome == outbox::DeliveryOutcome::ok) arrivals.arrived(key);
    return r;
  }
  outbox::DeliveryResult revoke(const nlohmann::json& receipt, const std::string& reason,
                                const std::string& key) override {
    return inner_.revoke(receipt, reason, key);
  }
  [[nodiscard]] bool can_revoke() const override { return inner_.can_revoke(); }
  bench::Arrivals arrivals;

 private:
  outbox::Destination& inner_;
};

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

// The import phase: `n` queued_referrals records (ref_imp_<i>) emitted by one source in polls of
// `per_poll`, through the importer, flushed at the end of each poll (the cursor's moment).
bench::Phase import_referrals(daemon::RecordImporter& importer, const std::string& route_id, int n, int per_poll) {
  bench::Phase ph;
  ph.name = "daemon import path: RecordImporter, " + std::to_string(per_poll) +
            " queued_referrals records per poll, events fired by fire_all at the flush";
  ph.n = n;
  ph.fired_at.resize(static_cast<std::size_t>(n));
  ph.keys.resize(static_cast<std::size_t>(n));
  ph.cpu_start = bench::cpu_seconds();
  ph.start = bench::Steady::now();
  for (int i = 0; i < n; ++i) {
    const std::string id = "ref_imp_" + std::to_string(i);
    nlohmann::json record = {
        {"source_key", id}, {"source_version", "1"}, {"source", "bench"}, {"active", true},
        {"record", {{"id", id}, {"school_id", "sch_1"}, {"student_id", "stu_1"}, {"case_id", "cas_1"},
                    {"type", "arrangement"}, {"question", "Welke ondersteuning helpt deze leerling in de klas?"},
                    {"status", "queued"}, {"version", 1}}}};
    ph.fired_at[static_cast<std::size_t>(i)] = bench::Steady::now();
    ph.keys[static_cast<std::size_t>(i)] = outbox::idempotency_key(route_id, id, "1");
    if (!importer.import("source", "queued_referrals", std::move(record))) ++ph.failures;
    if ((i + 1) % per_poll == 0 || i + 1 == n) {
      if (Status st = importer.flush("source"); !st) {
        std::fprintf(stderr, "data_path_bench: flush: %s\n", st.message().c_str());
        ++ph.failures;
      }
    }
  }
  ph.fired = bench::Steady::now();
  return ph;
}

}  // namespace

int main(int argc, char** argv) {
  using bench::arg;
  const int items = arg(argc, argv, 1, 20000);  // per phase
  const int producers = arg(argc, argv, 2, 8);
  const int concurrency = arg(argc, argv, 3, 8);
  const int batch = arg(argc, argv, 4, 64);
  const int per_poll = std::max(1, arg(argc, argv, 5, 500));

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
    if (auto st = seed(db, consent, clock, 2 * items); !st) fail(st);
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
    const double base_rate = bench::baseline_commits(db, std::min(items, 2000), producers, [&](store::Transaction& tx) {
      outbox::AuditEvent e;
      e.action = "read";
      e.outcome = "permitted";
      return audit_sink.append(tx, e);
    });
    auto wait = [&](const std::function<bool()>& done) { return engine.wait_for(done, std::chrono::minutes(5)); };

    std::printf("data_path_bench: %d items per phase, %d producer threads, sink concurrency %d, durable (synchronous=FULL)\n",
                items, producers, concurrency);
    std::printf("  real parts: consent gate, AuditWriter chain, outbox, DeliveryEngine, no-op sink plugin via PluginHost\n");
    std::printf("  baseline in this run: %.0f bare durable one-entry audit commits/s from %d threads\n", base_rate,
                producers);
    bool complete = bench::run_phases(router, db, dest.arrivals, wait, items, producers, batch, base_rate);

    daemon::RecordImporter importer(db, **writer, consent, clock);
    importer.set_batch_size(daemon::RecordImporter::k_daemon_batch);
    importer.set_fire_all(daemon::fire_all_through(router));
    const auto commits_before = db.batches_committed();
    bench::Phase imported = import_referrals(importer, route.id, items, per_poll);
    bench::await_phase(imported, dest.arrivals, 2 * static_cast<std::size_t>(items), wait);
    imported.commits = db.batches_committed() - commits_before;
    bench::report_phase(imported, dest.arrivals, base_rate);
    complete = complete && imported.complete;
    engine.stop();
    if (!complete) rc = 1;
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  return rc;
}
