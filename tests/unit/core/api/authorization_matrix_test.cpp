// The authorisation matrix: every endpoint × every role × own/other school, and without a token.
// Each cell asserts allow (2xx) or deny (401/403). A route the matrix does not know fails the
// test, so each new endpoint must add its row.
#include <set>

#include "api_test_env.hpp"

namespace schakel::api::test {
namespace {

enum class Side { own, other };

struct Row {
  std::string method;
  std::string pattern;
  std::vector<Role> allowed;
  bool school_scoped;
  // Builds the request for one cell; may prepare data (e.g. a token to revoke).
  std::function<ApiRequest(ApiEnv&, ApiService&, Side, const std::string& token, int cell)> make;
};

std::string brin_of(Side side) { return side == Side::own ? k_own_brin : k_other_brin; }

std::vector<Row> matrix() {
  return {
      {"GET", "/v1/health", {Role::admin, Role::staff, Role::privacy_officer, Role::operator_}, false,
       [](ApiEnv&, ApiService&, Side, const std::string& t, int) { return request("GET", "/v1/health", t); }},
      {"GET", "/v1/metrics", {Role::operator_, Role::admin}, false,
       [](ApiEnv&, ApiService&, Side, const std::string& t, int) { return request("GET", "/v1/metrics", t); }},
      {"POST", "/v1/tokens", {Role::admin}, true,
       [](ApiEnv&, ApiService&, Side side, const std::string& t, int) {
         return request("POST", "/v1/tokens", t,
                        nlohmann::json{{"role", "staff"}, {"schools", {brin_of(side)}}, {"label", "ib"}}.dump());
       }},
      {"DELETE", "/v1/tokens/{id}", {Role::admin}, true,
       [](ApiEnv& env, ApiService& svc, Side side, const std::string& t, int) {
         std::string id;
         env.token(svc.tokens(), Role::staff, brin_of(side), &id);
         return request("DELETE", "/v1/tokens/" + id, t);
       }},
      {"GET", "/v1/students/{id}", {Role::staff}, true,
       [](ApiEnv&, ApiService&, Side side, const std::string& t, int) {
         return request("GET", side == Side::own ? "/v1/students/stu_own" : "/v1/students/stu_other", t);
       }},
      {"POST", "/v1/students", {Role::staff}, true,
       [](ApiEnv&, ApiService&, Side side, const std::string& t, int cell) {
         const std::string id = "stu_new_" + std::to_string(cell);
         return request("POST", "/v1/students", t,
                        student_doc(id, side == Side::own ? "sch_own" : "sch_other").dump());
       }},
      {"POST", "/v1/config/validate", {Role::admin}, false,
       [](ApiEnv&, ApiService&, Side, const std::string& t, int) {
         return request("POST", "/v1/config/validate", t, "version: 1\ninstance:\n  name: x\n  data_dir: /tmp/x\n");
       }},
  };
}

TEST(AuthorizationMatrix, EveryEndpointRoleAndSchool) {
  ApiEnv env;
  ApiService service(*env.store, env.schemas, env.clock);
  register_core_endpoints(service);
  const auto rows = matrix();

  std::set<std::pair<std::string, std::string>> served, covered;
  for (const auto& r : service.routes()) served.insert({r.method, r.pattern});
  for (const auto& row : rows) covered.insert({row.method, row.pattern});
  ASSERT_EQ(served, covered) << "every served route needs a row in the matrix";

  int cell = 0;
  for (const auto& row : rows) {
    const Route* route = nullptr;
    for (const auto& r : service.routes()) {
      if (r.method == row.method && r.pattern == row.pattern) route = &r;
    }
    ASSERT_NE(route, nullptr);
    // The matrix states the policy independently of the registration; both must agree.
    if (row.pattern != "/v1/health") {
      EXPECT_EQ(std::set<Role>(route->roles.begin(), route->roles.end()),
                std::set<Role>(row.allowed.begin(), row.allowed.end()))
          << row.method << " " << row.pattern;
    }

    // No token: only health answers.
    {
      const auto res = service.handle(row.make(env, service, Side::own, "", ++cell));
      if (row.pattern == "/v1/health") {
        EXPECT_EQ(res.status, 200);
      } else {
        EXPECT_EQ(res.status, 401) << row.method << " " << row.pattern << " without a token";
        bool has_challenge = false;
        for (const auto& [k, v] : res.headers) has_challenge |= k == "WWW-Authenticate" && v.rfind("Bearer", 0) == 0;
        EXPECT_TRUE(has_challenge);
      }
    }
    for (Role role : all_roles()) {
      for (Side side : {Side::own, Side::other}) {
        // The token always belongs to our school; "other" is where the data lives.
        const std::string token = env.token(service.tokens(), role, k_own_brin);
        const ApiRequest req = row.make(env, service, side, token, ++cell);
        const ApiResponse res = service.handle(req);
        const bool role_ok = std::find(row.allowed.begin(), row.allowed.end(), role) != row.allowed.end();
        const bool allow = role_ok && (!row.school_scoped || side == Side::own);
        const std::string where = row.method + " " + row.pattern + " as " + role_name(role) +
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
