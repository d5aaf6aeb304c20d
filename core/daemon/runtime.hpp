#pragma once
// Everything a running schakeld holds, built from the configuration in dependency order and
// stopped in reverse: store, audit log, consent index, plugin host with the connectors, routes and
// the delivery engine, the scheduler of the polls, and the admin API.
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <vector>

#include <boost/asio/io_context.hpp>

#include <boost/asio/steady_timer.hpp>

#include "api/api_server.hpp"
#include "audit/audit_writer.hpp"
#include "base/clock.hpp"
#include "config/config.hpp"
#include "daemon/pipeline.hpp"
#include "outbox/engine.hpp"
#include "routing/route.hpp"
#include "routing/router.hpp"
#include "plugin_host/plugin_host.hpp"
#include "schedule/scheduler.hpp"
#include "schema/schema_set.hpp"
#include "store/store.hpp"

namespace schakel::daemon {

class Runtime {
 public:
  // Opens the store and loads the connectors; a connector that is refused is logged and left out,
  // so the others keep serving.
  static Result<std::unique_ptr<Runtime>> open(boost::asio::io_context& io, schema::SchemaSet schemas,
                                               config::Config config, std::filesystem::path schema_dir);
  ~Runtime();

  // Starts the admin API, the delivery engine and the schedules. Missed polls run once now
  // (run_missed_at_start). Fails when the API cannot listen.
  Status start();
  // Stops the API (open requests get the shutdown deadline), scheduling and delivery; in-progress
  // plugin calls finish or hit their deadline. `on_stopped` runs on the io_context when the API
  // has let go of its last connection.
  void stop(std::function<void()> on_stopped = {});

  [[nodiscard]] const config::Config& config() const { return config_; }
  void replace_config(config::Config config) { config_ = std::move(config); }
  // Appends a config.change entry to the audit log (at start and at every reload).
  Status record_config_change(const std::string& actor);
  [[nodiscard]] const schema::SchemaSet& schemas() const { return schemas_; }
  [[nodiscard]] store::Store& store() { return *store_; }
  [[nodiscard]] ShiftableClock& clock() { return *clock_; }
  [[nodiscard]] plugin_host::PluginHost& plugins() { return *host_; }
  [[nodiscard]] Scheduler& scheduler() { return *scheduler_; }
  [[nodiscard]] audit::AuditWriter& audit() { return *audit_; }
  [[nodiscard]] ConsentService& consent() { return consent_; }
  [[nodiscard]] outbox::DeliveryEngine& delivery() { return *engine_; }
  [[nodiscard]] routing::Router& router() { return *router_; }
  // Re-reads the configuration file (SIGHUP, POST /v1/config/reload). A bad one is logged and
  // its errors returned while the running one stays; a good one replaces it and is audited as a
  // config.change by `actor`. Call on the io_context's thread.
  std::vector<config::ConfigError> reload(const std::string& actor);

  // An admin's pause of a connector: no polls and no deliveries until resumed. Kept in the
  // connector's state, so a restart keeps it. not_found for a connector that is not loaded.
  Status set_paused(const std::string& connector, bool paused);
  [[nodiscard]] bool paused(const std::string& connector) const;
  // When the daemon last polled `connector`, if ever: from its state once, then kept in memory
  // (the connectors list asks for every connector on each request).
  [[nodiscard]] std::optional<TimePoint> last_poll(const std::string& connector);
  // Starts a poll now, through the scheduler when the connector has a schedule (busy while one
  // runs). Call on the io_context's thread.
  Status run_now(const std::string& connector);
  [[nodiscard]] boost::asio::io_context& io() { return io_; }
  // A copy of the configuration's connectors, safe from any thread while a reload runs.
  [[nodiscard]] nlohmann::json connectors_config() const;

  // Null when the configuration has no `api` section.
  [[nodiscard]] api::ApiServer* api() { return api_.get(); }
  // "https://127.0.0.1:8443" once started; empty without an API.
  [[nodiscard]] std::string api_url() const;

 private:
  Runtime(boost::asio::io_context& io, schema::SchemaSet schemas, config::Config config,
          std::filesystem::path schema_dir);
  Status open_store();
  Status open_audit();
  void arm_checkpoint_timer();
  void load_connectors();
  // Routes checked against the loaded connectors, the delivery engine and the router.
  Status build_data_path();
  // The admin API with every endpoint; each read of a student's data goes to the audit log.
  Status open_api();
  void schedule_polls();
  void restore_paused();
  void poll(const std::string& connector, JobDone done);

  boost::asio::io_context& io_;
  schema::SchemaSet schemas_;
  config::Config config_;
  std::filesystem::path schema_dir_;
  std::shared_ptr<ShiftableClock> clock_ = std::make_shared<ShiftableClock>();
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<audit::AuditWriter> audit_;
  boost::asio::steady_timer checkpoint_timer_;
  std::unique_ptr<plugin_host::StateStore> plugin_state_;
  // Before host_: a poll's callback writes them while the host's destructor finishes its calls.
  std::mutex polls_mu_;
  std::map<std::string, std::optional<TimePoint>> last_polls_;  // as stored; filled on first ask
  std::unique_ptr<plugin_host::PluginHost> host_;
  std::unique_ptr<Scheduler> scheduler_;
  ConsentService consent_;
  std::unique_ptr<RecordImporter> importer_;
  std::unique_ptr<ConsentGate> gate_;
  std::unique_ptr<AuditLogSink> audit_sink_;
  std::vector<std::unique_ptr<PluginDestination>> destinations_;
  std::unique_ptr<outbox::DeliveryEngine> engine_;
  routing::StoreProjector projector_;
  std::unique_ptr<routing::Router> router_;
  std::unique_ptr<api::ApiServer> api_;
  bool stopped_ = false;
  mutable std::mutex config_mu_;  // reload against connectors_config()
  mutable std::mutex paused_mu_;
  std::set<std::string> paused_;  // connectors an admin paused
};

}  // namespace schakel::daemon
