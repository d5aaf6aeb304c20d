// The webhook sink: POSTs each gated document, exactly as given, to one HTTPS endpoint, signed so
// the receiver can verify its origin, with the outbox's idempotency key so it can deduplicate.
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>

#include <boost/url/parse.hpp>
#include <nlohmann/json.hpp>

#include "http/client.hpp"
#include "schakel/plugin.hpp"
#include "signature.hpp"
#include "webhook_manifest.hpp"

namespace schakel::webhook {
namespace {

using plugin::Outcome;

std::chrono::milliseconds ms_setting(const nlohmann::json& s, const char* key, std::chrono::milliseconds fallback) {
  return s.contains(key) ? std::chrono::milliseconds{s.at(key).get<long long>()} : fallback;
}

bool is_loopback_url(const std::string& url) {
  auto u = boost::urls::parse_uri(url);
  if (!u) return false;
  const std::string host = u->host_address();
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

// 1-128 printable ASCII characters, no surrounding blanks (they would not survive as a header).
bool valid_idempotency_key(const std::string& key) {
  if (key.empty() || key.size() > 128 || key.front() == ' ' || key.back() == ' ') return false;
  for (char c : key) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

class WebhookSink final : public plugin::Plugin {
 public:
  WebhookSink(plugin::Host host, const std::string& config_json) : host_(host) {
    const auto s = nlohmann::json::parse(config_json);
    url_ = s.at("url").get<std::string>();
    secret_ = s.at("secret").get<std::string>();
    http::ClientOptions o;
    o.ca_file = s.value("ca_file", "");
    o.client_cert_file = s.value("client_cert_file", "");
    o.client_key_file = s.value("client_key_file", "");
    o.connect_timeout = ms_setting(s, "connect_timeout_ms", o.connect_timeout);
    o.read_timeout = ms_setting(s, "read_timeout_ms", o.read_timeout);
    o.total_timeout = ms_setting(s, "total_timeout_ms", o.total_timeout);
    o.max_response_bytes = s.value("max_response_bytes", std::size_t{1} << 20U);
    o.max_redirects = s.value("max_redirects", 0);
    o.allow_plain_http = s.value("allow_plain_http", false);
    o.user_agent = "schakel-webhook/0.1";
    if (o.allow_plain_http && !is_loopback_url(url_)) {
      throw std::runtime_error("settings/allow_plain_http: plain http is allowed only for a loopback url, not " +
                               url_);
    }
    max_redirects_ = o.max_redirects;
    auto client = http::Client::create(std::move(o));
    if (!client) throw std::runtime_error(client.status().message());
    client_ = std::move(*client);
  }

  // Reachable, and the certificate verifies: any HTTP answer will do, the method may be unknown.
  Outcome check() override {
    auto res = client_->send({"OPTIONS", url_, {}, {}});
    if (!res) return failed(res.status());
    // 501 and 405 only say the method is unknown there; the endpoint answered over verified TLS.
    if (res->status != 501 && http::classify_status(res->status) == http::Outcome::transient) {
      return Outcome::retry(http::response_status(*res).message());
    }
    return Outcome::ok();
  }

  Outcome deliver(std::string_view document, const std::string& idempotency_key) override {
    if (!valid_idempotency_key(idempotency_key)) {
      return Outcome::reject("idempotency key must be 1-128 printable ASCII characters");
    }
    const std::int64_t now_us = host_.now_us();
    const std::string timestamp = std::to_string(now_us / 1'000'000);
    http::Request req{"POST", url_, {}, std::string(document)};
    req.headers = {{"Content-Type", "application/json"},
                   {"Idempotency-Key", idempotency_key},
                   {"X-Schakel-Timestamp", timestamp},
                   {"X-Schakel-Signature", signature(secret_, timestamp, document)}};
    auto res = client_->send(req);
    if (!res) return failed(res.status());

    switch (http::classify_status(res->status)) {
      case http::Outcome::success:
        if (res->status >= 300) {
          return Outcome::reject("HTTP " + std::to_string(res->status) + " from " + res->url +
                                 ": redirects are not followed (max_redirects " + std::to_string(max_redirects_) + ")");
        }
        host_.debug("delivered to " + res->url + ": HTTP " + std::to_string(res->status));
        return Outcome::ok(receipt(*res));
      case http::Outcome::transient: {
        // Retry-After is read against the host's clock, not the system's.
        std::int64_t after_ms = 0;
        if (auto h = res->header("Retry-After")) {
          const TimePoint now{std::chrono::microseconds{now_us}};
          if (auto d = http::parse_retry_after(*h, now)) after_ms = d->count();
        }
        return Outcome::retry(http::response_status(*res).message(), after_ms);
      }
      case http::Outcome::permanent: break;
    }
    return Outcome::reject(http::response_status(*res).message());
  }

 private:
  static Outcome failed(const Status& s) {
    return http::is_transient(s) ? Outcome::retry(s.message()) : Outcome::reject(s.message());
  }

  // {"status": 201, "id": <the receiver's id>}; id only when the answer is JSON with one.
  static std::string receipt(const http::Response& res) {
    nlohmann::json r = {{"status", res.status}};
    const auto body = nlohmann::json::parse(res.body, nullptr, false);
    if (body.is_object() && body.contains("id") && (body["id"].is_string() || body["id"].is_number())) {
      r["id"] = body["id"];
    }
    return r.dump();
  }

  plugin::Host host_;
  std::string url_;
  std::string secret_;
  int max_redirects_ = 0;
  std::unique_ptr<http::Client> client_;
};

}  // namespace
}  // namespace schakel::webhook

SCHAKEL_PLUGIN(schakel::webhook::WebhookSink, "webhook", "0.1.0", schakel::webhook::k_manifest, false)
