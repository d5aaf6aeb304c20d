#pragma once
// The plugin host: loads plugins (library.hpp), validates each connector's settings against its
// plugin's config schema, and runs every plugin call on a bounded worker pool with a deadline.
// A call past its deadline marks its connector degraded; a connector that fails (a fatal result,
// a failed create, too many errors in a row) is destroyed and restarted with exponential
// backoff, while the other connectors keep running. Emitted records are validated against their
// stream's schema; invalid ones are quarantined with the JSON pointer of each violation.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/clock.hpp"
#include "base/status.hpp"
#include "plugin_host/library.hpp"
#include "store/store.hpp"

namespace schakel::plugin_host {

enum class CallCode { ok, retry, reject, fatal };
const char* call_code_name(CallCode code);

struct CallResult {
  CallCode code = CallCode::ok;
  std::string message;                    // set for every code but ok
  std::string receipt_json;               // deliver: the plugin's receipt ("" for none)
  std::chrono::milliseconds retry_after{0};  // retry: the wait the destination asked for
};
using CallDone = std::function<void(CallResult)>;

enum class ConnectorState { starting, running, degraded, restarting, stopped };
const char* state_name(ConnectorState state);

// What the host reports (to the log, the admin API, tests).
struct HostEvent {
  enum class Kind { started, degraded, recovered, failed, quarantined, plugin_bug };
  Kind kind;
  std::string connector;
  std::string message;
};

// Where a plugin's cursors live: the store in the daemon (store_state_store), memory in tests.
class StateStore {
 public:
  virtual ~StateStore() = default;
  virtual Result<std::optional<std::string>> get(const std::string& connector, const std::string& key) = 0;
  virtual Status put(const std::string& connector, const std::string& key, const std::string& value) = 0;
};
std::unique_ptr<StateStore> memory_state_store();
std::unique_ptr<StateStore> store_state_store(store::Store& store);

// Where quarantined records go; store_quarantine writes them with Transaction::quarantine.
using QuarantineSink = std::function<Status(store::QuarantineRow&)>;
QuarantineSink store_quarantine(store::Store& store);
// Where valid records go (the core's import); a failure makes emit return retry. The record is
// the sink's to keep (it may move from it). `record_text` is the text of the record's "record"
// member where the plugin wrote it exactly as json_text writes it (base/json_text.hpp), else
// empty: a store may keep that text instead of writing the member out again. It lives as long as
// the call.
using RecordSink = std::function<Status(const std::string& connector, const std::string& stream,
                                        nlohmann::json&& record, std::string_view record_text)>;
// Makes durable what a RecordSink accepted but has not stored yet (an importer that writes records
// in batches). The host calls it before a plugin's state_put (a cursor never moves past records
// that are not stored) and when every plugin call returns; a failure makes that state_put, and the
// call, return retry, so the source offers the records again.
using RecordFlush = std::function<Status(const std::string& connector)>;

struct BackoffPolicy {
  std::chrono::milliseconds initial{1000};
  std::chrono::milliseconds max{300000};
  double jitter = 0.2;  // the delay is reduced by up to this fraction, at random
  std::uint64_t seed = 0x5eed;
};
// The delay before restart number `attempt` (1, 2, ...): initial * 2^(attempt-1), capped, jittered.
std::chrono::milliseconds backoff_delay(const BackoffPolicy& policy, int attempt, std::uint64_t random);

struct HostOptions {
  LoadOptions load;
  int workers = 2;
  std::size_t max_pending_per_connector = 1024;
  std::chrono::milliseconds call_deadline{30000};
  int max_errors_in_a_row = 5;  // retry results in a row that count as a failure
  BackoffPolicy restart_backoff;
  const Clock* clock = nullptr;  // nullptr: the system clock
  // Runs tick() on a thread of its own every watchdog_interval (real time). Tests turn it off
  // and call tick() after moving a ManualClock.
  bool watchdog_thread = true;
  std::chrono::milliseconds watchdog_interval{100};
  StateStore* state = nullptr;  // nullptr: in memory
  QuarantineSink quarantine;    // empty: counted and logged only
  RecordSink records;           // empty: accepted and dropped
  RecordFlush flush_records;    // empty: records() stores each record before it returns
  std::function<void(const HostEvent&)> on_event;
  std::function<void(const std::string& connector, int level, const std::string& msg)> on_log;
};

struct ConnectorConfig {
  std::string id;
  std::filesystem::path plugin;
  std::optional<std::string> sha256;  // pin, hex
  nlohmann::json settings = nlohmann::json::object();
};

struct ConnectorStatus {
  ConnectorState state = ConnectorState::stopped;
  std::string plugin;
  PluginKind kind = PluginKind::sink;  // from the plugin's manifest
  std::string last_error;
  std::uint64_t calls = 0;
  std::uint64_t errors = 0;
  std::uint64_t deadline_misses = 0;
  std::uint64_t quarantined = 0;
  int restarts = 0;
  std::optional<TimePoint> next_restart;
};

class Connector;

class PluginHost {
 public:
  explicit PluginHost(HostOptions options);
  ~PluginHost();
  PluginHost(const PluginHost&) = delete;
  PluginHost& operator=(const PluginHost&) = delete;

  // Loads (once per file) the connector's plugin, validates its settings against the plugin's
  // config schema (every violation, with its JSON pointer), then starts it on the pool.
  Status add_connector(const ConnectorConfig& config);

  // Plugin calls, queued per connector and run on the pool; `done` runs on a pool or watchdog
  // thread exactly once.
  void check(const std::string& connector, CallDone done);
  void poll(const std::string& connector, CallDone done);
  void deliver(const std::string& connector, std::string document, std::string idempotency_key, CallDone done);
  void revoke(const std::string& connector, std::string receipt_json, std::string reason, CallDone done);

  std::future<CallResult> check(const std::string& connector);
  std::future<CallResult> poll(const std::string& connector);
  std::future<CallResult> deliver(const std::string& connector, std::string document, std::string idempotency_key);
  std::future<CallResult> revoke(const std::string& connector, std::string receipt_json, std::string reason);
  // Waits for a call's result, as the daemon's delivery workers do: a brief look first, since a
  // fast plugin answers within microseconds and a sleeping caller's wake-up costs several.
  static CallResult await(std::future<CallResult> result);

  // Marks calls past their deadline and restarts connectors whose backoff has passed.
  void tick();

  [[nodiscard]] std::optional<ConnectorStatus> status(const std::string& connector) const;
  [[nodiscard]] std::vector<std::string> connectors() const;
  // The manifest of a connector's plugin (routes are checked against it), nullopt if unknown.
  [[nodiscard]] std::optional<Manifest> manifest(const std::string& connector) const;
  [[nodiscard]] int pool_threads() const;

  struct Core;

 private:
  std::shared_ptr<Connector> find(const std::string& id) const;
  std::shared_ptr<Core> core_;
  mutable std::mutex mu_;  // guards the two maps
  std::map<std::string, std::shared_ptr<PluginLibrary>> libraries_;
  std::map<std::string, std::shared_ptr<Connector>> connectors_;
  std::unique_ptr<struct Watchdog> watchdog_;
};

}  // namespace schakel::plugin_host
