// One connection: optional TLS handshake, then requests read with limits and timeouts, handled
// on the blocking pool, answered on the connection's strand.
#include <algorithm>
#include <array>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "api/server_state.hpp"

namespace schakel::api {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
constexpr auto k_tuple = asio::as_tuple(asio::use_awaitable);

// Clears the handle's close function however the coroutine ends: it refers to the stream.
struct CloseGuard {
  SessionHandle& handle;
  ~CloseGuard() { handle.close = nullptr; }
};

// The answer to a request that could not be read, or none when the connection just ends.
std::optional<ApiResponse> refusal_for(const beast::error_code& ec) {
  if (ec == http::error::body_limit) {
    return error_response(413, "payload_too_large", "the request body is larger than the server accepts");
  }
  if (ec == http::error::header_limit) {
    return error_response(431, "headers_too_large", "the request headers are larger than the server accepts");
  }
  if (ec == http::error::end_of_stream || ec == http::error::partial_message) return std::nullopt;
  if (ec.category() == http::make_error_code(http::error::bad_target).category()) {
    return error_response(400, "malformed_http", "the HTTP request is malformed: " + ec.message());
  }
  return std::nullopt;
}

ApiRequest to_api_request(http::request<http::string_body>&& msg, const std::string& ip) {
  ApiRequest r;
  r.method = std::string(msg.method_string());
  r.target = std::string(msg.target());
  for (const auto& field : msg) {
    std::string name(field.name_string());
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    r.headers[name] = std::string(field.value());
  }
  r.body = std::move(msg.body());
  r.client_ip = ip;
  return r;
}

template <class Stream>
asio::awaitable<bool> write_response(ApiServer::State& s, Stream& stream, ApiResponse& resp, unsigned version,
                                     bool keep_alive) {
  http::response<http::string_body> res{static_cast<http::status>(resp.status), version};
  res.set(http::field::server, "schakel");
  res.set(http::field::cache_control, "no-store");  // responses may hold personal data
  res.set("X-Content-Type-Options", "nosniff");
  if (s.tls) res.set(http::field::strict_transport_security, "max-age=31536000");
  if (!resp.content_type.empty()) res.set(http::field::content_type, resp.content_type);
  for (const auto& [name, value] : resp.headers) res.set(name, value);
  res.keep_alive(keep_alive);
  res.body() = std::move(resp.body);  // a page of audit entries is tens of kilobytes
  res.prepare_payload();
  beast::get_lowest_layer(stream).expires_after(s.options.write_timeout);
  auto [ec, n] = co_await http::async_write(stream, res, k_tuple);
  co_return !ec;
}

// After refusing a request whose body is still arriving, reads and discards for a bounded time:
// closing a socket with unread data sends a reset, which can destroy the refusal in flight.
template <class Stream>
asio::awaitable<void> drain(ApiServer::State& s, Stream& stream) {
  std::array<char, 8192> scratch{};
  std::size_t total = 0;
  // Our side is done: the client sees the end of the response at once.
  beast::error_code ignored;
  beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_send, ignored);
  beast::get_lowest_layer(stream).expires_after(std::min(s.options.read_timeout, std::chrono::milliseconds(2000)));
  while (total < 4 * s.options.body_limit_bytes + 65536) {
    auto [ec, n] = co_await stream.async_read_some(asio::buffer(scratch), k_tuple);
    if (ec) co_return;
    total += n;
  }
}

template <class Stream>
asio::awaitable<void> serve_requests(ApiServer::State& s, Stream& stream, SessionHandle& handle,
                                     const std::string& ip) {
  beast::flat_buffer buffer;
  for (;;) {
    if (s.stopping) co_return;
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(s.options.header_limit_bytes));
    parser.body_limit(s.options.body_limit_bytes);
    beast::error_code ec;
    if (buffer.size() == 0) {
      // Between requests the idle timeout applies; once bytes arrive, the read timeout.
      handle.idle = true;
      beast::get_lowest_layer(stream).expires_after(s.options.idle_timeout);
      // A plain read, not the parser's: that would keep reading a partial head under this timeout.
      auto [read_ec, n] = co_await stream.async_read_some(buffer.prepare(8192), k_tuple);
      buffer.commit(n);
      handle.idle = false;
      ec = read_ec;
    }
    if (!ec && !parser.is_done()) {
      beast::get_lowest_layer(stream).expires_after(s.options.read_timeout);
      auto [read_ec, n] = co_await http::async_read(stream, buffer, parser, k_tuple);
      ec = read_ec;
    }
    if (ec) {
      if (ec == beast::error::timeout) s.timeouts.inc();
      if (auto refusal = refusal_for(ec)) {
        // The rest of the request is unread, so the connection cannot be reused.
        s.service.metrics()
            .counter("schakel_api_requests_total", "API requests by route and status",
                     {{"method", ""}, {"route", "unread"}, {"status", std::to_string(refusal->status)}})
            .inc();
        if (co_await write_response(s, stream, *refusal, 11, false)) co_await drain(s, stream);
      }
      co_return;
    }
    http::request<http::string_body> msg = parser.release();
    const unsigned version = msg.version();
    const bool keep_alive = msg.keep_alive();
    ApiRequest request = to_api_request(std::move(msg), ip);
    ApiResponse response;
    RouteMatch match = s.service.match(request);
    if (ApiService::runs_inline(match)) {
      response = s.service.handle(request, std::move(match));
    } else {
      response = co_await asio::co_spawn(
          s.pool.get_executor(),
          [&s, &request, &match]() -> asio::awaitable<ApiResponse> {
            co_return s.service.handle(request, std::move(match));
          },
          asio::use_awaitable);
    }
    if (!co_await write_response(s, stream, response, version, keep_alive && !s.stopping)) co_return;
    if (!keep_alive || s.stopping) co_return;
  }
}

}  // namespace

asio::awaitable<void> run_session(std::shared_ptr<ApiServer::State> state, tcp::socket socket, std::string client_ip,
                                  std::shared_ptr<SessionHandle> handle) {
  ApiServer::State& s = *state;
  CloseGuard guard{*handle};
  beast::tcp_stream tcp_stream(std::move(socket));
  if (!s.tls) {
    handle->close = [&tcp_stream] { tcp_stream.close(); };
    co_await serve_requests(s, tcp_stream, *handle, client_ip);
    beast::error_code ec;
    tcp_stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    co_return;
  }
  beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp_stream), *s.tls);
  handle->close = [&stream] { beast::get_lowest_layer(stream).close(); };
  beast::get_lowest_layer(stream).expires_after(s.options.handshake_timeout);
  auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, k_tuple);
  if (ec) {
    s.handshake_failures.inc();
    co_return;
  }
  co_await serve_requests(s, stream, *handle, client_ip);
  // A short, bounded close_notify; a peer that already left makes this fail, which is fine.
  beast::get_lowest_layer(stream).expires_after(std::min(s.options.write_timeout, std::chrono::milliseconds(1000)));
  (void)co_await stream.async_shutdown(k_tuple);
}

}  // namespace schakel::api
