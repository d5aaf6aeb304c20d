#include "api_test_client.hpp"

#include <memory>
#include <optional>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/ssl.h>

namespace schakel::test {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
constexpr auto k_tuple = asio::as_tuple(asio::use_awaitable);

std::unique_ptr<ssl::context> client_context(const ClientOptions& o) {
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
  SSL_CTX* native = ctx->native_handle();
  if (o.allow_legacy) {
    SSL_CTX_set_security_level(native, 0);
    SSL_CTX_set_cipher_list(native, "ALL:@SECLEVEL=0");
  }
  if (o.min_tls) SSL_CTX_set_min_proto_version(native, o.min_tls);
  if (o.max_tls) SSL_CTX_set_max_proto_version(native, o.max_tls);
  if (!o.tls12_ciphers.empty()) SSL_CTX_set_cipher_list(native, o.tls12_ciphers.c_str());
  if (!o.ca_file.empty()) {
    ctx->load_verify_file(o.ca_file);
    ctx->set_verify_mode(ssl::verify_peer);
  } else {
    ctx->set_verify_mode(ssl::verify_none);
  }
  return ctx;
}

// Runs `fn(stream)` over a fresh connection (TLS or plain) with everything bounded by the timeout.
template <class Fn>
void with_connection(const ClientOptions& o, std::string& error, Fn fn, std::string* version = nullptr,
                     std::string* cipher = nullptr) {
  asio::io_context io;
  auto ctx = client_context(o);
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        beast::tcp_stream tcp_stream(io);
        tcp_stream.expires_after(o.timeout);
        auto [cec] = co_await tcp_stream.async_connect(tcp::endpoint(asio::ip::make_address(o.host), o.port), k_tuple);
        if (cec) {
          error = "connect: " + cec.message();
          co_return;
        }
        if (!o.tls) {
          co_await fn(tcp_stream);
          co_return;
        }
        beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp_stream), *ctx);
        // SSL_set_tlsext_host_name is a macro with a C cast; this is what it expands to.
        static char sni_name[] = "localhost";
        SSL_ctrl(stream.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, sni_name);
        if (!o.ca_file.empty()) SSL_set1_host(stream.native_handle(), "localhost");
        auto [hec] = co_await stream.async_handshake(ssl::stream_base::client, k_tuple);
        if (hec) {
          error = "handshake: " + hec.message();
          co_return;
        }
        if (version) *version = SSL_get_version(stream.native_handle());
        if (cipher) *cipher = SSL_get_cipher_name(stream.native_handle());
        co_await fn(stream);
      },
      asio::detached);
  io.run();
}

}  // namespace

ClientResponse http_request(const ClientOptions& o, const std::string& method, const std::string& target,
                            const std::string& token, const std::string& body, const std::string& content_type) {
  ClientResponse out;
  auto exchange = [&](auto& stream) -> asio::awaitable<void> {
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, "localhost");
    if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
    if (!body.empty() || method == "POST") {
      req.set(http::field::content_type, content_type);
      req.body() = body;
    }
    req.keep_alive(false);
    req.prepare_payload();
    auto [wec, wn] = co_await http::async_write(stream, req, k_tuple);
    if (wec) {
      out.error = "write: " + wec.message();
      co_return;
    }
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    auto [rec, rn] = co_await http::async_read(stream, buffer, parser, k_tuple);
    if (rec) {
      out.error = "read: " + rec.message();
      co_return;
    }
    auto res = parser.release();
    out.status = static_cast<int>(res.result_int());
    out.body = res.body();
    for (const auto& f : res) {
      std::string name(f.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      out.headers[name] = std::string(f.value());
    }
  };
  with_connection(o, out.error, exchange, &out.tls_version, &out.tls_cipher);
  return out;
}

RawExchange raw_exchange(const ClientOptions& o, const std::string& bytes) {
  RawExchange out;
  auto exchange = [&](auto& stream) -> asio::awaitable<void> {
    auto [wec, wn] = co_await asio::async_write(stream, asio::buffer(bytes), k_tuple);
    if (wec) {
      out.error = "write: " + wec.message();
      co_return;
    }
    char buf[4096];
    for (;;) {
      auto [rec, n] = co_await stream.async_read_some(asio::buffer(buf), k_tuple);
      out.received.append(buf, n);
      if (rec) {
        out.closed = rec != beast::error::timeout;
        if (!out.closed) out.error = "timed out waiting for the server";
        co_return;
      }
    }
  };
  with_connection(o, out.error, exchange);
  return out;
}

std::string tls_handshake(const ClientOptions& o, std::string* version, std::string* cipher) {
  std::string error;
  auto nothing = [](auto&) -> asio::awaitable<void> { co_return; };
  with_connection(o, error, nothing, version, cipher);
  return error;
}

}  // namespace schakel::test
