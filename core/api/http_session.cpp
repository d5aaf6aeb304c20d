// One connection: optional TLS handshake, then requests read with limits and timeouts, handled
// on the blocking pool, answered on the connection's own io_context (one thread).
#include <algorithm>
#include <array>
#include <memory>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "api/server_state.hpp"
#include "log/log.hpp"

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

// No body and no length on 1xx, 204 and 304 (RFC 9110 8.6).
bool has_body(int status) { return !(status / 100 == 1 || status == 204 || status == 304); }

// The response head as Beast would write it (set() semantics: a handler's header replaces a
// default of the same name), formatted into `head`, which the connection reuses. Beast's own
// fields and serializer cost an allocation per field on every response.
bool format_head(const ApiServer::State& s, const ApiResponse& resp, unsigned version, bool keep_alive,
                 std::string& head) {
  struct Field {
    std::string_view name, value;
  };
  std::array<Field, 16> fields{};
  std::size_t n = 0;
  auto set = [&](std::string_view name, std::string_view value) {
    for (std::size_t i = 0; i < n; ++i) {
      if (beast::iequals(fields[i].name, name)) {
        fields[i].value = value;
        return true;
      }
    }
    if (n == fields.size()) return false;
    fields[n++] = {name, value};
    return true;
  };
  set("Server", "schakel");
  set("Cache-Control", "no-store");  // responses may hold personal data
  set("X-Content-Type-Options", "nosniff");
  if (s.tls) set("Strict-Transport-Security", "max-age=31536000");
  if (!resp.content_type.empty()) set("Content-Type", resp.content_type);
  for (const auto& [name, value] : resp.headers) {
    // A line break would let a value start a header of its own.
    if (value.find_first_of("\r\n", 0, 3) != std::string::npos || name.find_first_of("\r\n: ", 0, 5) != std::string::npos ||
        name.empty() || !set(name, value)) {
      return false;
    }
  }
  head.clear();
  head += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  head += std::to_string(resp.status);
  head += ' ';
  head += http::obsolete_reason(static_cast<http::status>(resp.status));
  head += "\r\n";
  for (std::size_t i = 0; i < n; ++i) {
    head += fields[i].name;
    head += ": ";
    head += fields[i].value;
    head += "\r\n";
  }
  if (has_body(resp.status)) {
    head += "Content-Length: ";
    head += std::to_string(resp.body.size());
    head += "\r\n";
  }
  if (version == 10 && keep_alive) head += "Connection: keep-alive\r\n";
  if (version != 10 && !keep_alive) head += "Connection: close\r\n";
  head += "\r\n";
  return true;
}

template <class Stream>
asio::awaitable<bool> write_response(ApiServer::State& s, Stream& stream, ApiResponse& resp, unsigned version,
                                     bool keep_alive, std::string& head) {
  if (!format_head(s, resp, version, keep_alive, head)) {
    log::error("api: a response header is not valid HTTP; answering 500 instead", {{"status", resp.status}});
    resp = error_response(500, "internal", "the request could not be completed");
    if (!format_head(s, resp, version, keep_alive, head)) co_return false;
  }
  // Head and body of a usual size go out as one buffer: with TLS, one SSL_write and one send.
  const bool joined = !has_body(resp.status) || resp.body.size() <= 64 * 1024;
  if (has_body(resp.status) && joined) head += resp.body;
  const std::array<asio::const_buffer, 2> buffers{asio::buffer(head),
                                                  joined ? asio::const_buffer() : asio::buffer(resp.body)};
  beast::get_lowest_layer(stream).expires_after(s.options.write_timeout);
  auto [ec, n] = co_await asio::async_write(stream, buffers, k_tuple);
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

// Runs the request's handler on the blocking pool and resumes the connection on its own
// executor with the response: one hand-over each way (co_spawn onto the pool would add a third).
auto handle_on_pool(ApiServer::State& s, const ApiRequest& request, RouteMatch& match) {
  return asio::async_initiate<decltype(asio::use_awaitable), void(ApiResponse)>(
      [&s, &request, &match](auto resume) {
        asio::post(s.pool, [&s, &request, &match, resume = std::move(resume)]() mutable {
          ApiResponse response;
          try {
            response = s.service.handle(request, std::move(match));
          } catch (const std::exception& e) {
            log::error("api: request failed", {{"error", e.what()}});
            response = error_response(500, "internal", "the request could not be completed");
          }
          auto home = asio::get_associated_executor(resume);
          asio::post(home, [resume = std::move(resume), response = std::move(response)]() mutable {
            std::move(resume)(std::move(response));
          });
        });
      },
      asio::use_awaitable);
}

// Waits, without holding a thread, for what the handler made durable; then the answer to send.
asio::awaitable<ApiResponse> settled(ApiServer::State& s, ApiResponse response) {
  {
    std::lock_guard lock(s.mu);
    ++s.awaiting_durable;
  }
  auto durable = std::exchange(response.durable, nullptr);
  Status outcome = co_await asio::async_initiate<decltype(asio::use_awaitable), void(Status)>(
      [&s, &durable](auto resume) {
        auto home = asio::get_associated_executor(resume);
        auto waiting = std::make_shared<decltype(resume)>(std::move(resume));
        durable([&s, home, waiting](Status st) {
          asio::post(home, [waiting, st = std::move(st)]() mutable { std::move(*waiting)(std::move(st)); });
          std::lock_guard lock(s.mu);
          if (--s.awaiting_durable == 0) s.durable_cv.notify_all();
        });
      },
      asio::use_awaitable);
  co_return ApiService::settle(std::move(response), outcome);
}

template <class Stream>
asio::awaitable<void> serve_requests(ApiServer::State& s, Stream& stream, SessionHandle& handle,
                                     const std::string& ip) {
  beast::flat_buffer buffer;
  std::string head;  // each response's head, formatted into the same storage
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
    // A request usually arrives whole in one read: parse what is buffered before asking the
    // stream again (an async read of buffered bytes still costs a trip through the scheduler).
    while (!ec && !parser.is_done() && buffer.size() > 0) {
      const std::size_t used = parser.put(buffer.data(), ec);
      buffer.consume(used);
      if (ec == http::error::need_more) {
        ec = {};
        break;
      }
      if (used == 0) break;
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
        if (co_await write_response(s, stream, *refusal, 11, false, head)) co_await drain(s, stream);
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
      response = co_await handle_on_pool(s, request, match);
    }
    if (response.durable) response = co_await settled(s, std::move(response));
    if (!co_await write_response(s, stream, response, version, keep_alive && !s.stopping, head)) co_return;
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
