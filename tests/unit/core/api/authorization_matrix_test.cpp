// The authorisation matrix of the core endpoints (tests/support/authorization_matrix.hpp): every
// endpoint × every role × own/other school, and without a token. A route the matrix does not know
// fails the test, so each new endpoint must add its row.
#include "api_test_env.hpp"
#include "authorization_matrix.hpp"

namespace schakel::api::test {
namespace {

using schakel::test::MatrixCell;
using schakel::test::MatrixRow;
using schakel::test::Side;

std::string brin_of(const MatrixCell& c) { return c.own() ? k_own_brin : k_other_brin; }

std::vector<MatrixRow> matrix(ApiEnv& env, ApiService& svc) {
  auto call = [&svc](const std::string& method, const std::string& target, const std::string& token,
                     const std::string& body = "") { return svc.handle(request(method, target, token, body)); };
  return {
      {"GET", "/v1/health", {}, false, [=](const MatrixCell& c) { return call("GET", "/v1/health", c.token); }},
      {"GET", "/v1/metrics", {Role::operator_, Role::admin}, false,
       [=](const MatrixCell& c) { return call("GET", "/v1/metrics", c.token); }},
      {"POST", "/v1/tokens", {Role::admin}, true,
       [=](const MatrixCell& c) {
         return call("POST", "/v1/tokens", c.token,
                     nlohmann::json{{"role", "staff"}, {"schools", {brin_of(c)}}, {"label", "ib"}}.dump());
       }},
      {"DELETE", "/v1/tokens/{id}", {Role::admin}, true,
       [=, &env, &svc](const MatrixCell& c) {
         std::string id;
         env.token(svc.tokens(), Role::staff, brin_of(c), &id);
         return call("DELETE", "/v1/tokens/" + id, c.token);
       }},
      {"GET", "/v1/students/{id}", {Role::staff}, true,
       [=](const MatrixCell& c) { return call("GET", c.own() ? "/v1/students/stu_own" : "/v1/students/stu_other", c.token); }},
      {"POST", "/v1/students", {Role::staff}, true,
       [=](const MatrixCell& c) {
         return call("POST", "/v1/students", c.token,
                     student_doc("stu_new_" + std::to_string(c.n), c.own() ? "sch_own" : "sch_other").dump());
       }},
      {"POST", "/v1/config/validate", {Role::admin}, false,
       [=](const MatrixCell& c) {
         return call("POST", "/v1/config/validate", c.token, "version: 1\ninstance:\n  name: x\n  data_dir: /tmp/x\n");
       }},
  };
}

// Every route of the core is in the table; the token always belongs to our school, and "other"
// is where the data lives.
TEST(AuthorizationMatrix, EveryEndpointRoleAndSchool) {
  ApiEnv env;
  ApiService service(*env.store, env.schemas, env.clock);
  register_core_endpoints(service);
  const auto rows = matrix(env, service);
  schakel::test::check_matrix_covers_routes(service.routes(), rows, [](const Route&) { return true; });
  schakel::test::check_authorization_matrix(
      rows, [&](Role role, Side) { return env.token(service.tokens(), role, k_own_brin); });
}

TEST(AuthorizationMatrix, RevokedExpiredAndUnknownTokensAreUnauthorized) {
  ApiEnv env;
  ApiService service(*env.store, env.schemas, env.clock);
  register_core_endpoints(service);
  std::string id;
  const std::string token = env.token(service.tokens(), Role::operator_, k_own_brin, &id);
  EXPECT_EQ(service.handle(request("GET", "/v1/metrics", token)).status, 200);

  // Same shape, different secret.
  std::string forged = token;
  forged.back() = forged.back() == 'A' ? 'B' : 'A';
  EXPECT_EQ(service.handle(request("GET", "/v1/metrics", forged)).status, 401);
  EXPECT_EQ(service.handle(request("GET", "/v1/metrics", "not-a-token")).status, 401);

  env.clock.advance(std::chrono::hours(25));
  const auto expired = service.handle(request("GET", "/v1/metrics", token));
  EXPECT_EQ(expired.status, 401);
  EXPECT_NE(expired.body.find("expired"), std::string::npos);
  EXPECT_EQ(expired.body.find(token), std::string::npos) << "the secret never appears in an error";

  const std::string fresh = env.token(service.tokens(), Role::operator_, k_own_brin, &id);
  ASSERT_TRUE(service.tokens().revoke(id));
  const auto revoked = service.handle(request("GET", "/v1/metrics", fresh));
  EXPECT_EQ(revoked.status, 401);
  EXPECT_NE(revoked.body.find("revoked"), std::string::npos);
}

TEST(AuthorizationMatrix, UnknownPathsNeedATokenToo) {
  ApiEnv env;
  ApiService service(*env.store, env.schemas, env.clock);
  register_core_endpoints(service);
  EXPECT_EQ(service.handle(request("GET", "/v1/nothing")).status, 401);
  const std::string token = env.token(service.tokens(), Role::admin, k_own_brin);
  EXPECT_EQ(service.handle(request("GET", "/v1/nothing", token)).status, 404);
  const auto res = service.handle(request("PUT", "/v1/tokens", token));
  EXPECT_EQ(res.status, 405);
}

}  // namespace
}  // namespace schakel::api::test
