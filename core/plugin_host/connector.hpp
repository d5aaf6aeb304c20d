#pragma once
// One configured connector: a plugin instance, the queue of calls waiting for it (calls on one
// instance never overlap, as plugin.h promises), the call in flight (for the deadline), and its
// state: starting, running, degraded, restarting. Internal to the plugin host.
#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "plugin_host/plugin_host.hpp"
#include "plugin_host/worker_pool.hpp"
#include "schema/schema_set.hpp"

struct schakel_host_context {
  schakel::plugin_host::Connector* connector = nullptr;
  std::optional<std::string> error;        // set_error during the current call
  std::deque<std::string> state_strings;   // state_get results, freed when the call returns
  std::string unstored;                    // why records of the current call were not stored
};

namespace schakel::plugin_host {

// Shared by the host and its connectors; outlives the host while a stuck call holds it.
struct PluginHost::Core {
  HostOptions options;
  const Clock* clock = nullptr;
  std::unique_ptr<Clock> own_clock;
  std::unique_ptr<StateStore> own_state;
  StateStore* state = nullptr;
  std::unique_ptr<WorkerPool> pool;
  std::atomic<bool> stopping{false};
  std::mutex rng_mu;
  std::mt19937_64 rng;

  void event(HostEvent::Kind kind, const std::string& connector, const std::string& message);
  void log(const std::string& connector, int level, const std::string& message);
  std::uint64_t random();
};

// The services table every instance gets (host_services.cpp).
const schakel_host_services& host_services_table();

enum class CallKind { create, check, poll, deliver, revoke };
const char* call_kind_name(CallKind kind);

struct PendingCall {
  CallKind kind = CallKind::check;
  std::string a;  // document, receipt
  std::string b;  // idempotency key, reason
  CallDone done;
};

class Connector : public std::enable_shared_from_this<Connector> {
 public:
  Connector(std::shared_ptr<PluginHost::Core> core, std::string id, std::shared_ptr<PluginLibrary> lib,
            schema::SchemaSet schemas, std::string settings_json);

  void start();                   // queues create
  void submit(PendingCall call);  // queues a call, or refuses it at once
  void tick(TimePoint now);       // deadline and restart
  void shutdown();                // destroys the instance, if no call is stuck in it
  [[nodiscard]] ConnectorStatus status() const;
  [[nodiscard]] const std::string& id() const { return id_; }

  // Host services, called by the plugin on the thread that runs its call.
  void log(int level, const char* msg);
  schakel_result emit(schakel_host_context* ctx, const char* stream, const char* record, size_t len);
  const char* state_get(schakel_host_context* ctx, const char* key);
  schakel_result state_put(const char* key, const char* value);
  int64_t now_us() const;
  [[nodiscard]] const PluginLibrary& library() const { return *lib_; }

 private:
  struct InFlight {
    std::uint64_t seq = 0;
    CallKind kind = CallKind::check;
    TimePoint deadline{};
    WorkerPool::Worker* worker = nullptr;
    CallDone done;  // taken by whoever completes the call first: the call or the deadline
    bool expired = false;
  };

  void schedule_locked();
  void drain();
  CallResult run(PendingCall& call);
  CallResult result_of(CallKind kind, schakel_result r, const schakel_outcome* out);
  // Stores what the record sink holds; false (and ctx_.unstored set) when that failed.
  bool flush_records();
  // Stops the connector until its restart; the queued calls move to `refused`.
  void fail_locked(const std::string& why, std::vector<CallDone>& refused);
  void destroy_instance();
  CallResult refusal_locked() const;

  std::shared_ptr<PluginHost::Core> core_;
  const std::string id_;
  const std::shared_ptr<PluginLibrary> lib_;
  const schema::SchemaSet schemas_;
  const std::string settings_json_;
  schakel_host_services services_{};
  schakel_host_context ctx_{};

  mutable std::mutex mu_;
  std::condition_variable idle_cv_;  // signalled when a call finishes
  ConnectorState state_ = ConnectorState::stopped;
  void* instance_ = nullptr;
  std::deque<PendingCall> queue_;
  bool scheduled_ = false;  // a drain task is queued or running
  std::optional<InFlight> inflight_;
  std::uint64_t seq_ = 0;
  std::string degraded_because_;
  int errors_in_a_row_ = 0;
  int restart_attempt_ = 0;
  bool reset_attempts_on_ok_ = false;
  std::optional<TimePoint> next_restart_;
  ConnectorStatus counters_;
};

}  // namespace schakel::plugin_host
