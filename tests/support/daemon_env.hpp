#pragma once
// The daemon's Runtime in-process, for tests of its API and pipeline: a real config file, SQLite
// store and audit log in a temp dir, the real schemas, two schools (27XK ours, 12AB the other).
// Requests go straight to the ApiService, as the API's pool would hand them; no socket is used.
// With `start`, the Runtime runs (scheduler, plugins, API) with its io_context on a thread of its
// own, as in schakeld, and is stopped when the env goes away.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "api/api_service.hpp"
#include "daemon/runtime.hpp"
#include "school_fixture.hpp"
#include "temp_dir.hpp"

namespace schakel::test {

class DaemonEnv {
 public:
  struct Options {
    std::string name = "daemon-test";
    // Appended to the common configuration (instance, api, both schools): connectors, routes.
    std::string sections;
    // Plugin libraries (file stem, e.g. "schakel_noop_sink") copied from the build into the
    // instance's own plugin directory.
    std::vector<std::string> plugins;
    bool start = false;
    // Both schools, a student and a guardian with gezag in each, in the store and consent index.
    bool seed = true;
    std::optional<TimePoint> now;  // sets the runtime's clock before seeding
  };

  DaemonEnv() : DaemonEnv(Options{}) {}
  explicit DaemonEnv(Options options);
  ~DaemonEnv();
  DaemonEnv(const DaemonEnv&) = delete;
  DaemonEnv& operator=(const DaemonEnv&) = delete;

  // The whole configuration text for `options` (name, sections): what the env starts with.
  static std::string config_text(const Options& options);
  // The demo connectors the operations tests use: "src" (scheduled), "manual" and "sink".
  static Options demo_connectors(const std::string& extra = "");
  // The SWV's portal ("swv-portal", the no-op sink) with the referral, case and meeting routes.
  static Options referral_routes();

  daemon::Runtime& rt() { return *rt_; }
  api::ApiService& service() { return rt_->api()->service(); }
  [[nodiscard]] const std::filesystem::path& dir() const { return dir_.path(); }
  [[nodiscard]] std::filesystem::path config_file() const { return dir_.path() / "schakel.yaml"; }
  void write_config(const std::string& text) const;

  void put(store::Kind kind, const std::string& id, const std::string& tenant, const nlohmann::json& doc);
  // A token's secret for `role` at `brin`; `id` receives its id.
  std::string token(api::Role role, const std::string& brin = k_own_brin, std::string* id = nullptr);
  // One request through the ApiService; a JSON body is sent as application/json.
  api::ApiResponse call(const std::string& method, const std::string& target, const std::string& token = "",
                        const nlohmann::json& body = nullptr, std::map<std::string, std::string> headers = {});
  // A dead letter of school `tenant` for `connector`, as the delivery engine leaves one.
  std::int64_t dead_letter(const std::string& tenant, const std::string& connector = "gone");
  // The audit rows with `action`, oldest first.
  std::vector<store::AuditRow> audit_rows(const std::string& action);

 private:
  void seed();

  TempDir dir_;
  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::unique_ptr<daemon::Runtime> rt_;
  std::thread io_thread_;
  int dead_letters_ = 0;
};

}  // namespace schakel::test

// The daemon's tests live here and use the fixture's names unqualified.
namespace schakel::daemon::test {
using namespace schakel::test;
using api::ApiResponse;
using api::Role;
using nlohmann::json;
}  // namespace schakel::daemon::test
