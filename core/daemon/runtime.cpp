#include "daemon/runtime.hpp"

#include <sys/stat.h>

#include <boost/asio/post.hpp>

#include "daemon/connectors.hpp"
#include "daemon/endpoints.hpp"
#include "log/log.hpp"
#include "schedule/cron_expression.hpp"

namespace schakel::daemon {
namespace {

Status prepare_data_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return error(ErrorCode::io, dir.string() + ": cannot create data directory: " + ec.message());
  // The data directory holds keys and personal data: owner only.
  if (::chmod(dir.c_str(), 0700) != 0)
    return error(ErrorCode::io, dir.string() + ": cannot restrict permissions to the owner");
  return {};
}

const char* event_name(plugin_host::HostEvent::Kind kind) {
  using K = plugin_host::HostEvent::Kind;
  switch (kind) {
    case K::started: return "connector started";
    case K::degraded: return "connector degraded";
    case K::recovered: return "connector recovered";
    case K::failed: return "connector failed";
    case K::quarantined: return "record quarantined";
    case K::plugin_bug: return "plugin bug";
  }
  return "connector event";
}

// The keys under which the daemon keeps a connector's last poll time and pause in its state.
constexpr const char* k_last_poll = "schakel.last_poll";
constexpr const char* k_paused = "schakel.paused";

}  // namespace

Runtime::Runtime(boost::asio::io_context& io, schema::SchemaSet schemas, config::Config config,
                 std::filesystem::path schema_dir)
    : io_(io),
      schemas_(std::move(schemas)),
      config_(std::move(config)),
      schema_dir_(std::move(schema_dir)),
      checkpoint_timer_(io) {}

Runtime::~Runtime() { stop(); }

Result<std::unique_ptr<Runtime>> Runtime::open(boost::asio::io_context& io, schema::SchemaSet schemas,
                                               config::Config config, std::filesystem::path schema_dir) {
  std::unique_ptr<Runtime> rt(new Runtime(io, std::move(schemas), std::move(config), std::move(schema_dir)));
  SCHAKEL_TRY(rt->open_store());
  SCHAKEL_TRY(rt->open_audit());
  SCHAKEL_TRY(rt->consent_.load(*rt->store_).with_context("cannot load the consent index"));
  rt->importer_ = std::make_unique<RecordImporter>(*rt->store_, *rt->audit_, rt->consent_, *rt->clock_);
  rt->importer_->set_batch_size(RecordImporter::k_daemon_batch);
  rt->load_connectors();
  SCHAKEL_TRY(rt->build_data_path());
  SCHAKEL_TRY(rt->open_api());
  return rt;
}

Status Runtime::open_store() {
  SCHAKEL_TRY(prepare_data_dir(config_.data_dir()));
  auto store = store::open_sqlite({config_.data_dir() / "schakel.db", config_.store_busy_timeout_ms(), true});
  if (!store) return store.status().with_context("cannot open the store");
  store_ = std::move(store.value());
  SCHAKEL_TRY(store_->health().with_context("store is not healthy"));
  plugin_state_ = plugin_host::store_state_store(*store_);
  return {};
}

Status Runtime::open_audit() {
  const auto& cfg = config_.doc.value("audit", nlohmann::json::object());
  audit::AuditWriterOptions options;
  options.key_dir = config_.data_dir() / "keys";
  options.checkpoint_path = config_.data_dir() / "audit.checkpoints";
  options.checkpoint_every = cfg.value("checkpoint_every_entries", 1000);
  options.checkpoint_interval = std::chrono::seconds{cfg.value("checkpoint_every_seconds", 300)};
  options.clock = clock_.get();
  auto writer = audit::AuditWriter::open(options);
  if (!writer) return writer.status().with_context("cannot open the audit log");
  audit_ = std::move(writer.value());
  return {};
}

// The T-seconds checkpoint rule must fire when nothing is appended, too.
void Runtime::arm_checkpoint_timer() {
  const int seconds = config_.doc.value("audit", nlohmann::json::object()).value("checkpoint_every_seconds", 300);
  checkpoint_timer_.expires_after(std::chrono::seconds{seconds});
  checkpoint_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto st = audit_->checkpoint_if_due(*store_); !st)
      log::error("audit checkpoint failed", {{"error", st.message()}});
    arm_checkpoint_timer();
  });
}

Status Runtime::record_config_change(const std::string& actor) {
  audit::AuditEvent event;
  event.tenant = "instance";  // instance-wide events belong to no single school
  event.action = "config.change";
  event.outcome = "ok";
  event.actor = actor;
  event.actor_role = "system";
  event.reason = "configuration " + config_.file.string() + " loaded";
  return audit_->append_durable(*store_, event).status();
}

void Runtime::load_connectors() {
  plugin_host::HostOptions options;
  options.load = load_options(config_, schema_dir_);
  options.clock = clock_.get();
  options.state = plugin_state_.get();
  options.quarantine = plugin_host::store_quarantine(*store_);
  options.records = [this](const std::string& connector, const std::string& stream, nlohmann::json&& record,
                           std::string_view record_text) {
    return importer_->import(connector, stream, std::move(record), record_text);
  };
  options.flush_records = [this](const std::string& connector) { return importer_->flush(connector); };
  options.on_event = [](const plugin_host::HostEvent& e) {
    const bool bad = e.kind != plugin_host::HostEvent::Kind::started && e.kind != plugin_host::HostEvent::Kind::recovered;
    log::event(bad ? spdlog::level::warn : spdlog::level::info, event_name(e.kind),
               {{"connector", e.connector}, {"detail", e.message}});
  };
  options.on_log = [](const std::string& connector, int level, const std::string& msg) {
    log::event(level >= 3 ? spdlog::level::err : level == 2 ? spdlog::level::warn : spdlog::level::info,
               "plugin: " + msg, {{"connector", connector}});
  };
  host_ = std::make_unique<plugin_host::PluginHost>(options);
  restore_paused();
  auto configs = connector_configs(config_);
  if (!configs) {
    // Each line names the connector entry; the others still load.
    log::error("connectors refused", {{"error", configs.status().message()}});
  }
  const auto& list = config_.doc.value("connectors", nlohmann::json::array());
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string id = list[i].value("id", "");
    if (!list[i].value("enabled", true)) {
      log::info("connector disabled", {{"connector", id}});
      continue;
    }
    if (!configs) continue;
    auto it = std::find_if(configs->begin(), configs->end(), [&](const auto& c) { return c.id == id; });
    if (it == configs->end()) continue;
    if (auto st = host_->add_connector(*it); !st)
      log::error("connector refused", {{"connector", id}, {"error", st.message()}});
  }
}

Status Runtime::build_data_path() {
  auto lookup = [this](const std::string& id) -> std::optional<routing::ConnectorInfo> {
    auto m = host_->manifest(id);
    if (!m) return std::nullopt;
    routing::ConnectorInfo info;
    info.sink = m->is_sink();
    info.can_revoke = m->has_capability("revoke");
    info.kind = plugin_host::kind_name(m->kind);
    return info;
  };
  auto routes = routing::load_routes(config_.doc, config_.file.string(), lookup,
                                     [this](const std::string& p) { return config_.source.mark_of(p); });
  if (!routes.errors.empty()) {
    std::string text;
    for (const auto& e : routes.errors) text += "\n" + e.to_string();
    return error(ErrorCode::invalid, "routes refused:" + text);
  }
  gate_ = std::make_unique<ConsentGate>(consent_, schemas_, *host_);
  audit_sink_ = std::make_unique<AuditLogSink>(*audit_);
  const auto delivery = config_.doc.value("delivery", nlohmann::json::object());
  engine_ = std::make_unique<outbox::DeliveryEngine>(*store_, *clock_, *gate_, *audit_sink_,
                                                     outbox::DeliveryOptions::from_config(delivery));
  for (const auto& id : host_->connectors()) {
    auto m = host_->manifest(id);
    if (!m || !m->is_sink()) continue;
    destinations_.push_back(std::make_unique<PluginDestination>(*host_, id, m->has_capability("revoke")));
    engine_->add_destination(id, *destinations_.back(), outbox::DestinationLimits::from_config(delivery));
    if (paused(id)) engine_->set_paused(id, true);
  }
  router_ = std::make_unique<routing::Router>(*store_, *clock_, *gate_, *audit_sink_, projector_,
                                              std::move(routes.routes), [this] { engine_->wake(); });
  // An import batch's events fire together (one group commit); API calls keep Router::fire.
  // router_ read at each call, as a reload may replace it.
  importer_->set_fire_all([this](const std::vector<RecordImporter::ImportEvent>& events) {
    return fire_all_through(*router_)(events);
  });
  return {};
}

Status Runtime::open_api() {
  if (!config_.doc.contains("api")) {
    log::warn("api: not configured; the daemon serves no admin API");
    return {};
  }
  auto options = api::api_options_from_config(config_, *clock_);
  if (!options) return options.status();
  api_ = std::make_unique<api::ApiServer>(io_, std::move(options.value()), *store_, schemas_, *clock_);
  api_->set_read_audit_hook([this](const api::ReadAccess& access) {
    audit::AuditEvent event;
    event.time = access.at;
    event.tenant = access.tenant;
    event.action = "read";
    event.outcome = access.outcome == "permitted" ? "permitted" : "blocked";
    event.actor = access.actor;
    event.actor_role = access.actor_role;
    event.student_id = access.student_id;
    event.trace_id = access.trace_id;
    // A student's own id would undo the entry's pseudonym (the subject): it is named only by that.
    event.reason = access.kind + (access.entity_id == access.student_id ? "" : " " + access.entity_id) +
                   " read through the API";
    return audit_->append_durable(*store_, event).status();
  });
  register_daemon_endpoints(api_->service(), *this);
  return {};
}

std::string Runtime::api_url() const {
  if (!api_) return {};
  // The configuration may have been reloaded since the API started: read it defensively.
  const auto listen = config_.doc.value("api", nlohmann::json::object()).value("listen", std::string("127.0.0.1:8443"));
  const auto host = listen.substr(0, listen.rfind(':'));
  return std::string(api_->uses_tls() ? "https://" : "http://") + host + ":" + std::to_string(api_->port());
}

Status Runtime::start() {
  if (api_) SCHAKEL_TRY(api_->start());
  if (auto st = engine_->start(); !st) log::error("delivery engine did not start", {{"error", st.message()}});
  scheduler_ = std::make_unique<Scheduler>(io_, *clock_, SchedulerOptions{});
  schedule_polls();
  scheduler_->start();
  arm_checkpoint_timer();
  return {};
}

void Runtime::schedule_polls() {
  for (const auto& c : config_.doc.value("connectors", nlohmann::json::array())) {
    const std::string id = c.value("id", "");
    if (!c.contains("schedule") || !host_->status(id)) continue;
    auto cron = CronExpression::parse(c["schedule"].get<std::string>());
    if (!cron) {
      log::error("connector schedule refused", {{"connector", id}, {"error", cron.status().message()}});
      continue;
    }
    std::optional<TimePoint> last;
    if (auto v = plugin_state_->get(id, k_last_poll); v && v.value()) {
      TimePoint t{};
      if (parse_rfc3339(**v, t)) last = t;
    }
    if (!c.value("run_missed_at_start", true)) last.reset();
    (void)scheduler_->add_job({id, std::move(cron.value()),
                               [this, id](const JobRun&, JobDone done) { poll(id, std::move(done)); }, last});
  }
}

void Runtime::poll(const std::string& connector, JobDone done) {
  if (paused(connector)) {
    log::info("poll skipped: connector paused", {{"connector", connector}});
    done();
    return;
  }
  host_->poll(connector, [this, connector, done = std::move(done)](plugin_host::CallResult r) {
    if (r.code != plugin_host::CallCode::ok)
      log::warn("poll failed", {{"connector", connector}, {"result", plugin_host::call_code_name(r.code)}, {"error", r.message}});
    const std::string text = format_utc(clock_->now());
    (void)plugin_state_->put(connector, k_last_poll, text);
    // Kept as a re-read of the state would give it (format_utc's precision).
    TimePoint stored{};
    const bool parsed = parse_rfc3339(text, stored);
    {
      std::lock_guard lock(polls_mu_);
      last_polls_[connector] = parsed ? std::optional<TimePoint>(stored) : std::nullopt;
    }
    done();
  });
}

std::vector<config::ConfigError> Runtime::reload(const std::string& actor) {
  const auto file = config_.file;
  auto result = config::load_config(file, schemas_);
  if (!result.config) {
    for (const auto& e : result.errors) log::error("config error", {{"error", e.to_string()}});
    log::error("config reload failed; keeping the running configuration",
               {{"file", file.string()}, {"errors", result.errors.size()}, {"by", actor}});
    return std::move(result.errors);
  }
  if (result.config->data_dir() != config_.data_dir())
    log::warn("data_dir changes take effect at the next start", {{"data_dir", config_.data_dir().string()}});
  {
    std::lock_guard lock(config_mu_);
    replace_config(std::move(*result.config));
  }
  if (auto st = record_config_change(actor); !st) log::error("cannot audit the reload", {{"error", st.message()}});
  log::info("config reloaded", {{"file", file.string()}, {"by", actor}});
  return {};
}

nlohmann::json Runtime::connectors_config() const {
  std::lock_guard lock(config_mu_);
  return config_.doc.value("connectors", nlohmann::json::array());
}

void Runtime::restore_paused() {
  const auto& list = config_.doc.value("connectors", nlohmann::json::array());
  for (const auto& c : list) {
    const std::string id = c.value("id", "");
    if (auto v = plugin_state_->get(id, k_paused); v && v.value() && **v == "true") {
      std::lock_guard lock(paused_mu_);
      paused_.insert(id);
    }
  }
}

Status Runtime::set_paused(const std::string& connector, bool paused) {
  if (!host_->status(connector)) return error(ErrorCode::not_found, "connector " + connector + " is not running");
  SCHAKEL_TRY(plugin_state_->put(connector, k_paused, paused ? "true" : "false"));
  {
    std::lock_guard lock(paused_mu_);
    if (paused) {
      paused_.insert(connector);
    } else {
      paused_.erase(connector);
    }
  }
  if (engine_) {
    engine_->set_paused(connector, paused);
    if (!paused) engine_->resume(connector);  // an admin's resume also lifts a fatal stop
  }
  return {};
}

bool Runtime::paused(const std::string& connector) const {
  std::lock_guard lock(paused_mu_);
  return paused_.count(connector) > 0;
}

std::optional<TimePoint> Runtime::last_poll(const std::string& connector) {
  std::lock_guard lock(polls_mu_);
  if (auto it = last_polls_.find(connector); it != last_polls_.end()) return it->second;
  // First ask: the state holds polls of earlier runs. A store error is not remembered.
  auto v = plugin_state_->get(connector, k_last_poll);
  if (!v) return std::nullopt;
  TimePoint t{};
  std::optional<TimePoint> last;
  if (v.value() && parse_rfc3339(**v, t)) last = t;
  last_polls_[connector] = last;
  return last;
}

Status Runtime::run_now(const std::string& connector) {
  auto m = host_->manifest(connector);
  if (!m) return error(ErrorCode::not_found, "connector " + connector + " is not running");
  if (!m->is_source()) return error(ErrorCode::invalid, "connector " + connector + " is a sink: it has nothing to poll");
  if (paused(connector)) return error(ErrorCode::conflict, "connector " + connector + " is paused");
  if (!scheduler_) return error(ErrorCode::unavailable, "the daemon is not running its schedules");
  if (auto st = scheduler_->trigger(connector); st.code() != ErrorCode::not_found) return st;
  // No schedule: poll once outside the scheduler.
  poll(connector, [] {});
  return {};
}

void Runtime::stop(std::function<void()> on_stopped) {
  if (stopped_) {
    if (on_stopped) on_stopped();
    return;
  }
  stopped_ = true;
  if (api_) {
    api_->stop(std::chrono::milliseconds(config_.shutdown_deadline_ms()), std::move(on_stopped));
  } else if (on_stopped) {
    boost::asio::post(io_, std::move(on_stopped));
  }
  if (scheduler_) scheduler_->stop();
  if (engine_) engine_->stop();
  checkpoint_timer_.cancel();
  if (audit_ && store_) {
    if (auto st = audit_->checkpoint_now(*store_); !st)
      log::error("audit checkpoint at stop failed", {{"error", st.message()}});
  }
}

}  // namespace schakel::daemon
