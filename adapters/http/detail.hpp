#pragma once
// Internals of the HTTPS client shared by its source files; not part of the public API.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "http/client.hpp"

namespace schakel::http::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ssl = boost::asio::ssl;
using SteadyClock = std::chrono::steady_clock;

// Where a request goes, taken apart once.
struct Target {
  bool tls = true;
  bool ip_literal = false;
  std::string host;        // decoded host name or address, without brackets
  std::string host_port;   // as in a Host header: "host", "[::1]:8443"
  std::uint16_t port = 0;
  std::string target;      // path and query, "/" at least
  std::string display;     // scheme://host:port/path for messages; no user info, no query
  std::string user_info;   // decoded "user:password" (a proxy URL's credentials), else empty
  [[nodiscard]] std::string pool_key() const {
    return (tls ? "https://" : "http://") + host + ":" + std::to_string(port);
  }
};

// Checks the scheme against the options; "what is wrong" messages name the URL.
Result<Target> parse_target(const std::string& url, bool allow_plain_http);
// The proxy to use for `t`, if any: options.proxy, else HTTPS_PROXY/NO_PROXY from the environment.
Result<std::optional<Target>> proxy_for(const ClientOptions& options, const Target& t);
// Resolves `location` against `base`; empty on failure.
std::string resolve_location(const std::string& base, const std::string& location);
std::string base64(const std::string& in);

// The time allowed for each step: its own limit or what is left of the total, whichever is less.
class Deadline {
 public:
  explicit Deadline(Milliseconds total) : total_(total), end_(SteadyClock::now() + total) {}
  struct Budget {
    SteadyClock::duration allowed;
    std::string limit;  // "read timeout of 200 ms" or "total timeout of 1000 ms"
  };
  [[nodiscard]] Budget next(Milliseconds step, const char* step_name) const;

 private:
  Milliseconds total_;
  SteadyClock::time_point end_;
};

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// One connection, plain or TLS; only the client's I/O thread touches it.
struct Connection {
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<TlsStream> tls;
  beast::flat_buffer buffer;
  SteadyClock::time_point idle_since{};
  beast::tcp_stream& tcp() { return tls ? beast::get_lowest_layer(*tls) : *plain; }
};

// TLS context for the options: TLS 1.2+, peer verification, CA bundle, client certificate.
Result<std::unique_ptr<ssl::context>> make_tls_context(const ClientOptions& options);
// Sets SNI and the name or address the certificate must match on a new stream.
Status prepare_tls_stream(TlsStream& stream, const Target& t);
// Explains a failed handshake: verification failures and protocol refusals are permanent.
Status describe_handshake_failure(TlsStream& stream, const boost::system::error_code& ec,
                                  const Target& t, const Deadline::Budget& budget);

// Opens a connection (through the proxy if given) and completes the TLS handshake.
asio::awaitable<Result<std::unique_ptr<Connection>>> open_connection(
    ssl::context& tls_context, const Target& t, const std::optional<Target>& proxy,
    const ClientOptions& options, const Deadline& deadline);

struct Exchange {
  Status status;           // not OK: no usable response
  bool got_bytes = false;  // some of the response arrived (a retry on a fresh connection is unsafe)
  bool closed_unanswered = false;  // the peer closed before answering: a stale pooled connection
  bool keep_alive = false;
  std::optional<beast::http::response<beast::http::string_body>> response;
};
// Writes `request` and reads the response within the read and total timeouts.
asio::awaitable<Exchange> exchange(Connection& c, beast::http::request<beast::http::string_body>& request,
                                   const Target& t, const ClientOptions& options, const Deadline& deadline);

}  // namespace schakel::http::detail
