#pragma once
// Pacing of delivery: exponential backoff with full jitter, and a token bucket per destination.
// Both take time as arguments, so the injected clock rules them and tests need no sleeps.
#include <chrono>
#include <cstdint>
#include <mutex>
#include <random>

#include "base/clock.hpp"

namespace schakel::outbox {

// delay = uniform(0, min(cap, initial * 2^(attempt-1))): full jitter spreads retries of many
// items that failed together, so a recovering destination is not hit by all of them at once.
class Backoff {
 public:
  Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds cap, std::uint64_t seed)
      : initial_(initial), cap_(cap), rng_(seed) {}

  // `attempt` is the number of attempts made so far (1 after the first failure).
  std::chrono::microseconds delay(int attempt);

 private:
  std::chrono::milliseconds initial_;
  std::chrono::milliseconds cap_;
  std::mutex mu_;
  std::mt19937_64 rng_;
};

// `rate` tokens a second, at most `burst` saved up. Not thread-safe: the engine holds its lock.
class TokenBucket {
 public:
  TokenBucket(double rate_per_second, double burst, TimePoint now)
      : rate_(rate_per_second), burst_(burst), tokens_(burst), last_(now) {}

  // Whole tokens available at `now`.
  int available(TimePoint now);
  void take(int n) { tokens_ -= n; }
  // When the next whole token will be there (now when one is).
  TimePoint next_token_at(TimePoint now);

 private:
  void refill(TimePoint now);

  double rate_;
  double burst_;
  double tokens_;
  TimePoint last_;
};

}  // namespace schakel::outbox
