// Crash safety of the real schakeld (issue 5): a source emits thousands of queued referrals, each
// fires a route through gate, audit and outbox into a receiver that records what it gets. The
// daemon is killed with SIGKILL many times, at moments chosen by a seeded generator and observed
// as events (the receiver has recorded its N-th delivery, or the clock was just set), never by a
// sleep, and restarted on the same data directory. At the end every item arrived, none was lost,
// a repeat carried the same idempotency key and the same bytes, each item was decided and
// delivered once in the audit log, and the audit chain verifies.
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <random>

#include <gtest/gtest.h>

#include "../support/temp_dir.hpp"
#include "data_path.hpp"

using namespace schakel;
using namespace std::chrono_literals;

namespace {

constexpr int k_items = 2000;
constexpr int k_kills = 15;

std::uint32_t seed() {
  // SCHAKEL_CRASH_SEED replays another run's kill moments; the default keeps runs identical.
  if (const char* s = std::getenv("SCHAKEL_CRASH_SEED")) return static_cast<std::uint32_t>(std::strtoul(s, nullptr, 10));
  return 20261124;
}

std::string referral_id(int n) {
  char id[16];
  std::snprintf(id, sizeof id, "ref_%05d", n);
  return id;
}

}  // namespace

TEST(CrashTest, SigkillAtSeededMomentsLosesNothingAndRepeatsByKey) {
  test::TempDir dir;
  const auto data = dir.path() / "data";
  const auto received_file = dir.path() / "received.jsonl";
  {
    test::DataPathConfig c;
    c.referrals = k_items;
    c.save_every = 25;
    c.receiver_file = received_file.string();
    std::ofstream(dir.path() / "schakel.yaml") << test::data_path_config(c);
  }
  const std::vector<std::string> argv = {test::k_schakeld, "--config", (dir.path() / "schakel.yaml").string()};
  test::ReceivedLog received(received_file);
  std::mt19937 rng(seed());
  std::cout << "seed " << seed() << "\n";

  int life = 0;
  for (int kills = 0; kills < k_kills; ++kills, ++life) {
    received.read_new();
    const long remaining = k_items - static_cast<long>(received.distinct());
    if (remaining < 10) break;  // too few left to aim a kill at a delivery that must still come
    test::ChildProcess d(argv);
    ASSERT_TRUE(d.wait_for("\"msg\":\"ready\"")) << d.all_output();
    ASSERT_TRUE(test::set_clock(d, data, life + 1)) << d.all_output();
    // One kill in five right after the clock moved (the poll starting, leases being taken); the
    // others after the receiver recorded a chosen line, while deliveries and imports are running.
    std::string moment = "clock set";
    received.read_new();  // the receiver ended a line cut short by the last kill when it started
    if (rng() % 5 != 0) {
      const long gap = 1 + static_cast<long>(rng() % static_cast<std::uint32_t>(std::min(remaining - 1, 2L * k_items / k_kills)));
      const long target = received.lines() + received.partial() + gap;
      moment = "recorded " + std::to_string(target);
      ASSERT_TRUE(d.wait_for("\"plugin: recorded " + std::to_string(target) + "\"", 60s))
          << "life " << life << "\n" << d.all_output();
    }
    d.signal(SIGKILL);
    EXPECT_EQ(d.wait_exit(), 128 + SIGKILL);
    received.read_new();
    std::cout << "life " << life << ": killed at " << moment << "; " << received.distinct() << " items received, "
              << received.lines() << " lines\n";
  }

  // The last run is left to finish: everything not yet received arrives.
  test::ChildProcess d(argv);
  ASSERT_TRUE(d.wait_for("\"msg\":\"ready\"")) << d.all_output();
  ASSERT_TRUE(test::set_clock(d, data, life + 1)) << d.all_output();
  received.read_new();
  while (received.distinct() < static_cast<std::size_t>(k_items)) {
    ASSERT_TRUE(d.wait_for("\"plugin: recorded ", 60s))
        << received.distinct() << " of " << k_items << " received\n" << d.all_output();
    received.read_new();
  }
  // The source finished too (its line may have been read while waiting for deliveries).
  const std::string emitted = "referrals emitted up to " + std::to_string(k_items);
  const bool seen = std::any_of(d.lines().begin(), d.lines().end(),
                                [&](const std::string& l) { return l.find(emitted) != std::string::npos; });
  ASSERT_TRUE(seen || d.wait_for(emitted)) << d.all_output();
  d.signal(SIGTERM);
  ASSERT_EQ(d.wait_exit(), 0) << d.all_output();
  received.read_new();
  std::cout << life << " kills; " << received.lines() << " deliveries for " << k_items << " items ("
            << received.lines() - k_items << " repeats, " << received.partial() << " cut short)\n";

  // Every referral arrived under exactly one idempotency key, and every repeat of a key carried
  // the same bytes: the receiver can discard repeats by key.
  ASSERT_EQ(received.keys_by_referral().size(), static_cast<std::size_t>(k_items));
  for (int n = 0; n < k_items; ++n) {
    auto it = received.keys_by_referral().find(referral_id(n));
    ASSERT_NE(it, received.keys_by_referral().end()) << referral_id(n) << " was lost";
    EXPECT_EQ(it->second.size(), 1u) << referral_id(n) << " arrived under more than one key";
  }
  for (const auto& [key, docs] : received.documents_by_key()) EXPECT_EQ(docs.size(), 1u) << key;

  // Each item was decided once and recorded as delivered once, however often it was sent.
  auto audit = test::audit_counts(data);
  EXPECT_EQ(audit["disclose/redacted"], k_items);
  EXPECT_EQ(audit["deliver/delivered"], k_items);
  auto verify = test::run_program({test::k_schakel, "audit", "--data-dir", data.string(), "verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
}
