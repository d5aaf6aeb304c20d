// End to end (issue 7): the real schakeld with the sis-oneroster and referral-portal plugins, the
// SWV portal simulator over TLS, and a route referral.queued -> swv-portal for purpose
// swv_request. The IB works through the admin API; the SWV's staff through the simulator's
// control port. No sleeps: waits are on the daemon's log, the simulator's answers and API state.
// A scenario whose API endpoints are not served by this build is skipped, naming what it needs.
#include <fstream>
#include <iterator>
#include <set>

#include "referral_e2e_steps.hpp"


// Works on main alone: the route is accepted against the plugin's manifest, the LAS is imported,
// the portal connector polls the portal's changes on its schedule, and the audit chain verifies.
TEST(ReferralE2e, LoadsTheRouteImportsTheLasAndPollsThePortal) {
  ReferralHub hub(students(), guardians());
  const std::string failed = hub.start();
  ASSERT_TRUE(failed.empty()) << failed;
  ASSERT_TRUE(hub.run_connector("swv-portal"));  // now, not at the schedule's next minute
  ASSERT_TRUE(hub.wait_until([&] {
    for (const auto& r : hub.portal().api_requests())
      if (r["path"].get<std::string>().rfind("/api/v1/aanmeldingen/wijzigingen", 0) == 0 && r["status"] == 200) return true;
    return false;
  })) << hub.daemon().all_output();
  EXPECT_EQ(hub.stop(), 0) << hub.daemon().all_output();
  const auto verify = hub.audit_verify();
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
  EXPECT_EQ(hub.daemon().all_output().find(k_e2e_portal_secret), std::string::npos) << "the secret is in the log";
}

// A route to a connector that is not configured is a config error with the route's place.
TEST(ReferralE2e, RefusesARouteToAnUnknownConnector) {
  ReferralHub hub(students(), guardians(), HubOptions{});
  std::string text;
  {
    std::ifstream in(hub.config_file());
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  text.replace(text.find("connector: swv-portal"), 21, "connector: swv-portl");
  std::ofstream(hub.config_file(), std::ios::trunc) << text;
  const auto r = run_program({std::string(SCHAKEL_BINARY_DIR) + "/bin/schakeld", "--config", hub.config_file().string()});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("routes[0].connector: unknown connector 'swv-portl'"), std::string::npos) << r.output;
}

// Happy path, with and without health and family in the parents' consent.
class HappyPath : public ::testing::TestWithParam<bool> {};

TEST_P(HappyPath, ExactlyThePermittedFieldsArriveAndTheDecisionComesBack) {
  const bool health_and_family = GetParam();
  ReferralHub hub(students(), guardians());
  HUB_OR_FAIL(hub);
  API_OR_FAIL(c, hub, "staff", "POST", "/v1/cases", case_doc("case-daan", "student-daan"));
  ASSERT_EQ(c.status, 201) << c.body;
  auto categories = k_base_categories;
  if (health_and_family) categories.insert(categories.end(), {"health", "family"});
  const json consent = consent_doc("con-daan", "student-daan",
                                   {grantor_guardian("guardian-p-daan-1"), grantor_guardian("guardian-p-daan-2")},
                                   categories);
  API_OR_FAIL(k, hub, "staff", "POST", "/v1/consents", consent);
  ASSERT_EQ(k.status, 201) << k.body;
  API_OR_FAIL(q, hub, "staff", "POST", "/v1/referrals", referral_doc("ref-daan-1", "student-daan", "case-daan"));
  ASSERT_EQ(q.status / 100, 2) << q.body;
  EXPECT_NE(q.body.find("queued"), std::string::npos) << q.body;

  // Delivered: the plugin logs the portal's receipt.
  EXPECT_DELIVERED(hub, "ref-daan-1");
  json a = aanmelding_for(hub, "ref-daan-1");
  ASSERT_TRUE(a.is_object()) << hub.portal_aanmeldingen().dump();
  const auto fields = expected_aanmelding_fields(health_and_family);
  EXPECT_EQ(keys_of(a["aanmelding"]), std::set<std::string>(fields.begin(), fields.end())) << a.dump(2);
  EXPECT_FALSE(a["aanmelding"]["leerling"].contains("bsn")) << a.dump(2);
  EXPECT_EQ(a["aanmelding"]["leerling"]["voorvoegsel"], "van der");
  EXPECT_EQ(a["aanmelding"]["toestemming"]["referentie"], "con-daan");
  const std::string portal_id = a["status"]["id"];

  // The SWV decides a day later (the portal's clock: its gewijzigd_op has whole seconds, and the
  // import keeps only a change later than the last); the status poll brings the decision back.
  hub.portal().post("/clock/advance", {{"seconds", 86400}});
  hub.portal().post("/aanmeldingen/" + portal_id + "/besluit",
                    {{"status", "toegekend"},
                     {"besluit", {{"datum", date_text(today())},
                                  {"arrangement", {{"soort", "ondersteuning in de klas"},
                                                   {"ingangsdatum", date_text(today() + days{7})},
                                                   {"einddatum", date_text(today() + days{150})}}},
                                  {"toelichting", "Toegekend voor 20 weken."}}}});
  (void)hub.run_connector("swv-portal");
  ASSERT_TRUE(hub.wait_until([&] { return referral_of(hub, "ref-daan-1").value("status", "") == "granted"; }))
      << referral_of(hub, "ref-daan-1").dump() << hub.daemon().all_output();
  json ref = referral_of(hub, "ref-daan-1");
  EXPECT_EQ(ref.value("portal_id", ""), portal_id);
  EXPECT_EQ(ref["decision"]["arrangement"]["kind"], "ondersteuning in de klas") << ref.dump(2);

  // The disclosure in the audit log: the recipient named, the purpose, the consent id; then its delivery.
  const auto disclosures = hub.audit_export("disclose");
  ASSERT_EQ(disclosures.size(), 1u);
  const std::string line = disclosures[0].dump();
  EXPECT_EQ(disclosures[0].value("outcome", ""), health_and_family ? "permitted" : "redacted") << line;
  EXPECT_NE(line.find(k_swv_org), std::string::npos) << line;
  EXPECT_NE(line.find(k_swv_name), std::string::npos) << line;
  EXPECT_EQ(disclosures[0].value("purpose", ""), "swv_request") << line;
  EXPECT_NE(line.find("con-daan"), std::string::npos) << line;
  EXPECT_TRUE(hub.wait_until([&] { return audited_deliveries(hub) >= 1; }));
  EXPECT_EQ(audited_deliveries(hub), 1);
  API_OR_FAIL(audit, hub, "privacy_officer", "GET", "/v1/audit?student=student-daan&action=disclose", nullptr);
  EXPECT_EQ(audit.status, 200) << audit.body;
  EXPECT_NE(audit.body.find("con-daan"), std::string::npos) << audit.body;
  EXPECT_EQ(hub.stop(), 0);
  const auto verify = hub.audit_verify();
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
}

INSTANTIATE_TEST_SUITE_P(Consent, HappyPath, ::testing::Values(false, true),
                         [](const auto& p) { return p.param ? "WithHealthAndFamily" : "BaseCategories"; });

// 30% transient faults and a token revocation mid-run: every referral arrives exactly once.
TEST(ReferralE2e, UnderFaultsEveryReferralArrivesExactlyOnce) {
  constexpr int k_referrals = 12;
  ReferralHub hub(students(), guardians());
  HUB_OR_FAIL(hub);
  API_OR_FAIL(c, hub, "staff", "POST", "/v1/cases", case_doc("case-daan", "student-daan"));
  ASSERT_EQ(c.status, 201) << c.body;
  API_OR_FAIL(k, hub, "staff", "POST", "/v1/consents",
              consent_doc("con-daan", "student-daan", {grantor_guardian("guardian-p-daan-1")}, k_base_categories));
  ASSERT_EQ(k.status, 201) << k.body;
  hub.portal().control("PUT", "/faults", {{"seed", 7}, {"rate_429", 0.1}, {"rate_503", 0.1}, {"rate_500", 0.04},
                                          {"rate_drop", 0.03}, {"rate_drop_after", 0.03}, {"retry_after", 0}});
  for (int i = 0; i < k_referrals; ++i) {
    const auto q = hub.api("staff", "POST", "/v1/referrals", referral_doc("ref-" + std::to_string(i), "student-daan", "case-daan"));
    ASSERT_EQ(q.status / 100, 2) << q.body;
    if (i == k_referrals / 2) {
      std::string dead_early;
      ASSERT_TRUE(hub.wait_until([&] {
        if (hub.portal().get("/counters")["aanmeldingen_created"].get<int>() >= 2) return true;
        dead_early = dead_letters(hub);
        return !dead_early.empty();
      }));
      ASSERT_TRUE(dead_early.empty()) << "dead letters:\n" << dead_early;
      EXPECT_GE(hub.portal().post("/tokens/revoke")["revoked"].get<int>(), 1);
    }
  }
  // Each delivery ends with the plugin's receipt line (201, or 200 for a replayed key), then its
  // audited delivered mark.
  std::string dead;
  ASSERT_TRUE(hub.wait_until([&] {
    if (delivered_referrals(hub).size() == static_cast<std::size_t>(k_referrals) &&
        audited_deliveries(hub) >= k_referrals)
      return true;
    dead = dead_letters(hub);
    return !dead.empty();
  }, std::chrono::seconds(120))) << hub.portal().get("/counters").dump() << hub.daemon().all_output();
  ASSERT_TRUE(dead.empty()) << "dead letters under transient faults:\n" << dead;
  const json counters = hub.portal().get("/counters");
  EXPECT_EQ(counters["aanmeldingen_created"], k_referrals) << counters.dump();
  EXPECT_GT(counters["faults_injected"].size(), 0u) << counters.dump();
  EXPECT_GE(counters["tokens_issued"].get<int>(), 2) << counters.dump();
  std::multiset<std::string> refs;
  const json all = hub.portal_aanmeldingen();  // named: a temporary would die before the loop
  for (const auto& a : all["aanmeldingen"]) refs.insert(a["aanmelding"].value("referentie", ""));
  for (int i = 0; i < k_referrals; ++i) EXPECT_EQ(refs.count("ref-" + std::to_string(i)), 1u) << i;
  EXPECT_EQ(audited_deliveries(hub), k_referrals) << "one delivered entry per referral, no more";
  EXPECT_EQ(hub.stop(), 0);
  EXPECT_EQ(hub.audit_verify().exit_code, 0);
}
