#include "daemon/daemon.hpp"

#include <unistd.h>

#include <csignal>
#include <fstream>
#include <iostream>
#include <sstream>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "base/clock.hpp"
#include "config/config.hpp"
#include "log/log.hpp"
#include "schema/schema_set.hpp"
#include "daemon/runtime.hpp"

namespace schakel::daemon {
namespace {

namespace asio = boost::asio;

void log_config_errors(const std::vector<config::ConfigError>& errors) {
  for (const auto& e : errors) log::error("config error", {{"error", e.to_string()}});
}

class Daemon {
 public:
  Daemon(asio::io_context& io, Runtime& rt) : io_(io), rt_(rt), signals_(io_, SIGINT, SIGTERM, SIGHUP) {
#ifdef SCHAKEL_TEST_CLOCK
    signals_.add(SIGUSR1);
#endif
  }

  int run() {
    wait_for_signal();
    if (auto st = rt_.record_config_change("start"); !st) {
      log::error("cannot write the audit log", {{"error", st.message()}});
      return 1;
    }
    if (auto st = rt_.start(); !st) {
      log::error("cannot start", {{"error", st.message()}});
      return 1;
    }
    log::info("ready", {{"instance", rt_.config().instance_name()},
                        {"api", rt_.api_url()},
                        {"data_dir", rt_.config().data_dir().string()},
                        {"store_schema_version", rt_.store().schema_version()},
                        {"connectors", rt_.plugins().connectors()},
                        {"pid", ::getpid()}});
    io_.run();
    log::info("stopped");
    return 0;
  }

 private:
  void wait_for_signal() {
    signals_.async_wait([this](const boost::system::error_code& ec, int signo) {
      if (ec) return;
      if (signo == SIGHUP) {
        reload();
      } else if (signo == SIGINT || signo == SIGTERM) {
        stop(signo);
        return;
#ifdef SCHAKEL_TEST_CLOCK
      } else if (signo == SIGUSR1) {
        set_test_clock();
#endif
      }
      wait_for_signal();
    });
  }

  // The same reload as POST /v1/config/reload (Runtime::reload logs the outcome).
  void reload() { (void)rt_.reload("SIGHUP"); }

#ifdef SCHAKEL_TEST_CLOCK
  // Test builds only: the test writes an RFC 3339 time to <data_dir>/test-clock and sends SIGUSR1.
  void set_test_clock() {
    const auto file = rt_.config().data_dir() / "test-clock";
    std::ifstream in(file);
    std::string text;
    std::getline(in, text);
    TimePoint at{};
    if (!parse_rfc3339(text, at)) {
      log::error("test clock: not an RFC 3339 time", {{"file", file.string()}});
      return;
    }
    rt_.clock().set(at);
    log::info("clock set", {{"now", format_utc(rt_.clock().now())}});
  }
#endif

  void stop(int signo) {
    log::info("stopping", {{"signal", signo == SIGTERM ? "SIGTERM" : "SIGINT"},
                           {"deadline_ms", rt_.config().shutdown_deadline_ms()}});
    signals_.cancel();
    // Open API requests get the shutdown deadline; then everything else stops with the loop.
    rt_.stop([this] { io_.stop(); });
  }

  asio::io_context& io_;
  Runtime& rt_;
  asio::signal_set signals_;
};

}  // namespace

int check_config(const Options& options, std::ostream& out, std::ostream& err) {
  auto schemas = schema::SchemaSet::load(options.schema_dir);
  if (!schemas) {
    err << schemas.status().message() << "\n";
    return 2;
  }
  auto result = config::load_config(options.config_file, *schemas);
  if (!result.config) {
    for (const auto& e : result.errors) err << e.to_string() << "\n";
    err << result.errors.size() << (result.errors.size() == 1 ? " error" : " errors") << " in "
        << options.config_file.string() << "\n";
    return 2;
  }
  out << options.config_file.string() << ": ok\n";
  return 0;
}

int run(const Options& options) {
  log::setup(log::Format::text, "info");
  auto schemas = schema::SchemaSet::load(options.schema_dir);
  if (!schemas) {
    log::error("cannot load schemas", {{"error", schemas.status().message()}});
    return 2;
  }
  auto result = config::load_config(options.config_file, *schemas);
  if (!result.config) {
    log_config_errors(result.errors);
    return 2;
  }
  log::setup(result.config->log_format() == "json" ? log::Format::json : log::Format::text,
             result.config->log_level());
  asio::io_context io;
  auto rt = Runtime::open(io, std::move(*schemas), std::move(*result.config), options.schema_dir);
  if (!rt) {
    log::error("cannot start", {{"error", rt.status().message()}});
    return 1;
  }
  Daemon daemon(io, **rt);
  return daemon.run();
}

}  // namespace schakel::daemon
