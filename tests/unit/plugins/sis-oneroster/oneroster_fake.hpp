#pragma once
// The fake OneRoster REST server (tests/fakes/oneroster/oneroster_fake.py) over TLS, with its
// control port (tests/support/controlled_fake.hpp).
#include <string>
#include <vector>

#include "controlled_fake.hpp"

namespace schakel::test {

class OneRosterFake : public ControlledFake {
 public:
  static constexpr const char* k_client_id = "las-client";

  OneRosterFake(const std::filesystem::path& dir, const std::string& secret)
      : ControlledFake(dir, {"the OneRoster fake", "oneroster/oneroster_fake.py", k_client_id, secret, "fake.log", {}}) {}

  [[nodiscard]] std::string base_url(const std::string& version) const {
    return origin() + (version == "1.1" ? "/ims/oneroster/v1p1" : "/ims/oneroster/rostering/v1p2");
  }
  void load(const std::filesystem::path& bundle, bool merge = false) {
    control("POST", "/load", {{"bundle", bundle.string()}, {"merge", merge}});
  }
  void faults(const nlohmann::json& script) { control("PUT", "/faults", {{"script", script}}); }
  // What the API port received (token requests included), oldest first.
  std::vector<nlohmann::json> requests() {
    const nlohmann::json all = control("GET", "/requests");
    return {all["requests"].begin(), all["requests"].end()};
  }
};

}  // namespace schakel::test
