// The authorisation matrix of the daemon's operations endpoints (connectors, config reload,
// outbox), checked by tests/support/authorization_matrix.hpp: every route × every role ×
// own/other school, and without a token. A served operations route the matrix does not know fails
// the test. Connectors and the configuration belong to the instance, so their rows are not
// school-scoped; an outbox item belongs to its school.
#include "authorization_matrix.hpp"
#include "daemon_env.hpp"

namespace schakel::daemon::test {
namespace {

std::vector<MatrixRow> matrix(DaemonEnv& env) {
  const std::set<Role> ops = {Role::admin, Role::operator_};
  auto simple = [&env](const std::string& method, const std::string& target) {
    return [&env, method, target](const MatrixCell& c) { return env.service().handle(request(method, target, c.token)); };
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
       [&env](const MatrixCell& c) {
         const auto id = env.dead_letter(c.own() ? "27XK01" : "12AB00");
         return env.service().handle(request("POST", "/v1/outbox/" + std::to_string(id) + "/retry", c.token));
       }},
  };
}

bool is_operations_route(const api::Route& r) {
  return r.pattern.rfind("/v1/connectors", 0) == 0 || r.pattern == "/v1/config/reload" ||
         r.pattern.rfind("/v1/outbox", 0) == 0;
}

TEST(OpsAuthorizationMatrix, EveryEndpointRoleAndSchool) {
  DaemonEnv env{DaemonEnv::demo_connectors()};
  const auto rows = matrix(env);
  check_matrix_covers_routes(env.service().routes(), rows, is_operations_route);
  // The token belongs to our school; "other" is where the data lives.
  check_authorization_matrix(rows, [&](Role role, Side) { return env.token(role, k_own_brin); });
}

}  // namespace
}  // namespace schakel::daemon::test
