#include "outbox/pacing.hpp"

#include <algorithm>
#include <cmath>

namespace schakel::outbox {

std::chrono::microseconds Backoff::delay(int attempt) {
  using std::chrono::microseconds;
  const double cap_us = static_cast<double>(microseconds(cap_).count());
  const double base_us = static_cast<double>(microseconds(initial_).count());
  const int exponent = std::clamp(attempt - 1, 0, 62);
  const double ceiling = std::min(cap_us, base_us * std::ldexp(1.0, exponent));
  if (ceiling <= 0) return microseconds{0};
  std::lock_guard lock(mu_);
  std::uniform_real_distribution<double> pick(0.0, ceiling);
  return microseconds{static_cast<std::int64_t>(pick(rng_))};
}

void TokenBucket::refill(TimePoint now) {
  if (now > last_) {
    const double seconds = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(burst_, tokens_ + seconds * rate_);
    last_ = now;
  }
}

int TokenBucket::available(TimePoint now) {
  refill(now);
  return tokens_ < 1.0 ? 0 : static_cast<int>(std::floor(tokens_));
}

TimePoint TokenBucket::next_token_at(TimePoint now) {
  refill(now);
  if (tokens_ >= 1.0 || rate_ <= 0) return now;
  const double wait_us = std::ceil((1.0 - tokens_) / rate_ * 1e6);
  return now + std::chrono::microseconds{static_cast<std::int64_t>(wait_us)};
}

}  // namespace schakel::outbox
