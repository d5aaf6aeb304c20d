#pragma once
// How the admin API listens: address, TLS material, and the limits every connection lives by.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

#include "base/clock.hpp"
#include "base/status.hpp"

namespace schakel::config {
struct Config;
}

namespace schakel::api {

struct ApiOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  // 0: any free port (tests); ApiServer::port() tells which
  bool tls = true;
  std::filesystem::path cert_file;  // PEM chain
  std::filesystem::path key_file;   // PEM private key
  bool allow_plain_http_on_loopback = false;

  std::size_t header_limit_bytes = 16 * 1024;
  std::size_t body_limit_bytes = 1024 * 1024;
  std::chrono::milliseconds read_timeout{10'000};   // from the first byte to the whole request
  std::chrono::milliseconds idle_timeout{60'000};   // waiting for the next request
  std::chrono::milliseconds write_timeout{10'000};
  std::chrono::milliseconds handshake_timeout{10'000};  // TLS handshake
  int max_connections_per_client = 32;  // per client IP address
  // Blocking work (SQLite) runs off the I/O threads. A read of personal data waits for its audit
  // entry's group commit (an fsync); the requests waiting on one commit each hold a thread, so the
  // pool is as large as the concurrency that should share a commit.
  int handler_threads = 64;
  // Threads that accept, read, write and run quick routes (Route::quick); 0: one per core. One
  // thread caps the API at one core however many clients it has.
  int io_threads = 0;
};

bool is_loopback_host(const std::string& host);

// "host:port" or "[v6]:port".
Status parse_listen(const std::string& listen, std::string& host, std::uint16_t& port);

// Refuses what must never run: plain HTTP off loopback or without the config's consent, TLS
// without a certificate and key.
Status check_transport(const ApiOptions& options);

// The options from the configuration's `api` object. Without tls.cert_file/key_file, a demo
// instance (instance.demo: true) gets a self-signed pair in <data_dir>/tls/ and a warning;
// otherwise plain HTTP is chosen only where check_transport allows it.
Result<ApiOptions> api_options_from_config(const config::Config& config, const Clock& clock);

}  // namespace schakel::api
