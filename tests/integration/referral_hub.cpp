#include "referral_hub.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "hub_common.hpp"

namespace schakel::test {
namespace {

using nlohmann::json;

using namespace hub;

}  // namespace

bool endpoint_missing(const ClientResponse& r) {
  if (r.status == 405) return true;
  if (r.status != 404) return false;
  const auto j = r.json();
  return j.is_object() && j.value("message", "").rfind("no endpoint ", 0) == 0;
}

ReferralHub::ReferralHub(const std::vector<BundleStudent>& students, const std::vector<BundleGuardian>& guardians,
                         HubOptions options)
    : data_dir_(dir_.path() / "data"), config_(dir_.path() / "schakel.yaml") {
  std::filesystem::create_directories(dir_.path() / "portal");
  portal_ = std::make_unique<PortalSim>(dir_.path() / "portal", k_e2e_portal_secret);
  // The LAS brings the school. Students and guardians are recorded through the API: the import
  // files a student under its school's hub id, not under BRIN + vestiging as the API's tokens
  // scope them, so a token could not see an imported student (see the lead's notes).
  write_oneroster_bundle(dir_.path() / "oneroster", BundleSchool{}, {}, {});
  students_ = students;
  guardians_ = guardians;
  std::ofstream(dir_.path() / "portal.secret") << k_e2e_portal_secret;
  write_config(options);
}

ReferralHub::~ReferralHub() {
  if (daemon_) {
    daemon_->signal(SIGTERM);
    (void)daemon_->wait_exit();
  }
}

void ReferralHub::write_config(const HubOptions& o) const {
  const std::string route = R"y(
  - id: referral-to-swv
    trigger: referral.queued
    projection: referral
    connector: swv-portal
    recipient: {organisation: )y" + quoted(k_swv_org) + R"y(, role: education_specialist, name: )y" +
                            quoted(k_swv_name) + R"y(}
    purpose: swv_request
    processing_activity: "Aanvraag arrangement of TLV bij het SWV (register art. 30, nr. 4)"
    denied: )y" + o.denied + "\n";
  std::ofstream(config_) << "version: 1\n"
                            "instance:\n"
                            "  name: referral-e2e\n"
                            "  data_dir: data\n"
                            "  demo: true\n"
                            "  log: {format: json, level: info}\n"
                            "  plugin_dirs: ["
                         << quoted(std::string(SCHAKEL_BINARY_DIR) + "/plugins/sis-oneroster") << ", "
                         << quoted(std::string(SCHAKEL_BINARY_DIR) + "/plugins/referral-portal")
                         << "]\n"
                            "  shutdown_deadline_ms: 5000\n"
                            "api:\n  listen: 127.0.0.1:0\n"
                            "audit: {checkpoint_every_entries: 20, checkpoint_every_seconds: 3600}\n"
                            "schools:\n  - {brin: 12AB, vestiging: \"00\", naam: OBS De Regenboog, swv_code: PO2701}\n"
                            "connectors:\n"
                            "  - id: las\n"
                            "    plugin: sis-oneroster\n"
                            "    schedule: \"* * * * *\"\n"
                            "    settings: {bundle_dir: "
                         << quoted((dir_.path() / "oneroster").string())
                         << ", swv_code: PO2701, gezag_column: metadata.nl.gezag}\n"
                            "  - id: swv-portal\n"
                            "    plugin: referral-portal\n"
                            "    schedule: "
                         << quoted(o.schedule)
                         << "\n"
                            "    settings:\n"
                            "      base_url: "
                         << quoted(portal_->base_url()) << "\n      ca_file: " << quoted(portal_->ca_file())
                         << "\n      client_id: " << PortalSim::k_client_id
                         << "\n      client_secret: ${file:portal.secret}\n"
                            "routes:"
                         << route << "delivery: " << o.delivery.dump() << "\n";
}

std::string ReferralHub::start() {
  if (auto failed = start_daemon(config_, data_dir_, {"las", "swv-portal"}, daemon_, client_); !failed.empty()) return failed;
  seen_lines_ = daemon_->lines().size();
  // The LAS first: the school must be in the store before anyone is recorded at it.
  (void)run_connector("las");
  if (!wait_for_log({"oneroster sync:", "\"connector\":\"las\""}))
    return "the LAS bundle was not imported:\n" + daemon_->all_output();
  return {};
}

std::string ReferralHub::enroll() {
  auto post = [&](const std::string& path, const json& doc) -> std::string {
    const auto r = api("staff", "POST", path, doc);
    if (endpoint_missing(r)) return "missing: POST " + path;
    if (r.status != 201) return "POST " + path + ": HTTP " + std::to_string(r.status) + " " + r.body + r.error;
    return {};
  };
  for (const auto& s : students_) {
    json naam = {{"voornamen", s.given}, {"roepnaam", s.given.substr(0, s.given.find(' '))}, {"achternaam", s.family}};
    if (!s.middle.empty()) naam["voorvoegsel"] = s.middle;
    const json doc = {{"id", "student-" + s.sourced_id}, {"school_id", "school-" + BundleSchool{}.sourced_id},
                      {"las_key", s.sourced_id}, {"naam", naam}, {"birth_date", s.birth_date}, {"gender", s.sex},
                      {"groep", std::to_string(s.grade) + "A"}, {"jaargroep", s.grade}, {"status", "active"}};
    if (auto failed = post("/v1/students", doc); !failed.empty()) return failed;
  }
  for (const auto& g : guardians_) {
    json children = json::array();
    for (const auto& c : g.children)
      children.push_back({{"student_id", "student-" + c}, {"relation", g.role == "relative" ? "other" : g.role},
                          {"gezag", g.gezag == "ja" ? "yes" : g.gezag == "nee" ? "no" : "unknown"}});
    const json doc = {{"id", "guardian-" + g.sourced_id}, {"las_key", g.sourced_id},
                      {"naam", {{"voornamen", g.given}, {"achternaam", g.family}}},
                      {"contact", {{"email", g.sourced_id + "@ouders.example"}}}, {"children", children}};
    if (auto failed = post("/v1/guardians", doc); !failed.empty()) return failed;
  }
  return {};
}

int ReferralHub::stop() {
  if (!daemon_) return 0;
  daemon_->signal(SIGTERM);
  const auto code = daemon_->wait_exit();
  return code ? *code : -1;
}

std::string ReferralHub::token(const std::string& role) {
  auto it = tokens_.find(role);
  if (it != tokens_.end()) return it->second;
  auto r = run_program({k_schakel, "token", "create", "--config", config_.string(), "--role", role, "--school", "12AB"});
  if (r.exit_code != 0) return {};
  return tokens_[role] = token_line(r.output);
}

ClientResponse ReferralHub::api(const std::string& role, const std::string& method, const std::string& target,
                                const json& body) {
  return http_request(client_, method, target, token(role), body.is_null() ? "" : body.dump());
}

bool ReferralHub::run_connector(const std::string& id) {
  const auto r = api("admin", "POST", "/v1/connectors/" + id + "/run", json::object());
  return r.status / 100 == 2;
}

bool ReferralHub::wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout,
                             std::chrono::milliseconds tick) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    (void)daemon_->read_line(std::min(left, tick));  // woken by the daemon's next line
  }
  return true;
}

std::optional<std::string> ReferralHub::wait_for_log(const std::vector<std::string>& needles,
                                                     std::chrono::milliseconds timeout) {
  auto matches = [&](const std::string& line) {
    return std::all_of(needles.begin(), needles.end(), [&](const auto& n) { return line.find(n) != std::string::npos; });
  };
  // Lines already read (by an earlier wait) count too, from the last match on.
  const auto& lines = daemon_->lines();
  for (std::size_t i = seen_lines_; i < lines.size(); ++i) {
    if (matches(lines[i])) {
      seen_lines_ = i + 1;
      return lines[i];
    }
  }
  const auto end = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    auto line = daemon_->read_line(left);
    if (!line) return std::nullopt;
    if (matches(*line)) {
      seen_lines_ = daemon_->lines().size();
      return line;
    }
  }
}

bool ReferralHub::set_clock(const std::string& rfc3339) {
  std::ofstream(data_dir_ / "test-clock") << rfc3339 << "\n";
  daemon_->signal(SIGUSR1);
  return wait_for_log({"clock set"}, std::chrono::seconds(30)).has_value();
}

RunResult ReferralHub::audit_verify() const {
  return run_program({k_schakel, "audit", "--data-dir", data_dir_.string(), "verify"});
}

std::vector<json> ReferralHub::audit_export(const std::string& action) const {
  std::vector<std::string> argv = {k_schakel, "audit", "--data-dir", data_dir_.string(), "export", "--format", "jsonl"};
  if (!action.empty()) argv.insert(argv.end(), {"--action", action});
  const auto r = run_program(argv);
  if (r.exit_code != 0) throw std::runtime_error("schakel audit export failed: " + r.output);
  std::vector<json> out;
  std::istringstream in(r.output);
  for (std::string line; std::getline(in, line);) {
    auto j = json::parse(line, nullptr, false);
    if (j.is_object()) out.push_back(std::move(j));
  }
  return out;
}

json ReferralHub::portal_aanmeldingen() { return portal_->get("/aanmeldingen"); }

}  // namespace schakel::test
