// Throughput and latency from trigger to delivery: Router::fire (projection from the store, gate,
// audit entry and outbox row in one group-committed transaction) → DeliveryEngine (lease, call,
// outcome and its audit entry) → a no-op destination. Durable commits (synchronous=FULL, one
// fsync per group commit). The gate is a trivial permit-all stand-in for core/consent, and the
// audit sink hashes a chain in memory the way core/audit will; both say so in the output.
//
// Two phases in one run: one event per Router::fire (as API calls come), and Router::fire_all with
// `batch` events per call (as an import's records come).
//
// Usage: outbox_bench [items=20000 per phase] [producers=8] [workers=16] [batch=64] [durable=1]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>

#include "data_path_report.hpp"
#include "outbox/engine.hpp"
#include "routing/router.hpp"
#include "store/sqlite_store.hpp"

namespace {

using namespace schakel;

class PermitAllGate final : public outbox::Gate {
 public:
  Result<outbox::GateResult> decide(const outbox::RouteSpec&, const std::string&, const std::string&,
                                    const std::string&, const nlohmann::json& doc, TimePoint) override {
    outbox::GateResult r;
    r.outcome = outbox::GateOutcome::permitted;
    r.document = doc;
    r.categories = {"identity", "case"};
    r.consent_ids = {"con_bench"};
    return r;
  }
};

class ChainedAuditSink final : public outbox::AuditSink {
 public:
  Status append(store::Transaction& tx, const outbox::AuditEvent& e) override {
    store::AuditRow row;
    row.tenant = e.tenant;
    row.action = e.action;
    row.outcome = e.outcome;
    row.actor = e.actor;
    row.subject = outbox::sha256_hex("pseudonym-key" + e.student_id);
    row.recipient = e.recipient.dump();
    row.purpose = e.purpose;
    row.processing_activity = e.processing_activity;
    row.categories = e.categories;
    row.consent_ids = e.consent_ids;
    row.payload_sha256 = e.payload_sha256;
    row.trace_id = e.trace_id;
    row.reason = e.reason;
    std::lock_guard lock(mu_);
    row.prev_hash = prev_;
    row.hash = outbox::sha256_hex(prev_ + row.action + row.outcome + row.payload_sha256 + row.reason);
    SCHAKEL_TRY(tx.append_audit(row));
    prev_ = row.hash;
    return Status::ok();
  }

 private:
  std::mutex mu_;
  std::string prev_ = std::string(64, '0');
};

class NoopDestination final : public outbox::Destination {
 public:
  outbox::DeliveryResult deliver(const std::string&, const std::string& key) override {
    arrivals.arrived(key);
    return {outbox::DeliveryOutcome::ok, "", {}, {{"reference", key}}};
  }
  outbox::DeliveryResult revoke(const nlohmann::json&, const std::string&, const std::string&) override {
    return {};
  }
  bool can_revoke() const override { return false; }
  bench::Arrivals arrivals;
};

}  // namespace

int main(int argc, char** argv) {
  using bench::arg;
  const int items = arg(argc, argv, 1, 20000);  // per phase
  const int producers = arg(argc, argv, 2, 8);
  const int workers = arg(argc, argv, 3, 16);
  const int batch = arg(argc, argv, 4, 64);
  const bool durable = arg(argc, argv, 5, 1) != 0;  // 0 only to see what fsync costs

  std::string tmpl = (std::filesystem::temp_directory_path() / "schakel-bench-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) return 1;
  const std::filesystem::path dir = tmpl;
  int rc = 0;
  {
    store::Options o;
    o.path = dir / "bench.db";
    o.durable = durable;
    auto opened = store::sqlite::SqliteStore::open(o);
    if (!opened) {
      std::fprintf(stderr, "%s\n", opened.status().message().c_str());
      return 1;
    }
    auto& db = **opened;
    SystemClock clock;
    const Status seeded = db.write([&](store::Transaction& tx) -> Status {
      auto put = [&](store::Kind k, const std::string& id, nlohmann::json doc) {
        store::Entity e;
        e.kind = k;
        e.id = id;
        e.tenant = "12AB00";
        e.student_id = k == store::Kind::school ? "" : "stu_1";
        e.doc = std::move(doc);
        e.updated_at = clock.now();
        return tx.put(e);
      };
      SCHAKEL_TRY(put(store::Kind::school, "sch_1", {{"id", "sch_1"}, {"brin", "12AB"}}));
      SCHAKEL_TRY(put(store::Kind::student, "stu_1", {{"id", "stu_1"}, {"school_id", "sch_1"},
                                                      {"naam", {{"voornamen", "Zoë"}, {"achternaam", "Visser"}}}}));
      for (int i = 0; i < 2 * items; ++i) {
        const std::string id = "ref_" + std::to_string(i);
        SCHAKEL_TRY(put(store::Kind::referral, id,
                        {{"id", id}, {"school_id", "sch_1"}, {"student_id", "stu_1"}, {"type", "arrangement"},
                         {"question", "Welke ondersteuning helpt deze leerling in de klas?"},
                         {"status", "queued"}, {"version", 1}}));
      }
      return Status::ok();
    });
    if (!seeded) {
      std::fprintf(stderr, "%s\n", seeded.message().c_str());
      return 1;
    }

    // Baseline in the same run: bare durable group commits of one small audit row each.
    ChainedAuditSink audit;
    const double base_rate = bench::baseline_commits(db, std::min(items, 5000), producers, [&](store::Transaction& tx) {
      outbox::AuditEvent e;
      e.action = "read";
      e.outcome = "permitted";
      return audit.append(tx, e);
    });

    PermitAllGate gate;
    NoopDestination dest;
    outbox::DeliveryOptions opts;
    opts.worker_threads = workers;
    opts.seed = 1;
    outbox::DeliveryEngine engine(db, clock, gate, audit, opts);
    engine.add_destination("noop", dest, {workers, 1e9, 0});
    outbox::RouteSpec route;
    route.id = "bench";
    route.trigger = "referral.queued";
    route.projection = "referral";
    route.connector = "noop";
    route.recipient = {"SWV", "education_specialist", "Loket"};
    route.purpose = "swv_request";
    route.processing_activity = "bench";
    route.denied = outbox::DeniedPolicy::block;
    routing::StoreProjector projector;
    routing::Router router(db, clock, gate, audit, projector, {route}, [&] { engine.wake(); });
    if (!engine.start()) return 1;
    auto wait = [&](const std::function<bool()>& done) { return engine.wait_for(done, std::chrono::minutes(5)); };

    std::printf("outbox_bench: %d items per phase, %d producer threads, %d delivery workers, %s group commit\n",
                items, producers, workers, durable ? "durable (synchronous=FULL)" : "NOT durable");
    std::printf("  gate: trivial permit-all stand-in; audit: in-memory SHA-256 chain, rows in the store\n");
    std::printf("  baseline in this run: %.0f bare durable one-row group commits/s from %d threads\n", base_rate,
                producers);
    const bool complete = bench::run_phases(router, db, dest.arrivals, wait, items, producers, batch, base_rate);
    engine.stop();
    std::printf("  (each item: queue+audit, lease, outcome+audit, each in a shared group commit)\n");
    if (!complete) rc = 1;
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return rc;
}
