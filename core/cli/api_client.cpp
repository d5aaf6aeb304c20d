#include "cli/api_client.hpp"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <optional>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>

#include "api/api_options.hpp"

namespace schakel::cli {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

constexpr auto k_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::uint64_t k_body_limit = 512ull * 1024 * 1024;  // audit exports can be large

bool is_ip_literal(const std::string& host) {
  boost::system::error_code ec;
  (void)asio::ip::make_address(host, ec);
  return !ec;
}

std::string where(const ApiEndpoint& e) {
  return (e.host.find(':') != std::string::npos ? "[" + e.host + "]" : e.host) + ":" + e.port;
}

// What went wrong, kept apart from the coroutine so the caller turns it into a Status.
struct Outcome {
  std::optional<ApiReply> reply;
  Status failure;
};

Status transport_failure(const ApiEndpoint& e, const std::string& step, const boost::system::error_code& ec,
                         std::chrono::milliseconds timeout) {
  if (ec == beast::error::timeout)
    return error(ErrorCode::unavailable, step + " " + where(e) + ": no answer within " +
                                             std::to_string(timeout.count()) + " ms");
  return error(ErrorCode::unavailable, step + " " + where(e) + ": " + ec.message());
}

template <typename Stream>
asio::awaitable<void> exchange(Stream& stream, beast::tcp_stream& lowest, const ClientSettings& s,
                               http::request<http::string_body>& request, Outcome& out) {
  lowest.expires_after(s.timeout);
  auto [wec, written] = co_await http::async_write(stream, request, k_tuple);
  if (wec) {
    out.failure = transport_failure(s.endpoint, "cannot send the request to", wec, s.timeout);
    co_return;
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(k_body_limit);
  lowest.expires_after(s.timeout);
  auto [rec, read] = co_await http::async_read(stream, buffer, parser, k_tuple);
  if (rec) {
    out.failure = transport_failure(s.endpoint, "no complete answer from", rec, s.timeout);
    co_return;
  }
  auto& res = parser.get();
  ApiReply reply;
  reply.status = static_cast<int>(res.result_int());
  reply.content_type = std::string(res[http::field::content_type]);
  reply.body = std::move(res.body());
  out.reply = std::move(reply);
}

Status verification_failure(SSL* ssl, const ClientSettings& s) {
  const long v = SSL_get_verify_result(ssl);
  if (v == X509_V_OK) return {};
  const std::string trust = s.ca_file.empty() ? "the system's trust store" : "the CA file " + s.ca_file;
  return error(ErrorCode::denied, "TLS: the certificate of " + where(s.endpoint) + " failed verification against " +
                                      trust + ": " + X509_verify_cert_error_string(v) +
                                      (s.ca_file.empty() ? " (pass --ca-file with the CA that signed it)" : ""));
}

asio::awaitable<void> run_call(const ClientSettings& s, ssl::context* ctx, http::request<http::string_body>& request,
                               Outcome& out) {
  auto ex = co_await asio::this_coro::executor;
  const ApiEndpoint& e = s.endpoint;
  tcp::resolver resolver(ex);
  auto [rec, results] = co_await resolver.async_resolve(e.host, e.port, k_tuple);
  if (rec) {
    out.failure = error(ErrorCode::unavailable, "cannot resolve " + e.host + ": " + rec.message());
    co_return;
  }
  beast::tcp_stream tcp_stream(ex);
  tcp_stream.expires_after(s.timeout);
  auto [cec, ep] = co_await tcp_stream.async_connect(results, k_tuple);
  if (cec) {
    out.failure = transport_failure(e, "cannot connect to", cec, s.timeout);
    co_return;
  }
  if (!ctx) {
    co_await exchange(tcp_stream, tcp_stream, s, request, out);
    co_return;
  }
  beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp_stream), *ctx);
  SSL* ssl = stream.native_handle();
  // The certificate must name what we dialled: an IP literal as an IP SAN, a name as a DNS SAN.
  if (is_ip_literal(e.host)) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), e.host.c_str());
  } else {
    // SSL_set_tlsext_host_name without its macro's C cast.
    SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             static_cast<void*>(const_cast<char*>(e.host.c_str())));
    SSL_set1_host(ssl, e.host.c_str());
  }
  beast::get_lowest_layer(stream).expires_after(s.timeout);
  auto [hec] = co_await stream.async_handshake(ssl::stream_base::client, k_tuple);
  if (hec) {
    if (auto bad = verification_failure(ssl, s); !bad) {
      out.failure = bad;
    } else if (hec == beast::error::timeout) {
      out.failure = transport_failure(e, "TLS handshake with", hec, s.timeout);
    } else {
      out.failure = error(ErrorCode::io, "TLS handshake with " + where(e) + " failed: " + hec.message());
    }
    co_return;
  }
  co_await exchange(stream, beast::get_lowest_layer(stream), s, request, out);
  // A peer that closes without close_notify is harmless here: the response is complete.
  beast::get_lowest_layer(stream).expires_after(std::min(s.timeout, std::chrono::milliseconds(2000)));
  (void)co_await stream.async_shutdown(k_tuple);
}

Result<std::unique_ptr<ssl::context>> client_context(const ClientSettings& s) {
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  boost::system::error_code ec;
  if (!s.ca_file.empty()) {
    (void)ctx->load_verify_file(s.ca_file, ec);
    if (ec) return error(ErrorCode::invalid, "--ca-file " + s.ca_file + ": cannot load: " + ec.message());
  } else {
    (void)ctx->set_default_verify_paths(ec);
    if (ec) return error(ErrorCode::invalid, "cannot load the system's trust store: " + ec.message());
  }
  ctx->set_verify_mode(ssl::verify_peer);
  return ctx;
}

}  // namespace

Result<ApiEndpoint> parse_api_url(const std::string& url) {
  const std::string what = "--url \"" + url + "\": ";
  auto u = boost::urls::parse_absolute_uri(url);
  if (!u) return error(ErrorCode::invalid, what + "not an absolute URL (e.g. https://127.0.0.1:8443)");
  ApiEndpoint e;
  const std::string scheme = u->scheme();
  if (scheme == "https") {
    e.tls = true;
  } else if (scheme == "http") {
    e.tls = false;
  } else {
    return error(ErrorCode::invalid, what + "the scheme must be https (or http on loopback)");
  }
  if (u->has_userinfo()) return error(ErrorCode::invalid, what + "credentials do not belong in the URL");
  if (u->has_query() || u->has_fragment()) return error(ErrorCode::invalid, what + "no query or fragment, please");
  e.host = u->host_address();
  if (e.host.size() > 2 && e.host.front() == '[') e.host = e.host.substr(1, e.host.size() - 2);
  if (e.host.empty()) return error(ErrorCode::invalid, what + "no host");
  e.port = u->has_port() ? std::string(u->port()) : (e.tls ? "443" : "80");
  e.base_path = u->path();
  while (!e.base_path.empty() && e.base_path.back() == '/') e.base_path.pop_back();
  // The token would travel in the clear: the daemon serves plain HTTP on loopback only, and so
  // does this client.
  if (!e.tls && !api::is_loopback_host(e.host))
    return error(ErrorCode::invalid, what + "plain http is allowed only to a loopback address; use https");
  return e;
}

Result<ApiReply> api_call(const ClientSettings& s, const std::string& method, const std::string& target,
                          const std::string& body, const std::string& content_type) {
  std::unique_ptr<ssl::context> ctx;
  if (s.endpoint.tls) {
    auto c = client_context(s);
    if (!c) return c.status();
    ctx = std::move(*c);
  }
  http::request<http::string_body> request;
  request.method_string(method);
  request.target(s.endpoint.base_path + target);
  request.version(11);
  request.set(http::field::host, where(s.endpoint));
  request.set(http::field::user_agent, "schakel-cli");
  request.set(http::field::accept, "application/json");
  request.set(http::field::connection, "close");
  if (!s.token.empty()) request.set(http::field::authorization, "Bearer " + s.token);
  if (!body.empty() || method == "POST" || method == "PUT") {
    request.set(http::field::content_type, content_type);
    request.body() = body;
    request.prepare_payload();
  }
  asio::io_context io;
  Outcome out;
  asio::co_spawn(io, run_call(s, ctx.get(), request, out), asio::detached);
  // Each step has its own timeout; this bounds the whole call, name resolution included.
  io.run_for(s.timeout * 5);
  if (out.reply) return std::move(*out.reply);
  if (!out.failure) return out.failure;
  return error(ErrorCode::unavailable, "no answer from " + where(s.endpoint) + " in time");
}

}  // namespace schakel::cli
