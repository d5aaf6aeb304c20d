// End to end (issue 7), the consent scenarios: no consent, a birthday while in backoff, and a
// withdrawal after submission. See referral_e2e_test.cpp for the rig.
#include "referral_e2e_steps.hpp"

// No consent: nothing reaches the portal, the block is audited with its reason, and the IB sees why.
TEST(ReferralE2eConsent, WithoutConsentNothingLeavesAndTheIbSeesWhy) {
  ReferralHub hub(students(), guardians());
  HUB_OR_FAIL(hub);
  API_OR_FAIL(c, hub, "staff", "POST", "/v1/cases", case_doc("case-noor", "student-noor"));
  ASSERT_EQ(c.status, 201) << c.body;
  API_OR_FAIL(q, hub, "staff", "POST", "/v1/referrals", referral_doc("ref-noor-1", "student-noor", "case-noor"));
  ASSERT_EQ(q.status / 100, 2) << q.body;
  EXPECT_NE(q.body.find("blocked"), std::string::npos) << q.body;
  EXPECT_NE(q.body.find("no consent"), std::string::npos) << q.body;

  // The audit entry is written in the same transaction as the route's decision: it is there now.
  bool blocked = false;
  for (const auto& e : hub.audit_export("disclose")) {
    if (e.value("outcome", "") != "blocked") continue;
    blocked = true;
    EXPECT_NE(e.dump().find("no consent for category"), std::string::npos) << e.dump();
    EXPECT_EQ(e.value("purpose", ""), "swv_request");
  }
  EXPECT_TRUE(blocked);
  json ref = referral_of(hub, "ref-noor-1");
  EXPECT_NE(ref.dump().find("no consent"), std::string::npos) << "the IB cannot see why: " << ref.dump(2);
  EXPECT_EQ(portal_requests(hub, "POST", "/api/v1/aanmeldingen"), 0);
  EXPECT_EQ(hub.portal().get("/counters")["aanmeldingen_created"], 0);
  EXPECT_EQ(hub.stop(), 0);
  EXPECT_EQ(hub.audit_verify().exit_code, 0);
}

// Sem is 15: the parents' consent and Sem's own (given until the 16th birthday, when Sem decides
// alone) permit. The portal answers 503 with a Retry-After of a day; while the referral waits,
// the test moves the daemon's clock to the birthday. At the next attempt the consent is decided
// again, the parents' consent no longer suffices, and the referral is dropped with that reason.
TEST(ReferralE2eConsent, TurningSixteenInBackoffDropsTheReferral) {
  HubOptions o;
  o.delivery["max_age_ms"] = 30LL * 24 * 3600 * 1000;  // the clock jumps ten days: not too old
  o.schedule = "0 3 1 1 *";                            // no status poll to use up the fault script
  ReferralHub hub(students(), guardians(), o);
  HUB_OR_FAIL(hub);
  const std::string last_day_at_15 = date_text(sem_birthday() - days{1});
  CASE_AND_CONSENT_OR_FAIL(hub, "sem", consent_doc("con-sem-parents", "student-sem", {grantor_guardian("guardian-p-sem-1")}, k_base_categories));
  const auto own = hub.api("staff", "POST", "/v1/consents",
                           consent_doc("con-sem-own", "student-sem", {grantor_student()}, k_base_categories, last_day_at_15));
  ASSERT_EQ(own.status, 201) << own.body;
  hub.portal().control("PUT", "/faults", {{"script", json::array({{{"status", 503}, {"retry_after", 86400}}})}});

  const auto q = hub.api("staff", "POST", "/v1/referrals", referral_doc("ref-sem-1", "student-sem", "case-sem"));
  ASSERT_EQ(q.status / 100, 2) << q.body;
  EXPECT_NE(q.body.find("queued"), std::string::npos) << q.body;
  std::string dead;
  ASSERT_TRUE(hub.wait_until([&] {
    if (portal_requests(hub, "POST", "/api/v1/aanmeldingen") == 1) return true;
    dead = dead_letters(hub);
    return !dead.empty();
  })) << hub.daemon().all_output();
  ASSERT_TRUE(dead.empty()) << "dead letters instead of an attempt at the portal:\n" << dead;

  ASSERT_TRUE(hub.set_clock(date_text(sem_birthday()) + "T10:00:00Z")) << hub.daemon().all_output();
  json dropped;
  ASSERT_TRUE(hub.wait_until([&] {
    for (const auto& e : hub.audit_export("deliver"))
      if (e.value("outcome", "") == "dropped") dropped = e;
    return dropped.is_object();
  }, std::chrono::seconds(60))) << hub.daemon().all_output();
  EXPECT_NE(dropped.dump().find("student is 16: the student's own consent is needed"), std::string::npos)
      << dropped.dump();
  EXPECT_EQ(portal_requests(hub, "POST", "/api/v1/aanmeldingen"), 1) << "sent again after the birthday";
  EXPECT_EQ(hub.portal().get("/counters")["aanmeldingen_created"], 0);
  EXPECT_EQ(hub.stop(), 0);
  EXPECT_EQ(hub.audit_verify().exit_code, 0);
}

// Consent withdrawn after submission: the portal receives the intrekking with its own id, and
// the audit log shows the withdrawal and the revocation.
TEST(ReferralE2eConsent, WithdrawalAfterSubmissionReachesThePortal) {
  ReferralHub hub(students(), guardians());
  HUB_OR_FAIL(hub);
  CASE_AND_CONSENT_OR_FAIL(hub, "daan", consent_doc("con-daan", "student-daan",
                                                    {grantor_guardian("guardian-p-daan-1"), grantor_guardian("guardian-p-daan-2")},
                                                    k_base_categories));
  API_OR_FAIL(q, hub, "staff", "POST", "/v1/referrals", referral_doc("ref-daan-1", "student-daan", "case-daan"));
  ASSERT_EQ(q.status / 100, 2) << q.body;
  EXPECT_DELIVERED(hub, "ref-daan-1");
  const std::string portal_id = aanmelding_for(hub, "ref-daan-1")["status"]["id"];

  API_OR_FAIL(w, hub, "staff", "POST", "/v1/consents/con-daan/withdraw",
              json({{"by", grantor_guardian("guardian-p-daan-2")}, {"reason", "ouders trekken toestemming in"}}));
  ASSERT_EQ(w.status / 100, 2) << w.body;
  ASSERT_TRUE(hub.wait_until([&] { return aanmelding_for(hub, "ref-daan-1")["status"]["status"] == "ingetrokken"; }))
      << hub.daemon().all_output();
  json a = aanmelding_for(hub, "ref-daan-1");
  EXPECT_EQ(a["intrekking"]["reden"], "toestemming_ingetrokken") << a.dump(2);
  int intrekkingen = 0;
  for (const auto& r : hub.portal().api_requests()) {
    if (r["path"] != "/api/v1/aanmeldingen/" + portal_id + "/intrekking") continue;
    ++intrekkingen;
    EXPECT_EQ(r["json"]["reden"], "toestemming_ingetrokken");
  }
  EXPECT_GE(intrekkingen, 1);
  EXPECT_EQ(hub.portal().get("/counters")["intrekkingen"], 1);

  EXPECT_EQ(hub.audit_export("consent.withdraw").size(), 1u);
  // The revocation is queued (audited with its reason) and delivered.
  bool queued = false, delivered = false;
  for (const auto& e : hub.audit_export("revoke")) {
    queued = queued || e.dump().find("revocation of outbox item") != std::string::npos;
    delivered = delivered || e.value("outcome", "") == "delivered";
  }
  EXPECT_TRUE(queued) << "no queued revocation in the audit log";
  EXPECT_TRUE(delivered) << "no delivered revocation in the audit log";
  EXPECT_EQ(hub.stop(), 0);
  EXPECT_EQ(hub.audit_verify().exit_code, 0);
}
