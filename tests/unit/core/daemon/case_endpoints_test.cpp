// Guardians, cases and consents through the daemon's API: validation errors with pointers, stage
// changes firing their route, and consent changes reaching the gate at once.
#include "daemon_env.hpp"

namespace schakel::daemon::test {
namespace {

bool has_problem(const ApiResponse& r, const std::string& pointer) {
  const json b = body_of(r);
  for (const auto& p : b.value("problems", json::array()))
    if (p.value("pointer", "") == pointer) return true;
  return false;
}

consent::Decision swv_decision(Runtime& rt, const std::vector<std::string>& categories) {
  return rt.consent().decide("stu_own", {k_swv, "education_specialist", "Loket", ""}, "swv_request", categories,
                             rt.clock().now(), "");
}

TEST(CaseEndpoints, GuardianIsValidatedScopedAndReadAudited) {
  DaemonEnv env{DaemonEnv::referral_routes()};
  const std::string staff = env.token(Role::staff);
  json bad = guardian_doc("g_new", "stu_own");
  bad["children"][0]["gezag"] = "maybe";
  auto r = env.call("POST", "/v1/guardians", staff, bad);
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_TRUE(has_problem(r, "/children/0/gezag")) << r.body;

  r = env.call("POST", "/v1/guardians", staff, guardian_doc("g_new", "stu_nobody"));
  EXPECT_EQ(r.status, 422);
  EXPECT_TRUE(has_problem(r, "/children/0/student_id")) << r.body;

  EXPECT_EQ(env.call("POST", "/v1/guardians", staff, guardian_doc("g_new", "stu_other")).status, 403);
  r = env.call("POST", "/v1/guardians", staff, guardian_doc("g_new", "stu_own"));
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(env.call("POST", "/v1/guardians", staff, guardian_doc("g_new", "stu_own")).status, 409);

  r = env.call("GET", "/v1/guardians/g_new", staff);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body_of(r)["children"][0]["student_id"], "stu_own");
  EXPECT_EQ(env.call("GET", "/v1/guardians/g_other", staff).status, 403);
  EXPECT_EQ(env.call("GET", "/v1/guardians/g_none", staff).status, 404);

  // The new guardian can grant consent at once: the index knows the link.
  r = env.call("POST", "/v1/consents", staff, consent_doc("c_new", "stu_own", "sch_own", "g_new", {"case"}));
  EXPECT_EQ(r.status, 201) << r.body;
}

TEST(CaseEndpoints, CaseCreateStageAndAgreements) {
  DaemonEnv env{DaemonEnv::referral_routes()};
  const std::string staff = env.token(Role::staff);
  json bad = case_doc("case_1", "stu_own", "sch_own");
  bad["stage"] = "somewhere";
  bad["questions"][0].erase("question");
  auto r = env.call("POST", "/v1/cases", staff, bad);
  ASSERT_EQ(r.status, 422) << r.body;
  EXPECT_TRUE(has_problem(r, "/stage")) << r.body;
  EXPECT_TRUE(has_problem(r, "/questions/0")) << r.body;

  r = env.call("POST", "/v1/cases", staff, case_doc("case_1", "stu_other", "sch_own"));
  EXPECT_EQ(r.status, 422);
  EXPECT_TRUE(has_problem(r, "/student_id")) << r.body;
  EXPECT_EQ(env.call("POST", "/v1/cases", staff, case_doc("case_1", "stu_other", "sch_other")).status, 403);
  ASSERT_EQ(env.call("POST", "/v1/cases", staff, case_doc("case_1", "stu_own", "sch_own")).status, 201);

  // closed needs closed_on: the schema's rule, reported at the body's root.
  r = env.call("POST", "/v1/cases/case_1/stage", staff, {{"stage", "closed"}});
  EXPECT_EQ(r.status, 422) << r.body;
  r = env.call("POST", "/v1/cases/case_1/stage", staff, {{"stage", "ot"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body_of(r)["changed"], false);

  // No consent yet: the stage's route is blocked, and the answer says why.
  r = env.call("POST", "/v1/cases/case_1/stage", staff, {{"stage", "arrangement_requested"}});
  ASSERT_EQ(r.status, 200) << r.body;
  const json routes = body_of(r)["routes"];
  ASSERT_EQ(routes.size(), 1U) << r.body;
  EXPECT_EQ(routes[0]["route_id"], "swv-stage");
  EXPECT_EQ(routes[0]["outcome"], "blocked");
  EXPECT_FALSE(routes[0].value("reason", "").empty());

  r = env.call("POST", "/v1/cases/case_1/agreements", staff,
               {{"what", "Rekenplan opstellen"}, {"owner", {{"role", "ib"}, {"name", "J. de Boer"}}}, {"due", "2026-13-01"}});
  ASSERT_EQ(r.status, 422) << r.body;
  EXPECT_TRUE(has_problem(r, "/due")) << r.body;
  r = env.call("POST", "/v1/cases/case_1/agreements", staff,
               {{"what", "Rekenplan opstellen"}, {"owner", {{"role", "ib"}, {"name", "J. de Boer"}}}, {"due", "2026-10-01"}});
  ASSERT_EQ(r.status, 201) << r.body;

  r = env.call("GET", "/v1/cases/case_1", staff);
  ASSERT_EQ(r.status, 200);
  const json c = body_of(r);
  EXPECT_EQ(c["stage"], "arrangement_requested");
  EXPECT_EQ(c["agreements"].size(), 1U);
  EXPECT_EQ(c["version"], 3);
  EXPECT_EQ(env.call("GET", "/v1/cases/case_1", env.token(Role::privacy_officer)).status, 403)
      << "the privacy officer sees no case content";
}

TEST(CaseEndpoints, ConsentRecordAndWithdrawChangeTheGateAtOnceAndRevoke) {
  DaemonEnv env{DaemonEnv::referral_routes()};
  const std::string staff = env.token(Role::staff);
  const std::vector<std::string> cats = {"identity", "education", "case"};
  EXPECT_FALSE(swv_decision(env.rt(), cats).all_permitted());

  json bad = consent_doc("c1", "stu_own", "sch_own", "g_own", cats);
  bad["purposes"] = {"gossip"};
  auto r = env.call("POST", "/v1/consents", staff, bad);
  ASSERT_EQ(r.status, 422);
  EXPECT_TRUE(has_problem(r, "/purposes/0")) << r.body;
  // A guardian of another child cannot grant: the consent module's pointer comes back.
  r = env.call("POST", "/v1/consents", staff, consent_doc("c1", "stu_own", "sch_own", "g_other", cats));
  ASSERT_EQ(r.status, 422) << r.body;
  EXPECT_TRUE(has_problem(r, "/grantors/0/guardian_id")) << r.body;
  EXPECT_EQ(env.call("POST", "/v1/consents", staff, consent_doc("c1", "stu_other", "sch_other", "g_other", cats)).status, 403);

  r = env.call("POST", "/v1/consents", staff, consent_doc("c1", "stu_own", "sch_own", "g_own", cats));
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_TRUE(swv_decision(env.rt(), cats).all_permitted()) << "recorded consent reaches the gate at once";
  EXPECT_EQ(env.call("POST", "/v1/consents", staff, consent_doc("c1", "stu_own", "sch_own", "g_own", cats)).status, 409);

  // A disclosure under it, delivered.
  ASSERT_EQ(env.call("POST", "/v1/cases", staff, case_doc("case_1", "stu_own", "sch_own")).status, 201);
  r = env.call("POST", "/v1/cases/case_1/stage", staff, {{"stage", "arrangement_requested"}});
  ASSERT_EQ(r.status, 200);
  ASSERT_EQ(body_of(r)["routes"][0]["outcome"], "queued") << r.body;
  auto delivered = env.rt().delivery().run_due("swv-portal", 10);
  ASSERT_TRUE(delivered);
  ASSERT_EQ(delivered->size(), 1U);
  EXPECT_EQ((*delivered)[0].state, store::OutboxState::delivered);

  r = env.call("POST", "/v1/consents/c1/withdraw", staff, {{"by", {{"kind", "student"}, {"guardian_id", "x"}}}});
  EXPECT_EQ(r.status, 422) << r.body;
  r = env.call("POST", "/v1/consents/c1/withdraw", staff, {{"by", {{"kind", "guardian"}, {"guardian_id", "g_own"}}}, {"reason", "we willen het zelf doen"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body_of(r)["consent"]["status"], "withdrawn");
  EXPECT_EQ(body_of(r)["revocation"], "queued");
  EXPECT_FALSE(swv_decision(env.rt(), cats).all_permitted()) << "withdrawal reaches the gate at once";
  EXPECT_EQ(env.call("POST", "/v1/consents/c1/withdraw", staff, {{"by", {{"kind", "guardian"}, {"guardian_id", "g_own"}}}}).status, 409);

  // The recipient is told: a revocation of the delivered disclosure is queued.
  auto tx = env.rt().store().begin(false);
  ASSERT_TRUE(tx);
  store::OutboxQuery q;
  q.student_id = "stu_own";
  auto items = (*tx)->list_outbox(q);
  ASSERT_TRUE(items);
  int revocations = 0;
  for (const auto& it : *items) {
    revocations += it.kind == "revocation" ? 1 : 0;
    EXPECT_EQ(it.document.find("zelf doen"), std::string::npos) << "the parents' words stay in the consent record";
  }
  EXPECT_EQ(revocations, 1);
  auto rows = (*tx)->audit_range(1, 1000);
  ASSERT_TRUE(rows);
  for (const auto& row : *rows) EXPECT_EQ(row.reason.find("zelf doen"), std::string::npos) << row.reason;

  // Both states are in the student's list, for staff and for the privacy officer.
  for (const auto& t : {staff, env.token(Role::privacy_officer)}) {
    r = env.call("GET", "/v1/students/stu_own/consents", t);
    ASSERT_EQ(r.status, 200) << r.body;
    ASSERT_EQ(body_of(r)["consents"].size(), 1U);
    EXPECT_EQ(body_of(r)["consents"][0]["status"], "withdrawn");
  }
  EXPECT_EQ(env.call("GET", "/v1/students/stu_other/consents", staff).status, 403);
}

}  // namespace
}  // namespace schakel::daemon::test
