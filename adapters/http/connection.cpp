// Opening connections (direct or through a CONNECT proxy) and one request/response exchange.
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "http/detail.hpp"

namespace schakel::http::detail {

namespace bhttp = beast::http;
using boost::system::error_code;
using tcp = asio::ip::tcp;

namespace {

auto redirect(error_code& ec) { return asio::redirect_error(asio::use_awaitable, ec); }

std::string authority(const Target& t) {
  const std::string h = t.host.find(':') != std::string::npos ? "[" + t.host + "]" : t.host;
  return h + ":" + std::to_string(t.port);
}

asio::awaitable<Status> connect_tcp(beast::tcp_stream& stream, const Target& hop, const Target& t,
                                    const ClientOptions& options, const Deadline& deadline) {
  error_code ec;
  const auto budget = deadline.next(options.connect_timeout, "connect");
  stream.expires_after(budget.allowed);
  if (hop.ip_literal) {
    const auto address = asio::ip::make_address(hop.host, ec);
    if (ec) co_return error(ErrorCode::invalid, "not an IP address: " + hop.host);
    co_await stream.async_connect(tcp::endpoint(address, hop.port), redirect(ec));
  } else {
    tcp::resolver resolver(stream.get_executor());
    auto endpoints = co_await resolver.async_resolve(hop.host, std::to_string(hop.port), redirect(ec));
    if (ec) {
      co_return error(ErrorCode::unavailable,
                      "cannot resolve " + hop.host + " (" + ec.message() + ") for " + t.display);
    }
    co_await stream.async_connect(endpoints, redirect(ec));
  }
  if (ec == beast::error::timeout) {
    co_return error(ErrorCode::unavailable,
                    "timeout: connecting to " + authority(hop) + " exceeded the " + budget.limit + " for " + t.display);
  }
  if (ec) {
    co_return error(ErrorCode::unavailable,
                    "cannot connect to " + authority(hop) + " (" + ec.message() + ") for " + t.display);
  }
  co_return Status{};
}

// Asks the proxy for a tunnel to `t` (RFC 9110 section 9.3.6).
asio::awaitable<Status> open_tunnel(beast::tcp_stream& stream, const Target& proxy, const Target& t,
                                    const ClientOptions& options, const Deadline& deadline) {
  error_code ec;
  bhttp::request<bhttp::empty_body> req{bhttp::verb::connect, authority(t), 11};
  req.set(bhttp::field::host, authority(t));
  req.set(bhttp::field::user_agent, options.user_agent);
  if (!proxy.user_info.empty()) req.set(bhttp::field::proxy_authorization, "Basic " + base64(proxy.user_info));
  const auto budget = deadline.next(options.connect_timeout, "connect");
  stream.expires_after(budget.allowed);
  co_await bhttp::async_write(stream, req, redirect(ec));
  bhttp::response_parser<bhttp::empty_body> parser;
  parser.skip(true);  // a 2xx answer to CONNECT has no body; the tunnel starts right after it
  beast::flat_buffer buffer;
  if (!ec) co_await bhttp::async_read_header(stream, buffer, parser, redirect(ec));
  if (ec == beast::error::timeout) {
    co_return error(ErrorCode::unavailable, "timeout: proxy " + authority(proxy) + " exceeded the " +
                                                budget.limit + " for " + t.display);
  }
  if (ec) {
    co_return error(ErrorCode::unavailable,
                    "proxy " + authority(proxy) + " failed (" + ec.message() + ") for " + t.display);
  }
  const int status = parser.get().result_int();
  if (status / 100 != 2) {
    const ErrorCode code = classify_status(status) == Outcome::transient ? ErrorCode::unavailable : ErrorCode::invalid;
    co_return error(code, "proxy " + authority(proxy) + " refused the tunnel with HTTP " + std::to_string(status) +
                              " for " + t.display);
  }
  co_return Status{};
}

bool closed_early(const error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == ssl::error::stream_truncated;
}

template <class Stream>
asio::awaitable<Exchange> exchange_on(Stream& stream, beast::tcp_stream& lowest, beast::flat_buffer& buffer,
                                      bhttp::request<bhttp::string_body>& request, const Target& t,
                                      const ClientOptions& options, const Deadline& deadline) {
  Exchange ex;
  error_code ec;
  auto budget = deadline.next(options.read_timeout, "read");
  lowest.expires_after(budget.allowed);
  co_await bhttp::async_write(stream, request, redirect(ec));
  if (ec) {
    ex.closed_unanswered = closed_early(ec);
    ex.status = ec == beast::error::timeout
                    ? error(ErrorCode::unavailable, "timeout: sending the request exceeded the " + budget.limit +
                                                        " for " + t.display)
                    : error(ErrorCode::unavailable, "sending the request failed (" + ec.message() + ") for " + t.display);
    co_return ex;
  }
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(options.max_response_bytes);
  if (request.method() == bhttp::verb::head) parser.skip(true);
  while (!parser.is_done()) {
    budget = deadline.next(options.read_timeout, "read");
    lowest.expires_after(budget.allowed);
    co_await bhttp::async_read_some(stream, buffer, parser, redirect(ec));
    ex.got_bytes = ex.got_bytes || parser.got_some() || buffer.size() > 0;
    if (!ec) continue;
    if (ec == beast::error::timeout) {
      ex.status = error(ErrorCode::unavailable, std::string("timeout: ") +
                                                    (ex.got_bytes ? "the response stalled past the "
                                                                  : "no response within the ") +
                                                    budget.limit + " for " + t.display);
    } else if (ec == bhttp::error::body_limit) {
      ex.status = error(ErrorCode::invalid, "response body exceeds the limit of " +
                                                std::to_string(options.max_response_bytes) + " bytes for " + t.display);
    } else if (ec == bhttp::error::header_limit) {
      ex.status = error(ErrorCode::invalid, "response headers too large for " + t.display);
    } else if (closed_early(ec)) {
      ex.closed_unanswered = !ex.got_bytes;
      ex.status = error(ErrorCode::unavailable, std::string("connection closed ") +
                                                    (ex.got_bytes ? "mid-response" : "before a response") + " (" +
                                                    ec.message() + ") for " + t.display);
    } else {
      ex.status = error(ErrorCode::unavailable, "malformed response (" + ec.message() + ") from " + t.display);
    }
    co_return ex;
  }
  lowest.expires_never();
  ex.keep_alive = parser.get().keep_alive() && request.keep_alive();
  ex.response = parser.release();
  co_return ex;
}

}  // namespace

asio::awaitable<Result<std::unique_ptr<Connection>>> open_connection(ssl::context& tls_context, const Target& t,
                                                                     const std::optional<Target>& proxy,
                                                                     const ClientOptions& options,
                                                                     const Deadline& deadline) {
  auto executor = co_await asio::this_coro::executor;
  beast::tcp_stream stream(executor);
  Status s = co_await connect_tcp(stream, proxy ? *proxy : t, t, options, deadline);
  if (!s) co_return s;
  if (proxy) {
    s = co_await open_tunnel(stream, *proxy, t, options, deadline);
    if (!s) co_return s;
  }
  auto c = std::make_unique<Connection>();
  if (!t.tls) {
    stream.expires_never();
    c->plain = std::make_unique<beast::tcp_stream>(std::move(stream));
    co_return c;
  }
  c->tls = std::make_unique<TlsStream>(std::move(stream), tls_context);
  s = prepare_tls_stream(*c->tls, t);
  if (!s) co_return s;
  const auto budget = deadline.next(options.connect_timeout, "connect");
  c->tcp().expires_after(budget.allowed);
  error_code ec;
  co_await c->tls->async_handshake(ssl::stream_base::client, redirect(ec));
  if (ec) co_return describe_handshake_failure(*c->tls, ec, t, budget);
  c->tcp().expires_never();
  co_return c;
}

asio::awaitable<Exchange> exchange(Connection& c, bhttp::request<bhttp::string_body>& request, const Target& t,
                                   const ClientOptions& options, const Deadline& deadline) {
  if (c.tls) co_return co_await exchange_on(*c.tls, c.tcp(), c.buffer, request, t, options, deadline);
  co_return co_await exchange_on(*c.plain, c.tcp(), c.buffer, request, t, options, deadline);
}

}  // namespace schakel::http::detail
