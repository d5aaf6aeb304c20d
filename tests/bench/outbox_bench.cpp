// Throughput and latency from trigger to delivery: Router::fire (projection from the store, gate,
// audit entry and outbox row in one group-committed transaction) → DeliveryEngine (lease, call,
// outcome and its audit entry) → a no-op destination. Durable commits (synchronous=FULL, one
// fsync per group commit). The gate is a trivial permit-all stand-in for core/consent, and the
// audit sink hashes a chain in memory the way core/audit will; both say so in the output.
//
// Usage: outbox_bench [items=20000] [producers=8] [workers=16] [durable=1]
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

#include "outbox/engine.hpp"
#include "routing/router.hpp"

namespace {

using namespace schakel;
using Steady = std::chrono::steady_clock;

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
  explicit NoopDestination(std::size_t n) { delivered_at_.reserve(n); }
  outbox::DeliveryResult deliver(const std::string&, const std::string& key) override {
    const auto now = Steady::now();
    std::lock_guard lock(mu_);
    delivered_at_.emplace(key, now);
    return {outbox::DeliveryOutcome::ok, "", {}, {{"reference", key}}};
  }
  outbox::DeliveryResult revoke(const nlohmann::json&, const std::string&, const std::string&) override {
    return {};
  }
  bool can_revoke() const override { return false; }
  std::size_t count() {
    std::lock_guard lock(mu_);
    return delivered_at_.size();
  }
  std::unordered_map<std::string, Steady::time_point> delivered_at_;
  std::mutex mu_;
};

int arg(int argc, char** argv, int i, int fallback) { return argc > i ? std::atoi(argv[i]) : fallback; }

double ms(Steady::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

}  // namespace

int main(int argc, char** argv) {
  const int items = arg(argc, argv, 1, 20000);
  const int producers = arg(argc, argv, 2, 8);
  const int workers = arg(argc, argv, 3, 16);
  const bool durable = arg(argc, argv, 4, 1) != 0;  // 0 only to see what fsync costs

  std::string tmpl = (std::filesystem::temp_directory_path() / "schakel-bench-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) return 1;
  const std::filesystem::path dir = tmpl;
  int rc = 0;
  {
    store::Options o;
    o.path = dir / "bench.db";
    o.durable = durable;
    auto opened = store::open_sqlite(o);
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
      for (int i = 0; i < items; ++i) {
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
    const int base_n = std::min(items, 5000);
    const auto base_start = Steady::now();
    {
      std::vector<std::thread> threads;
      std::atomic<int> next{0};
      for (int p = 0; p < producers; ++p) {
        threads.emplace_back([&] {
          while (next.fetch_add(1) < base_n) {
            (void)db.write([&](store::Transaction& tx) {
              outbox::AuditEvent e;
              e.action = "read";
              e.outcome = "permitted";
              return audit.append(tx, e);
            });
          }
        });
      }
      for (auto& t : threads) t.join();
    }
    const double base_rate = base_n / std::chrono::duration<double>(Steady::now() - base_start).count();

    PermitAllGate gate;
    NoopDestination dest(static_cast<std::size_t>(items));
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

    std::vector<Steady::time_point> fired_at(static_cast<std::size_t>(items));
    std::vector<std::string> keys(static_cast<std::size_t>(items));
    std::atomic<int> next{0};
    std::atomic<int> failures{0};
    const auto start = Steady::now();
    std::vector<std::thread> threads;
    for (int p = 0; p < producers; ++p) {
      threads.emplace_back([&] {
        for (int i = next.fetch_add(1); i < items; i = next.fetch_add(1)) {
          const std::string id = "ref_" + std::to_string(i);
          fired_at[static_cast<std::size_t>(i)] = Steady::now();
          auto r = router.fire({"referral.queued", id, "", "", "", "bench", ""});
          if (!r || r->empty()) {
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

    std::vector<double> latency;
    latency.reserve(static_cast<std::size_t>(items));
    for (int i = 0; i < items; ++i) {
      auto it = dest.delivered_at_.find(keys[static_cast<std::size_t>(i)]);
      if (it != dest.delivered_at_.end()) latency.push_back(ms(it->second - fired_at[static_cast<std::size_t>(i)]));
    }
    std::sort(latency.begin(), latency.end());
    auto pct = [&](double p) {
      return latency.empty() ? 0.0 : latency[std::min(latency.size() - 1, static_cast<std::size_t>(p * static_cast<double>(latency.size())))];
    };
    const double seconds = std::chrono::duration<double>(end - start).count();
    const double rate = static_cast<double>(latency.size()) / seconds;
    std::printf("outbox_bench: %d items, %d producer threads, %d delivery workers, %s group commit\n",
                items, producers, workers, durable ? "durable (synchronous=FULL)" : "NOT durable");
    std::printf("  gate: trivial permit-all stand-in; audit: in-memory SHA-256 chain, rows in the store\n");
    std::printf("  fired in %.0f ms (%.0f fires/s); all delivered in %.0f ms\n", ms(fired - start),
                items / std::chrono::duration<double>(fired - start).count(), ms(end - start));
    std::printf("  throughput trigger->delivery: %.0f items/s (target >= 5000)\n", rate);
    std::printf("  latency trigger->delivery: p50 %.1f ms, p99 %.1f ms, max %.1f ms\n", pct(0.50), pct(0.99),
                latency.empty() ? 0.0 : latency.back());
    std::printf("  baseline in this run: %.0f bare durable one-row group commits/s; pipeline/baseline = %.2f\n",
                base_rate, rate / base_rate);
    std::printf("  (each item is 3 transactions: queue+audit, lease, outcome+audit)\n");
    if (!all || failures > 0) {
      std::printf("  INCOMPLETE: %d fire failures, %zu delivered\n", failures.load(), dest.count());
      rc = 1;
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return rc;
}
