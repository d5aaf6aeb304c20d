// The HTTPS client against a real TLS server with certificates made at test time.
#include "unit/adapters/http/https_fixture.hpp"

namespace schakel::test {
namespace {

using http::ClientOptions;
using http::Request;

const nlohmann::json k_ok = {{"*", {{{"status", 200}, {"body", "{\"id\":\"abc\"}"}}}}};

class HttpsTls : public HttpsTest {};

TEST_F(HttpsTls, GoodCertificateIsAcceptedAndTheRequestArrivesIntact) {
  auto server = serve(k_ok);
  auto client = make_client(trusting_options());
  Request req{"POST", server->url("/hook?x=1"), {{"Content-Type", "application/json"}}, "{\"a\":1}"};
  auto res = client->send(req);
  ASSERT_TRUE(res) << res.status().message();
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "{\"id\":\"abc\"}");
  auto rec = server->records();
  ASSERT_EQ(rec.size(), 1U);
  EXPECT_EQ(rec[0]["method"], "POST");
  EXPECT_EQ(rec[0]["path"], "/hook?x=1");
  EXPECT_EQ(rec[0]["body_b64"], "eyJhIjoxfQ==");  // {"a":1}
  const std::string version = rec[0]["tls_version"];
  EXPECT_TRUE(version == "TLSv1.3" || version == "TLSv1.2") << version;
}

TEST_F(HttpsTls, HostNameIsSentAsSniAndVerified) {
  auto server = serve(k_ok);
  auto client = make_client(trusting_options());
  auto res = client->send({"GET", server->url("/", "localhost"), {}, {}});
  ASSERT_TRUE(res) << res.status().message();
  EXPECT_EQ(server->records().at(0)["sni"], "localhost");
}

TEST_F(HttpsTls, WrongHostNameIsAPermanentFailureThatSaysWhy) {
  HttpsFake::Options o;
  o.cert = "wronghost";
  auto server = serve(k_ok, o);
  auto client = make_client(trusting_options());
  auto res = client->send({"GET", server->url("/path?secret=1"), {}, {}});
  ASSERT_FALSE(res);
  EXPECT_EQ(res.status().code(), ErrorCode::invalid);
  EXPECT_EQ(res.status().message(), "TLS: certificate verify failed (hostname mismatch) for https://127.0.0.1:" +
                                        std::to_string(server->port()) + "/path");
  res = client->send({"GET", server->url("/by-name", "localhost"), {}, {}});
  ASSERT_FALSE(res);
  EXPECT_EQ(res.status().message(), "TLS: certificate verify failed (hostname mismatch) for https://localhost:" +
                                        std::to_string(server->port()) + "/by-name");
}

TEST_F(HttpsTls, ExpiredCertificateIsRefused) {
  HttpsFake::Options o;
  o.cert = "expired";
  auto server = serve(k_ok, o);
  auto client = make_client(trusting_options());
  auto res = client->send({"GET", server->url("/"), {}, {}});
  ASSERT_FALSE(res);
  EXPECT_FALSE(http::is_transient(res.status()));
  EXPECT_NE(res.status().message().find("certificate verify failed (certificate has expired)"), std::string::npos)
      << res.status().message();
}

TEST_F(HttpsTls, CertificateFromAnotherCaIsRefused) {
  auto server = serve(k_ok);
  ClientOptions o = trusting_options();
  o.ca_file = pki("other-ca.pem");
  auto res = make_client(o)->send({"GET", server->url("/"), {}, {}});
  ASSERT_FALSE(res);
  EXPECT_FALSE(http::is_transient(res.status()));
  EXPECT_NE(res.status().message().find("TLS: certificate verify failed (unable to get local issuer certificate)"),
            std::string::npos)
      << res.status().message();
}

TEST_F(HttpsTls, SystemStoreDoesNotTrustTheTestCa) {
  auto server = serve(k_ok);
  ClientOptions o = trusting_options();
  o.ca_file.clear();
  auto res = make_client(o)->send({"GET", server->url("/"), {}, {}});
  ASSERT_FALSE(res);
  EXPECT_NE(res.status().message().find("certificate verify failed"), std::string::npos) << res.status().message();
}

TEST_F(HttpsTls, ServerSpeakingOnlyTls11IsRefused) {
  HttpsFake::Options o;
  o.tls_1_1_only = true;
  auto server = serve(k_ok, o);
  auto res = make_client(trusting_options())->send({"GET", server->url("/"), {}, {}});
  ASSERT_FALSE(res);
  EXPECT_EQ(res.status().code(), ErrorCode::invalid);
  EXPECT_NE(res.status().message().find("TLS: handshake failed ("), std::string::npos) << res.status().message();
  // The server really is up and speaking TLS: it saw our handshake and no request.
  auto rec = server->wait_for_records(1);
  ASSERT_EQ(rec.size(), 1U);
  EXPECT_TRUE(rec[0].contains("tls_error"));
}

TEST_F(HttpsTls, ClientCertificateIsPresentedWhenConfigured) {
  HttpsFake::Options so;
  so.require_client_cert = true;
  auto server = serve(k_ok, so);
  ClientOptions o = trusting_options();
  o.client_cert_file = pki("client.pem");
  o.client_key_file = pki("client.key");
  auto res = make_client(o)->send({"GET", server->url("/"), {}, {}});
  ASSERT_TRUE(res) << res.status().message();
  EXPECT_EQ(server->records().at(0)["client_cn"], "schakel-test-client");

  // Without one the server refuses; with TLS 1.3 that shows when reading, not in the handshake.
  auto without = make_client(trusting_options())->send({"GET", server->url("/"), {}, {}});
  ASSERT_FALSE(without);
}

TEST_F(HttpsTls, ConnectProxyTunnelsToTheServer) {
  auto server = serve(k_ok);
  HttpsFake::Options po;
  po.proxy = true;
  auto proxy = serve({}, po);
  ClientOptions o = trusting_options();
  o.proxy = "http://127.0.0.1:" + std::to_string(proxy->port());
  auto res = make_client(o)->send({"GET", server->url("/via-proxy"), {}, {}});
  ASSERT_TRUE(res) << res.status().message() << "\nthe proxy saw: " << nlohmann::json(proxy->records()).dump();
  EXPECT_EQ(res->status, 200);
  auto seen = proxy->records();
  ASSERT_EQ(seen.size(), 1U);
  EXPECT_EQ(seen[0]["method"], "CONNECT");
  EXPECT_EQ(seen[0]["path"], "127.0.0.1:" + std::to_string(server->port()));
  EXPECT_EQ(server->records().at(0)["path"], "/via-proxy");
}

TEST_F(HttpsTls, PlainHttpWorksOnlyWhenAllowed) {
  HttpsFake::Options so;
  so.plain = true;
  auto server = serve(k_ok, so);
  ClientOptions o = trusting_options();
  o.allow_plain_http = true;
  auto res = make_client(o)->send({"GET", server->url("/plain"), {}, {}});
  ASSERT_TRUE(res) << res.status().message();
  EXPECT_EQ(res->status, 200);
}

}  // namespace
}  // namespace schakel::test
