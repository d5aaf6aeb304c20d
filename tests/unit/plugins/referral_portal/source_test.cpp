// The referral-portal plugin as a source (wijzigingen with a cursor), its check, and its settings.
#include <set>

#include "portal_fixture.hpp"

namespace schakel::test {
namespace {

class PortalSource : public PortalTest {
 protected:
  std::vector<json> wijzigingen_requests() {
    std::vector<json> out;
    for (auto& r : sim_->api_requests()) {
      if (r["path"].get<std::string>().rfind("/api/v1/aanmeldingen/wijzigingen", 0) == 0) out.push_back(r);
    }
    return out;
  }
  json with(const char* key, json value) {
    json s = settings();
    s[key] = std::move(value);
    return s;
  }
};

TEST_F(PortalSource, PollFollowsMeerToTheEndAndEmitsEveryChangeWithTheDecision) {
  ASSERT_TRUE(add(with("page_limit", 2)));
  const std::string a = submit("ref-a");
  const std::string b = submit("ref-b");
  const std::string c = submit("ref-c");
  sim_->post("/aanmeldingen/" + a + "/besluit",
             {{"status", "toegekend"},
              {"besluit", {{"datum", "2026-03-10"},
                           {"arrangement", {{"soort", "ondersteuning in de klas"}, {"ingangsdatum", "2026-04-01"}, {"einddatum", "2026-07-17"}}},
                           {"toelichting", "Toegekend voor de rest van het schooljaar."}}}});
  sim_->post("/aanmeldingen/" + b + "/vraag", {{"toelichting", "Stuur het OPP mee."}});

  const CallResult r = host_->poll("portal").get();
  ASSERT_EQ(r.code, CallCode::ok) << r.message;
  const auto recs = records();
  ASSERT_EQ(recs.size(), 5U);
  EXPECT_EQ(recs[0]["portal_id"], a);
  EXPECT_EQ(recs[0]["referentie"], "ref-a");
  EXPECT_EQ(recs[0]["status"], "ontvangen");
  EXPECT_EQ(recs[2]["portal_id"], c);
  EXPECT_EQ(recs[3]["portal_id"], a);
  EXPECT_EQ(recs[3]["status"], "toegekend");
  EXPECT_EQ(recs[3]["besluit"], json::parse(R"({"datum": "2026-03-10", "arrangement": {"soort": "ondersteuning in de klas",
      "ingangsdatum": "2026-04-01", "einddatum": "2026-07-17"}, "toelichting": "Toegekend voor de rest van het schooljaar."})"));
  EXPECT_EQ(recs[4]["status"], "aanvullende_informatie_gevraagd");
  EXPECT_EQ(recs[4]["toelichting"], "Stuur het OPP mee.");
  EXPECT_TRUE(recs[4]["gewijzigd_op"].is_string());
  auto pages = wijzigingen_requests();
  ASSERT_EQ(pages.size(), 3U);  // 2 + 2 + 1, the last says meer: false
  EXPECT_EQ(pages[0]["path"], "/api/v1/aanmeldingen/wijzigingen?limit=2");
  EXPECT_NE(pages[1]["path"].get<std::string>().find("&cursor="), std::string::npos);
  const auto cursor = state_->get("portal", "cursor");
  ASSERT_TRUE(cursor && cursor->has_value());

  // Nothing new: one read from the stored cursor, no records; then a TLV decision arrives.
  ASSERT_EQ(host_->poll("portal").get().code, CallCode::ok);
  EXPECT_EQ(records().size(), 5U);
  pages = wijzigingen_requests();
  ASSERT_EQ(pages.size(), 4U);
  EXPECT_NE(pages[3]["path"].get<std::string>().find("cursor="), std::string::npos);
  sim_->post("/aanmeldingen/" + c + "/besluit",
             {{"status", "toegekend"}, {"besluit", {{"datum", "2026-03-11"}, {"tlv", {{"categorie", "midden"}, {"einddatum", "2028-07-31"}}}}}});
  ASSERT_EQ(host_->poll("portal").get().code, CallCode::ok);
  const auto more = records();
  ASSERT_EQ(more.size(), 6U);
  EXPECT_EQ(more[5]["portal_id"], c);
  EXPECT_EQ(more[5]["besluit"]["tlv"], json::parse(R"({"categorie": "midden", "einddatum": "2028-07-31"})"));
}

TEST_F(PortalSource, RepeatedChangesAreEmittedAsReceivedAndNoneIsLost) {
  ASSERT_TRUE(add(with("page_limit", 3)));
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(submit("ref-" + std::to_string(i)));
  for (const auto& id : ids) sim_->post("/aanmeldingen/" + id + "/in_behandeling", json::object());
  sim_->control("PUT", "/faults", {{"rate_duplicate_changes", 1.0}});
  ASSERT_EQ(host_->poll("portal").get().code, CallCode::ok);
  const auto recs = records();
  std::set<std::pair<std::string, std::string>> seen;
  for (const auto& r : recs) seen.emplace(r["portal_id"].get<std::string>(), r["status"].get<std::string>());
  EXPECT_EQ(seen.size(), 10U);  // every creation and every change
  EXPECT_GT(recs.size(), 10U);  // some more than once, as the contract allows
  EXPECT_GT(sim_->get("/counters")["faults_injected"].value("duplicate_change", 0), 0);
}

TEST_F(PortalSource, CursorTheportalRefusesIsRejectedNamingTheCursor) {
  ASSERT_TRUE(state_->put("portal", "cursor", "bm90LWEtY3Vyc29y"));
  ASSERT_TRUE(add());
  const CallResult r = host_->poll("portal").get();
  EXPECT_EQ(r.code, CallCode::reject);
  EXPECT_NE(r.message.find("the portal refused the stored cursor"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("ongeldige_cursor"), std::string::npos) << r.message;
  EXPECT_TRUE(records().empty());
}

TEST_F(PortalSource, OutageWhilePagingKeepsTheCursorAtTheLastEmittedPage) {
  ASSERT_TRUE(add(with("page_limit", 1)));
  submit("ref-a");
  submit("ref-b");
  sim_->control("PUT", "/faults", {{"script", {{{"pass", true}}, {{"status", 503}, {"retry_after", 2}}}}});
  CallResult r = host_->poll("portal").get();
  EXPECT_EQ(r.code, CallCode::retry);
  EXPECT_EQ(r.retry_after, std::chrono::milliseconds{2000});
  ASSERT_EQ(records().size(), 1U);
  r = host_->poll("portal").get();
  ASSERT_EQ(r.code, CallCode::ok) << r.message;
  const auto recs = records();
  ASSERT_EQ(recs.size(), 2U);  // the second page once; the first not again
  EXPECT_EQ(recs[1]["referentie"], "ref-b");
}

TEST_F(PortalSource, RecordNotStoredStopsThePollAndTheCursorStaysBeforeItsPage) {
  ASSERT_TRUE(add(with("page_limit", 2)));
  for (const char* id : {"ref-a", "ref-b", "ref-c"}) submit(id);
  {
    std::lock_guard lock(mu_);
    records_fail_after_ = 2;  // the first page (2 records) is stored, the second page's record is not
  }
  CallResult r = host_->poll("portal").get();
  EXPECT_EQ(r.code, CallCode::retry);
  EXPECT_NE(r.message.find("was not stored; the cursor stays before it"), std::string::npos) << r.message;
  const auto after_first_page = state_->get("portal", "cursor");
  ASSERT_TRUE(after_first_page && after_first_page->has_value());
  {
    std::lock_guard lock(mu_);
    records_fail_after_.reset();
  }
  r = host_->poll("portal").get();
  ASSERT_EQ(r.code, CallCode::ok) << r.message;
  const auto recs = records();
  ASSERT_EQ(recs.size(), 3U);  // the failed page read again from the first page's cursor; nothing lost
  EXPECT_EQ(recs[2]["referentie"], "ref-c");
  const auto pages = wijzigingen_requests();
  ASSERT_EQ(pages.size(), 3U);
  EXPECT_EQ(pages[1]["path"], pages[2]["path"]);  // the same cursor twice
}

TEST_F(PortalSource, CheckProvesCredentialsTrustAndReachability) {
  ASSERT_TRUE(add());
  CallResult r = host_->check("portal").get();
  EXPECT_EQ(r.code, CallCode::ok) << r.message;
  EXPECT_EQ(wijzigingen_requests().at(0)["path"], "/api/v1/aanmeldingen/wijzigingen?limit=1");

  ASSERT_TRUE(add(with("client_secret", "not-the-secret-0000"), "wrong-secret"));
  r = host_->check("wrong-secret").get();
  EXPECT_EQ(r.code, CallCode::reject);
  EXPECT_NE(r.message.find("the portal refused client_id 'school-1': wrong client_id or client_secret"), std::string::npos) << r.message;
  EXPECT_EQ(r.message.find("not-the-secret-0000"), std::string::npos) << r.message;

  json untrusted = settings();
  untrusted.erase("ca_file");
  ASSERT_TRUE(add(untrusted, "untrusted"));
  r = host_->check("untrusted").get();
  EXPECT_EQ(r.code, CallCode::reject);
  EXPECT_NE(r.message.find("TLS failure talking to " + sim_->base_url()), std::string::npos) << r.message;

  // Port 1 on loopback: nothing listens there, so the connection is refused.
  ASSERT_TRUE(add(with("base_url", "https://127.0.0.1:1"), "unreachable"));
  r = host_->check("unreachable").get();
  EXPECT_EQ(r.code, CallCode::retry);
  EXPECT_NE(r.message.find("is unreachable"), std::string::npos) << r.message;
}

TEST_F(PortalSource, SettingsAreCheckedAgainstTheConfigSchema) {
  Status st = add(with("retries", 3));
  ASSERT_FALSE(st);
  EXPECT_NE(st.message().find("retries"), std::string::npos) << st.message();
  json s = settings();
  s.erase("client_secret");
  st = add(s, "p2");
  ASSERT_FALSE(st);
  EXPECT_NE(st.message().find("client_secret"), std::string::npos) << st.message();
  st = add(with("page_limit", 501), "p3");
  ASSERT_FALSE(st);
  EXPECT_NE(st.message().find("page_limit"), std::string::npos) << st.message();
  st = add(with("base_url", sim_->base_url() + "/?tenant=1"), "p4");
  ASSERT_FALSE(st);
  EXPECT_NE(st.message().find("base_url"), std::string::npos) << st.message();
  // Plain http only on loopback: elsewhere the plugin refuses to start.
  ASSERT_TRUE(add(with("base_url", "http://portal.example.org"), "plain"));
  const CallResult r = host_->check("plain").get();
  EXPECT_NE(r.code, CallCode::ok);
  EXPECT_NE(r.message.find("must be https"), std::string::npos) << r.message;
}

}  // namespace
}  // namespace schakel::test
