// The delivery engine's threads: the scheduler that leases due items, and the worker pool.
#include "outbox/engine.hpp"

#include <algorithm>
#include <random>

namespace schakel::outbox {
namespace {

std::uint64_t pick_seed(std::uint64_t seed) {
  if (seed != 0) return seed;
  std::random_device rd;
  return (std::uint64_t{rd()} << 32) ^ rd();
}

}  // namespace

DeliveryOptions DeliveryOptions::from_config(const nlohmann::json& delivery) {
  DeliveryOptions o;
  if (!delivery.is_object()) return o;
  o.max_attempts = delivery.value("max_attempts", o.max_attempts);
  o.max_age = std::chrono::milliseconds{delivery.value("max_age_ms", o.max_age.count())};
  o.backoff_initial =
      std::chrono::milliseconds{delivery.value("backoff_initial_ms", o.backoff_initial.count())};
  o.backoff_max = std::chrono::milliseconds{delivery.value("backoff_max_ms", o.backoff_max.count())};
  return o;
}

DestinationLimits DestinationLimits::from_config(const nlohmann::json& delivery) {
  DestinationLimits l;
  if (!delivery.is_object()) return l;
  l.concurrency = delivery.value("workers_per_connector", l.concurrency);
  l.rate_per_second = delivery.value("rate_per_second", l.rate_per_second);
  return l;
}

DeliveryEngine::DeliveryEngine(store::Store& store, const Clock& clock, Gate& gate,
                               AuditSink& audit, DeliveryOptions options)
    : store_(store),
      clock_(clock),
      gate_(gate),
      audit_(audit),
      options_(options),
      backoff_(options.backoff_initial, options.backoff_max, pick_seed(options.seed)) {}

DeliveryEngine::~DeliveryEngine() { stop(); }

void DeliveryEngine::add_destination(const std::string& connector, Destination& destination,
                                     DestinationLimits limits) {
  limits.concurrency = std::max(1, limits.concurrency);
  // Tokens are charged when items are leased, so the burst caps one lease: a tenth of a second's
  // worth lets a fast destination take a full batch per commit instead of `concurrency` items.
  if (limits.burst <= 0) {
    limits.burst = std::max({1.0, static_cast<double>(limits.concurrency), limits.rate_per_second / 10});
  }
  auto d = std::make_unique<Dest>();
  d->connector = connector;
  d->destination = &destination;
  d->limits = limits;
  d->bucket = std::make_unique<TokenBucket>(limits.rate_per_second, limits.burst, clock_.now());
  std::lock_guard lock(mu_);
  dests_[connector] = std::move(d);
}

DeliveryEngine::Dest* DeliveryEngine::find(const std::string& connector) {
  auto it = dests_.find(connector);
  return it == dests_.end() ? nullptr : it->second.get();
}

Status DeliveryEngine::start() {
  {
    std::lock_guard lock(mu_);
    if (running_) return Status::ok();
  }
  // Before any lease: whatever was in flight when the last process ended is pending again.
  const Status written = store_.write([](store::Transaction& tx) -> Status {
    auto n = tx.reset_in_flight_outbox();
    return n ? Status::ok() : n.status();
  });
  if (!written) return written;
  std::lock_guard lock(mu_);
  running_ = true;
  stopping_ = false;
  work_.clear();
  for (auto& [name, d] : dests_) {
    d->running = 0;
    d->ready.clear();
    d->dirty = true;
  }
  completions_.clear();
  recorder_stopping_ = false;
  scheduler_ = std::thread([this] { scheduler_loop(); });
  recorder_ = std::thread([this] { recorder_loop(); });
  const int n = std::max(1, options_.worker_threads);
  for (int i = 0; i < n; ++i) workers_.emplace_back([this] { worker_loop(); });
  return Status::ok();
}

void DeliveryEngine::stop() {
  {
    std::lock_guard lock(mu_);
    if (!running_) return;
    stopping_ = true;
  }
  scheduler_cv_.notify_all();
  work_cv_.notify_all();
  if (scheduler_.joinable()) scheduler_.join();
  for (auto& w : workers_) w.join();
  workers_.clear();
  // Calls that were made are recorded before the recorder ends.
  {
    std::lock_guard lock(mu_);
    recorder_stopping_ = true;
  }
  recorder_cv_.notify_all();
  if (recorder_.joinable()) recorder_.join();
  std::lock_guard lock(mu_);
  work_.clear();  // still in flight in the store: pending again at the next start
  running_ = false;
  progress_cv_.notify_all();
}

void DeliveryEngine::wake() {
  {
    std::lock_guard lock(mu_);
    for (auto& [name, d] : dests_) d->dirty = true;
    poked_ = true;
  }
  scheduler_cv_.notify_one();
}

bool DeliveryEngine::stopped(const std::string& connector) {
  std::lock_guard lock(mu_);
  Dest* d = find(connector);
  return d != nullptr && d->fatal;
}

void DeliveryEngine::resume(const std::string& connector) {
  {
    std::lock_guard lock(mu_);
    if (Dest* d = find(connector)) {
      d->fatal = false;
      dispatch(*d);
    }
  }
  wake();
}

void DeliveryEngine::set_paused(const std::string& connector, bool paused) {
  {
    std::lock_guard lock(mu_);
    Dest* d = find(connector);
    if (d == nullptr) return;
    d->paused = paused;
    if (!paused) dispatch(*d);
  }
  wake();
}

bool DeliveryEngine::paused(const std::string& connector) {
  std::lock_guard lock(mu_);
  Dest* d = find(connector);
  return d != nullptr && d->paused;
}

void DeliveryEngine::scheduler_loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    poked_ = false;
    std::optional<TimePoint> wake_at;
    for (auto& [name, d] : dests_) {
      auto t = schedule(*d, lock);
      if (stopping_) return;
      if (t && (!wake_at || *t < *wake_at)) wake_at = t;
    }
    if (poked_) continue;
    auto wait = options_.poll_interval;
    if (wake_at) {
      const auto until = *wake_at - clock_.now();
      if (until <= std::chrono::microseconds{0}) continue;
      wait = std::min(wait, std::chrono::ceil<std::chrono::milliseconds>(until));
    }
    const bool woken = scheduler_cv_.wait_for(lock, wait, [this] { return stopping_ || poked_; });
    // Unwoken for a whole interval: items may have come from elsewhere (another process).
    if (!woken && wait == options_.poll_interval) {
      for (auto& [name, d] : dests_) d->dirty = true;
    }
  }
}

void DeliveryEngine::dispatch(Dest& d) {
  if (d.fatal || d.paused) return;
  bool started = false;
  while (d.running < d.limits.concurrency && !d.ready.empty()) {
    work_.emplace_back(&d, std::move(d.ready.front()));
    d.ready.pop_front();
    ++d.running;
    started = true;
  }
  if (started) work_cv_.notify_all();
}

std::optional<TimePoint> DeliveryEngine::schedule(Dest& d, std::unique_lock<std::mutex>& lock) {
  if (d.fatal || d.paused) return std::nullopt;
  dispatch(d);
  const int batch = std::max(1, options_.lease_batch);
  // Enough leased and waiting: a finishing call wakes the scheduler when the queue runs low.
  const int room = batch - static_cast<int>(d.ready.size());
  if (room < (batch + 1) / 2) return std::nullopt;
  const TimePoint now = clock_.now();
  if (!d.dirty && (!d.next_due || *d.next_due > now)) return d.next_due;
  const int tokens = d.bucket->available(now);
  if (tokens <= 0) return d.bucket->next_token_at(now);
  const int n = std::min(room, tokens);
  d.dirty = false;

  std::vector<store::OutboxItem> leased;
  std::optional<TimePoint> due;
  lock.unlock();
  const Status st = store_.write([&](store::Transaction& tx) -> Status {
    auto rows = tx.lease_outbox(d.connector, now, n);
    if (!rows) return rows.status();
    leased = std::move(*rows);
    if (static_cast<int>(leased.size()) < n) {
      auto next = tx.next_outbox_due(d.connector);
      if (!next) return next.status();
      due = *next;
    }
    return Status::ok();
  });
  lock.lock();
  if (!st) {
    // The store is in trouble (disk full, locked): nothing was leased; look again later.
    d.dirty = true;
    return now + options_.poll_interval;
  }
  const int got = static_cast<int>(leased.size());
  d.bucket->take(got);
  for (auto& item : leased) d.ready.push_back(std::move(item));
  dispatch(d);
  if (got == n) {
    d.dirty = true;  // there may be more
    return now;
  }
  d.next_due = due;
  return due;
}

void DeliveryEngine::worker_loop() {
  for (;;) {
    std::unique_lock lock(mu_);
    work_cv_.wait(lock, [this] { return stopping_ || !work_.empty(); });
    if (stopping_) return;
    auto [d, item] = std::move(work_.front());
    work_.pop_front();
    lock.unlock();
    Completion c = attempt(*d, item);
    lock.lock();
    completions_.push_back(std::move(c));
    d->running = std::max(0, d->running - 1);
    dispatch(*d);
    // Leased items running low: the scheduler leases the next batch now, while these calls run,
    // rather than after the recorder's commit.
    const bool low = 2 * d->ready.size() < static_cast<std::size_t>(std::max(1, options_.lease_batch));
    const bool poke = low && !poked_;
    if (poke) poked_ = true;
    lock.unlock();
    recorder_cv_.notify_one();
    if (poke) scheduler_cv_.notify_one();
  }
}

void DeliveryEngine::recorder_loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    recorder_cv_.wait(lock, [this] { return recorder_stopping_ || !completions_.empty(); });
    if (completions_.empty()) return;  // stopping, and everything called is recorded
    std::vector<Completion> batch;
    batch.swap(completions_);
    lock.unlock();
    record_all(batch);
    recorded(batch);
    lock.lock();
  }
}

void DeliveryEngine::call_done(Dest& d) {
  std::lock_guard lock(mu_);
  d.running = std::max(0, d.running - 1);
  dispatch(d);
}

void DeliveryEngine::recorded(std::vector<Completion>& batch) {
  {
    std::lock_guard lock(mu_);
    for (const Completion& c : batch) {
      Dest& d = *c.dest;
      if (c.next_due && (!d.next_due || *c.next_due < *d.next_due)) d.next_due = c.next_due;
      ++attempts_made_;
    }
    poked_ = true;
  }
  scheduler_cv_.notify_one();
  progress_cv_.notify_all();
}

bool DeliveryEngine::wait_for(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_lock lock(mu_);
  for (;;) {
    lock.unlock();
    const bool ok = done();
    lock.lock();
    if (ok) return true;
    const std::int64_t seen = attempts_made_.load();
    // Re-check after each attempt; the short cap covers changes made by others (a test's own
    // store writes), which do not signal this condition variable.
    const auto cap = std::min(deadline, std::chrono::steady_clock::now() + std::chrono::milliseconds{50});
    progress_cv_.wait_until(lock, cap, [&] { return attempts_made_.load() != seen; });
    if (std::chrono::steady_clock::now() >= deadline) {
      lock.unlock();
      return done();
    }
  }
}

Result<std::vector<AttemptReport>> DeliveryEngine::run_due(const std::string& connector,
                                                           int max_items) {
  std::unique_lock lock(mu_);
  Dest* d = find(connector);
  if (d == nullptr) return Status(ErrorCode::not_found, "no destination " + connector);
  if (d->fatal || d->paused) return std::vector<AttemptReport>{};
  const TimePoint now = clock_.now();
  const int n = std::min({max_items, d->bucket->available(now), d->limits.concurrency - d->running});
  if (n <= 0) return std::vector<AttemptReport>{};
  lock.unlock();
  std::vector<store::OutboxItem> leased;
  const Status written = store_.write([&](store::Transaction& tx) -> Status {
    auto rows = tx.lease_outbox(connector, now, n);
    if (!rows) return rows.status();
    leased = std::move(*rows);
    return Status::ok();
  });
  if (!written) return written;
  lock.lock();
  d->bucket->take(static_cast<int>(leased.size()));
  d->running += static_cast<int>(leased.size());
  lock.unlock();
  std::vector<AttemptReport> reports;
  for (const auto& item : leased) {
    std::vector<Completion> one;
    one.push_back(attempt(*d, item));
    call_done(*d);
    record_all(one);
    recorded(one);
    reports.push_back(one.front().report);
  }
  return reports;
}

}  // namespace schakel::outbox
