#pragma once
// The data path of a real schakeld for integration tests: a config with the demo referral source
// (plugins/demo/referral_source.cpp) routed through gate, audit and outbox into the demo recorder
// (plugins/demo/recorder_sink.cpp), and a reader of what the recorder received.
#include <fstream>
#include <map>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "../support/child_process.hpp"
#include "hub_common.hpp"

namespace schakel::test {

using hub::k_schakel;
using hub::k_schakeld;
inline const std::string k_plugin_dir = std::string(SCHAKEL_BINARY_DIR) + "/plugins";

struct DataPathConfig {
  std::string plugin_dirs = "[" + k_plugin_dir + "]";
  int referrals = 10;
  int save_every = 10;
  std::string receiver_plugin = "demo-recorder";
  std::string receiver_file;
  std::string extra_connectors;  // YAML list items, appended to the connectors
};

inline std::string data_path_config(const DataPathConfig& c) {
  return "version: 1\ninstance:\n  name: data-path\n  data_dir: data\n  log: {format: json, level: info}\n"
         "  shutdown_deadline_ms: 5000\n  plugin_dirs: " + c.plugin_dirs + "\n"
         "schools:\n  - {brin: 12AB, naam: OBS De Regenboog}\n"
         "connectors:\n"
         "  - id: referrals\n    plugin: demo-referrals\n    schedule: \"* * * * *\"\n"
         "    call_timeout_ms: 600000\n"
         "    settings: {count: " + std::to_string(c.referrals) + ", save_every: " + std::to_string(c.save_every) + "}\n"
         "  - id: receiver\n    plugin: " + c.receiver_plugin + "\n"
         "    settings: {file: \"" + c.receiver_file + "\", fsync: true}\n" + c.extra_connectors +
         "routes:\n  - id: referral-to-swv\n    trigger: referral.queued\n    projection: referral\n"
         "    connector: receiver\n    recipient: {organisation: SWV PO 27-01, role: education_specialist}\n"
         "    purpose: swv_request\n    processing_activity: \"Aanvraag arrangement (register art. 30, nr. 4)\"\n"
         "    denied: redact\n"
         // Milliseconds, so a retry never waits for wall-clock seconds; no rate limit to speak of.
         "delivery:\n  backoff_initial_ms: 1\n  backoff_max_ms: 20\n  workers_per_connector: 4\n"
         "  rate_per_second: 100000\n";
}

// Polls run on the scheduler's cron slots; the test moves the daemon's clock to the next minute,
// which makes the source's poll due at once (SIGUSR1 reads <data_dir>/test-clock).
inline bool set_clock(ChildProcess& d, const std::filesystem::path& data_dir, int minute) {
  std::ofstream(data_dir / "test-clock") << "2031-05-01T10:" << (minute < 10 ? "0" : "") << minute << ":00Z\n";
  d.signal(SIGUSR1);
  return d.wait_for("\"msg\":\"clock set\"").has_value();
}

// What the recorder received, read incrementally: every complete line once.
class ReceivedLog {
 public:
  explicit ReceivedLog(std::filesystem::path file) : file_(std::move(file)) {}

  void read_new() {
    std::ifstream in(file_, std::ios::binary);
    if (!in) return;
    in.seekg(static_cast<std::streamoff>(offset_));
    std::string line;
    while (std::getline(in, line)) {
      if (in.eof()) break;  // no newline yet: a line still being written, read it next time
      offset_ += line.size() + 1;
      auto j = nlohmann::json::parse(line, nullptr, false);
      // A line cut short by a kill is not a delivery: the daemon had no answer and sends it again.
      if (j.is_discarded() || !j.contains("key")) {
        ++partial_;
        continue;
      }
      ++lines_;
      const std::string key = j["key"];
      const std::string doc = j["document"].dump();
      const std::string referral = j["document"]["referral"].value("id", "");
      documents_[key].insert(doc);
      keys_of_[referral].insert(key);
    }
  }

  [[nodiscard]] std::size_t distinct() const { return documents_.size(); }
  [[nodiscard]] long lines() const { return lines_; }
  [[nodiscard]] long partial() const { return partial_; }
  [[nodiscard]] const std::map<std::string, std::set<std::string>>& documents_by_key() const { return documents_; }
  [[nodiscard]] const std::map<std::string, std::set<std::string>>& keys_by_referral() const { return keys_of_; }

 private:
  std::filesystem::path file_;
  std::size_t offset_ = 0;
  long lines_ = 0;
  long partial_ = 0;
  std::map<std::string, std::set<std::string>> documents_;  // idempotency key -> documents seen
  std::map<std::string, std::set<std::string>> keys_of_;    // referral id -> keys seen
};

// Audit entries by "action/outcome", from `schakel audit export`.
inline std::map<std::string, int> audit_counts(const std::filesystem::path& data_dir) {
  std::map<std::string, int> out;
  auto r = run_program({k_schakel, "audit", "--data-dir", data_dir.string(), "export", "--format", "jsonl"});
  std::istringstream in(r.output);
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object()) ++out[j.value("action", "") + "/" + j.value("outcome", "")];
  }
  return out;
}

}  // namespace schakel::test
