#pragma once
// The outside programs api_wrk_bench drives: wrk (the load) and nginx (the yardstick), each a child
// process that is killed when its owner goes out of scope, so a failing run leaves nothing behind.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "child_process.hpp"

namespace schakel::bench {

// A loopback port that was free a moment ago (bound to port 0, then released).
std::uint16_t free_loopback_port();

struct WrkResult {
  bool ok = false;
  double requests_per_second = 0;
  double p99_ms = 0;
  long requests = 0;
  long bad = 0;  // non-2xx responses plus socket errors
  std::string output;  // wrk's own report, for a failure message
};

struct WrkOptions {
  int threads = 2;
  int connections = 64;
  int seconds = 4;
  std::vector<std::string> headers;  // "Name: value"
};

// Runs wrk --latency against `url` and reads requests/s, p99 and errors from its report.
WrkResult run_wrk(const std::string& url, const WrkOptions& options);

// nginx-light as a user process: one process (master_process off) serving `www` over plain HTTP
// and TLS on two free loopback ports, with its config, pid, logs and temp paths under `dir`.
class Nginx {
 public:
  Nginx(const std::filesystem::path& dir, const std::filesystem::path& www, const std::filesystem::path& cert,
        const std::filesystem::path& key);
  ~Nginx();
  Nginx(const Nginx&) = delete;
  Nginx& operator=(const Nginx&) = delete;

  // Empty when it serves; otherwise what went wrong (with nginx's own error log).
  [[nodiscard]] const std::string& error() const { return error_; }
  [[nodiscard]] std::uint16_t plain_port() const { return plain_port_; }
  [[nodiscard]] std::uint16_t tls_port() const { return tls_port_; }

 private:
  std::filesystem::path dir_;
  std::uint16_t plain_port_ = 0;
  std::uint16_t tls_port_ = 0;
  std::unique_ptr<test::ChildProcess> process_;
  std::string error_;
};

// Whether something accepts connections on 127.0.0.1:`port` (tried until `timeout_ms`).
bool wait_for_port(std::uint16_t port, int timeout_ms);

// One plain HTTP/1.1 GET on loopback (Connection: close); the status code and body.
struct PlainResponse {
  int status = 0;
  std::string body;
};
std::optional<PlainResponse> plain_get(std::uint16_t port, const std::string& target,
                                       const std::vector<std::string>& headers);

}  // namespace schakel::bench
