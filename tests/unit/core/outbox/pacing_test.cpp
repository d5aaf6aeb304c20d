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
