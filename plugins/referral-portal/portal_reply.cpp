#include "portal_reply.hpp"

#include <chrono>

#include <nlohmann/json.hpp>

namespace schakel::referral_portal {

using plugin::Outcome;

Fout read_fout(const http::Response& res) {
  Fout f;
  f.summary = "HTTP " + std::to_string(res.status);
  const auto body = nlohmann::json::parse(res.body, nullptr, false);
  if (body.is_object() && body.contains("code") && body["code"].is_string()) {
    f.code = body["code"].get<std::string>();
    f.summary += " " + f.code;
    if (body.contains("melding") && body["melding"].is_string()) f.summary += ": " + body["melding"].get<std::string>();
    if (body.contains("fouten") && body["fouten"].is_array()) {
      for (const auto& e : body["fouten"]) {
        if (!e.is_object()) continue;
        f.summary += "; " + e.value("pad", std::string("?")) + ": " + e.value("melding", std::string("?"));
      }
    }
  } else if (body.is_object() && body.contains("error") && body["error"].is_string()) {
    f.code = body["error"].get<std::string>();
    f.summary += " " + f.code;
  } else if (!res.body.empty()) {
    constexpr std::size_t k_excerpt = 300;
    f.summary += ": " + res.body.substr(0, k_excerpt);
  }
  return f;
}

Outcome outcome_of(const http::Response& res, const std::string& what, std::int64_t now_us) {
  const Fout f = read_fout(res);
  const std::string text = "portal answered " + f.summary + " to " + what;
  switch (res.status) {
    case 401:
      // The adapter already fetched a new token and repeated the request once.
      return Outcome::retry(text + " (a fresh token was refused too)");
    case 429:
    case 503: {
      std::int64_t after_ms = 0;
      if (auto h = res.header("Retry-After")) {
        const TimePoint now{std::chrono::microseconds{now_us}};
        if (auto d = http::parse_retry_after(*h, now)) after_ms = d->count();
      }
      return Outcome::retry(text, after_ms);
    }
    case 422:
      return Outcome::reject("the portal refused " + what + " as invalid (" + f.summary + ")");
    default:
      break;
  }
  if (http::classify_status(res.status) == http::Outcome::transient) return Outcome::retry(text);
  return Outcome::reject(text);
}

Outcome outcome_of_failure(const Status& failure, const std::string& what) {
  const std::string text = what + ": " + failure.message();
  if (http::is_transient(failure)) return Outcome::retry(text);
  if (failure.code() == ErrorCode::denied) {
    return Outcome::fatal(text + " (check client_id and client_secret)");
  }
  return Outcome::fatal(text);
}

}  // namespace schakel::referral_portal
