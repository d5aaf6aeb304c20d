// Referrals through the daemon's API: a blocked referral and its visible reason, a permitted one
// delivered and shown with its receipt, and the answer to the SWV's request for information.
#include "daemon_env.hpp"

namespace schakel::daemon::test {
namespace {

bool has_problem(const ApiResponse& r, const std::string& pointer) {
  for (const auto& p : body_of(r).value("problems", json::array()))
    if (p.value("pointer", "") == pointer) return true;
  return false;
}

std::vector<store::OutboxItem> outbox_of(DaemonEnv& env, const std::string& student) {
  auto tx = env.rt().store().begin(false);
  store::OutboxQuery q;
  q.student_id = student;
  auto items = (*tx)->list_outbox(q);
  return items ? *items : std::vector<store::OutboxItem>{};
}

class ReferralEndpoints : public ::testing::Test {
 protected:
  void SetUp() override {
    staff_ = env_.token(Role::staff);
    ASSERT_EQ(env_.call("POST", "/v1/cases", staff_, case_doc("case_1", "stu_own", "sch_own")).status, 201);
  }
  DaemonEnv env_{DaemonEnv::referral_routes()};
  std::string staff_;
};

TEST_F(ReferralEndpoints, InvalidReferralsNameTheField) {
  json bad = referral_doc("ref_1", "case_1", "stu_own", "sch_own");
  bad["type"] = "urgent";
  bad["contact_person"] = {{"role", "ib"}, {"name", "IB"}, {"email", "not-an-address"}};
  auto r = env_.call("POST", "/v1/referrals", staff_, bad);
  ASSERT_EQ(r.status, 422) << r.body;
  EXPECT_TRUE(has_problem(r, "/type")) << r.body;
  EXPECT_TRUE(has_problem(r, "/contact_person/email")) << r.body;

  bad = referral_doc("ref_1", "case_1", "stu_own", "sch_own");
  bad["portal_id"] = "AM-1";
  EXPECT_TRUE(has_problem(env_.call("POST", "/v1/referrals", staff_, bad), "/portal_id"));
  env_.put(store::Kind::case_, "case_x", "12AB00", case_doc("case_x", "stu_other", "sch_other"));
  r = env_.call("POST", "/v1/referrals", staff_, referral_doc("ref_1", "case_x", "stu_own", "sch_own"));
  EXPECT_EQ(r.status, 422);
  EXPECT_TRUE(has_problem(r, "/case_id")) << r.body;
  r = env_.call("POST", "/v1/referrals", staff_, "[1, 2]");
  EXPECT_EQ(r.status, 400);
}

TEST_F(ReferralEndpoints, WithoutConsentTheReferralIsBlockedAndTheIbSeesWhy) {
  auto r = env_.call("POST", "/v1/referrals", staff_, referral_doc("ref_1", "case_1", "stu_own", "sch_own"));
  ASSERT_EQ(r.status, 201) << r.body;
  const json routes = body_of(r)["routes"];
  ASSERT_EQ(routes.size(), 1U) << r.body;
  EXPECT_EQ(routes[0]["route_id"], "swv-referral");
  EXPECT_EQ(routes[0]["outcome"], "blocked");
  EXPECT_FALSE(routes[0].contains("outbox_id"));
  const std::string reason = routes[0].value("reason", "");
  EXPECT_FALSE(reason.empty());
  EXPECT_TRUE(outbox_of(env_, "stu_own").empty()) << "nothing leaves";

  r = env_.call("GET", "/v1/referrals/ref_1", staff_);
  ASSERT_EQ(r.status, 200) << r.body;
  const json got = body_of(r);
  EXPECT_EQ(got["status"], "queued");
  EXPECT_TRUE(got["blocked"].get<bool>());
  ASSERT_EQ(got["block_reasons"].size(), 1U);
  EXPECT_NE(got["block_reasons"][0].get<std::string>().find(reason), std::string::npos)
      << "the reason comes from the audit log: " << got.dump();
  ASSERT_EQ(got["decisions"].size(), 1U);
  EXPECT_EQ(got["decisions"][0]["recipient"]["organisation"], k_swv);
  EXPECT_EQ(got["decisions"][0]["purpose"], "swv_request");
  EXPECT_TRUE(got["portal_id"].is_null());
  EXPECT_EQ(env_.call("POST", "/v1/referrals", staff_, referral_doc("ref_1", "case_1", "stu_own", "sch_own")).status, 409);
}

TEST_F(ReferralEndpoints, PermittedReferralIsDeliveredAndItsSupplementFollows) {
  auto r = env_.call("POST", "/v1/consents", staff_,
                     consent_doc("c1", "stu_own", "sch_own", "g_own", {"identity", "education", "case"}));
  ASSERT_EQ(r.status, 201) << r.body;
  json doc = referral_doc("ref_1", "case_1", "stu_own", "sch_own");
  doc["consent_ids"] = {"c1"};
  r = env_.call("POST", "/v1/referrals", staff_, doc);
  ASSERT_EQ(r.status, 201) << r.body;
  ASSERT_EQ(body_of(r)["routes"][0]["outcome"], "queued") << r.body;
  EXPECT_GT(body_of(r)["routes"][0]["outbox_id"].get<long long>(), 0);
  auto done = env_.rt().delivery().run_due("swv-portal", 10);
  ASSERT_TRUE(done);
  ASSERT_EQ(done->size(), 1U);

  r = env_.call("GET", "/v1/referrals/ref_1", staff_);
  ASSERT_EQ(r.status, 200) << r.body;
  json got = body_of(r);
  EXPECT_FALSE(got["blocked"].get<bool>());
  ASSERT_EQ(got["deliveries"].size(), 1U) << got.dump();
  EXPECT_EQ(got["deliveries"][0]["state"], "delivered");
  EXPECT_TRUE(got["deliveries"][0].contains("receipt"));
  EXPECT_EQ(got["decisions"][0]["consent_ids"], json::array({"c1"}));

  // Only when the SWV asked for more does an answer go.
  EXPECT_EQ(env_.call("POST", "/v1/referrals/ref_1/supplement", staff_, {{"text", "Het OPP volgt."}}).status, 409);
  auto stored = env_.rt().store().begin(false);
  auto e = (*stored)->get(store::Kind::referral, "ref_1");
  ASSERT_TRUE(e && *e);
  store::Entity asked = **e;
  stored->reset();
  asked.doc["status"] = "information_requested";
  asked.doc["portal_id"] = "AM-000001";
  env_.put(store::Kind::referral, "ref_1", asked.tenant, asked.doc);

  r = env_.call("POST", "/v1/referrals/ref_1/supplement", staff_, {{"text", ""}});
  ASSERT_EQ(r.status, 422) << r.body;
  EXPECT_TRUE(has_problem(r, "/text")) << r.body;
  EXPECT_TRUE(has_problem(env_.call("POST", "/v1/referrals/ref_1/supplement", staff_, {{"txt", "x"}}), "/txt"));
  r = env_.call("POST", "/v1/referrals/ref_1/supplement", staff_, {{"text", "Het OPP is bijgevoegd."}});
  ASSERT_EQ(r.status, 201) << r.body;
  ASSERT_EQ(body_of(r)["routes"].size(), 1U);
  EXPECT_EQ(body_of(r)["routes"][0]["route_id"], "swv-supplement");
  EXPECT_EQ(body_of(r)["routes"][0]["outcome"], "queued") << r.body;

  got = body_of(env_.call("GET", "/v1/referrals/ref_1", staff_));
  EXPECT_EQ(got["portal_id"], "AM-000001");
  EXPECT_EQ(got["referral"]["supplements"][0]["text"], "Het OPP is bijgevoegd.");
  EXPECT_EQ(got["decisions"].size(), 2U) << got.dump();
  EXPECT_EQ(got["deliveries"].size(), 2U) << got.dump();
}

}  // namespace
}  // namespace schakel::daemon::test
