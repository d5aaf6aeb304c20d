#pragma once
// The end-to-end rig: the real SWV portal simulator (TLS, test CA), a OneRoster bundle for the
// school's LAS, and the real schakeld on a config with the sis-oneroster and referral-portal
// connectors and the route referral.queued -> swv-portal. Tests talk to the daemon's admin API
// over TLS with tokens made by `schakel token create`, and to the simulator's control port.
// Waits are on events: the daemon's log lines, the simulator's answers, the API's state.
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "../support/api_test_client.hpp"
#include "../support/child_process.hpp"
#include "../support/temp_dir.hpp"
#include "../unit/plugins/referral_portal/portal_sim.hpp"
#include "oneroster_bundle.hpp"

namespace schakel::test {

inline const std::string k_e2e_portal_secret = "e2e-portal-secret-4c1d9b";
inline const std::string k_swv_org = "SWV PO 27-01";
inline const std::string k_swv_name = "Loket arrangementen";

struct HubOptions {
  // The config's "delivery": milliseconds, so a retry comes at once and a test never waits long.
  nlohmann::json delivery = {{"backoff_initial_ms", 10}, {"backoff_max_ms", 100}, {"max_attempts", 50}};
  std::string denied = "redact";
  std::string schedule = "* * * * *";  // status polls; tests ask for a run through the API
};

class ReferralHub {
 public:
  ReferralHub(const std::vector<BundleStudent>& students, const std::vector<BundleGuardian>& guardians,
              HubOptions options = {});
  ~ReferralHub();
  ReferralHub(const ReferralHub&) = delete;
  ReferralHub& operator=(const ReferralHub&) = delete;

  // Starts schakeld and waits for "ready"; then imports the LAS bundle (the connector's run).
  // Returns an empty string, or what went wrong with the daemon's output.
  std::string start();
  // Records the students and guardians through the API (POST /v1/students, /v1/guardians), as the
  // school's staff would. Empty on success; "missing: <endpoint>" when the build does not serve
  // it; otherwise the refusal. (The LAS import brings the school; see the note in start().)
  std::string enroll();
  // SIGTERM, and the exit code (0 on a clean stop).
  int stop();

  PortalSim& portal() { return *portal_; }
  ChildProcess& daemon() { return *daemon_; }
  [[nodiscard]] const std::filesystem::path& data_dir() const { return data_dir_; }
  [[nodiscard]] const std::filesystem::path& config_file() const { return config_; }

  // A token for `role` on school 12AB, made offline by `schakel token create` (cached per role).
  std::string token(const std::string& role);
  // One API call with a token of `role`; body as JSON (null: none).
  ClientResponse api(const std::string& role, const std::string& method, const std::string& target,
                     const nlohmann::json& body = nullptr);
  // Asks the daemon to poll a connector now (POST /v1/connectors/{id}/run). False when the
  // endpoint is not there, so the caller waits for the connector's schedule instead.
  bool run_connector(const std::string& id);

  // Re-checks `done` after each line the daemon logs, or every `tick`, until it holds or
  // `timeout` passes. The daemon's output is the event that wakes the check.
  bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout = std::chrono::seconds(90),
                  std::chrono::milliseconds tick = std::chrono::milliseconds(200));
  // The next daemon log line containing every one of `needles`, or nullopt.
  std::optional<std::string> wait_for_log(const std::vector<std::string>& needles,
                                          std::chrono::milliseconds timeout = std::chrono::seconds(90));

  // Test builds: moves the daemon's clock to `rfc3339` (<data_dir>/test-clock and SIGUSR1).
  bool set_clock(const std::string& rfc3339);

  // `schakel audit --data-dir D verify` (the daemon may be running or stopped).
  RunResult audit_verify() const;
  // `schakel audit --data-dir D export --format jsonl [--action A]`, one JSON object per entry.
  std::vector<nlohmann::json> audit_export(const std::string& action = "") const;

  // The aanmeldingen the portal stores (control GET /aanmeldingen).
  nlohmann::json portal_aanmeldingen();

 private:
  void write_config(const HubOptions& options) const;

  TempDir dir_;
  std::filesystem::path data_dir_;
  std::filesystem::path config_;
  std::unique_ptr<PortalSim> portal_;
  std::unique_ptr<ChildProcess> daemon_;
  ClientOptions client_;
  std::map<std::string, std::string> tokens_;
  std::size_t seen_lines_ = 0;
  std::vector<BundleStudent> students_;
  std::vector<BundleGuardian> guardians_;
};

// Whether an API answer says the endpoint is not served (yet): 404 without a JSON error of ours
// about a missing entity, or 405.
bool endpoint_missing(const ClientResponse& r);

}  // namespace schakel::test
