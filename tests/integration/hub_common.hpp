#pragma once
// What the integration tests that run schakeld share: where the binaries are, reading the
// secret `schakel token create` prints, and starting the daemon up to its ready line.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "../support/api_test_client.hpp"
#include "../support/child_process.hpp"

namespace schakel::test::hub {

inline const std::string k_schakeld = std::string(SCHAKEL_BINARY_DIR) + "/bin/schakeld";
inline const std::string k_schakel = std::string(SCHAKEL_BINARY_DIR) + "/bin/schakel";

// A string as a YAML/JSON scalar.
inline std::string quoted(const std::string& s) { return nlohmann::json(s).dump(); }

// `schakel token create` prints the token alone on a line of stdout; run_program merges stderr
// in, so take the last line that looks like a token (one long word).
inline std::string token_line(const std::string& text) {
  std::istringstream in(text);
  std::string line, last;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.size() >= 32 && line.find(' ') == std::string::npos) last = line;
  }
  return last;
}

// Starts schakeld on `config` and waits for its ready line, which must name the API's loopback
// URL and every one of `connectors`; `client` then talks to that API with the data dir's demo CA.
// An empty string, or what went wrong with the daemon's output.
inline std::string start_daemon(const std::filesystem::path& config, const std::filesystem::path& data_dir,
                                const std::vector<std::string>& connectors, std::unique_ptr<ChildProcess>& daemon,
                                ClientOptions& client) {
  daemon = std::make_unique<ChildProcess>(std::vector<std::string>{k_schakeld, "--config", config.string()});
  auto ready = daemon->wait_for("\"msg\":\"ready\"", std::chrono::seconds(60));
  if (!ready) return "schakeld did not get ready:\n" + daemon->all_output();
  const auto j = nlohmann::json::parse(*ready, nullptr, false);
  const std::string url = j.is_object() ? j.value("api", "") : "";
  if (url.rfind("https://127.0.0.1:", 0) != 0) return "no API URL in the ready line: " + *ready;
  const auto loaded = j.value("connectors", nlohmann::json::array());
  for (const auto& c : connectors) {
    if (std::find(loaded.begin(), loaded.end(), c) == loaded.end())
      return "connector " + c + " did not load:\n" + daemon->all_output();
  }
  client.port = static_cast<std::uint16_t>(std::stoi(url.substr(url.rfind(':') + 1)));
  client.ca_file = (data_dir / "tls" / "cert.pem").string();
  return "";
}

}  // namespace schakel::test::hub
