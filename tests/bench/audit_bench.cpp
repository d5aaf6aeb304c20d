// Audit log throughput, in one run:
//  1. durable appends per second through group commit from many threads (each append returns
//     only once its entry is fsynced), next to one thread appending alone;
//  2. chain verification entries per second over N entries, as the in-memory chain check and
//     as the whole verify from the SQLite file, next to plain SHA-256 over the same canonical
//     bytes (prev_hash || JCS(entry)) in the same run.
// Usage: audit_bench [ENTRIES=500000] [THREADS=64] [DURABLE_APPENDS=40000]
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "audit/audit_writer.hpp"
#include "audit/entry.hpp"
#include "audit/verifier.hpp"
#include "store/store.hpp"

namespace {

using namespace schakel;
using Steady = std::chrono::steady_clock;

double seconds_since(Steady::time_point t0) {
  return std::chrono::duration<double>(Steady::now() - t0).count();
}

audit::AuditEvent event(int i) {
  audit::AuditEvent e;
  e.tenant = "sch" + std::to_string(10 + i % 50) + "AB00";
  e.action = "disclose";
  e.outcome = i % 4 == 0 ? "redacted" : "delivered";
  e.actor = "connector:referral-portal";
  e.actor_role = "system";
  e.student_id = "stu-" + std::to_string(i % 30000);
  e.recipient = audit::encode_recipient({"SWV Passend Onderwijs Rijnmond", "education_specialist", "A. de Vries"});
  e.purpose = "swv_request";
  e.processing_activity = "passend-onderwijs-aanmelding";
  e.categories = {"identity", "education", "wellbeing", "case"};
  e.consent_ids = {"consent-" + std::to_string(i % 90000)};
  e.payload = "{\"referral\":" + std::to_string(i) + "}";
  e.trace_id = "00-" + std::to_string(1000000000 + i) + "-01";
  return e;
}

struct Env {
  std::filesystem::path dir;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<audit::AuditWriter> writer;
  SystemClock clock;
};

bool open_env(Env& env, const std::filesystem::path& dir, bool durable) {
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  env.dir = dir;
  store::Options o;
  o.path = dir / "schakel.db";
  o.durable = durable;
  auto s = store::open_sqlite(o);
  if (!s) {
    std::fprintf(stderr, "open store: %s\n", s.status().message().c_str());
    return false;
  }
  env.store = std::move(*s);
  audit::AuditWriterOptions w;
  w.key_dir = dir / "keys";
  w.checkpoint_path = dir / "audit.checkpoints";
  w.checkpoint_every = 1000;
  w.clock = &env.clock;
  auto writer = audit::AuditWriter::open(w);
  if (!writer) {
    std::fprintf(stderr, "open writer: %s\n", writer.status().message().c_str());
    return false;
  }
  env.writer = std::move(*writer);
  return true;
}

double durable_appends_per_second(Env& env, int threads, int total) {
  std::atomic<int> next{0};
  std::atomic<bool> failed{false};
  const auto t0 = Steady::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (int i = next++; i < total; i = next++) {
        auto r = env.writer->append_durable(*env.store, event(i));
        if (!r && !failed.exchange(true)) std::fprintf(stderr, "append: %s\n", r.status().message().c_str());
      }
    });
  }
  for (auto& th : pool) th.join();
  const double s = seconds_since(t0);
  return failed ? 0 : total / s;
}

}  // namespace

int main(int argc, char** argv) {
  const int entries = argc > 1 ? std::atoi(argv[1]) : 500000;
  const int threads = argc > 2 ? std::atoi(argv[2]) : 64;
  const int durable_total = argc > 3 ? std::atoi(argv[3]) : 40000;
  const auto base = std::filesystem::temp_directory_path() / ("schakel-audit-bench-" + std::to_string(::getpid()));

  // 1. Durable appends with group commit.
  double single = 0, grouped = 0;
  {
    Env env;
    if (!open_env(env, base / "durable", true)) return 2;
    single = durable_appends_per_second(env, 1, 500);
    grouped = durable_appends_per_second(env, threads, durable_total);
    auto txn = env.store->begin(false);
    auto report = audit::verify_audit_log(**txn, {env.dir / "audit.checkpoints", env.dir / "keys", 10000});
    if (!report || !report->ok()) {
      std::fprintf(stderr, "durable log does not verify: %s\n",
                   report ? report->summary().c_str() : report.status().message().c_str());
      return 1;
    }
  }
  std::printf("durable appends, 1 thread:           %10.0f /s\n", single);
  std::printf("durable appends, %3d threads (group): %10.0f /s   (target >= 20000; %.1fx one thread)\n",
              threads, grouped, grouped / single);

  // 2. Verification over `entries` entries (written without fsync: only reading is measured).
  Env env;
  if (!open_env(env, base / "verify", false)) return 2;
  const auto tw = Steady::now();
  for (int i = 0; i < entries;) {
    auto txn = env.store->begin(true);
    if (!txn) return 2;
    for (int k = 0; k < 10000 && i < entries; ++k, ++i) {
      auto r = env.writer->append(**txn, event(i));
      if (!r) {
        std::fprintf(stderr, "append: %s\n", r.status().message().c_str());
        return 2;
      }
    }
    if (!(*txn)->commit()) return 2;
  }
  (void)env.writer->checkpoint_now(*env.store);
  std::printf("wrote %d entries in %.1f s (setup, not measured)\n", entries, seconds_since(tw));

  auto txn = env.store->begin(false);
  if (!txn) return 2;
  // In-memory chain check against plain SHA-256 over the same bytes, page by page (reading the
  // pages is not timed). Best of three rounds each, since the machine may be shared.
  double chain_s = 1e300, sha_s = 1e300;
  std::int64_t checked = 0;
  unsigned char sink = 0;
  for (int round = 0; round < 3; ++round) {
    audit::ChainChecker checker;
    audit::Sha256 sha;
    double round_chain = 0, round_sha = 0;
    checked = 0;
    std::string canonical;             // the page's bytes back to back, read sequentially
    std::vector<std::size_t> offsets;
    for (std::int64_t from = 1;;) {
      auto rows = (*txn)->audit_range(from, 20000);
      if (!rows || rows->empty()) break;
      canonical.clear();
      offsets.assign(1, 0);
      for (const auto& r : *rows) {
        canonical += r.prev_hash;
        audit::append_canonical_entry(r, canonical);
        offsets.push_back(canonical.size());
      }
      auto t0 = Steady::now();
      for (const auto& r : *rows) {
        if (checker.check(r) != audit::ChainChecker::Step::ok) {
          std::fprintf(stderr, "chain broken at %lld\n", static_cast<long long>(r.seq));
          return 1;
        }
      }
      round_chain += seconds_since(t0);
      t0 = Steady::now();
      for (std::size_t k = 0; k + 1 < offsets.size(); ++k) {
        sink ^= sha.digest(std::string_view(canonical).substr(offsets[k], offsets[k + 1] - offsets[k]))[0];
      }
      round_sha += seconds_since(t0);
      checked += static_cast<std::int64_t>(rows->size());
      from = rows->back().seq + 1;
    }
    chain_s = std::min(chain_s, round_chain);
    sha_s = std::min(sha_s, round_sha);
  }
  const double chain_rate = static_cast<double>(checked) / chain_s, sha_rate = static_cast<double>(checked) / sha_s;
  std::printf("chain check (in memory, best of 3):  %10.0f entries/s  (target >= 500000)\n", chain_rate);
  std::printf("plain SHA-256, same bytes:           %10.0f entries/s\n", sha_rate);
  std::printf("ratio chain check / plain SHA-256:   %10.2f          (target >= 0.5)%s\n", chain_rate / sha_rate,
              sink == 0xFF ? " " : "");

  // The whole offline verify: SQLite reads, chain and checkpoints.
  const auto tv = Steady::now();
  auto report = audit::verify_audit_log(**txn, {env.dir / "audit.checkpoints", env.dir / "keys", 10000});
  const double verify_s = seconds_since(tv);
  if (!report || !report->ok()) {
    std::fprintf(stderr, "verify failed: %s\n", report ? report->summary().c_str() : report.status().message().c_str());
    return 1;
  }
  std::printf("full verify from SQLite:             %10.0f entries/s  (%lld entries, %.2f s)\n",
              static_cast<double>(report->entries) / verify_s, static_cast<long long>(report->entries), verify_s);
  txn->reset();
  env.writer.reset();
  env.store.reset();
  std::filesystem::remove_all(base);
  return 0;
}
