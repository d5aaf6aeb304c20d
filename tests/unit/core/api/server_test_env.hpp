#pragma once
// A running ApiServer on 127.0.0.1, port 0, with its io_context on a thread of its own.
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "api/api_server.hpp"
#include "api/tls.hpp"
#include "api_test_client.hpp"
#include "api_test_env.hpp"

namespace schakel::api::test {

struct ServerEnv {
  ApiEnv env;
  boost::asio::io_context io;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work;
  std::unique_ptr<ApiServer> server;
  std::thread thread;
  TlsFiles tls_files;
  bool tls;

  explicit ServerEnv(bool use_tls, const std::function<void(ApiOptions&)>& adjust = {}) : tls(use_tls) {
    ApiOptions o;
    o.host = "127.0.0.1";
    o.port = 0;
    o.tls = use_tls;
    o.allow_plain_http_on_loopback = !use_tls;
    auto files = ensure_self_signed(env.dir.path() / "tls", env.clock);
    if (!files) throw std::runtime_error(files.status().message());
    tls_files = *files;
    o.cert_file = tls_files.cert_file;
    o.key_file = tls_files.key_file;
    if (adjust) adjust(o);
    server = std::make_unique<ApiServer>(io, o, *env.store, env.schemas, env.clock);
    const Status st = server->start();
    if (!st) throw std::runtime_error(st.message());
    work.emplace(io.get_executor());
    thread = std::thread([this] { io.run(); });
  }
  ~ServerEnv() { shutdown(std::chrono::milliseconds(0)); }

  // Stops the server and waits for its report that it has stopped (its connections run on the
  // server's own threads, so this io_context running out of work says nothing about them).
  void shutdown(std::chrono::milliseconds deadline) {
    if (!thread.joinable()) return;
    server->stop(deadline, [this] { work.reset(); });
    thread.join();
  }

  [[nodiscard]] schakel::test::ClientOptions client() const {
    schakel::test::ClientOptions c;
    c.port = server->port();
    c.tls = tls;
    return c;
  }
  std::string token(Role role, const std::string& brin = k_own_brin) {
    return env.token(server->tokens(), role, brin);
  }
};

}  // namespace schakel::api::test
