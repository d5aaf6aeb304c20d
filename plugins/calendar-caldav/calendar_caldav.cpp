// The CalDAV connector: keeps one recipient's calendar in step with Schakel's meetings (sink) and
// reads back what changed there (source). Schakel owns time and agenda, the recipient their own
// PARTSTAT; every write is conditional (If-None-Match: * or If-Match), so a change made behind
// Schakel's back is never overwritten blind.
#include <memory>
#include <stdexcept>
#include <string>

#include <boost/url/parse.hpp>
#include <nlohmann/json.hpp>

#include "calendar_caldav_manifest.hpp"
#include "dav_client.hpp"
#include "schakel/plugin.hpp"
#include "sync_engine.hpp"

namespace schakel::caldav {
namespace {

using nlohmann::json;
using plugin::Outcome;

std::chrono::milliseconds ms_setting(const json& s, const char* key, std::chrono::milliseconds fallback) {
  return s.contains(key) ? std::chrono::milliseconds{s.at(key).get<long long>()} : fallback;
}

bool is_loopback_url(const std::string& url) {
  auto u = boost::urls::parse_uri(url);
  if (!u) return false;
  const std::string host = u->host_address();
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

class CalendarCaldav final : public plugin::Plugin {
 public:
  CalendarCaldav(plugin::Host host, const std::string& config_json) : host_(host) {
    const auto s = json::parse(config_json);
    DavOptions o;
    o.base_url = s.at("url").get<std::string>();
    o.username = s.at("username").get<std::string>();
    o.password = s.at("password").get<std::string>();
    o.http.ca_file = s.value("ca_file", "");
    o.http.connect_timeout = ms_setting(s, "connect_timeout_ms", o.http.connect_timeout);
    o.http.read_timeout = ms_setting(s, "read_timeout_ms", o.http.read_timeout);
    o.http.total_timeout = ms_setting(s, "total_timeout_ms", o.http.total_timeout);
    o.http.max_response_bytes = s.value("max_response_bytes", std::size_t{16} << 20U);
    o.http.allow_plain_http = s.value("allow_plain_http", false);
    o.http.user_agent = "schakel-caldav/0.1";
    if (o.http.allow_plain_http && !is_loopback_url(o.base_url)) {
      throw std::runtime_error("settings/allow_plain_http: plain http is allowed only for a loopback url, not " +
                               o.base_url);
    }
    auto dav = DavClient::create(std::move(o));
    if (!dav) throw std::runtime_error(dav.status().message());
    SyncSettings ss;
    ss.recipient_email = s.at("recipient_email").get<std::string>();
    ss.calendar = s.value("calendar", "");
    ss.use_sync_collection = s.value("sync", std::string("auto")) == "auto";
    engine_ = std::make_unique<SyncEngine>(host_, std::move(*dav), std::move(ss));
  }

  Outcome check() override {
    auto c = engine_->collection();
    if (!c) return outcome(c.status());
    host_.info("calendar collection " + *c);
    return Outcome::ok();
  }

  Outcome deliver(std::string_view document, const std::string& /*idempotency_key*/) override {
    // The If-Match/If-None-Match conditions make a repeated delivery safe without the key.
    const json doc = json::parse(document, nullptr, false);
    if (!doc.is_object() || !doc.contains("event")) return Outcome::reject("document/event: is required");
    auto receipt = engine_->write(doc.at("event"));
    if (!receipt) return outcome(receipt.status());
    return Outcome::ok(receipt->dump());
  }

  Outcome poll() override {
    const Status s = engine_->read_changes();
    return s ? Outcome::ok() : outcome(s);
  }

 private:
  static Outcome outcome(const Status& s) {
    switch (s.code()) {
      case ErrorCode::unavailable:
      case ErrorCode::conflict: return Outcome::retry(s.message());
      case ErrorCode::denied:
      case ErrorCode::not_found: return Outcome::fatal(s.message());
      default: return Outcome::reject(s.message());
    }
  }

  plugin::Host host_;
  std::unique_ptr<SyncEngine> engine_;
};

}  // namespace
}  // namespace schakel::caldav

SCHAKEL_PLUGIN(schakel::caldav::CalendarCaldav, "calendar-caldav", "0.1.0", schakel::caldav::k_manifest, false)
