// The authorisation matrix of the daemon's case endpoints, checked by
// tests/support/authorization_matrix.hpp: every endpoint × every role × own and other school,
// each cell asserting allow (2xx) or deny (403 forbidden), plus 401 without a token.
// Tokens always belong to our school (27XK); "other" is where the data lives (12AB).
#include "authorization_matrix.hpp"
#include "daemon_env.hpp"

namespace schakel::daemon::test {
namespace {

struct Place {
  const char* brin;
  const char* tenant;
  const char* school;
  const char* student;
  const char* guardian;
};
Place place(Side s) {
  return s == Side::own ? Place{"27XK", "27XK01", "sch_own", "stu_own", "g_own"}
                        : Place{"12AB", "12AB00", "sch_other", "stu_other", "g_other"};
}

json meeting_doc(const std::string& id, const std::string& school) {
  return {{"id", id}, {"school_id", school}, {"kind", "ot"}, {"title", "OT groep 5-8"},
          {"start", "2026-10-05T14:00:00+02:00"}, {"end", "2026-10-05T16:00:00+02:00"},
          {"owner", {{"kind", "schakel"}}}, {"ical_uid", id + "@test"}, {"sequence", 0}, {"status", "planned"}};
}

// What a row's call sees: the env and the matrix's cell.
struct Cell {
  DaemonEnv& env;
  Side side;
  std::string token;
  std::string n;  // unique per cell, for ids
  Place p() const { return place(side); }
  ApiResponse call(const std::string& m, const std::string& t, const json& b = nullptr) const { return env.call(m, t, token, b); }
  std::string put_case() const {
    const std::string id = "case_" + n;
    env.put(store::Kind::case_, id, p().tenant, case_doc(id, p().student, p().school));
    return id;
  }
  std::string put_referral(const std::string& status) const {
    const std::string id = "ref_" + n;
    json doc = referral_doc(id, put_case(), p().student, p().school);
    doc["status"] = status;
    doc["version"] = 1;
    if (status != "queued") doc["portal_id"] = "AM-" + n;
    env.put(store::Kind::referral, id, p().tenant, doc);
    return id;
  }
};

struct Row {
  std::string method, pattern;
  std::set<Role> allowed;
  bool scoped;
  std::function<ApiResponse(const Cell&)> run;
};

std::vector<Row> rows() {
  const std::set<Role> staff = {Role::staff};
  const std::set<Role> po = {Role::privacy_officer};
  return {
      {"POST", "/v1/guardians", staff, true,
       [](const Cell& c) { return c.call("POST", "/v1/guardians", guardian_doc("g_" + c.n, c.p().student)); }},
      {"GET", "/v1/guardians/{id}", staff, true,
       [](const Cell& c) { return c.call("GET", std::string("/v1/guardians/") + c.p().guardian); }},
      {"POST", "/v1/cases", staff, true,
       [](const Cell& c) { return c.call("POST", "/v1/cases", case_doc("case_" + c.n, c.p().student, c.p().school)); }},
      {"GET", "/v1/cases/{id}", staff, true, [](const Cell& c) { return c.call("GET", "/v1/cases/" + c.put_case()); }},
      {"POST", "/v1/cases/{id}/stage", staff, true,
       [](const Cell& c) { return c.call("POST", "/v1/cases/" + c.put_case() + "/stage", {{"stage", "vot"}}); }},
      {"POST", "/v1/cases/{id}/agreements", staff, true,
       [](const Cell& c) {
         return c.call("POST", "/v1/cases/" + c.put_case() + "/agreements",
                       {{"what", "Plan"}, {"owner", {{"role", "ib"}, {"name", "IB"}}}, {"due", "2026-10-01"}});
       }},
      {"POST", "/v1/consents", staff, true,
       [](const Cell& c) {
         return c.call("POST", "/v1/consents", consent_doc("c_" + c.n, c.p().student, c.p().school, c.p().guardian, {"case"}));
       }},
      {"POST", "/v1/consents/{id}/withdraw", staff, true,
       [](const Cell& c) {
         // Recorded by staff of the school it belongs to, then withdrawn with the cell's token.
         const std::string id = "c_" + c.n;
         const auto made = c.env.call("POST", "/v1/consents", c.env.token(Role::staff, c.p().brin),
                                      consent_doc(id, c.p().student, c.p().school, c.p().guardian, {"case"}));
         EXPECT_EQ(made.status, 201) << made.body;
         return c.call("POST", "/v1/consents/" + id + "/withdraw", {{"by", {{"kind", "guardian"}, {"guardian_id", c.p().guardian}}}});
       }},
      {"GET", "/v1/students/{id}/consents", {Role::staff, Role::privacy_officer}, true,
       [](const Cell& c) { return c.call("GET", std::string("/v1/students/") + c.p().student + "/consents"); }},
      {"POST", "/v1/referrals", staff, true,
       [](const Cell& c) {
         return c.call("POST", "/v1/referrals", referral_doc("ref_" + c.n, c.put_case(), c.p().student, c.p().school));
       }},
      {"GET", "/v1/referrals/{id}", staff, true,
       [](const Cell& c) { return c.call("GET", "/v1/referrals/" + c.put_referral("queued")); }},
      {"POST", "/v1/referrals/{id}/supplement", staff, true,
       [](const Cell& c) {
         return c.call("POST", "/v1/referrals/" + c.put_referral("information_requested") + "/supplement",
                       {{"text", "Het OPP is bijgevoegd."}});
       }},
      {"POST", "/v1/meetings", staff, true,
       [](const Cell& c) { return c.call("POST", "/v1/meetings", meeting_doc("m_" + c.n, c.p().school)); }},
      {"GET", "/v1/meetings/{id}", staff, true,
       [](const Cell& c) {
         c.env.put(store::Kind::meeting, "m_" + c.n, c.p().tenant, meeting_doc("m_" + c.n, c.p().school));
         return c.call("GET", "/v1/meetings/m_" + c.n);
       }},
      {"PUT", "/v1/meetings/{id}", staff, true,
       [](const Cell& c) {
         json doc = meeting_doc("m_" + c.n, c.p().school);
         c.env.put(store::Kind::meeting, "m_" + c.n, c.p().tenant, doc);
         doc["location"] = "Lokaal 3";
         return c.call("PUT", "/v1/meetings/m_" + c.n, doc);
       }},
      {"GET", "/v1/audit", po, true,
       [](const Cell& c) { return c.call("GET", std::string("/v1/audit?student=") + c.p().student); }},
      {"GET", "/v1/audit/export", po, true,
       [](const Cell& c) { return c.call("GET", std::string("/v1/audit/export?format=csv&student=") + c.p().student); }},
      {"POST", "/v1/audit/verify", po, false, [](const Cell& c) { return c.call("POST", "/v1/audit/verify"); }},
      {"GET", "/v1/students/{id}/access-report", po, true,
       [](const Cell& c) { return c.call("GET", std::string("/v1/students/") + c.p().student + "/access-report"); }},
  };
}

std::vector<MatrixRow> matrix(DaemonEnv& env) {
  std::vector<MatrixRow> out;
  for (auto& row : rows()) {
    out.push_back({row.method, row.pattern, row.allowed, row.scoped, [&env, run = row.run](const MatrixCell& c) {
                     return run(Cell{env, c.side, c.token, std::to_string(c.n)});
                   }});
  }
  return out;
}

TEST(CaseAuthorizationMatrix, EveryEndpointRoleAndSchool) {
  DaemonEnv env{DaemonEnv::referral_routes()};
  const auto matrix_rows = matrix(env);
  // Every row is served, with its roles (the core's and the operations' routes have their own).
  std::set<std::pair<std::string, std::string>> in_table;
  for (const auto& r : matrix_rows) in_table.insert({r.method, r.pattern});
  check_matrix_covers_routes(env.service().routes(), matrix_rows,
                             [&](const api::Route& r) { return in_table.count({r.method, r.pattern}) > 0; });
  check_authorization_matrix(matrix_rows, [&](Role role, Side) { return env.token(role); });
}

}  // namespace
}  // namespace schakel::daemon::test
