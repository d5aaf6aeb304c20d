#include "plugin_host/plugin_host.hpp"

#include <unistd.h>

#include <cmath>
#include <condition_variable>
#include <thread>

#include <spdlog/spdlog.h>

#include "plugin_host/connector.hpp"

namespace schakel::plugin_host {

const char* call_code_name(CallCode code) {
  switch (code) {
    case CallCode::ok: return "ok";
    case CallCode::retry: return "retry";
    case CallCode::reject: return "reject";
    case CallCode::fatal: return "fatal";
  }
  return "?";
}

const char* state_name(ConnectorState state) {
  switch (state) {
    case ConnectorState::starting: return "starting";
    case ConnectorState::running: return "running";
    case ConnectorState::degraded: return "degraded";
    case ConnectorState::restarting: return "restarting";
    case ConnectorState::stopped: return "stopped";
  }
  return "?";
}

std::chrono::milliseconds backoff_delay(const BackoffPolicy& policy, int attempt, std::uint64_t random) {
  using std::chrono::milliseconds;
  milliseconds d = policy.initial;
  for (int i = 1; i < attempt && d < policy.max; ++i) d *= 2;
  if (d > policy.max) d = policy.max;
  // Jitter spreads the restarts of connectors that failed together (e.g. one destination down).
  const double u = static_cast<double>(random >> 11) / static_cast<double>(std::uint64_t{1} << 53);
  const double factor = 1.0 - std::clamp(policy.jitter, 0.0, 1.0) * u;
  return milliseconds(static_cast<milliseconds::rep>(std::llround(static_cast<double>(d.count()) * factor)));
}

namespace {

class MemoryStateStore final : public StateStore {
 public:
  Result<std::optional<std::string>> get(const std::string& connector, const std::string& key) override {
    std::lock_guard lock(mu_);
    auto it = values_.find({connector, key});
    if (it == values_.end()) return std::optional<std::string>{};
    return std::optional<std::string>{it->second};
  }
  Status put(const std::string& connector, const std::string& key, const std::string& value) override {
    std::lock_guard lock(mu_);
    values_[{connector, key}] = value;
    return Status::ok();
  }

 private:
  std::mutex mu_;
  std::map<std::pair<std::string, std::string>, std::string> values_;
};

class StoreStateStore final : public StateStore {
 public:
  explicit StoreStateStore(store::Store& store) : store_(store) {}
  Result<std::optional<std::string>> get(const std::string& connector, const std::string& key) override {
    auto tx = store_.begin(false);
    if (!tx) return tx.status();
    return (*tx)->connector_state(connector, key);
  }
  Status put(const std::string& connector, const std::string& key, const std::string& value) override {
    return store_.write([&](store::Transaction& tx) { return tx.put_connector_state(connector, key, value); });
  }

 private:
  store::Store& store_;
};

}  // namespace

std::unique_ptr<StateStore> memory_state_store() { return std::make_unique<MemoryStateStore>(); }
std::unique_ptr<StateStore> store_state_store(store::Store& store) { return std::make_unique<StoreStateStore>(store); }

QuarantineSink store_quarantine(store::Store& store) {
  return [&store](store::QuarantineRow& row) {
    return store.write([&](store::Transaction& tx) { return tx.quarantine(row); });
  };
}

void PluginHost::Core::event(HostEvent::Kind kind, const std::string& connector, const std::string& message) {
  if (options.on_event) {
    options.on_event(HostEvent{kind, connector, message});
    return;
  }
  const bool bad = kind != HostEvent::Kind::started && kind != HostEvent::Kind::recovered;
  spdlog::log(bad ? spdlog::level::warn : spdlog::level::info, "connector {}: {}", connector, message);
}

void PluginHost::Core::log(const std::string& connector, int level, const std::string& message) {
  if (options.on_log) {
    options.on_log(connector, level, message);
    return;
  }
  const auto lvl = level <= SCHAKEL_LOG_DEBUG  ? spdlog::level::debug
                   : level == SCHAKEL_LOG_INFO ? spdlog::level::info
                   : level == SCHAKEL_LOG_WARN ? spdlog::level::warn
                                               : spdlog::level::err;
  spdlog::log(lvl, "connector {}: {}", connector, message);
}

std::uint64_t PluginHost::Core::random() {
  std::lock_guard lock(rng_mu);
  return rng();
}

// Calls tick() every interval on its own thread; stops promptly when told.
struct Watchdog {
  std::mutex mu;
  std::condition_variable cv;
  bool stop = false;
  std::thread thread;
};

PluginHost::PluginHost(HostOptions options) : core_(std::make_shared<Core>()) {
  core_->options = std::move(options);
  if (core_->options.clock == nullptr) core_->own_clock = std::make_unique<SystemClock>();
  core_->clock = core_->options.clock ? core_->options.clock : core_->own_clock.get();
  if (core_->options.state == nullptr) core_->own_state = memory_state_store();
  core_->state = core_->options.state ? core_->options.state : core_->own_state.get();
  core_->rng.seed(core_->options.restart_backoff.seed);
  const int workers = core_->options.workers < 1 ? 1 : core_->options.workers;
  core_->pool = std::make_unique<WorkerPool>(workers, 4096, 4 * workers);
  if (core_->options.watchdog_thread) {
    watchdog_ = std::make_unique<Watchdog>();
    watchdog_->thread = std::thread([this] {
      std::unique_lock lock(watchdog_->mu);
      while (!watchdog_->cv.wait_for(lock, core_->options.watchdog_interval, [this] { return watchdog_->stop; })) {
        lock.unlock();
        tick();
        lock.lock();
      }
    });
  }
}

PluginHost::~PluginHost() {
  if (watchdog_) {
    {
      std::lock_guard lock(watchdog_->mu);
      watchdog_->stop = true;
    }
    watchdog_->cv.notify_all();
    watchdog_->thread.join();
  }
  core_->stopping = true;
  std::map<std::string, std::shared_ptr<Connector>> connectors;
  {
    std::lock_guard lock(mu_);
    connectors.swap(connectors_);
  }
  for (auto& [id, c] : connectors) c->shutdown();
  core_->pool.reset();  // joins the workers; detaches stuck ones
}

Status PluginHost::add_connector(const ConnectorConfig& config) {
  const std::string where = "connector " + config.id;
  std::shared_ptr<PluginLibrary> lib;
  {
    std::lock_guard lock(mu_);
    if (connectors_.count(config.id) != 0) return error(ErrorCode::conflict, where + ": defined twice");
    std::error_code ec;
    const auto key = std::filesystem::weakly_canonical(config.plugin, ec).string();
    auto it = libraries_.find(key);
    if (it != libraries_.end()) {
      if (config.sha256 && *config.sha256 != it->second->sha256())
        return error(ErrorCode::denied, where + ": plugin " + config.plugin.string() + ": SHA-256 is " +
                                            it->second->sha256() + " but the configuration pins " + *config.sha256);
      lib = it->second;
    } else {
      auto opened = PluginLibrary::open(config.plugin, core_->options.load, config.sha256);
      if (!opened) return opened.status().with_context(where);
      lib = *opened;
      libraries_[key] = lib;
    }
  }
  auto schemas = schema::SchemaSet::load(core_->options.load.schema_dir);
  if (!schemas) return schemas.status().with_context(where);
  for (const auto& [stream, spec] : lib->manifest().streams)
    SCHAKEL_TRY(schemas->add("x-plugin-stream." + stream, spec.schema).with_context(where));
  // No settings at all means an empty object, which the schema may still refuse.
  const nlohmann::json settings = config.settings.is_null() ? nlohmann::json::object() : config.settings;
  if (auto st = validate_settings(*schemas, "x-plugin-config." + lib->name(), lib->manifest().config_schema, settings); !st)
    return error(st.code(), where + " (plugin " + config.plugin.string() + "): invalid settings:\n" + st.message());

  auto connector = std::make_shared<Connector>(core_, config.id, lib, std::move(*schemas), settings.dump());
  {
    std::lock_guard lock(mu_);
    connectors_[config.id] = connector;
  }
  connector->start();
  return Status::ok();
}

std::shared_ptr<Connector> PluginHost::find(const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = connectors_.find(id);
  return it == connectors_.end() ? nullptr : it->second;
}

namespace {
void submit_to(const std::shared_ptr<Connector>& c, const std::string& id, PendingCall call) {
  if (!c) {
    call.done({CallCode::reject, "no connector '" + id + "'", {}, {}});
    return;
  }
  c->submit(std::move(call));
}

std::future<CallResult> as_future(const std::function<void(CallDone)>& start) {
  auto promise = std::make_shared<std::promise<CallResult>>();
  auto fut = promise->get_future();
  start([promise](CallResult r) { promise->set_value(std::move(r)); });
  return fut;
}
}  // namespace

void PluginHost::check(const std::string& id, CallDone done) {
  submit_to(find(id), id, {CallKind::check, {}, {}, std::move(done)});
}
void PluginHost::poll(const std::string& id, CallDone done) {
  submit_to(find(id), id, {CallKind::poll, {}, {}, std::move(done)});
}
void PluginHost::deliver(const std::string& id, std::string document, std::string key, CallDone done) {
  submit_to(find(id), id, {CallKind::deliver, std::move(document), std::move(key), std::move(done)});
}
void PluginHost::revoke(const std::string& id, std::string receipt, std::string reason, CallDone done) {
  submit_to(find(id), id, {CallKind::revoke, std::move(receipt), std::move(reason), std::move(done)});
}

std::future<CallResult> PluginHost::check(const std::string& id) {
  return as_future([&](CallDone d) { check(id, std::move(d)); });
}
std::future<CallResult> PluginHost::poll(const std::string& id) {
  return as_future([&](CallDone d) { poll(id, std::move(d)); });
}
std::future<CallResult> PluginHost::deliver(const std::string& id, std::string document, std::string key) {
  return as_future([&](CallDone d) { deliver(id, std::move(document), std::move(key), std::move(d)); });
}
std::future<CallResult> PluginHost::revoke(const std::string& id, std::string receipt, std::string reason) {
  return as_future([&](CallDone d) { revoke(id, std::move(receipt), std::move(reason), std::move(d)); });
}

CallResult PluginHost::await(std::future<CallResult> result) {
  constexpr int k_spin_rounds = 200;
  for (int i = 0; i < k_spin_rounds; ++i) {
    if (result.wait_for(std::chrono::seconds(0)) == std::future_status::ready) break;
    std::this_thread::yield();
  }
  return result.get();
}

void PluginHost::tick() {
  std::vector<std::shared_ptr<Connector>> all;
  {
    std::lock_guard lock(mu_);
    for (auto& [id, c] : connectors_) all.push_back(c);
  }
  const auto now = core_->clock->now();
  for (auto& c : all) c->tick(now);
}

std::optional<ConnectorStatus> PluginHost::status(const std::string& id) const {
  auto c = find(id);
  if (!c) return std::nullopt;
  return c->status();
}

std::optional<Manifest> PluginHost::manifest(const std::string& id) const {
  auto c = find(id);
  if (!c) return std::nullopt;
  return c->library().manifest();
}

std::vector<std::string> PluginHost::connectors() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& [id, c] : connectors_) out.push_back(id);
  return out;
}

int PluginHost::pool_threads() const { return core_->pool->threads(); }

}  // namespace schakel::plugin_host
