#pragma once
// OAuth2 client credentials on the HTTPS client: a token cached until shortly before it expires,
// and requests that carry it, refreshed once when the server says the token is invalid.
//
// The client secret arrives resolved (the config layer reads ${env:}/${file:}); it is sent only
// to the token endpoint and never appears in a log or an error message, even if a server echoes
// it back.
#include <chrono>
#include <mutex>
#include <string>

#include "base/clock.hpp"
#include "base/status.hpp"
#include "http/client.hpp"

namespace schakel::oauth2 {

struct ClientCredentials {
  std::string token_url;
  std::string client_id;
  std::string client_secret;
  std::string scope;               // optional, space-separated
  bool secret_in_basic_auth = false;  // client_secret_basic; default client_secret_post (form body)
  std::chrono::seconds refresh_margin{30};     // refresh this long before expires_in runs out
  std::chrono::seconds default_lifetime{300};  // when the server gives no expires_in
};

// Hands out a valid access token; thread-safe, one fetch at a time.
class TokenSource {
 public:
  // `client` and `clock` must outlive this object.
  TokenSource(http::Client& client, ClientCredentials credentials, const Clock& clock);

  // The cached token, or a new one from the token endpoint when there is none or it expires soon.
  Result<std::string> token();
  // Forgets `token` if it is still the cached one (the server refused it).
  void invalidate(const std::string& token);
  // Replaces every form of the secret in `text` with "***".
  [[nodiscard]] std::string scrub(std::string text) const;

 private:
  Result<std::string> fetch(TimePoint now);

  http::Client& client_;
  ClientCredentials credentials_;
  const Clock& clock_;
  std::mutex mutex_;
  std::string token_;
  TimePoint refresh_at_{};
};

// Sends requests with "Authorization: Bearer <token>". On a 401 with error "invalid_token"
// (WWW-Authenticate or JSON body) it fetches a new token and repeats the request once.
class AuthorizedClient {
 public:
  AuthorizedClient(http::Client& client, ClientCredentials credentials, const Clock& clock);
  Result<http::Response> send(http::Request request);
  TokenSource& tokens() { return tokens_; }

 private:
  http::Client& client_;
  TokenSource tokens_;
};

// Whether a response says the bearer token was not accepted (RFC 6750 section 3.1).
bool is_invalid_token(const http::Response& response);

}  // namespace schakel::oauth2
