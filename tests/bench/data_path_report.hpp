#pragma once
#include <sys/resource.h>

// What outbox_bench and data_path_bench share: firing referral.queued from producer threads (one
// event per fire(), as API calls do, or fire_all() batches, as an import does), the delivery time
// of each item by its idempotency key, a same-run baseline of bare durable group commits, and the
// report lines (throughput, p50/p99/max latency from trigger to delivery, ratio to the baseline).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "routing/router.hpp"
#include "store/sqlite_store.hpp"
#include "store/store.hpp"

namespace schakel::bench {

using Steady = std::chrono::steady_clock;

inline int arg(int argc, char** argv, int i, int fallback) { return argc > i ? std::atoi(argv[i]) : fallback; }
inline double ms(Steady::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }
inline double seconds(Steady::duration d) { return std::chrono::duration<double>(d).count(); }

// CPU seconds this process has used (all threads, user and system): on a machine shared with
// others, CPU per item says more than items per second.
inline double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto sec = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return sec(u.ru_utime) + sec(u.ru_stime);
}

// When each item reached the destination, by idempotency key (the first arrival counts).
class Arrivals {
 public:
  void arrived(const std::string& key) {
    const auto now = Steady::now();
    std::lock_guard lock(mu_);
    at_.emplace(key, now);
  }
  std::size_t count() {
    std::lock_guard lock(mu_);
    return at_.size();
  }
  std::optional<Steady::time_point> at(const std::string& key) {
    std::lock_guard lock(mu_);
    auto it = at_.find(key);
    if (it == at_.end()) return std::nullopt;
    return it->second;
  }

 private:
  std::mutex mu_;
  std::unordered_map<std::string, Steady::time_point> at_;
};

// One phase: items `first` .. `first + n - 1` fired, then all awaited at the destination.
struct Phase {
  std::string name;
  int n = 0;
  int failures = 0;
  Steady::time_point start, fired, end;
  double cpu_start = 0, cpu_end = 0;
  std::int64_t commits = 0;  // group commits during the phase, when the caller counts them
  std::vector<Steady::time_point> fired_at;
  std::vector<std::string> keys;
  bool complete = false;
};

// Fires referral.queued for ref_<first + i> from `producers` threads, `batch` events per call
// (1: Router::fire, more: Router::fire_all). The item's clock starts when its call starts.
inline Phase fire_referrals(routing::Router& router, const std::string& name, int first, int n, int producers,
                            int batch) {
  Phase ph;
  ph.name = name;
  ph.n = n;
  ph.fired_at.resize(static_cast<std::size_t>(n));
  ph.keys.resize(static_cast<std::size_t>(n));
  std::atomic<int> next{0};
  std::atomic<int> failures{0};
  ph.cpu_start = cpu_seconds();
  ph.start = Steady::now();
  std::vector<std::thread> threads;
  for (int p = 0; p < producers; ++p) {
    threads.emplace_back([&] {
      for (int i = next.fetch_add(batch); i < n; i = next.fetch_add(batch)) {
        const int end = std::min(n, i + batch);
        std::vector<routing::Event> events;
        for (int j = i; j < end; ++j) {
          events.push_back({"referral.queued", "ref_" + std::to_string(first + j), "", "", "", "bench", ""});
        }
        const auto t = Steady::now();
        for (int j = i; j < end; ++j) ph.fired_at[static_cast<std::size_t>(j)] = t;
        auto results = router.fire_all(events);
        for (int j = i; j < end; ++j) {
          const auto& r = results[static_cast<std::size_t>(j - i)];
          if (!r || r->empty() || r->front().outbox_id == 0) {
            ++failures;
          } else {
            ph.keys[static_cast<std::size_t>(j)] = r->front().idempotency_key;
          }
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  ph.fired = Steady::now();
  ph.failures = failures.load();
  return ph;
}

// Durable group commits of one small work each from `producers` threads, per second.
inline double baseline_commits(store::Store& db, int n, int producers,
                               const std::function<Status(store::Transaction&)>& work) {
  const auto start = Steady::now();
  std::atomic<int> next{0};
  std::vector<std::thread> threads;
  for (int p = 0; p < producers; ++p) {
    threads.emplace_back([&] {
      while (next.fetch_add(1) < n) (void)db.write(work);
    });
  }
  for (auto& t : threads) t.join();
  return n / seconds(Steady::now() - start);
}

// Waits for every item of the phase at the destination; `wait` is the engine's wait_for.
inline void await_phase(Phase& ph, Arrivals& arrivals, std::size_t before,
                        const std::function<bool(const std::function<bool()>&)>& wait) {
  const std::size_t want = before + static_cast<std::size_t>(ph.n - ph.failures);
  ph.complete = wait([&] { return arrivals.count() >= want; }) && ph.failures == 0;
  ph.end = Steady::now();
  ph.cpu_end = cpu_seconds();
}

// Prints the phase's lines; returns its throughput (items/s from the first trigger to the last
// delivery).
inline double report_phase(const Phase& ph, Arrivals& arrivals, double baseline) {
  std::vector<double> latency;
  latency.reserve(static_cast<std::size_t>(ph.n));
  for (int i = 0; i < ph.n; ++i) {
    const auto at = arrivals.at(ph.keys[static_cast<std::size_t>(i)]);
    if (at) latency.push_back(ms(*at - ph.fired_at[static_cast<std::size_t>(i)]));
  }
  std::sort(latency.begin(), latency.end());
  auto pct = [&](double p) {
    if (latency.empty()) return 0.0;
    return latency[std::min(latency.size() - 1, static_cast<std::size_t>(p * static_cast<double>(latency.size())))];
  };
  const double rate = static_cast<double>(latency.size()) / seconds(ph.end - ph.start);
  std::printf("  %s:\n", ph.name.c_str());
  std::printf("    fired in %.0f ms (%.0f fires/s); all delivered in %.0f ms\n", ms(ph.fired - ph.start),
              ph.n / seconds(ph.fired - ph.start), ms(ph.end - ph.start));
  std::printf("    throughput trigger->delivery: %.0f items/s (target >= 5000); %.2f x the baseline\n", rate,
              rate / baseline);
  std::printf("    latency trigger->delivery: p50 %.1f ms, p99 %.1f ms, max %.1f ms\n", pct(0.50), pct(0.99),
              latency.empty() ? 0.0 : latency.back());
  const double cpu = ph.cpu_end - ph.cpu_start;
  std::printf("    CPU %.0f us per item (all threads; %.2f cores busy of the wall time)", 1e6 * cpu / ph.n,
              cpu / seconds(ph.end - ph.start));
  if (ph.commits > 0) std::printf("; %.3f group commits per item", static_cast<double>(ph.commits) / ph.n);
  std::printf("\n");
  if (!ph.complete) std::printf("    INCOMPLETE: %d fire failures, %zu delivered\n", ph.failures, latency.size());
  return rate;
}

// Both phases of one run, each reported: `items` single fire() calls, then `items` more through
// fire_all() in batches of `batch`. True when every item of both arrived.
inline bool run_phases(routing::Router& router, store::sqlite::SqliteStore& db, Arrivals& arrivals,
                       const std::function<bool(const std::function<bool()>&)>& wait, int items, int producers,
                       int batch, double baseline) {
  auto commits_before = db.batches_committed();
  Phase single = fire_referrals(router, "one event per Router::fire (as API calls)", 0, items, producers, 1);
  await_phase(single, arrivals, 0, wait);
  single.commits = db.batches_committed() - commits_before;
  commits_before = db.batches_committed();
  report_phase(single, arrivals, baseline);
  Phase batched = fire_referrals(router, "Router::fire_all, " + std::to_string(batch) + " events per call (as an import)",
                                 items, items, producers, batch);
  await_phase(batched, arrivals, static_cast<std::size_t>(items), wait);
  batched.commits = db.batches_committed() - commits_before;
  report_phase(batched, arrivals, baseline);
  return single.complete && batched.complete;
}

}  // namespace schakel::bench
