#pragma once
// The delivery engine: takes due outbox items per destination and delivers them, with retries,
// dead letters, the consent re-check before every attempt, and revocation (DESIGN section 7).
//
// Threading: one scheduler thread and a fixed pool of worker threads. The scheduler never calls
// a plugin and never waits on one; it leases due items in batches (state in_flight, committed
// before any call; the token bucket is charged at lease) into the destination's ready queue, and
// items start on the pool while the destination has fewer calls in progress than its limit.
// Workers make the blocking plugin call and hand the outcome to a recorder thread, which writes
// the outcomes that finished meanwhile, each with its audit entry, in one transaction.
// A crash at any moment leaves items pending or in flight (called, not yet recorded); in-flight
// items return to pending at start() and are sent again with the same idempotency key.
// Time comes from the injected Clock; the scheduler sleeps on a condition variable until the
// next due item or token, capped at `poll_interval`, and wake() makes it look at once.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "outbox/pacing.hpp"
#include "outbox/seams.hpp"

namespace schakel::outbox {

struct DeliveryOptions {
  int max_attempts = 12;
  std::chrono::milliseconds max_age{259200000};
  std::chrono::milliseconds backoff_initial{1000};
  std::chrono::milliseconds backoff_max{3600000};
  int worker_threads = 4;  // the fixed pool shared by all destinations
  int lease_batch = 256;   // most items leased in one transaction
  std::chrono::milliseconds poll_interval{1000};  // longest the scheduler sleeps unwoken
  std::uint64_t seed = 0;  // jitter; 0 picks one from std::random_device

  // From the config's "delivery" object (schemas/config.schema.json); defaults as there.
  static DeliveryOptions from_config(const nlohmann::json& delivery);
};

struct DestinationLimits {
  int concurrency = 2;           // calls in progress at once
  double rate_per_second = 20;   // attempts started per second
  double burst = 0;              // tokens saved up; 0: max(1, concurrency, rate / 10)

  // From the config's "delivery" object: workers_per_connector and rate_per_second.
  static DestinationLimits from_config(const nlohmann::json& delivery);
};

// What one attempt came to, for tests and metrics.
struct AttemptReport {
  std::int64_t id = 0;
  store::OutboxState state = store::OutboxState::pending;
  std::string detail;
};

class DeliveryEngine {
 public:
  DeliveryEngine(store::Store& store, const Clock& clock, Gate& gate, AuditSink& audit,
                 DeliveryOptions options);
  ~DeliveryEngine();
  DeliveryEngine(const DeliveryEngine&) = delete;
  DeliveryEngine& operator=(const DeliveryEngine&) = delete;

  // Register before start(). The destination must outlive the engine.
  void add_destination(const std::string& connector, Destination& destination,
                       DestinationLimits limits);

  // Crash recovery (in flight → pending), then the scheduler and the pool start.
  Status start();
  // Stops leasing, lets calls in progress finish, and joins the threads. Items leased but not
  // yet started stay in flight and return to pending at the next start.
  void stop();
  // New items were queued or the clock moved: look for due work now.
  void wake();

  // One synchronous pass on the calling thread, without the threads: leases what `connector`'s
  // limits allow (at most `max_items`) and attempts each. Returns the attempts' outcomes.
  Result<std::vector<AttemptReport>> run_due(const std::string& connector, int max_items);

  // Waits until `done()` holds, re-checking after every attempt; false on timeout.
  bool wait_for(const std::function<bool()>& done, std::chrono::milliseconds timeout);

  // A destination whose plugin answered `fatal` takes no more items until resumed.
  [[nodiscard]] bool stopped(const std::string& connector);
  void resume(const std::string& connector);
  // An admin's pause: the destination starts no attempts until unpaused; items it has already
  // leased wait in flight. Unknown connectors are ignored.
  void set_paused(const std::string& connector, bool paused);
  [[nodiscard]] bool paused(const std::string& connector);

  // Consent `consent_id` of `student_id` was withdrawn (and that is committed): pending items it
  // covered that the gate now denies are dropped, and each delivered disclosure it covered gets
  // a revocation to a destination that can revoke. All audited.
  Status on_consent_withdrawn(const std::string& consent_id, const std::string& student_id,
                              const std::string& reason, const Actor& actor);

  // Dead letters: list (paged by id), inspect, replay (audited, by `actor`). A replay answers the
  // item as the replay left it (pending, due now), before a delivery worker can pick it up.
  Result<std::vector<store::OutboxItem>> dead_letters(const std::optional<std::string>& connector,
                                                      std::int64_t after_id, int limit);
  Result<std::optional<store::OutboxItem>> inspect(std::int64_t id);
  Result<store::OutboxItem> replay(std::int64_t id, const Actor& actor);

  [[nodiscard]] std::int64_t attempts_made() const { return attempts_made_.load(); }

 private:
  struct Dest {
    std::string connector;
    Destination* destination = nullptr;
    DestinationLimits limits;
    std::unique_ptr<TokenBucket> bucket;
    std::deque<store::OutboxItem> ready;  // leased (in flight in the store), call not started
    int running = 0;                      // calls in progress: at most limits.concurrency
    bool fatal = false;
    bool paused = false;
    bool dirty = true;  // something may be due that next_due does not know of
    std::optional<TimePoint> next_due;
  };
  // What one attempt came to, before it is recorded.
  struct Completion {
    enum class Kind { result, dropped, too_old };
    Dest* dest = nullptr;
    store::OutboxItem item;
    Kind kind = Kind::result;
    DeliveryResult result;
    std::vector<std::string> consent_ids;  // dropped: the gate's
    AttemptReport report;
    std::optional<TimePoint> next_due;
  };

  Dest* find(const std::string& connector);
  void scheduler_loop();
  void worker_loop();
  // Leases for one destination under mu_ (released around the store); returns when to look again.
  std::optional<TimePoint> schedule(Dest& d, std::unique_lock<std::mutex>& lock);
  // Under mu_: starts leased items while the destination has free call slots.
  void dispatch(Dest& d);
  // Under no lock: the call slot is free again / the outcome is recorded.
  void call_done(Dest& d);
  void recorded(std::vector<Completion>& batch);

  // One attempt on a leased item: the re-check and the call, not yet recorded.
  Completion attempt(Dest& d, const store::OutboxItem& item);
  // Writes a completion's state change and its audit entry into `tx`.
  Status record(store::Transaction& tx, Completion& c);
  // Records completions: together in one transaction, or one by one if that fails.
  void record_all(std::vector<Completion>& batch);
  void recorder_loop();
  Result<GateResult> recheck(const store::OutboxItem& item, TimePoint at);
  Status finish(store::Transaction& tx, const store::OutboxItem& item,
                const DeliveryResult& result, AttemptReport& report,
                std::optional<TimePoint>& next_due);
  AuditEvent event_for(const store::OutboxItem& item, const char* outcome) const;

  store::Store& store_;
  const Clock& clock_;
  Gate& gate_;
  AuditSink& audit_;
  DeliveryOptions options_;
  Backoff backoff_;

  std::mutex mu_;
  std::condition_variable scheduler_cv_;
  std::condition_variable work_cv_;
  std::condition_variable progress_cv_;
  std::map<std::string, std::unique_ptr<Dest>> dests_;
  std::deque<std::pair<Dest*, store::OutboxItem>> work_;
  std::vector<Completion> completions_;  // called, not yet recorded
  std::condition_variable recorder_cv_;
  bool recorder_stopping_ = false;
  std::thread recorder_;
  bool running_ = false;
  bool stopping_ = false;
  bool poked_ = false;
  std::thread scheduler_;
  std::vector<std::thread> workers_;
  std::atomic<std::int64_t> attempts_made_{0};
};

}  // namespace schakel::outbox
