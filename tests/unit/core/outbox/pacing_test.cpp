#include <gtest/gtest.h>

#include "outbox/pacing.hpp"

namespace schakel::outbox {
namespace {

using namespace std::chrono_literals;

TEST(Backoff, FullJitterStaysUnderTheDoublingCeilingAndTheCap) {
  Backoff b(10ms, 80ms, 1);
  for (int attempt = 1; attempt <= 10; ++attempt) {
    const auto ceiling = std::min<std::chrono::microseconds>(80ms, 10ms * (1 << std::min(attempt - 1, 20)));
    std::chrono::microseconds largest{0};
    for (int i = 0; i < 200; ++i) {
      const auto d = b.delay(attempt);
      EXPECT_GE(d.count(), 0);
      EXPECT_LE(d, ceiling);
      largest = std::max(largest, d);
    }
    EXPECT_GT(largest, ceiling / 2) << "attempt " << attempt;  // the whole range is used
  }
}

TEST(Backoff, TheSameSeedGivesTheSameDelays) {
  Backoff a(5ms, 1s, 99);
  Backoff b(5ms, 1s, 99);
  for (int i = 1; i < 20; ++i) EXPECT_EQ(a.delay(i), b.delay(i));
}

TEST(TokenBucket, RefillsAtTheRateUpToTheBurst) {
  TimePoint t{};
  TokenBucket bucket(4, 2, t);
  EXPECT_EQ(bucket.available(t), 2);
  bucket.take(2);
  EXPECT_EQ(bucket.available(t), 0);
  EXPECT_EQ(bucket.next_token_at(t), t + 250ms);
  EXPECT_EQ(bucket.available(t + 249ms), 0);
  EXPECT_EQ(bucket.available(t + 250ms), 1);
  EXPECT_EQ(bucket.available(t + 1h), 2);
}

}  // namespace
}  // namespace schakel::outbox

#include "outbox/engine.hpp"

namespace schakel::outbox {
namespace {

TEST(DeliveryOptions, ReadFromTheConfigWithTheSchemaDefaults) {
  const auto delivery = nlohmann::json::parse(
      R"({"max_attempts": 5, "max_age_ms": 60000, "backoff_initial_ms": 2, "backoff_max_ms": 50,
          "workers_per_connector": 3, "rate_per_second": 7.5})");
  const auto o = DeliveryOptions::from_config(delivery);
  EXPECT_EQ(o.max_attempts, 5);
  EXPECT_EQ(o.max_age, std::chrono::milliseconds(60000));
  EXPECT_EQ(o.backoff_initial, std::chrono::milliseconds(2));
  EXPECT_EQ(o.backoff_max, std::chrono::milliseconds(50));
  const auto l = DestinationLimits::from_config(delivery);
  EXPECT_EQ(l.concurrency, 3);
  EXPECT_DOUBLE_EQ(l.rate_per_second, 7.5);
  const auto d = DeliveryOptions::from_config(nlohmann::json::object());
  EXPECT_EQ(d.max_attempts, 12);
  EXPECT_EQ(DestinationLimits::from_config(nlohmann::json::object()).concurrency, 2);
}

}  // namespace
}  // namespace schakel::outbox
