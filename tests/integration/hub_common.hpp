#pragma once
// What the end-to-end hubs (referral, calendar) share: where the binaries are, and reading the
// secret `schakel token create` prints.
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

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

}  // namespace schakel::test::hub
