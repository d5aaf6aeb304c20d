// OAuth2 client credentials: fetch, cache, refresh once.
#include "oauth2/client_credentials.hpp"

#include <cctype>

#include <openssl/evp.h>

#include <nlohmann/json.hpp>

namespace schakel::oauth2 {

namespace {

// application/x-www-form-urlencoded value (RFC 6749 appendix B).
std::string form_encode(const std::string& in) {
  static constexpr char k_hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : in) {
    if (std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += k_hex[c >> 4U];
      out += k_hex[c & 15U];
    }
  }
  return out;
}

std::string base64(const std::string& in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

void replace_all(std::string& text, const std::string& what, const std::string& with) {
  if (what.empty()) return;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + with.size())) {
    text.replace(pos, what.size(), with);
  }
}

std::string basic_credentials(const ClientCredentials& c) {
  return base64(form_encode(c.client_id) + ":" + form_encode(c.client_secret));
}

}  // namespace

bool is_invalid_token(const http::Response& response) {
  if (response.status != 401) return false;
  if (auto h = response.header("WWW-Authenticate"); h && h->find("invalid_token") != std::string::npos) return true;
  const auto body = nlohmann::json::parse(response.body, nullptr, false);
  return body.is_object() && body.value("error", "") == "invalid_token";
}

TokenSource::TokenSource(http::Client& client, ClientCredentials credentials, const Clock& clock)
    : client_(client), credentials_(std::move(credentials)), clock_(clock) {}

std::string TokenSource::scrub(std::string text) const {
  const std::string& s = credentials_.client_secret;
  replace_all(text, s, "***");
  replace_all(text, form_encode(s), "***");
  replace_all(text, basic_credentials(credentials_), "***");
  return text;
}

Result<std::string> TokenSource::token() {
  std::lock_guard lock(mutex_);
  const TimePoint now = clock_.now();
  if (!token_.empty() && now < refresh_at_) return token_;
  return fetch(now);
}

void TokenSource::invalidate(const std::string& token) {
  std::lock_guard lock(mutex_);
  if (token == token_) token_.clear();
}

Result<std::string> TokenSource::fetch(TimePoint now) {
  const std::string where = "OAuth2 token request to " + credentials_.token_url;
  http::Request req{"POST", credentials_.token_url, {}, "grant_type=client_credentials"};
  req.headers.push_back({"Content-Type", "application/x-www-form-urlencoded"});
  req.headers.push_back({"Accept", "application/json"});
  if (credentials_.secret_in_basic_auth) {
    req.headers.push_back({"Authorization", "Basic " + basic_credentials(credentials_)});
  } else {
    req.body += "&client_id=" + form_encode(credentials_.client_id) +
                "&client_secret=" + form_encode(credentials_.client_secret);
  }
  if (!credentials_.scope.empty()) req.body += "&scope=" + form_encode(credentials_.scope);

  auto res = client_.send(req);
  if (!res) return Status(res.status().code(), scrub(where + ": " + res.status().message()));
  if (res->status != 200) {
    std::string detail = "HTTP " + std::to_string(res->status);
    const auto body = nlohmann::json::parse(res->body, nullptr, false);
    if (body.is_object() && body.contains("error")) {
      detail += " (" + body.value("error", std::string("?"));
      if (body.contains("error_description") && body["error_description"].is_string()) {
        detail += ": " + body["error_description"].get<std::string>();
      }
      detail += ")";
    } else if (!res->body.empty()) {
      detail += ": " + res->body.substr(0, 200);
    }
    const bool transient = http::classify_status(res->status) == http::Outcome::transient;
    return Status(transient ? ErrorCode::unavailable : ErrorCode::denied, scrub(where + " failed: " + detail));
  }
  const auto body = nlohmann::json::parse(res->body, nullptr, false);
  if (!body.is_object() || !body.contains("access_token") || !body["access_token"].is_string() ||
      body["access_token"].get<std::string>().empty()) {
    return error(ErrorCode::invalid, where + ": the response has no access_token");
  }
  if (body.contains("token_type") && body["token_type"].is_string()) {
    std::string type = body["token_type"].get<std::string>();
    for (auto& ch : type) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (type != "bearer") return error(ErrorCode::invalid, where + ": token_type '" + type + "' is not Bearer");
  }
  std::chrono::seconds lifetime = credentials_.default_lifetime;
  if (body.contains("expires_in") && body["expires_in"].is_number()) {
    lifetime = std::chrono::seconds{body["expires_in"].get<long long>()};
  }
  // Refresh a margin before expiry, but never let a short-lived token count as expired at once.
  const auto usable = lifetime > 2 * credentials_.refresh_margin ? lifetime - credentials_.refresh_margin : lifetime / 2;
  token_ = body["access_token"].get<std::string>();
  refresh_at_ = now + usable;
  return token_;
}

AuthorizedClient::AuthorizedClient(http::Client& client, ClientCredentials credentials, const Clock& clock)
    : client_(client), tokens_(client, std::move(credentials), clock) {}

Result<http::Response> AuthorizedClient::send(http::Request request) {
  const std::size_t auth_index = request.headers.size();
  for (int attempt = 0;; ++attempt) {
    auto token = tokens_.token();
    if (!token) return token.status();
    request.headers.resize(auth_index);
    request.headers.push_back({"Authorization", "Bearer " + *token});
    auto res = client_.send(request);
    if (!res || attempt > 0 || !is_invalid_token(*res)) return res;
    tokens_.invalidate(*token);
  }
}

}  // namespace schakel::oauth2
