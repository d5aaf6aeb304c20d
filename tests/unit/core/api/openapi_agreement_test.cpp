// schemas/openapi/admin.yaml and the routes served agree both ways: every route is documented
// with its roles, and every documented operation is served. Operations marked
// `x-served-by: daemon` need the running daemon (core/daemon); the daemon's agreement test
// (tests/unit/core/daemon/openapi_daemon_test.cpp) checks the full route set.
#include <algorithm>
#include <set>

#include <yaml-cpp/yaml.h>

#include "api_test_env.hpp"

namespace schakel::api::test {
namespace {

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

TEST(OpenApi, DocumentAndRoutesAgree) {
  ApiEnv env;
  ApiService service(*env.store, env.schemas, env.clock);
  register_core_endpoints(service);
  const YAML::Node doc = YAML::LoadFile(std::string(SCHAKEL_SOURCE_DIR) + "/schemas/openapi/admin.yaml");
  ASSERT_EQ(doc["openapi"].as<std::string>().rfind("3.", 0), 0U);
  ASSERT_EQ(doc["components"]["securitySchemes"]["bearer"]["scheme"].as<std::string>(), "bearer");

  static const std::set<std::string> methods = {"get", "put", "post", "delete", "patch", "head", "options"};
  std::map<std::pair<std::string, std::string>, std::set<std::string>> documented;  // → x-roles
  std::set<std::pair<std::string, std::string>> public_ops;
  std::set<std::pair<std::string, std::string>> daemon_ops;
  for (const auto& path : doc["paths"]) {
    for (const auto& op : path.second) {
      const std::string method = op.first.as<std::string>();
      if (!methods.count(method)) continue;
      const auto key = std::make_pair(upper(method), path.first.as<std::string>());
      ASSERT_TRUE(op.second["x-roles"].IsSequence()) << key.first << " " << key.second << " lacks x-roles";
      std::set<std::string> roles;
      for (const auto& r : op.second["x-roles"]) roles.insert(r.as<std::string>());
      documented[key] = roles;
      // Served by schakeld's own endpoints (core/daemon); the daemon's agreement tests check those.
      if (op.second["x-served-by"] && (op.second["x-served-by"].as<std::string>() == "schakeld" ||
                                       op.second["x-served-by"].as<std::string>() == "daemon"))
        daemon_ops.insert(key);
      if (op.second["security"] && op.second["security"].IsSequence() && op.second["security"].size() == 0) {
        public_ops.insert(key);
      }
    }
  }

  std::set<std::pair<std::string, std::string>> served;
  for (const auto& route : service.routes()) {
    const auto key = std::make_pair(route.method, route.pattern);
    served.insert(key);
    auto it = documented.find(key);
    if (it == documented.end()) {
      ADD_FAILURE() << route.method << " " << route.pattern << " is served but not in admin.yaml";
      continue;
    }
    std::set<std::string> roles;
    for (Role r : route.roles) roles.insert(role_name(r));
    EXPECT_EQ(it->second, roles) << route.method << " " << route.pattern << ": x-roles differ";
    EXPECT_EQ(public_ops.count(key) == 1, route.roles.empty())
        << route.method << " " << route.pattern << ": security: [] exactly on public routes";
  }
  for (const auto& [key, roles] : documented) {
    if (daemon_ops.count(key)) continue;
    EXPECT_TRUE(served.count(key)) << key.first << " " << key.second << " is documented but not served";
  }
}

}  // namespace
}  // namespace schakel::api::test
