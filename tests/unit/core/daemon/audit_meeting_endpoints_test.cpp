// The privacy officer's audit endpoints (search returning the API's reads, the search itself
// logged, export, verify, art. 15 report) and the meeting endpoints.
#include "daemon_env.hpp"

namespace schakel::daemon::test {
namespace {

bool has_problem(const ApiResponse& r, const std::string& pointer) {
  for (const auto& p : body_of(r).value("problems", json::array()))
    if (p.value("pointer", "") == pointer) return true;
  return false;
}

std::string header(const ApiResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return {};
}

TEST(AuditEndpoints, SearchFindsTheReadsAndIsItselfLogged) {
  DaemonEnv env{DaemonEnv::referral_routes()};
  std::string staff_id;
  const std::string staff = env.token(Role::staff, k_own_brin, &staff_id);
  const std::string po = env.token(Role::privacy_officer);
  ASSERT_EQ(env.call("POST", "/v1/cases", staff, case_doc("case_1", "stu_own", "sch_own")).status, 201);
  ASSERT_EQ(env.call("GET", "/v1/cases/case_1", staff).status, 200);
  ASSERT_EQ(env.call("GET", "/v1/students/stu_own/consents", staff).status, 200);
  ASSERT_EQ(env.call("GET", "/v1/cases/case_1", po).status, 403);

  auto r = env.call("GET", "/v1/audit?student=stu_own&action=read", po);
  ASSERT_EQ(r.status, 200) << r.body;
  const json entries = body_of(r)["entries"];
  ASSERT_EQ(entries.size(), 2U) << r.body;
  for (const auto& e : entries) {
    EXPECT_EQ(e["actor"], staff_id);
    EXPECT_EQ(e["outcome"], "permitted");
    EXPECT_EQ(e["tenant"], "27XK01");
    EXPECT_NE(e["subject"], "stu_own") << "the subject is a pseudonym";
  }
  EXPECT_NE(entries[0]["reason"].get<std::string>().find("case case_1"), std::string::npos);
  EXPECT_EQ(r.body.find("stu_own"), std::string::npos) << "no student id in the entries";

  // The search is on record, naming the privacy officer.
  r = env.call("GET", "/v1/audit?tenant=27XK01&action=audit.read", po);
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_GE(body_of(r)["entries"].size(), 1U);
  EXPECT_EQ(body_of(r)["entries"][0]["actor_role"], "privacy_officer");

  // Paging.
  r = env.call("GET", "/v1/audit?student=stu_own&limit=1", po);
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(body_of(r)["more"].get<bool>());
  const auto after = body_of(r)["next_after"].get<long long>();
  r = env.call("GET", "/v1/audit?student=stu_own&limit=1&after=" + std::to_string(after), po);
  EXPECT_GT(body_of(r)["entries"][0]["seq"].get<long long>(), after);

  EXPECT_EQ(env.call("GET", "/v1/audit?student=stu_other", po).status, 403);
  r = env.call("GET", "/v1/audit", po);
  EXPECT_EQ(r.status, 422);
  EXPECT_TRUE(has_problem(r, "/query/tenant"));
  EXPECT_TRUE(has_problem(env.call("GET", "/v1/audit?student=stu_own&from=yesterday", po), "/query/from"));
  EXPECT_TRUE(has_problem(env.call("GET", "/v1/audit?student=stu_own&limit=0", po), "/query/limit"));
  EXPECT_TRUE(has_problem(env.call("GET", "/v1/audit?student=stu_own&colour=red", po), "/query/colour"));
}

TEST(AuditEndpoints, ExportVerifyAndAccessReport) {
  DaemonEnv env{DaemonEnv::referral_routes()};
  const std::string staff = env.token(Role::staff);
  const std::string po = env.token(Role::privacy_officer);
  ASSERT_EQ(env.call("POST", "/v1/consents", staff,
                     consent_doc("c1", "stu_own", "sch_own", "g_own", {"identity", "education", "case"})).status, 201);
  ASSERT_EQ(env.call("POST", "/v1/cases", staff, case_doc("case_1", "stu_own", "sch_own")).status, 201);
  ASSERT_EQ(env.call("POST", "/v1/referrals", staff, referral_doc("ref_1", "case_1", "stu_own", "sch_own")).status, 201);
  ASSERT_TRUE(env.rt().delivery().run_due("swv-portal", 10));

  auto r = env.call("GET", "/v1/audit/export?format=csv&student=stu_own", po);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type.rfind("text/csv", 0), 0U);
  EXPECT_EQ(r.body.rfind("seq,time,tenant,action,outcome", 0), 0U);
  EXPECT_NE(r.body.find("consent.record"), std::string::npos);
  r = env.call("GET", "/v1/audit/export?student=stu_own&action=disclose", po);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "application/x-ndjson");
  int lines = 0;
  for (char ch : r.body) lines += ch == '\n';
  EXPECT_GE(lines, 1) << r.body;  // the gate's decision at least
  EXPECT_NE(r.body.find("\"outcome\":\"permitted\""), std::string::npos) << r.body;
  EXPECT_TRUE(has_problem(env.call("GET", "/v1/audit/export?format=xml&student=stu_own", po), "/query/format"));

  r = env.call("GET", "/v1/students/stu_own/access-report", po);
  ASSERT_EQ(r.status, 200) << r.body;
  const json report = body_of(r);
  ASSERT_GE(report["disclosures"].size(), 1U) << r.body;
  EXPECT_EQ(report["disclosures"][0]["recipient"]["name"], "Loket");
  EXPECT_EQ(report["disclosures"][0]["purpose"], "swv_request");
  EXPECT_EQ(report["disclosures"][0]["consent_ids"], json::array({"c1"}));
  r = env.call("GET", "/v1/students/stu_own/access-report?format=text", po);
  EXPECT_EQ(r.content_type.rfind("text/plain", 0), 0U);
  EXPECT_NE(r.body.find("AVG art. 15"), std::string::npos);

  r = env.call("POST", "/v1/audit/verify", po);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(body_of(r)["ok"].get<bool>()) << r.body;
  EXPECT_GT(body_of(r)["entries"].get<long long>(), 5);
  // The exports and the verification are themselves in the log.
  r = env.call("GET", "/v1/audit?tenant=27XK01&action=export", po);
  EXPECT_EQ(body_of(r)["entries"].size(), 4U) << r.body;  // csv, jsonl, two reports
}

json meeting(const std::string& id) {
  return {{"id", id}, {"school_id", "sch_own"}, {"kind", "ot"}, {"title", "OT groep 5-8"},
          {"start", "2026-10-05T14:00:00+02:00"}, {"end", "2026-10-05T16:00:00+02:00"},
          {"standing_members", {{{"role", "youth_nurse"}, {"name", "Jeugdverpleegkundige"}}}},
          {"agenda", {{{"start", "2026-10-05T14:00:00+02:00"}, {"end", "2026-10-05T14:30:00+02:00"},
                       {"case_id", "case_1"}, {"student_id", "stu_own"}}}}};
}

TEST(MeetingEndpoints, PlanReadChangeCancel) {
  DaemonEnv env{DaemonEnv::referral_routes()};
  std::string staff_id;
  const std::string staff = env.token(Role::staff, k_own_brin, &staff_id);
  ASSERT_EQ(env.call("POST", "/v1/cases", staff, case_doc("case_1", "stu_own", "sch_own")).status, 201);

  json bad = meeting("m1");
  bad["agenda"][0]["student_id"] = "stu_other";
  auto r = env.call("POST", "/v1/meetings", staff, bad);
  EXPECT_EQ(r.status, 422);
  EXPECT_TRUE(has_problem(r, "/agenda/0/student_id")) << r.body;
  bad = meeting("m1");
  bad["start"] = "2026-10-05 14:00";
  EXPECT_TRUE(has_problem(env.call("POST", "/v1/meetings", staff, bad), "/start"));

  r = env.call("POST", "/v1/meetings", staff, meeting("m1"));
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(header(r, "Location"), "/v1/meetings/m1");
  EXPECT_EQ(body_of(r)["sequence"], 0);
  ASSERT_EQ(body_of(r)["routes"].size(), 1U) << r.body;
  EXPECT_EQ(body_of(r)["routes"][0]["route_id"], "ot-calendar");
  const std::string uid = body_of(r)["ical_uid"];

  r = env.call("GET", "/v1/meetings/m1", staff);
  ASSERT_EQ(r.status, 200);
  json doc = body_of(r);
  EXPECT_EQ(doc["ical_uid"], uid);
  {
    auto tx = env.rt().store().begin(false);
    store::AuditQuery q;
    q.action = "read";
    auto rows = (*tx)->find_audit(q);
    ASSERT_TRUE(rows);
    ASSERT_EQ(rows->size(), 1U) << "the read of the agenda's student is logged";
    EXPECT_EQ((*rows)[0].actor, staff_id);
  }

  doc["location"] = "Lokaal 3";
  doc["ical_uid"] = "other@x";
  EXPECT_TRUE(has_problem(env.call("PUT", "/v1/meetings/m1", staff, doc), "/ical_uid"));
  doc["ical_uid"] = uid;
  r = env.call("PUT", "/v1/meetings/m1", staff, doc);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body_of(r)["event"], "meeting.changed");
  EXPECT_EQ(body_of(r)["sequence"], 1);
  r = env.call("PUT", "/v1/meetings/m1", staff, doc);
  EXPECT_FALSE(body_of(r)["changed"].get<bool>()) << "the same meeting again changes nothing";

  doc["status"] = "cancelled";
  r = env.call("PUT", "/v1/meetings/m1", staff, doc);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body_of(r)["event"], "meeting.cancelled");
  EXPECT_EQ(body_of(r)["sequence"], 2);
  EXPECT_EQ(env.call("PUT", "/v1/meetings/m1", staff, doc).status, 409);
  EXPECT_EQ(env.call("GET", "/v1/meetings/m1", staff).status, 200);
  EXPECT_EQ(env.call("GET", "/v1/meetings/nope", staff).status, 404);
}

}  // namespace
}  // namespace schakel::daemon::test
