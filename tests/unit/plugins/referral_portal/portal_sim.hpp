#pragma once
// The real SWV portal simulator (tests/fakes/referral-portal/portal.py) over TLS, with its
// control port (tests/support/controlled_fake.hpp).
#include <string>
#include <vector>

#include "../../../support/controlled_fake.hpp"

namespace schakel::test {

class PortalSim : public ControlledFake {
 public:
  static constexpr const char* k_client_id = "school-1";

  PortalSim(const std::filesystem::path& dir, const std::string& secret)
      : ControlledFake(dir, {"the portal simulator", "referral-portal/portal.py", k_client_id, secret, "portal.log",
                             http::Milliseconds{10'000}}) {}

  [[nodiscard]] std::string base_url() const { return origin(); }
  nlohmann::json get(const std::string& path) { return control("GET", path); }
  nlohmann::json post(const std::string& path, const nlohmann::json& body = nlohmann::json::object()) {
    return control("POST", path, body);
  }

  // What the API port received, oldest first, token requests left out.
  std::vector<nlohmann::json> api_requests() {
    std::vector<nlohmann::json> out;
    const nlohmann::json all = get("/requests");  // named: a temporary would die before the loop
    for (const auto& r : all["requests"]) {
      if (r["path"] != "/oauth/token") out.push_back(r);
    }
    return out;
  }
};

}  // namespace schakel::test
