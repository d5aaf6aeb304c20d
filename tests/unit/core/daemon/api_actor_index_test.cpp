// Two things the API's case side must get right about who and what the gate knows:
// a student recorded through POST /v1/students is known to the gate at once (a referral for her is
// blocked for want of consent, not as "unknown student"), and a disclosure an API call
// fires is audited under the token's id and role, not as the destination's connector.
#include "daemon_env.hpp"

namespace schakel::daemon::test {
namespace {

// Why the gate denies a youth nurse the student's education data.
std::string gate_says(DaemonEnv& env, const std::string& student_id) {
  const consent::Recipient nurse{"GGD", "youth_nurse", "", ""};
  const auto d = env.rt().consent().decide(student_id, nurse, "ot_meeting", {"education"},
                                           TimePoint{std::chrono::seconds{1'790'000'000}}, "");
  return d.categories.at(0).reason;
}

TEST(StudentIndex, AStudentRecordedThroughTheApiIsKnownToTheGateAtOnce) {
  DaemonEnv env{DaemonEnv::referral_routes()};
  const std::string staff = env.token(Role::staff);
  ASSERT_EQ(gate_says(env, "stu_new"), "unknown student stu_new");
  auto r = env.call("POST", "/v1/students", staff, student_doc("stu_new", "sch_own"));
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(gate_says(env, "stu_new"), "no consent for category education to youth_nurse for purpose ot_meeting")
      << "the gate knows her before any guardian or consent names her";

  ASSERT_EQ(env.call("POST", "/v1/cases", staff, case_doc("case_new", "stu_new", "sch_own")).status, 201);
  r = env.call("POST", "/v1/referrals", staff, referral_doc("ref_new", "case_new", "stu_new", "sch_own"));
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string reason = body_of(r)["routes"][0].value("reason", "");
  EXPECT_NE(reason.find("no consent for category"), std::string::npos) << reason;
  EXPECT_EQ(reason.find("unknown student"), std::string::npos) << reason;
}

TEST(StudentIndex, AStudentTheGateCannotTakeInIsReportedAndStaysRecorded) {
  DaemonEnv env{DaemonEnv::referral_routes()};
  const std::string staff = env.token(Role::staff);
  env.service().set_student_recorded_hook(
      [](const json&) { return Status(ErrorCode::io, "index full"); });
  auto r = env.call("POST", "/v1/students", staff, student_doc("stu_new", "sch_own"));
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(body_of(r)["error"], "index_failed") << r.body;
  EXPECT_NE(body_of(r)["message"].get<std::string>().find("is recorded"), std::string::npos) << r.body;
  EXPECT_EQ(env.call("GET", "/v1/students/stu_new", staff).status, 200);
  // A refused student is neither recorded nor indexed.
  EXPECT_EQ(env.call("POST", "/v1/students", env.token(Role::staff, k_other_brin), student_doc("stu_x", "sch_own")).status,
            403);
  EXPECT_EQ(gate_says(env, "stu_x"), "unknown student stu_x");
}

TEST(ApiActor, DisclosuresFiredThroughTheApiNameTheTokenAndItsRole) {
  DaemonEnv env{DaemonEnv::referral_routes()};
  std::string staff_id;
  const std::string staff = env.token(Role::staff, k_own_brin, &staff_id);
  ASSERT_EQ(env.call("POST", "/v1/cases", staff, case_doc("case_1", "stu_own", "sch_own")).status, 201);
  // Blocked (no consent yet): the stage route and the first referral.
  ASSERT_EQ(env.call("POST", "/v1/cases/case_1/stage", staff, {{"stage", "arrangement_requested"}}).status, 200);
  ASSERT_EQ(env.call("POST", "/v1/referrals", staff, referral_doc("ref_1", "case_1", "stu_own", "sch_own")).status, 201);
  // Permitted: a referral under consent.
  ASSERT_EQ(env.call("POST", "/v1/consents", staff,
                     consent_doc("c1", "stu_own", "sch_own", "g_own", {"identity", "education", "case"}))
                .status,
            201);
  json ref = referral_doc("ref_2", "case_1", "stu_own", "sch_own");
  ref["consent_ids"] = {"c1"};
  auto r = env.call("POST", "/v1/referrals", staff, ref);
  ASSERT_EQ(r.status, 201) << r.body;
  ASSERT_EQ(body_of(r)["routes"][0]["outcome"], "queued") << r.body;

  const auto disclosures = env.audit_rows("disclose");
  ASSERT_EQ(disclosures.size(), 3U);
  int blocked = 0;
  for (const auto& row : disclosures) {
    EXPECT_EQ(row.actor, staff_id) << row.reason;
    EXPECT_EQ(row.actor_role, "staff") << row.reason;
    blocked += row.outcome == "blocked";
  }
  EXPECT_EQ(blocked, 2);

  // The delivery itself is the connector's act, and stays named so.
  auto done = env.rt().delivery().run_due("swv-portal", 10);
  ASSERT_TRUE(done);
  const auto deliveries = env.audit_rows("deliver");
  ASSERT_EQ(deliveries.size(), 1U);
  EXPECT_EQ(deliveries[0].actor, "swv-portal");
  EXPECT_EQ(deliveries[0].actor_role, "connector");
}

}  // namespace
}  // namespace schakel::daemon::test
