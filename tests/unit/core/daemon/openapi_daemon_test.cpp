// The daemon's full route set (core/api's endpoints plus every register_*_endpoints of
// core/daemon) and schemas/openapi/admin.yaml agree both ways, with the same roles.
#include <algorithm>
#include <set>

#include <yaml-cpp/yaml.h>

#include "daemon_env.hpp"

namespace schakel::daemon::test {
namespace {

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

TEST(OpenApiDaemon, DocumentAndAllServedRoutesAgree) {
  DaemonEnv env{DaemonEnv::demo_connectors()};
  const YAML::Node doc = YAML::LoadFile(std::string(SCHAKEL_SOURCE_DIR) + "/schemas/openapi/admin.yaml");
  static const std::set<std::string> methods = {"get", "put", "post", "delete", "patch", "head", "options"};
  std::map<std::pair<std::string, std::string>, std::set<std::string>> documented;
  for (const auto& path : doc["paths"]) {
    for (const auto& op : path.second) {
      const std::string method = op.first.as<std::string>();
      if (!methods.count(method)) continue;
      std::set<std::string> roles;
      for (const auto& r : op.second["x-roles"]) roles.insert(r.as<std::string>());
      documented[{upper(method), path.first.as<std::string>()}] = roles;
    }
  }
  std::set<std::pair<std::string, std::string>> served;
  for (const auto& route : env.service().routes()) {
    const auto key = std::make_pair(route.method, route.pattern);
    served.insert(key);
    auto it = documented.find(key);
    if (it == documented.end()) {
      ADD_FAILURE() << route.method << " " << route.pattern << " is served by the daemon but not in admin.yaml";
      continue;
    }
    std::set<std::string> roles;
    for (api::Role r : route.roles) roles.insert(api::role_name(r));
    EXPECT_EQ(it->second, roles) << route.method << " " << route.pattern << ": x-roles differ";
  }
  for (const auto& [key, roles] : documented) {
    EXPECT_TRUE(served.count(key)) << key.first << " " << key.second << " is documented but the daemon does not serve it";
  }
}

}  // namespace
}  // namespace schakel::daemon::test
