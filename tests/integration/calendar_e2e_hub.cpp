#include "calendar_e2e_hub.hpp"

#include <signal.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "hub_common.hpp"

#include "store/store.hpp"

namespace schakel::test {
namespace {

using nlohmann::json;

using namespace hub;

struct Member {
  const char* connector;
  const char* user;
  const std::string& email;
  const std::string& organisation;
  const char* role;
  const char* name;
};

}  // namespace

CalendarHub::CalendarHub(Radicale& radicale)
    : radicale_(radicale), data_dir_(dir_.path() / "data"), config_(dir_.path() / "schakel.yaml") {
  for (const auto& [user, password] : k_calendar_users) {
    radicale_.make_calendar(user, "ot");
    std::ofstream(dir_.path() / (user + ".secret")) << password;
  }
  write_config();
  put_school();
}

CalendarHub::~CalendarHub() {
  if (daemon_) {
    daemon_->signal(SIGTERM);
    (void)daemon_->wait_exit();
  }
}

void CalendarHub::write_config() const {
  const Member members[] = {{"cal-nurse", "nurse", k_nurse_email, k_nurse_org, "youth_nurse", "A. Bos"},
                            {"cal-smw", "smw", k_smw_email, k_smw_org, "school_social_worker", "B. de Vries"}};
  std::ostringstream c;
  c << "version: 1\ninstance:\n  name: calendar-e2e\n  data_dir: data\n  demo: true\n"
       "  log: {format: json, level: info}\n  shutdown_deadline_ms: 5000\n"
       "  plugin_dirs: ["
    << quoted(std::string(SCHAKEL_BINARY_DIR) + "/plugins/calendar-caldav") << "]\n"
    << "api:\n  listen: 127.0.0.1:0\n"
       "schools:\n  - {brin: 12AB, vestiging: \"00\", naam: OBS De Regenboog, swv_code: PO2701}\n"
       "connectors:\n";
  for (const auto& m : members) {
    // Polls only when the test asks (POST /v1/connectors/{id}/run); deliveries need no schedule.
    c << "  - id: " << m.connector << "\n    plugin: calendar-caldav\n    schedule: \"0 3 1 1 *\"\n"
      << "    run_missed_at_start: false\n    settings:\n      url: " << quoted(radicale_.url("/"))
      << "\n      username: " << m.user << "\n      password: ${file:" << m.user << ".secret}\n"
      << "      recipient_email: " << m.email << "\n      calendar: ot\n      allow_plain_http: true\n";
  }
  c << "routes:\n";
  for (const auto& m : members) {
    for (const char* trigger : {"planned", "changed", "cancelled"}) {
      c << "  - id: " << m.connector << "-" << trigger << "\n    trigger: meeting." << trigger
        << "\n    projection: meeting\n    connector: " << m.connector << "\n    recipient: {organisation: "
        << quoted(m.organisation) << ", role: " << m.role << ", name: " << quoted(m.name) << "}\n"
        << "    purpose: calendar\n    processing_activity: \"Agenda van het OT (register art. 30, nr. 7)\"\n"
        << "    denied: redact\n";
    }
  }
  c << "delivery: {backoff_initial_ms: 10, backoff_max_ms: 200, max_attempts: 50}\n";
  std::ofstream(config_) << c.str();
}

void CalendarHub::put_school() const {
  std::filesystem::create_directories(data_dir_);
  auto store = store::open_sqlite({data_dir_ / "schakel.db"});
  if (!store) throw std::runtime_error(store.status().message());
  store::Entity e;
  e.kind = store::Kind::school;
  e.id = k_cal_school_id;
  e.tenant = k_cal_tenant;
  e.doc = {{"id", k_cal_school_id}, {"brin", "12AB"}, {"vestiging", "00"}, {"naam", "OBS De Regenboog"},
           {"swv_code", "PO2701"}};
  e.updated_at = TimePoint{std::chrono::seconds(1'790'000'000)};
  const Status st = (*store)->write([&](store::Transaction& tx) { return tx.put(e); });
  if (!st) throw std::runtime_error(st.message());
}

std::string CalendarHub::start() {
  auto admin = run_program({k_schakel, "token", "create", "--config", config_.string(), "--role", "admin", "--school",
                            "12AB", "--label", "calendar e2e admin"});
  if (admin.exit_code != 0) return "schakel token create failed: " + admin.output;
  tokens_["admin"] = token_line(admin.output);
  if (auto failed = start_daemon(config_, data_dir_, {"cal-nurse", "cal-smw"}, daemon_, client_); !failed.empty()) return failed;
  for (const char* role : {"staff", "privacy_officer"}) {
    const auto r = api("admin", "POST", "/v1/tokens",
                       {{"role", role}, {"schools", {"12AB"}}, {"label", std::string("calendar e2e ") + role}});
    if (r.status != 201) return "POST /v1/tokens (" + std::string(role) + "): " + std::to_string(r.status) + " " + r.body;
    tokens_[role] = r.json().value("token", "");
  }
  return {};
}

ClientResponse CalendarHub::api(const std::string& role, const std::string& method, const std::string& target,
                                const json& body) {
  return http_request(client_, method, target, tokens_.at(role), body.is_null() ? "" : body.dump());
}

ClientResponse CalendarHub::get_public(const std::string& target) { return http_request(client_, "GET", target); }

bool CalendarHub::run_connector(const std::string& id) {
  return api("admin", "POST", "/v1/connectors/" + id + "/run", json::object()).status / 100 == 2;
}

bool CalendarHub::wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    (void)daemon_->read_line(std::min(left, std::chrono::milliseconds(200)));  // woken by the daemon's next line
  }
  return true;
}

std::string CalendarHub::calendar_text(const std::string& user) {
  auto r = radicale_.request(user, "GET", "/" + user + "/ot/");
  if (!r || r->status != 200) return {};
  return r->body;
}

RunResult CalendarHub::audit_verify() const {
  return run_program({k_schakel, "audit", "--data-dir", data_dir_.string(), "verify"});
}

json parse_ics_independently(const std::string& ics) {
  TempDir dir;
  const auto file = dir.path() / "calendar.ics";
  std::ofstream(file, std::ios::binary) << ics;
  auto r = run_program({"/usr/bin/python3", "-B",
                        std::string(SCHAKEL_SOURCE_DIR) + "/tests/unit/adapters/ical/ical_dump.py", file.string()});
  if (r.exit_code != 0) return nullptr;
  // run_program merges stderr in; the JSON is the one line that starts with '{'.
  const auto at = r.output.find('{');
  return at == std::string::npos ? json() : json::parse(r.output.substr(at), nullptr, false);
}

std::string unfold_ics(const std::string& ics) { return std::regex_replace(ics, std::regex("\r?\n[ \t]"), ""); }

}  // namespace schakel::test
