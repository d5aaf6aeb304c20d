#pragma once
// The CLI's client for the daemon's admin API: one HTTPS request per call, on Beast and OpenSSL.
// TLS 1.2 or newer only; the server's certificate is verified (chain and host name or IP) against
// a given CA file or the system's trust store; every step has a timeout. The bearer token is kept
// here and never appears in a message.
#include <chrono>
#include <string>

#include "base/status.hpp"

namespace schakel::cli {

struct ApiEndpoint {
  bool tls = true;
  std::string host;       // name or IP, without brackets
  std::string port;       // "8443"
  std::string base_path;  // "" or a prefix such as "/schakel" (no trailing slash)
};

// "https://host[:port][/prefix]" or "http://..." (plain HTTP only to a loopback address, as the
// daemon itself allows). invalid, with the reason, otherwise.
Result<ApiEndpoint> parse_api_url(const std::string& url);

struct ClientSettings {
  ApiEndpoint endpoint;
  std::string token;    // the bearer secret; empty: send none
  std::string ca_file;  // empty: the system's trust store
  std::chrono::milliseconds timeout{30'000};  // per step: connect, handshake, write, read
};

struct ApiReply {
  int status = 0;
  std::string content_type;
  std::string body;
};

// Error codes: unavailable for connection and timeout failures, denied when the server's
// certificate fails verification (the message says why and what to pass), io for other TLS or
// protocol failures.
Result<ApiReply> api_call(const ClientSettings& settings, const std::string& method, const std::string& target,
                          const std::string& body = "", const std::string& content_type = "application/json");

}  // namespace schakel::cli
