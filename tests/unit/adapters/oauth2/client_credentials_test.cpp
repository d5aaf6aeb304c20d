// OAuth2 client credentials against the HTTPS test server: caching, refresh once, no secret leaks.
#include "oauth2/client_credentials.hpp"

#include "unit/adapters/http/https_fixture.hpp"

namespace schakel::test {
namespace {

using nlohmann::json;
using oauth2::AuthorizedClient;
using oauth2::ClientCredentials;

// A secret with characters that change under form and base64 encoding.
const std::string k_secret = "s3cr&t+/=value with space";

json token_step(const std::string& token, int expires_in = 3600) {
  return {{"status", 200},
          {"headers", {{"Content-Type", "application/json"}}},
          {"body", json{{"access_token", token}, {"token_type", "Bearer"}, {"expires_in", expires_in}}.dump()}};
}

const json k_invalid_token = {{"status", 401},
                              {"headers", {{"WWW-Authenticate", "Bearer error=\"invalid_token\""}}},
                              {"body", "{\"error\": \"invalid_token\"}"}};
const json k_ok = {{"status", 200}, {"body", "{\"ok\": true}"}};

std::vector<std::string> bearer_tokens(const std::vector<json>& records) {
  std::vector<std::string> out;
  for (const auto& r : records) {
    if (r["path"] == "/oauth/token") {
      out.emplace_back("<token request>");
      continue;
    }
    for (const auto& h : r["headers"]) {
      if (h[0] == "Authorization") out.push_back(h[1]);
    }
  }
  return out;
}

class OAuth2 : public HttpsTest {
 protected:
  ClientCredentials credentials(const HttpsFake& server) const {
    ClientCredentials c;
    c.token_url = server.url("/oauth/token");
    c.client_id = "school-42";
    c.client_secret = k_secret;
    c.scope = "aanmeldingen";
    return c;
  }
  ManualClock clock_{TimePoint{std::chrono::sys_days{std::chrono::year{2026} / 3 / 4}}};
};

TEST_F(OAuth2, TokenIsFetchedOnceAndCachedUntilShortlyBeforeExpiry) {
  auto server = serve({{"/oauth/token", {token_step("t1", 3600), token_step("t2", 3600)}}, {"/api", {k_ok}}});
  auto http = make_client(trusting_options());
  AuthorizedClient client(*http, credentials(*server), clock_);
  ASSERT_TRUE(client.send({"GET", server->url("/api"), {}, {}}));
  clock_.advance(std::chrono::seconds{3600 - 31});
  ASSERT_TRUE(client.send({"GET", server->url("/api"), {}, {}}));
  clock_.advance(std::chrono::seconds{2});  // now within the 30 s margin
  auto res = client.send({"GET", server->url("/api"), {}, {}});
  ASSERT_TRUE(res) << res.status().message();
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(bearer_tokens(server->records()),
            (std::vector<std::string>{"<token request>", "Bearer t1", "Bearer t1", "<token request>", "Bearer t2"}));
}

TEST_F(OAuth2, TokenRequestFollowsTheContract) {
  auto server = serve({{"/oauth/token", {token_step("t1")}}, {"/api", {k_ok}}});
  auto http = make_client(trusting_options());
  AuthorizedClient client(*http, credentials(*server), clock_);
  ASSERT_TRUE(client.send({"GET", server->url("/api"), {}, {}}));
  const json rec = server->records().at(0);
  EXPECT_EQ(rec["method"], "POST");
  const std::string body = rec["body_b64"];
  // grant_type=client_credentials&client_id=school-42&client_secret=<form-encoded>&scope=aanmeldingen
  EXPECT_EQ(body,
            "Z3JhbnRfdHlwZT1jbGllbnRfY3JlZGVudGlhbHMmY2xpZW50X2lkPXNjaG9vbC00MiZjbGllbnRfc2VjcmV0PXMzY3IlMjZ0JTJCJTJG"
            "JTNEdmFsdWUlMjB3aXRoJTIwc3BhY2Umc2NvcGU9YWFubWVsZGluZ2Vu");
}

TEST_F(OAuth2, InvalidTokenRefreshesOnceAndRepeatsTheRequestOnce) {
  auto server = serve({{"/oauth/token", {token_step("t1"), token_step("t2")}}, {"/api", {k_invalid_token, k_ok}}});
  auto http = make_client(trusting_options());
  AuthorizedClient client(*http, credentials(*server), clock_);
  auto res = client.send({"POST", server->url("/api"), {{"Idempotency-Key", "k1"}}, "{\"x\":1}"});
  ASSERT_TRUE(res) << res.status().message();
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(bearer_tokens(server->records()),
            (std::vector<std::string>{"<token request>", "Bearer t1", "<token request>", "Bearer t2"}));
  const auto rec = server->records();
  EXPECT_EQ(rec[1]["body_b64"], rec[3]["body_b64"]);  // the same bytes the second time
}

TEST_F(OAuth2, SecondInvalidTokenIsReturnedWithoutAnotherRefresh) {
  auto server = serve({{"/oauth/token", {token_step("t1"), token_step("t2"), token_step("t3")}},
                       {"/api", {k_invalid_token}}});
  auto http = make_client(trusting_options());
  AuthorizedClient client(*http, credentials(*server), clock_);
  auto res = client.send({"GET", server->url("/api"), {}, {}});
  ASSERT_TRUE(res) << res.status().message();
  EXPECT_EQ(res->status, 401);
  EXPECT_TRUE(oauth2::is_invalid_token(*res));
  EXPECT_EQ(server->records().size(), 4U);
}

TEST_F(OAuth2, OtherUnauthorizedAnswersAreNotRetried) {
  auto server = serve({{"/oauth/token", {token_step("t1")}},
                       {"/api", {{{"status", 401}, {"body", "{\"error\": \"insufficient_scope\"}"}}}}});
  auto http = make_client(trusting_options());
  AuthorizedClient client(*http, credentials(*server), clock_);
  auto res = client.send({"GET", server->url("/api"), {}, {}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_EQ(server->records().size(), 2U);
}

TEST_F(OAuth2, SecretNeverAppearsInErrorsEvenWhenTheServerEchoesIt) {
  auto server = serve({{"/oauth/token", {{{"echo", true}, {"status", 401}}}}});
  auto http = make_client(trusting_options());
  for (bool basic : {false, true}) {
    ClientCredentials c = credentials(*server);
    c.secret_in_basic_auth = basic;
    AuthorizedClient client(*http, c, clock_);
    auto res = client.send({"GET", server->url("/api"), {}, {}});
    ASSERT_FALSE(res);
    const std::string msg = res.status().message();
    EXPECT_EQ(res.status().code(), ErrorCode::denied);
    EXPECT_NE(msg.find("OAuth2 token request to " + server->url("/oauth/token") + " failed: HTTP 401"),
              std::string::npos);
    EXPECT_EQ(msg.find("s3cr"), std::string::npos) << "the secret leaked";
    if (!basic) {
      EXPECT_NE(msg.find("client_secret=***"), std::string::npos) << msg;
    }
  }
}

TEST_F(OAuth2, BasicAuthCarriesTheEncodedCredentials) {
  auto server = serve({{"/oauth/token", {token_step("t1")}}, {"/api", {k_ok}}});
  auto http = make_client(trusting_options());
  ClientCredentials c = credentials(*server);
  c.secret_in_basic_auth = true;
  AuthorizedClient client(*http, c, clock_);
  ASSERT_TRUE(client.send({"GET", server->url("/api"), {}, {}}));
  const json rec = server->records().at(0);
  std::string auth;
  for (const auto& h : rec["headers"]) {
    if (h[0] == "Authorization") auth = h[1];
  }
  // base64("school-42:s3cr%26t%2B%2F%3Dvalue%20with%20space")
  EXPECT_EQ(auth, "Basic c2Nob29sLTQyOnMzY3IlMjZ0JTJCJTJGJTNEdmFsdWUlMjB3aXRoJTIwc3BhY2U=");
  EXPECT_EQ(rec["body_b64"], "Z3JhbnRfdHlwZT1jbGllbnRfY3JlZGVudGlhbHMmc2NvcGU9YWFubWVsZGluZ2Vu");
}

TEST_F(OAuth2, TokenEndpointOutageIsTransientAndUnreachableEndpointKeepsTheSecret) {
  auto server = serve({{"/oauth/token", {{{"status", 503}, {"body", "{\"error\": \"temporarily_unavailable\"}"}}}}});
  auto http = make_client(trusting_options());
  AuthorizedClient client(*http, credentials(*server), clock_);
  auto res = client.send({"GET", server->url("/api"), {}, {}});
  ASSERT_FALSE(res);
  EXPECT_TRUE(http::is_transient(res.status()));
  EXPECT_NE(res.status().message().find("HTTP 503 (temporarily_unavailable)"), std::string::npos);

  ClientCredentials c = credentials(*server);
  c.token_url = "https://127.0.0.1:1/oauth/token";
  AuthorizedClient unreachable(*http, c, clock_);
  res = unreachable.send({"GET", server->url("/api"), {}, {}});
  ASSERT_FALSE(res);
  EXPECT_TRUE(http::is_transient(res.status()));
  EXPECT_EQ(res.status().message().find("s3cr"), std::string::npos);
}

}  // namespace
}  // namespace schakel::test
