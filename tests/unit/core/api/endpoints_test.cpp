// The core endpoints through ApiService::handle (no sockets): tokens, students, config/validate,
// metrics, and the error shape for bad input.
#include <cstdlib>

#include "api_test_env.hpp"

namespace schakel::api::test {
namespace {

class Endpoints : public ::testing::Test {
 protected:
  Endpoints() : service(*env.store, env.schemas, env.clock) {
    register_core_endpoints(service);
    admin = env.token(service.tokens(), Role::admin, k_own_brin);
    staff = env.token(service.tokens(), Role::staff, k_own_brin);
  }
  ApiEnv env;
  ApiService service;
  std::string admin;
  std::string staff;
};

bool has_problem(const ApiResponse& r, const std::string& pointer) {
  const auto body = body_of(r);
  for (const auto& p : body["problems"]) {
    if (p.value("pointer", "") == pointer) return true;
  }
  return false;
}

TEST_F(Endpoints, TokenIsShownOnceAndStoredHashed) {
  const auto res = service.handle(request("POST", "/v1/tokens", admin,
                                          R"({"role":"privacy_officer","schools":["27XK"],"label":"FG"})"));
  ASSERT_EQ(res.status, 201) << res.body;
  const auto body = body_of(res);
  const std::string secret = body["token"];
  EXPECT_EQ(secret.rfind("skl_", 0), 0U);
  auto row = service.tokens().find(body["id"]);
  ASSERT_TRUE(row && *row);
  EXPECT_NE((*row)->token_sha256, secret);
  EXPECT_EQ((*row)->token_sha256.size(), 64U);
  EXPECT_EQ((*row)->role, "privacy_officer");
  EXPECT_EQ((*row)->label, "FG");
  // The new token works, and only for its role.
  EXPECT_EQ(service.handle(request("GET", "/v1/metrics", secret)).status, 403);
  EXPECT_EQ(service.handle(request("DELETE", "/v1/tokens/" + body["id"].get<std::string>(), admin)).status, 204);
  EXPECT_EQ(service.handle(request("GET", "/v1/metrics", secret)).status, 401);
  EXPECT_EQ(service.handle(request("DELETE", "/v1/tokens/tok_unknown", admin)).status, 404);
}

TEST_F(Endpoints, TokenRequestProblemsArePointed) {
  const auto res = service.handle(request("POST", "/v1/tokens", admin,
                                          R"({"role":"root","schools":["27xk"],"expires_at":"soon","extra":1})"));
  EXPECT_EQ(res.status, 422);
  EXPECT_TRUE(has_problem(res, "/role"));
  EXPECT_TRUE(has_problem(res, "/schools/0"));
  EXPECT_TRUE(has_problem(res, "/expires_at"));
  EXPECT_TRUE(has_problem(res, "/extra"));
}

TEST_F(Endpoints, StudentReadIsAuditedBeforeItIsShown) {
  std::vector<ReadAccess> seen;
  service.set_read_audit_hook([&](const ReadAccess& a) {
    seen.push_back(a);
    return Status::ok();
  });
  const auto res = service.handle(request("GET", "/v1/students/stu_own", staff));
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(body_of(res)["las_key"], "L-stu_own");
  ASSERT_EQ(seen.size(), 1U);
  EXPECT_EQ(seen[0].outcome, "permitted");
  EXPECT_EQ(seen[0].student_id, "stu_own");
  EXPECT_EQ(seen[0].tenant, "27XK01");
  EXPECT_EQ(seen[0].actor_role, "staff");
  EXPECT_FALSE(seen[0].trace_id.empty());

  EXPECT_EQ(service.handle(request("GET", "/v1/students/stu_other", staff)).status, 403);
  ASSERT_EQ(seen.size(), 2U);
  EXPECT_EQ(seen[1].outcome, "denied");

  service.set_read_audit_hook([](const ReadAccess&) { return Status(ErrorCode::unavailable, "audit down"); });
  const auto refused = service.handle(request("GET", "/v1/students/stu_own", staff));
  EXPECT_EQ(refused.status, 503);
  EXPECT_EQ(refused.body.find("Vries"), std::string::npos) << "no data without an audit entry";
}

TEST_F(Endpoints, StudentCreateValidatesAgainstTheSchema) {
  auto post = [&](const std::string& body) { return service.handle(request("POST", "/v1/students", staff, body)); };
  const auto malformed = post("{\"id\": ");
  EXPECT_EQ(malformed.status, 400);
  EXPECT_EQ(body_of(malformed)["error"], "malformed_json");
  EXPECT_EQ(post("[1,2]").status, 400);

  auto doc = student_doc("stu_9", "sch_own");
  doc["jaargroep"] = "five";
  doc["nickname"] = "x";
  const auto invalid = post(doc.dump());
  EXPECT_EQ(invalid.status, 422);
  EXPECT_TRUE(has_problem(invalid, "/jaargroep")) << invalid.body;
  EXPECT_TRUE(has_problem(invalid, "/nickname")) << invalid.body;

  const auto unknown_school = post(student_doc("stu_9", "sch_nowhere").dump());
  EXPECT_EQ(unknown_school.status, 422);
  EXPECT_TRUE(has_problem(unknown_school, "/school_id"));

  const auto created = post(student_doc("stu_9", "sch_own").dump());
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(service.handle(request("GET", "/v1/students/stu_9", staff)).status, 200);
  EXPECT_EQ(post(student_doc("stu_9", "sch_own").dump()).status, 409);
}

TEST_F(Endpoints, BadIdsAreRefusedWithTheirPlace) {
  for (const std::string& target : std::vector<std::string>{"/v1/students/..", "/v1/students/%2e%2e", "/v1/students/a%2f..%2fb",
                                   "/v1/students/" + std::string(129, 'a'), "/v1/students/a%20b"}) {
    const auto res = service.handle(request("GET", target, staff));
    EXPECT_EQ(res.status, 400) << target;
    EXPECT_EQ(body_of(res)["error"], "bad_request") << target;
    EXPECT_FALSE(body_of(res)["problems"].empty()) << target;
  }
  EXPECT_EQ(service.handle(request("GET", "/v1/students/stu_own", staff)).status, 200);
}

TEST_F(Endpoints, ConfigValidateReturnsEveryErrorWithItsPlace) {
  const std::string yaml =
      "version: 1\n"
      "instance:\n"
      "  name: demo\n"
      "  data_dir: /tmp/x\n"
      "  colour: blue\n"
      "api:\n"
      "  listen: 'nowhere'\n";
  const auto res = service.handle(request("POST", "/v1/config/validate", admin, yaml));
  ASSERT_EQ(res.status, 422) << res.body;
  const auto body = body_of(res);
  EXPECT_EQ(body["error"], "invalid_config");
  ASSERT_GE(body["problems"].size(), 2U);
  bool colour = false, listen = false;
  for (const auto& p : body["problems"]) {
    if (p["path"] == "instance.colour") {
      colour = true;
      EXPECT_EQ(p["line"], 5);
      EXPECT_EQ(p["pointer"], "/instance/colour");
    }
    if (p["path"] == "api.listen") {
      listen = true;
      EXPECT_EQ(p["line"], 7);
      EXPECT_GT(p["column"].get<int>(), 0);
    }
  }
  EXPECT_TRUE(colour && listen) << res.body;
  const auto ok = service.handle(request("POST", "/v1/config/validate", admin,
                                         "version: 1\ninstance:\n  name: x\n  data_dir: /tmp/x\n"));
  EXPECT_EQ(ok.status, 200) << ok.body;
}

TEST_F(Endpoints, ConfigValidateReadsNoEnvironmentOrFiles) {
  ::setenv("SCHAKEL_API_TEST_SECRET", "hunter2-very-secret", 1);
  const std::string yaml =
      "version: 1\ninstance:\n  name: x\n  data_dir: /tmp/x\n"
      "  log: {level: '${env:SCHAKEL_API_TEST_SECRET}'}\n"
      "  demo: '${file:/etc/hostname}'\n";
  const auto res = service.handle(request("POST", "/v1/config/validate", admin, yaml));
  EXPECT_EQ(res.status, 422);
  EXPECT_EQ(res.body.find("hunter2"), std::string::npos) << res.body;
  ::unsetenv("SCHAKEL_API_TEST_SECRET");
}

TEST_F(Endpoints, MetricsCountRequests) {
  const std::string op = env.token(service.tokens(), Role::operator_, k_own_brin);
  (void)service.handle(request("GET", "/v1/health"));
  const auto res = service.handle(request("GET", "/v1/metrics", op));
  ASSERT_EQ(res.status, 200);
  EXPECT_EQ(res.content_type.rfind("text/plain", 0), 0U);
  EXPECT_NE(res.body.find(R"(schakel_api_requests_total{method="GET",route="/v1/health",status="200"} 1)"),
            std::string::npos)
      << res.body;
}

TEST_F(Endpoints, ErrorsHaveTheSameShape) {
  const auto res = service.handle(request("GET", "/v1/students/nope", staff));
  EXPECT_EQ(res.status, 404);
  const auto body = body_of(res);
  EXPECT_TRUE(body["error"].is_string());
  EXPECT_TRUE(body["message"].is_string());
  EXPECT_TRUE(body["problems"].is_array());
}

}  // namespace
}  // namespace schakel::api::test
