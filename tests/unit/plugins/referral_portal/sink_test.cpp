// The referral-portal plugin as a sink: mapping, idempotent retries, and the contract's answers.
#include "portal_fixture.hpp"

namespace schakel::test {
namespace {

class PortalSink : public PortalTest {};

// The contract's Aanmelding for full_projection(), in the plugin's fixed field order.
ojson expected_aanmelding() {
  return ojson::parse(R"({
    "school": {"brin": "12AB", "vestiging": "00", "naam": "De Regenboog"},
    "leerling": {"schoolsleutel": "LAS-1234", "bsn": "123456782", "voornamen": "Daan Pieter", "roepnaam": "Daan",
      "voorvoegsel": "van der", "achternaam": "Berg", "geboortedatum": "2016-05-14", "geslacht": "M",
      "groep": "5B", "jaargroep": 5},
    "referentie": "ref-2026-0042",
    "soort": "arrangement",
    "hulpvraag": "Hoe helpen we Daan bij rekenen en concentratie?",
    "onderwijsbehoeften": ["instructie in kleine stappen", "visuele ondersteuning"],
    "belemmerende_factoren": ["korte concentratie"],
    "bevorderende_factoren": ["sterk in rekenen"],
    "gevraagde_ondersteuning": "Ondersteuning in de klas, 4 uur per week",
    "zienswijze_ouders": "Ouders steunen de aanvraag.",
    "zienswijze_leerling": "Ik wil rustiger kunnen werken.",
    "thuissituatie": "Co-ouderschap, week op week af.",
    "gezondheid": "ADHD vastgesteld in 2025.",
    "contactpersoon": {"rol": "ib", "naam": "M. de Vries", "email": "ib@regenboog.example"},
    "toestemming": {"gegeven_door": ["ouder1", "ouder2"], "datum": "2026-02-20", "doelen": ["swv_request"], "referentie": "con-9"},
    "bijlagen": [{"soort": "groeidocument", "naam": "groeidocument.pdf",
      "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}]
  })");
}

TEST_F(PortalSink, MapsTheProjectionOntoTheAanmeldingFieldByField) {
  ASSERT_TRUE(add());
  const CallResult r = deliver(full_projection().dump(), "route-swv/ref-2026-0042/v3");
  ASSERT_EQ(r.code, CallCode::ok) << r.message;
  EXPECT_EQ(r.receipt_json, R"({"portal_id":"AM-000001","status":"ontvangen"})");

  const auto reqs = sim_->api_requests();
  ASSERT_EQ(reqs.size(), 1U);
  EXPECT_EQ(reqs[0]["path"], "/api/v1/aanmeldingen");
  EXPECT_EQ(reqs[0]["status"], 201);
  EXPECT_EQ(reqs[0]["headers"]["idempotency-key"], "route-swv/ref-2026-0042/v3");
  EXPECT_EQ(reqs[0]["headers"]["content-type"], "application/json");
  const ojson want = expected_aanmelding();
  const json got = reqs[0]["json"];
  for (const auto& [key, value] : want.items()) EXPECT_EQ(got.value(key, json()), json::parse(value.dump())) << key;
  EXPECT_EQ(got.size(), want.size());
  EXPECT_EQ(body_of(reqs[0]), want.dump());  // exact bytes, fixed order
  EXPECT_EQ(sim_->get("/aanmeldingen/AM-000001")["aanmelding"], got);
}

TEST_F(PortalSink, RedactedFieldsAreAbsentNeverEmpty) {
  json d = full_projection();
  for (const char* k : {"health", "family", "parent_view", "child_view", "attachments"}) d["referral"].erase(k);
  d["referral"]["education_needs"] = json::array();
  d["referral"]["requested_support"] = "";
  d["student"].erase("bsn");
  d["student"].erase("gender");
  d["student"]["naam"].erase("roepnaam");
  d.erase("contact_person");
  d["consent"]["granted_by"] = json::array({{{"kind", "guardian"}, {"relation", "guardian"}}, "leerling"});
  d["referral"]["type"] = "consultation";
  ASSERT_TRUE(add());
  const CallResult r = deliver(d.dump(), "k-redacted");
  ASSERT_EQ(r.code, CallCode::ok) << r.message;
  const json got = sim_->api_requests().at(0)["json"];
  for (const char* k : {"thuissituatie", "gezondheid", "zienswijze_ouders", "zienswijze_leerling", "bijlagen",
                        "onderwijsbehoeften", "gevraagde_ondersteuning", "contactpersoon"})
    EXPECT_FALSE(got.contains(k)) << k;
  for (const char* k : {"bsn", "geslacht", "roepnaam"}) EXPECT_FALSE(got["leerling"].contains(k)) << k;
  EXPECT_EQ(got["soort"], "consultatie");
  EXPECT_EQ(got["toestemming"]["gegeven_door"], json::array({"voogd", "leerling"}));
  EXPECT_EQ(got["belemmerende_factoren"], json::array({"korte concentratie"}));
}

TEST_F(PortalSink, IncompleteDocumentIsRejectedWithoutSendingAndNamesTheFields) {
  json d = full_projection();
  d["student"].erase("birth_date");
  d["student"]["naam"].erase("achternaam");
  d["student"]["jaargroep"] = "5";
  ASSERT_TRUE(add());
  const CallResult r = deliver(d.dump(), "k1");
  EXPECT_EQ(r.code, CallCode::reject);
  EXPECT_NE(r.message.find("/student/birth_date: missing"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("/student/naam/achternaam: missing"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("/student/jaargroep: must be an integer"), std::string::npos) << r.message;
  EXPECT_EQ(host_->deliver("portal", R"({"kind": "brief"})", "k2").get().code, CallCode::reject);
  EXPECT_TRUE(sim_->api_requests().empty());
}

// Delivers until ok (at most `attempts` times); the codes of the attempts.
template <typename Call>
std::vector<CallCode> until_ok(Call call, int attempts, CallResult& last) {
  std::vector<CallCode> codes;
  for (int i = 0; i < attempts; ++i) {
    last = call();
    codes.push_back(last.code);
    if (last.code == CallCode::ok) break;
  }
  return codes;
}

TEST_F(PortalSink, LostAnswerIsRetriedWithIdenticalBytesAndTheReplayIsDelivered) {
  ASSERT_TRUE(add());
  // Processed, then the connection closes unanswered, twice: the HTTP adapter may repeat once on
  // a fresh connection by itself, so two drops make sure the host sees a retry.
  sim_->control("PUT", "/faults", {{"script", {{{"drop", "after"}}, {{"drop", "after"}}}}});
  const std::string doc = full_projection().dump();
  CallResult last;
  const auto codes = until_ok([&] { return deliver(doc, "route-swv/ref-2026-0042/v3"); }, 3, last);
  ASSERT_EQ(last.code, CallCode::ok) << last.message;
  EXPECT_EQ(codes.front(), CallCode::retry);
  EXPECT_EQ(last.receipt_json, R"({"portal_id":"AM-000001","status":"ontvangen"})");

  const auto reqs = sim_->api_requests();
  ASSERT_EQ(reqs.size(), 3U);
  for (const auto& r : reqs) {
    EXPECT_EQ(r["body_base64"], reqs[0]["body_base64"]);
    EXPECT_EQ(r["headers"]["idempotency-key"], "route-swv/ref-2026-0042/v3");
  }
  EXPECT_TRUE(reqs[0]["status"].is_null());  // processed, answer dropped
  EXPECT_EQ(reqs[2]["status"], 200);         // the portal's replay of the original answer
  const json counters = sim_->get("/counters");
  EXPECT_EQ(counters["aanmeldingen_created"], 1);
  EXPECT_EQ(counters["idempotent_replays"], 2);
}

TEST_F(PortalSink, InvalidAanmeldingIsRejectedWithThePortalsFouten) {
  json d = full_projection();
  d["school"]["brin"] = "12ab";
  d["student"]["birth_date"] = "14-05-2016";
  ASSERT_TRUE(add());
  const CallResult r = deliver(d.dump(), "k-invalid");
  EXPECT_EQ(r.code, CallCode::reject);
  EXPECT_NE(r.message.find("422 validatie"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("/school/brin: "), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("/leerling/geboortedatum: "), std::string::npos) << r.message;
}

TEST_F(PortalSink, SameKeyWithADifferentBodyIsRejectedWithThePortalsCode) {
  ASSERT_TRUE(add());
  ASSERT_EQ(deliver(projection_for("ref-1"), "same-key").code, CallCode::ok);
  const CallResult r = deliver(projection_for("ref-2"), "same-key");
  EXPECT_EQ(r.code, CallCode::reject);
  EXPECT_NE(r.message.find("409 sleutel_hergebruikt"), std::string::npos) << r.message;
}

TEST_F(PortalSink, RateLimitAndOutagesAreRetriedAfterTheirRetryAfter) {
  ASSERT_TRUE(add());
  sim_->control("PUT", "/faults", {{"script", {{{"status", 429}, {"retry_after", 3}},
                                                {{"status", 503}, {"retry_after", 7}},
                                                {{"status", 500}}}}});
  const std::string doc = projection_for("ref-9");
  CallResult r = deliver(doc, "k9");
  EXPECT_EQ(r.code, CallCode::retry);
  EXPECT_EQ(r.retry_after, std::chrono::milliseconds{3000});
  EXPECT_NE(r.message.find("429 te_veel_verzoeken"), std::string::npos) << r.message;
  r = deliver(doc, "k9");
  EXPECT_EQ(r.code, CallCode::retry);
  EXPECT_EQ(r.retry_after, std::chrono::milliseconds{7000});
  r = deliver(doc, "k9");
  EXPECT_EQ(r.code, CallCode::retry);
  EXPECT_EQ(r.retry_after, std::chrono::milliseconds{0});
  r = deliver(doc, "k9");
  ASSERT_EQ(r.code, CallCode::ok) << r.message;
  EXPECT_EQ(sim_->get("/counters")["aanmeldingen_created"], 1);
}

TEST_F(PortalSink, RevokedTokenIsRefreshedOnceAndTheRequestRepeated) {
  ASSERT_TRUE(add());
  ASSERT_EQ(submit("ref-1"), "AM-000001");
  sim_->post("/tokens/revoke");
  const CallResult r = deliver(projection_for("ref-2"), "route-swv/ref-2/v1");
  ASSERT_EQ(r.code, CallCode::ok) << r.message;
  const json counters = sim_->get("/counters");
  EXPECT_EQ(counters["tokens_issued"], 2);
  const auto reqs = sim_->api_requests();
  ASSERT_EQ(reqs.size(), 3U);
  EXPECT_EQ(reqs[1]["status"], 401);
  EXPECT_EQ(reqs[2]["status"], 201);
  EXPECT_EQ(reqs[1]["body_base64"], reqs[2]["body_base64"]);
  expect_no_secret(r);
}

TEST_F(PortalSink, SupplementAnswersAnOpenQuestionOnly) {
  ASSERT_TRUE(add());
  const std::string id = submit("ref-1");
  sim_->post("/aanmeldingen/" + id + "/vraag", {{"toelichting", "Stuur het OPP mee."}});
  const json supplement = {
      {"kind", "aanvulling"},
      {"referral", {{"id", "ref-1"}, {"portal_id", id}}},
      {"supplement", {{"toelichting", "Het OPP is bijgevoegd."},
                      {"bijlagen", {{{"id", "att-2"}, {"soort", "opp"}, {"naam", "opp.pdf"}, {"category", "education"},
                                     {"sha256", std::string(64, 'a')}}}}}}};
  CallResult r = deliver(supplement.dump(), "route-swv-aanvulling/ref-1/v1");
  ASSERT_EQ(r.code, CallCode::ok) << r.message;
  EXPECT_EQ(r.receipt_json, R"({"portal_id":"AM-000001","status":"in_behandeling"})");
  const json stored = sim_->get("/aanmeldingen/" + id)["aanvullingen"];
  EXPECT_EQ(stored, json::parse(R"([{"toelichting": "Het OPP is bijgevoegd.",
      "bijlagen": [{"soort": "opp", "naam": "opp.pdf", "sha256": ")" + std::string(64, 'a') + R"("}]}])"));
  EXPECT_EQ(sim_->api_requests().back()["path"], "/api/v1/aanmeldingen/AM-000001/aanvulling");

  r = deliver(supplement.dump(), "route-swv-aanvulling/ref-1/v2");
  EXPECT_EQ(r.code, CallCode::reject);
  EXPECT_NE(r.message.find("409 geen_vraag_open"), std::string::npos) << r.message;
}

TEST_F(PortalSink, WithdrawalPostsIntrekkingWithAKeyStableAcrossRetries) {
  ASSERT_TRUE(add());
  const std::string id = submit("ref-1");
  const std::string receipt = R"({"portal_id":")" + id + R"(","status":"ontvangen"})";
  sim_->control("PUT", "/faults", {{"script", {{{"drop", "after"}}, {{"drop", "after"}}}}});
  CallResult r;
  const auto codes = until_ok(
      [&] { return host_->revoke("portal", receipt, "ouders hebben de toestemming ingetrokken").get(); }, 3, r);
  ASSERT_EQ(r.code, CallCode::ok) << r.message;
  EXPECT_EQ(codes.front(), CallCode::retry);
  EXPECT_EQ(r.receipt_json, R"({"portal_id":"AM-000001","status":"ingetrokken"})");

  const auto reqs = sim_->api_requests();
  ASSERT_EQ(reqs.size(), 4U);  // the aanmelding, then three attempts at the intrekking
  for (std::size_t i = 1; i < reqs.size(); ++i) {
    EXPECT_EQ(reqs[i]["path"], "/api/v1/aanmeldingen/AM-000001/intrekking");
    EXPECT_EQ(reqs[i]["headers"]["idempotency-key"], "schakel-intrekking-AM-000001");
    EXPECT_EQ(reqs[i]["body_base64"], reqs[1]["body_base64"]);
  }
  EXPECT_EQ(reqs[3]["status"], 200);
  EXPECT_EQ(body_of(reqs[1]), R"({"reden":"toestemming_ingetrokken","toelichting":"ouders hebben de toestemming ingetrokken"})");
  EXPECT_EQ(sim_->get("/counters")["intrekkingen"], 1);
  EXPECT_EQ(sim_->get("/aanmeldingen/" + id)["status"]["status"], "ingetrokken");
  // A second revocation with another reason (another delivery the consent covered) is done too.
  r = host_->revoke("portal", receipt, "andere reden").get();
  EXPECT_EQ(r.code, CallCode::ok) << r.message;
}

TEST_F(PortalSink, WithdrawalAfterTheDecisionIsRejectedInWordsASchoolUnderstands) {
  ASSERT_TRUE(add());
  const std::string id = submit("ref-1");
  sim_->post("/aanmeldingen/" + id + "/besluit",
             {{"status", "afgewezen"}, {"besluit", {{"datum", "2026-03-10"}, {"toelichting", "Basisondersteuning volstaat."}}}});
  const CallResult r = host_->revoke("portal", R"({"portal_id":")" + id + R"("})", "toestemming ingetrokken").get();
  EXPECT_EQ(r.code, CallCode::reject);
  EXPECT_NE(r.message.find("the SWV has already decided on aanmelding AM-000001 (status afgewezen); it cannot be "
                           "withdrawn: contact the SWV"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("409 besloten"), std::string::npos) << r.message;
  EXPECT_EQ(host_->revoke("portal", "{}", "x").get().code, CallCode::reject);
}

}  // namespace
}  // namespace schakel::test
