#pragma once
// A blocking HTTPS client for plugin worker threads. Requests run on the client's own I/O thread
// (Beast + OpenSSL); send() waits for the result. TLS 1.2 or newer with certificate and host
// name verification; plain http only where the options allow it (tests, loopback).
//
// Errors are Status values: ErrorCode::unavailable is transient (timeouts, resets, refused
// connections, a response cut short) and worth a retry; ErrorCode::invalid is permanent (bad URL,
// TLS verification failure, an oversized response). HTTP status codes are not errors here: the
// caller gets the Response and may ask classify_status() or response_status() what it means.
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.hpp"
#include "base/status.hpp"

namespace schakel::http {

using Milliseconds = std::chrono::milliseconds;

struct ClientOptions {
  std::string ca_file;           // PEM bundle to trust; empty: the system store
  std::string client_cert_file;  // PEM chain for mutual TLS; empty: none
  std::string client_key_file;   // its private key (PEM)
  Milliseconds connect_timeout{10'000};  // each of: lookup + TCP connect, proxy CONNECT, TLS handshake
  Milliseconds read_timeout{30'000};     // longest silence while sending or receiving
  Milliseconds total_timeout{60'000};    // the whole request, redirects included
  std::size_t max_response_bytes = 8U << 20U;
  int max_redirects = 0;          // 0: a 3xx is returned to the caller as is
  bool allow_plain_http = false;  // http:// URLs only when set (tests, loopback)
  // "http://[user:password@]host:port" of a CONNECT proxy; unset: HTTPS_PROXY/https_proxy from
  // the environment for https URLs, honouring NO_PROXY and never for loopback hosts; an empty
  // string: no proxy.
  std::optional<std::string> proxy;
  std::size_t max_idle_per_host = 4;  // keep-alive connections kept per scheme://host:port
  Milliseconds idle_timeout{30'000};  // an idle connection older than this is not reused
  std::string user_agent = "schakel/0.1";
  const Clock* clock = nullptr;  // for Retry-After HTTP-dates; nullptr: the system clock
};

struct Header {
  std::string name;
  std::string value;
};

struct Request {
  std::string method = "GET";
  std::string url;
  std::vector<Header> headers;  // Host and Content-Length are set by the client; User-Agent replaces the default
  std::string body;             // sent exactly as given
};

struct Response {
  int status = 0;
  std::vector<Header> headers;
  std::string body;
  std::string url;  // scheme://host:port/path that answered (after redirects), without the query
  std::optional<Milliseconds> retry_after;  // parsed Retry-After (seconds or HTTP-date), >= 0

  // The first header with this name (case-insensitive), if any.
  [[nodiscard]] std::optional<std::string> header(std::string_view name) const;
};

enum class Outcome { success, transient, permanent };

// 2xx and 3xx: success; 408, 425, 429 and 5xx: transient; other 4xx (and anything odd): permanent.
Outcome classify_status(int status);

// OK for 2xx; otherwise "HTTP 503 from <url>: <start of body>" as unavailable (transient) or
// invalid (permanent) after classify_status.
Status response_status(const Response& response);

// Whether a failed send() is worth retrying.
inline bool is_transient(const Status& s) { return s.code() == ErrorCode::unavailable; }

// Parses a Retry-After value: delay-seconds or an HTTP-date (IMF-fixdate, RFC 850, asctime),
// relative to `now`; a date in the past gives 0. nullopt when malformed.
std::optional<Milliseconds> parse_retry_after(std::string_view value, TimePoint now);

class Client {
 public:
  // Fails when the CA bundle or the client certificate cannot be loaded.
  static Result<std::unique_ptr<Client>> create(ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends one request and waits for its response. Thread-safe; requests may run concurrently.
  // Must not be called while the client is being destroyed.
  Result<Response> send(const Request& request);

  [[nodiscard]] const ClientOptions& options() const;

  struct Impl;

 private:
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace schakel::http
