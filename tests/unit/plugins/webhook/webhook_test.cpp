// The webhook plugin, loaded by the real plugin host, against the HTTPS test server.
#include "support/plugin_test_options.hpp"
#include <unistd.h>

#include <algorithm>
#include <mutex>

#include <openssl/evp.h>

#include "plugin_host/plugin_host.hpp"
#include "signature.hpp"
#include "unit/adapters/http/https_fixture.hpp"

namespace schakel::test {
namespace {

using nlohmann::json;
using plugin_host::CallCode;
using plugin_host::CallResult;

const std::string k_secret = "webhook-test-secret-0123456789";
// Not canonical JSON on purpose: spacing, key order and escapes must survive byte for byte.
const std::string k_document = "{\"z\": 1,  \"a\":\"caf\\u00e9 \xe2\x82\xac\", \"n\":[1.50,2e3]}\n";

class Webhook : public HttpsTest {
 protected:
  void SetUp() override {
    plugin_ = plugin_dir_.path() / "libschakel_webhook.so";
    std::filesystem::copy_file(SCHAKEL_WEBHOOK_PLUGIN, plugin_);
    TimePoint t;
    ASSERT_TRUE(parse_rfc3339("2026-03-04T09:15:00Z", t));
    clock_ = std::make_unique<ManualClock>(t);
    plugin_host::HostOptions o = test::plugin_test_options(plugin_dir_.path(), *clock_);
    o.on_log = [this](const std::string&, int, const std::string& msg) {
      std::lock_guard lock(log_mu_);
      logs_.push_back(msg);
    };
    host_ = std::make_unique<plugin_host::PluginHost>(std::move(o));
  }
  void TearDown() override { host_.reset(); }

  json settings(const HttpsFake& server, const std::string& path = "/hook") const {
    return {{"url", server.url(path)}, {"secret", k_secret}, {"ca_file", pki("ca.pem")},
            {"read_timeout_ms", 2000}, {"total_timeout_ms", 10000}};
  }
  Status add(const json& s, const std::string& id = "hook") {
    return host_->add_connector({id, plugin_, std::nullopt, s});
  }
  CallResult deliver(const std::string& doc = k_document, const std::string& key = "route-1/student-7/v3") {
    return host_->deliver("hook", doc, key).get();
  }
  static std::string header(const json& record, const std::string& name) {
    for (const auto& h : record["headers"]) {
      if (h[0] == name) return h[1];
    }
    return {};
  }
  static std::string body_of(const json& record) {
    const std::string b64 = record["body_b64"];
    std::string out(b64.size(), '\0');
    const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(b64.data()), static_cast<int>(b64.size()));
    out.resize(static_cast<std::size_t>(n) - std::count(b64.begin(), b64.end(), '='));
    return out;
  }
  void expect_no_secret_anywhere(const CallResult& r) {
    EXPECT_EQ(r.message.find(k_secret), std::string::npos) << "the secret leaked into an error";
    std::lock_guard lock(log_mu_);
    for (const auto& l : logs_) EXPECT_EQ(l.find(k_secret), std::string::npos) << "the secret leaked into a log";
  }
  static json signing_script(json steps) { return {{"/hook", std::move(steps)}, {"hmac_secret", k_secret}}; }

  TempDir plugin_dir_;
  std::filesystem::path plugin_;
  std::unique_ptr<ManualClock> clock_;
  std::unique_ptr<plugin_host::PluginHost> host_;
  std::mutex log_mu_;
  std::vector<std::string> logs_;
};

TEST_F(Webhook, DeliversSignedExactBytesAndReturnsTheReceipt) {
  auto server = serve(signing_script({{{"status", 201}, {"body", "{\"id\": \"ontv-881\", \"x\": 1}"}}}));
  ASSERT_TRUE(add(settings(*server)));
  const CallResult r = deliver();
  ASSERT_EQ(r.code, CallCode::ok) << r.message;
  EXPECT_EQ(json::parse(r.receipt_json), (json{{"status", 201}, {"id", "ontv-881"}}));

  const auto rec = server->records();
  ASSERT_EQ(rec.size(), 1U);
  EXPECT_EQ(rec[0]["method"], "POST");
  EXPECT_EQ(body_of(rec[0]), k_document);
  EXPECT_EQ(header(rec[0], "Idempotency-Key"), "route-1/student-7/v3");
  EXPECT_EQ(header(rec[0], "Content-Type"), "application/json");
  // The host's clock, not the system's: 2026-03-04T09:15:00Z.
  EXPECT_EQ(header(rec[0], "X-Schakel-Timestamp"), "1772615700");
  EXPECT_TRUE(rec[0]["signature_valid"]) << "the receiver could not verify the signature";
  EXPECT_EQ(header(rec[0], "X-Schakel-Signature"),
            webhook::signature(k_secret, "1772615700", k_document));
  expect_no_secret_anywhere(r);
}

TEST_F(Webhook, ReceiptWithoutIdWhenTheAnswerHasNone) {
  auto server = serve(signing_script({{{"status", 204}}}));
  ASSERT_TRUE(add(settings(*server)));
  const CallResult r = deliver();
  ASSERT_EQ(r.code, CallCode::ok) << r.message;
  EXPECT_EQ(r.receipt_json, "{\"status\":204}");
}

TEST_F(Webhook, FiveHundredThenTwoHundredResendsIdenticalBytes) {
  auto server = serve(signing_script({{{"status", 500}, {"body", "database on fire"}},
                                      {{"status", 200}, {"body", "{\"id\": 42}"}}}));
  ASSERT_TRUE(add(settings(*server)));
  const CallResult first = deliver();
  EXPECT_EQ(first.code, CallCode::retry);
  EXPECT_EQ(first.message, "HTTP 500 from " + server->url("/hook") + ": database on fire");
  clock_->advance(std::chrono::seconds{30});
  const CallResult second = deliver();
  ASSERT_EQ(second.code, CallCode::ok) << second.message;
  EXPECT_EQ(json::parse(second.receipt_json), (json{{"status", 200}, {"id", 42}}));

  const auto rec = server->records();
  ASSERT_EQ(rec.size(), 2U);
  EXPECT_EQ(rec[0]["body_b64"], rec[1]["body_b64"]);
  EXPECT_EQ(header(rec[0], "Idempotency-Key"), header(rec[1], "Idempotency-Key"));
  EXPECT_EQ(header(rec[1], "X-Schakel-Timestamp"), "1772615730");
  EXPECT_TRUE(rec[0]["signature_valid"]);
  EXPECT_TRUE(rec[1]["signature_valid"]);
}

TEST_F(Webhook, TooManyRequestsIsRetriedAfterTheServersWait) {
  auto server = serve(signing_script({{{"status", 429}, {"headers", {{"Retry-After", "0"}}}},
                                      {{"status", 503}, {"headers", {{"Retry-After", "7"}}}},
                                      {{"status", 503}, {"headers", {{"Retry-After", "Wed, 04 Mar 2026 09:15:12 GMT"}}}},
                                      {{"status", 408}}}));
  ASSERT_TRUE(add(settings(*server)));
  CallResult r = deliver();
  EXPECT_EQ(r.code, CallCode::retry);
  EXPECT_EQ(r.retry_after, std::chrono::milliseconds{0});
  r = deliver();
  EXPECT_EQ(r.code, CallCode::retry);
  EXPECT_EQ(r.retry_after, std::chrono::milliseconds{7000});
  r = deliver();
  EXPECT_EQ(r.code, CallCode::retry);
  EXPECT_EQ(r.retry_after, std::chrono::milliseconds{12000});  // against the host's clock
  EXPECT_EQ(deliver().code, CallCode::retry);
}

TEST_F(Webhook, ClientErrorsAreRejectedWithTheServersMessage) {
  auto server = serve(signing_script({{{"status", 422}, {"body", "{\"message\": \"field naam is required\"}"}}}));
  ASSERT_TRUE(add(settings(*server)));
  const CallResult r = deliver();
  EXPECT_EQ(r.code, CallCode::reject);
  EXPECT_EQ(r.message, "HTTP 422 from " + server->url("/hook") + ": {\"message\": \"field naam is required\"}");
}

TEST_F(Webhook, WrongHostNameAndExpiredCertificateAreRejected) {
  for (const char* cert : {"wronghost", "expired"}) {
    HttpsFake::Options o;
    o.cert = cert;
    auto server = serve(signing_script({{{"status", 200}}}), o);
    const std::string id = std::string("hook-") + cert;
    ASSERT_TRUE(add(settings(*server), id));
    const CallResult r = host_->deliver(id, k_document, "k1").get();
    EXPECT_EQ(r.code, CallCode::reject) << cert;
    EXPECT_NE(r.message.find("TLS: certificate verify failed ("), std::string::npos) << r.message;
    const auto rec = server->wait_for_records(1);
    ASSERT_EQ(rec.size(), 1U);
    EXPECT_TRUE(rec[0].contains("tls_error"));  // no request was sent
    expect_no_secret_anywhere(r);
  }
}

TEST_F(Webhook, ServerClosingMidResponseIsRetried) {
  auto server = serve(signing_script({{{"action", "close_mid"}, {"status", 200}, {"body", "{\"id\": \"x\"}"}}}));
  ASSERT_TRUE(add(settings(*server)));
  const CallResult r = deliver();
  EXPECT_EQ(r.code, CallCode::retry);
  EXPECT_NE(r.message.find("connection closed mid-response"), std::string::npos) << r.message;
}

TEST_F(Webhook, SlowServerPastTheTimeoutIsRetried) {
  auto server = serve(signing_script({{{"action", "hang"}}}));
  json s = settings(*server);
  s["read_timeout_ms"] = 150;
  ASSERT_TRUE(add(s));
  const CallResult r = deliver();
  EXPECT_EQ(r.code, CallCode::retry);
  EXPECT_EQ(r.message, "timeout: no response within the read timeout of 150 ms for " + server->url("/hook"));
}

TEST_F(Webhook, CheckReachesTheEndpointOverVerifiedTls) {
  auto server = serve({{"/hook", {{{"status", 405}}}}});
  ASSERT_TRUE(add(settings(*server)));
  const CallResult r = host_->check("hook").get();
  EXPECT_EQ(r.code, CallCode::ok) << r.message;
  EXPECT_EQ(server->records().at(0)["method"], "OPTIONS");
}

TEST_F(Webhook, ConfigSchemaRefusesUnknownAndMissingSettings) {
  auto server = serve({});
  json s = settings(*server);
  s["retries"] = 3;
  Status st = add(s);
  ASSERT_FALSE(st);
  EXPECT_NE(st.message().find("retries"), std::string::npos) << st.message();
  s = settings(*server);
  s.erase("secret");
  st = add(s, "hook2");
  ASSERT_FALSE(st);
  EXPECT_NE(st.message().find("secret"), std::string::npos) << st.message();
  s = settings(*server);
  s["read_timeout_ms"] = "fast";
  st = add(s, "hook3");
  ASSERT_FALSE(st);
  EXPECT_NE(st.message().find("read_timeout_ms"), std::string::npos) << st.message();
}

TEST_F(Webhook, PlainHttpOnlyForLoopbackWhenAllowed) {
  HttpsFake::Options o;
  o.plain = true;
  auto server = serve(signing_script({{{"status", 200}}}), o);
  json s = settings(*server);
  EXPECT_EQ(deliver().code, CallCode::reject);  // no connector "hook" yet: refused, not crashed
  ASSERT_TRUE(add(s));
  CallResult r = deliver();
  EXPECT_EQ(r.code, CallCode::reject);
  EXPECT_NE(r.message.find("plain http is not allowed"), std::string::npos) << r.message;

  s["allow_plain_http"] = true;
  ASSERT_TRUE(add(s, "plain"));
  r = host_->deliver("plain", k_document, "k1").get();
  ASSERT_EQ(r.code, CallCode::ok) << r.message;

  s["url"] = "http://example.org/hook";
  ASSERT_TRUE(add(s, "remote"));
  r = host_->check("remote").get();
  EXPECT_NE(r.code, CallCode::ok);
  EXPECT_NE(r.message.find("plain http is allowed only for a loopback url"), std::string::npos) << r.message;
}

}  // namespace
}  // namespace schakel::test
