// The SWV referral-portal connector: sink for aanmeldingen and aanvullingen, revoke as intrekking,
// source of the portal's status changes. The contract is schemas/openapi/referral-portal.openapi.yaml.
#include <openssl/evp.h>

#include <chrono>
#include <initializer_list>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include <boost/url/parse.hpp>
#include <nlohmann/json.hpp>

#include "aanmelding.hpp"
#include "http/client.hpp"
#include "oauth2/client_credentials.hpp"
#include "portal_reply.hpp"
#include "referral_portal_manifest.hpp"
#include "schakel/plugin.hpp"

namespace schakel::referral_portal {
namespace {

using nlohmann::json;
using ojson = nlohmann::ordered_json;
using plugin::Outcome;

constexpr const char* k_stream = "referral_status";
constexpr const char* k_cursor_key = "cursor";
constexpr int k_max_pages_per_poll = 10'000;  // bounds a portal that always says meer

// The host's clock, for token expiry: tests move it, and plugins never read the system clock.
class HostClock final : public Clock {
 public:
  explicit HostClock(plugin::Host host) : host_(host) {}
  [[nodiscard]] TimePoint now() const override { return TimePoint{std::chrono::microseconds{host_.now_us()}}; }

 private:
  plugin::Host host_;
};

bool valid_idempotency_key(const std::string& key) {
  if (key.empty() || key.size() > 128) return false;
  for (char c : key) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

std::string sha256_hex(const std::string& text) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(text.data(), text.size(), md, &n, EVP_sha256(), nullptr);
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < n; ++i) {
    out += k_hex[md[i] >> 4U];
    out += k_hex[md[i] & 15U];
  }
  return out;
}

std::string receipt_of(const json& status, const std::string& fallback_id) {
  ojson r = ojson::object();
  r["portal_id"] = status.is_object() && status.contains("id") && status["id"].is_string()
                       ? status["id"].get<std::string>() : fallback_id;
  if (status.is_object() && status.contains("status") && status["status"].is_string()) r["status"] = status["status"];
  return r.dump();
}

bool one_of(const json& v, std::initializer_list<const char*> words) {
  for (const char* w : words) {
    if (v == w) return true;
  }
  return false;
}

// A contract Status as a referral_status record, or nullopt when it breaks the contract. What
// this returns always fits the stream's schema, so a failed emit can only mean "not stored".
std::optional<ojson> status_record(const json& s) {
  auto str = [&](const json& o, const char* k) { return o.contains(k) && o[k].is_string(); };
  if (!s.is_object() || !str(s, "id") || !str(s, "status") || !str(s, "gewijzigd_op")) return std::nullopt;
  if (s["id"].get_ref<const std::string&>().empty() ||
      !one_of(s["status"], {"ontvangen", "in_behandeling", "aanvullende_informatie_gevraagd", "toegekend", "afgewezen", "ingetrokken"}))
    return std::nullopt;
  if (s.contains("besluit") && s["besluit"].is_object()) {
    const json& b = s["besluit"];
    if (!str(b, "datum")) return std::nullopt;
    if (b.contains("tlv") && b["tlv"].is_object() && b["tlv"].contains("categorie") &&
        !one_of(b["tlv"]["categorie"], {"laag", "midden", "hoog"}))
      return std::nullopt;
  }
  ojson r = ojson::object();
  r["portal_id"] = s["id"];
  if (str(s, "referentie")) r["referentie"] = s["referentie"];
  r["status"] = s["status"];
  r["gewijzigd_op"] = s["gewijzigd_op"];
  if (str(s, "toelichting")) r["toelichting"] = s["toelichting"];
  if (s.contains("besluit") && s["besluit"].is_object()) {
    const json& b = s["besluit"];
    ojson out = ojson::object();
    if (str(b, "datum")) out["datum"] = b["datum"];
    if (b.contains("arrangement") && b["arrangement"].is_object()) {
      ojson a = ojson::object();
      for (const char* k : {"soort", "ingangsdatum", "einddatum"})
        if (str(b["arrangement"], k)) a[k] = b["arrangement"][k];
      out["arrangement"] = std::move(a);
    }
    if (b.contains("tlv") && b["tlv"].is_object()) {
      ojson t = ojson::object();
      for (const char* k : {"categorie", "einddatum"})
        if (str(b["tlv"], k)) t[k] = b["tlv"][k];
      out["tlv"] = std::move(t);
    }
    if (str(b, "toelichting")) out["toelichting"] = b["toelichting"];
    r["besluit"] = std::move(out);
  }
  return r;
}

class ReferralPortal final : public plugin::Plugin {
 public:
  ReferralPortal(plugin::Host host, const std::string& config_json) : host_(host), clock_(host) {
    const auto s = json::parse(config_json);
    base_ = s.at("base_url").get<std::string>();
    while (!base_.empty() && base_.back() == '/') base_.pop_back();
    const auto url = boost::urls::parse_uri(base_);
    if (!url) throw std::runtime_error("settings/base_url: not a URL: " + base_);
    const std::string host_name = url->host_address();
    const bool loopback = host_name == "localhost" || host_name == "::1" || host_name.rfind("127.", 0) == 0;
    http::ClientOptions o;
    if (url->scheme() == "http") {
      if (!loopback) throw std::runtime_error("settings/base_url: must be https (plain http only on a loopback address): " + base_);
      o.allow_plain_http = true;
    }
    o.ca_file = s.value("ca_file", "");
    auto ms = [&](const char* k, std::chrono::milliseconds d) {
      return s.contains(k) ? std::chrono::milliseconds{s.at(k).get<long long>()} : d;
    };
    o.connect_timeout = ms("connect_timeout_ms", o.connect_timeout);
    o.read_timeout = ms("read_timeout_ms", o.read_timeout);
    o.total_timeout = ms("total_timeout_ms", o.total_timeout);
    if (loopback) o.proxy = "";  // a loopback portal is never behind the environment's proxy
    o.user_agent = "schakel-referral-portal/0.1";
    page_limit_ = s.value("page_limit", 100);
    auto client = http::Client::create(std::move(o));
    if (!client) throw std::runtime_error(client.status().message());
    client_ = std::move(*client);
    oauth2::ClientCredentials c;
    c.token_url = base_ + "/oauth/token";
    c.client_id = s.at("client_id").get<std::string>();
    c.client_secret = s.at("client_secret").get<std::string>();
    c.scope = s.value("scope", "aanmeldingen");
    client_id_ = c.client_id;
    portal_ = std::make_unique<oauth2::AuthorizedClient>(*client_, std::move(c), clock_);
  }

  // A token, then the smallest read: proves the secret, the TLS trust and reachability.
  Outcome check() override {
    if (auto t = portal_->tokens().token(); !t) {
      const std::string m = scrub(t.status().message());
      if (m.find("invalid_client") != std::string::npos)
        return Outcome::reject("the portal refused client_id '" + client_id_ + "': wrong client_id or client_secret (" + m + ")");
      if (m.find("TLS") != std::string::npos)
        return Outcome::reject("TLS failure talking to " + base_ + " (is ca_file right?): " + m);
      if (http::is_transient(t.status())) return Outcome::retry("the portal at " + base_ + " is unreachable: " + m);
      return Outcome::reject(m);
    }
    auto res = portal_->send({"GET", base_ + "/api/v1/aanmeldingen/wijzigingen?limit=1", {{"Accept", "application/json"}}, {}});
    if (!res) return scrubbed(outcome_of_failure(res.status(), "check"));
    if (res->status == 200) return Outcome::ok();
    return scrubbed(outcome_of(*res, "the check's read of wijzigingen", host_.now_us()));
  }

  Outcome deliver(std::string_view document, const std::string& idempotency_key) override {
    if (!valid_idempotency_key(idempotency_key))
      return Outcome::reject("idempotency key must be 1-128 printable ASCII characters");
    auto req = map_document(document);
    if (!req) return Outcome::reject(req.status().message());
    const std::string what = req->kind + " for referral " + req->referentie;
    auto res = post(req->path, req->body, idempotency_key);
    if (!res) return scrubbed(outcome_of_failure(res.status(), what));
    if (res->status == 200 || res->status == 201) {
      const auto body = json::parse(res->body, nullptr, false);
      const std::string receipt = receipt_of(body, "");
      if (json::parse(receipt).value("portal_id", "").empty())
        return Outcome::reject("the portal answered " + std::to_string(res->status) + " to " + what + " without an id");
      host_.info(what + ": HTTP " + std::to_string(res->status) + ", receipt " + receipt);
      return Outcome::ok(receipt);
    }
    if (res->status == 409) {
      const Fout f = read_fout(*res);
      std::string hint;
      if (f.code == "geen_vraag_open") hint = ": the SWV has no open request for information on this referral";
      if (f.code == "sleutel_hergebruikt") hint = ": this Idempotency-Key was used before with a different body";
      return Outcome::reject("the portal refused " + what + " (" + f.summary + ")" + hint);
    }
    return scrubbed(outcome_of(*res, what, host_.now_us()));
  }

  Outcome revoke(const std::string& receipt_json, const std::string& reason) override {
    const auto receipt = json::parse(receipt_json, nullptr, false);
    if (!receipt.is_object() || !receipt.contains("portal_id") || !receipt["portal_id"].is_string() ||
        receipt["portal_id"].get<std::string>().empty())
      return Outcome::reject("revoke: the receipt has no portal_id: " + receipt_json.substr(0, 200));
    const std::string id = receipt["portal_id"].get<std::string>();
    ojson body = {{"reden", "toestemming_ingetrokken"}};
    if (!reason.empty()) body["toelichting"] = reason;
    // Derived from the portal id alone, so every retry of this withdrawal carries the same key.
    std::string key = "schakel-intrekking-" + id;
    if (!valid_idempotency_key(key)) key = "schakel-intrekking-" + sha256_hex(id);
    const std::string what = "intrekking of aanmelding " + id;
    auto res = post("/api/v1/aanmeldingen/" + percent_encode(id) + "/intrekking", body.dump(), key);
    if (!res) return scrubbed(outcome_of_failure(res.status(), what));
    if (res->status == 200) return Outcome::ok(receipt_of(json::parse(res->body, nullptr, false), id));
    if (res->status == 409) {
      // Already withdrawn (by an earlier attempt with another reason, or by the SWV) is done;
      // decided is final and needs people, not retries.
      const std::string status = current_status(id);
      if (status == "ingetrokken") {
        host_.info(what + ": already withdrawn at the portal");
        return Outcome::ok(receipt_of(json{{"id", id}, {"status", status}}, id));
      }
      const Fout f = read_fout(*res);
      if (f.code == "besloten")
        return Outcome::reject("the SWV has already decided on aanmelding " + id +
                               (status.empty() ? "" : " (status " + status + ")") +
                               "; it cannot be withdrawn: contact the SWV (portal: " + f.summary + ")");
      return Outcome::reject("the portal refused the " + what + " (" + f.summary + ")");
    }
    if (res->status == 404) return Outcome::reject("the portal does not know aanmelding " + id + " (" + read_fout(*res).summary + ")");
    return scrubbed(outcome_of(*res, what, host_.now_us()));
  }

  Outcome poll() override {
    std::optional<std::string> cursor = host_.state(k_cursor_key);
    for (int page = 0; page < k_max_pages_per_poll; ++page) {
      std::string url = base_ + "/api/v1/aanmeldingen/wijzigingen?limit=" + std::to_string(page_limit_);
      if (cursor) url += "&cursor=" + percent_encode(*cursor);
      auto res = portal_->send({"GET", url, {{"Accept", "application/json"}}, {}});
      if (!res) return scrubbed(outcome_of_failure(res.status(), "reading wijzigingen"));
      if (res->status == 400) {
        const Fout f = read_fout(*res);
        if (f.code == "ongeldige_cursor")
          return Outcome::reject("the portal refused the stored cursor (connector state '" + std::string(k_cursor_key) +
                                 "'; " + f.summary + "); after a reset of the portal, clear that state to read all changes again");
      }
      if (res->status != 200) return scrubbed(outcome_of(*res, "reading wijzigingen", host_.now_us()));
      const auto body = json::parse(res->body, nullptr, false);
      if (!body.is_object() || !body.contains("wijzigingen") || !body["wijzigingen"].is_array() ||
          !body.contains("volgende_cursor") || !body["volgende_cursor"].is_string() ||
          !body.contains("meer") || !body["meer"].is_boolean())
        return Outcome::reject("the portal's wijzigingen page does not follow the contract (needs wijzigingen, volgende_cursor, meer)");
      const auto& items = body["wijzigingen"];
      for (std::size_t i = 0; i < items.size(); ++i) {
        auto record = status_record(items[i]);
        if (!record) {
          host_.warn("wijzigingen: item " + std::to_string(i) + " of a page does not follow the contract's Status (id, status, gewijzigd_op, besluit.datum); skipped");
          continue;
        }
        // The host stores the record before emit returns; stop here so the cursor stays put.
        if (!host_.emit(k_stream, record->dump()))
          return Outcome::retry("status change of aanmelding " + (*record)["portal_id"].get<std::string>() +
                                " was not stored; the cursor stays before it");
      }
      const std::string next = body["volgende_cursor"].get<std::string>();
      if (!host_.put_state(k_cursor_key, next)) return Outcome::retry("cannot store the wijzigingen cursor");
      cursor = next;
      if (!body["meer"].get<bool>()) return Outcome::ok();
    }
    return Outcome::ok();  // the rest on the next poll
  }

 private:
  Result<http::Response> post(const std::string& path, const std::string& body, const std::string& key) {
    http::Request req{"POST", base_ + path, {}, body};
    req.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}, {"Idempotency-Key", key}};
    return portal_->send(std::move(req));
  }

  // The portal's status of one aanmelding, or "" when it cannot be read now.
  std::string current_status(const std::string& id) {
    auto res = portal_->send({"GET", base_ + "/api/v1/aanmeldingen/" + percent_encode(id), {{"Accept", "application/json"}}, {}});
    if (!res || res->status != 200) return {};
    const auto body = json::parse(res->body, nullptr, false);
    return body.is_object() && body.contains("status") && body["status"].is_string() ? body["status"].get<std::string>() : "";
  }

  std::string scrub(std::string text) { return portal_->tokens().scrub(std::move(text)); }
  Outcome scrubbed(Outcome o) {
    o.message = scrub(std::move(o.message));
    return o;
  }

  plugin::Host host_;
  HostClock clock_;
  std::string base_;
  std::string client_id_;
  int page_limit_ = 100;
  std::unique_ptr<http::Client> client_;
  std::unique_ptr<oauth2::AuthorizedClient> portal_;
};

}  // namespace
}  // namespace schakel::referral_portal

SCHAKEL_PLUGIN(schakel::referral_portal::ReferralPortal, "referral-portal", "0.1.0",
               schakel::referral_portal::k_manifest, true)
