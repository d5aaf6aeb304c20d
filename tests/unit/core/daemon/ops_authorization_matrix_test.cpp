// The authorisation matrix of the daemon's operations endpoints (connectors, config reload,
// outbox): every route × every role × own/other school, and without a token. Each cell asserts
// allow (2xx) or deny (401/403). A served operations route the matrix does not know fails the
// test. Connectors and the configuration belong to the instance, so their rows are not
// school-scoped; an outbox item belongs to its school.
#include <set>

#include "ops_test_env.hpp"

namespace schakel::daemon::test {
namespace {

using api::Role;
enum class Side { own, other };

struct Row {
  std::string method;
  std::string pattern;
  std::vector<Role> allowed;
  bool school_scoped;
  std::function<api::ApiRequest(OpsEnv&, Side, const std::string& token)> make;
};

std::string tenant_of(Side side) { return side == Side::own ? "27XK01" : "12AB00"; }

std::vector<Row> matrix() {
  const std::vector<Role> ops = {Role::admin, Role::operator_};
  auto simple = [](const std::string& method, const std::string& target) {
    return [method, target](OpsEnv&, Side, const std::string& t) { return request(method, target, t); };
  };
  return {
      {"GET", "/v1/connectors", ops, false, simple("GET", "/v1/connectors")},
      {"GET", "/v1/connectors/{id}", ops, false, simple("GET", "/v1/connectors/src")},
      {"POST", "/v1/connectors/{id}/check", {Role::admin}, false, simple("POST", "/v1/connectors/sink/check")},
      {"POST", "/v1/connectors/{id}/pause", {Role::admin}, false, simple("POST", "/v1/connectors/sink/pause")},
      {"POST", "/v1/connectors/{id}/resume", {Role::admin}, false, simple("POST", "/v1/connectors/sink/resume")},
      // "manual" has no schedule, so runs queue on the plugin host instead of meeting `busy`.
      {"POST", "/v1/connectors/{id}/run", ops, false, simple("POST", "/v1/connectors/manual/run")},
      {"POST", "/v1/config/reload", {Role::admin}, false, simple("POST", "/v1/config/reload")},
      // Listing is allowed to both; what it shows is filtered per school (ops_endpoints_test).
      {"GET", "/v1/outbox", ops, false, simple("GET", "/v1/outbox?state=dead")},
      {"POST", "/v1/outbox/{id}/retry", ops, true,
       [](OpsEnv& env, Side side, const std::string& t) {
         return request("POST", "/v1/outbox/" + std::to_string(env.dead_letter(tenant_of(side))) + "/retry", t);
       }},
  };
}

bool is_operations_route(const std::string& pattern) {
  return pattern.rfind("/v1/connectors", 0) == 0 || pattern == "/v1/config/reload" ||
         pattern.rfind("/v1/outbox", 0) == 0;
}

TEST(OpsAuthorizationMatrix, EveryEndpointRoleAndSchool) {
  OpsEnv env;
  const auto rows = matrix();
  std::set<std::pair<std::string, std::string>> served, covered;
  for (const auto& r : env.service().routes()) {
    if (is_operations_route(r.pattern)) served.insert({r.method, r.pattern});
  }
  for (const auto& row : rows) covered.insert({row.method, row.pattern});
  ASSERT_EQ(served, covered) << "every operations route needs a row in the matrix";

  for (const auto& row : rows) {
    const api::Route* route = nullptr;
    for (const auto& r : env.service().routes()) {
      if (r.method == row.method && r.pattern == row.pattern) route = &r;
    }
    ASSERT_NE(route, nullptr);
    EXPECT_EQ(std::set<Role>(route->roles.begin(), route->roles.end()),
              std::set<Role>(row.allowed.begin(), row.allowed.end()))
        << row.method << " " << row.pattern;

    const auto anonymous = env.service().handle(row.make(env, Side::own, ""));
    EXPECT_EQ(anonymous.status, 401) << row.method << " " << row.pattern << " without a token";

    for (Role role : api::all_roles()) {
      for (Side side : {Side::own, Side::other}) {
        // The token belongs to our school; "other" is where the data lives.
        const std::string token = env.token(role, k_own_brin);
        const auto res = env.service().handle(row.make(env, side, token));
        const bool role_ok = std::find(row.allowed.begin(), row.allowed.end(), role) != row.allowed.end();
        const bool allow = role_ok && (!row.school_scoped || side == Side::own);
        const std::string where = row.method + " " + row.pattern + " as " + api::role_name(role) +
                                  (side == Side::own ? " (own school)" : " (other school)") + ": " + res.body;
        if (allow) {
          EXPECT_GE(res.status, 200) << where;
          EXPECT_LT(res.status, 300) << where;
        } else {
          EXPECT_EQ(res.status, 403) << where;
          EXPECT_EQ(body_of(res).value("error", ""), "forbidden") << where;
        }
      }
    }
  }
}

}  // namespace
}  // namespace schakel::daemon::test
