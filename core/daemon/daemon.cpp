#include "daemon/daemon.hpp"

#include <sys/stat.h>
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
#include "store/store.hpp"

namespace schakel::daemon {
namespace {

namespace asio = boost::asio;

// What the running daemon holds; later modules (plugin host, outbox, API) hang from here.
struct Runtime {
  schema::SchemaSet schemas;
  config::Config config;
  std::shared_ptr<ShiftableClock> clock = std::make_shared<ShiftableClock>();
  std::unique_ptr<store::Store> store;
};

Status prepare_data_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return error(ErrorCode::io, dir.string() + ": cannot create data directory: " + ec.message());
  // The data directory holds keys and personal data: owner only.
  if (::chmod(dir.c_str(), 0700) != 0)
    return error(ErrorCode::io, dir.string() + ": cannot restrict permissions to the owner");
  return {};
}

void log_config_errors(const std::vector<config::ConfigError>& errors) {
  for (const auto& e : errors) log::error("config error", {{"error", e.to_string()}});
}

class Daemon {
 public:
  explicit Daemon(Runtime& rt) : rt_(rt), signals_(io_, SIGINT, SIGTERM, SIGHUP) {
#ifdef SCHAKEL_TEST_CLOCK
    signals_.add(SIGUSR1);
#endif
  }

  int run() {
    wait_for_signal();
    log::info("ready", {{"instance", rt_.config.instance_name()},
                        {"data_dir", rt_.config.data_dir().string()},
                        {"store_schema_version", rt_.store->schema_version()},
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

  void reload() {
    auto result = config::load_config(rt_.config.file, rt_.schemas);
    if (!result.config) {
      log_config_errors(result.errors);
      log::error("config reload failed; keeping the running configuration",
                 {{"file", rt_.config.file.string()}, {"errors", result.errors.size()}});
      return;
    }
    if (result.config->data_dir() != rt_.config.data_dir())
      log::warn("data_dir changes take effect at the next start", {{"data_dir", rt_.config.data_dir().string()}});
    rt_.config = std::move(*result.config);
    log::info("config reloaded", {{"file", rt_.config.file.string()}});
  }

#ifdef SCHAKEL_TEST_CLOCK
  // Test builds only: the test writes an RFC 3339 time to <data_dir>/test-clock and sends SIGUSR1.
  void set_test_clock() {
    std::ifstream in(rt_.config.data_dir() / "test-clock");
    std::string text;
    std::getline(in, text);
    TimePoint at{};
    if (!parse_rfc3339(text, at)) {
      log::error("test clock: not an RFC 3339 time", {{"file", (rt_.config.data_dir() / "test-clock").string()}});
      return;
    }
    rt_.clock->set(at);
    log::info("clock set", {{"now", format_utc(rt_.clock->now())}});
  }
#endif

  void stop(int signo) {
    log::info("stopping", {{"signal", signo == SIGTERM ? "SIGTERM" : "SIGINT"},
                           {"deadline_ms", rt_.config.shutdown_deadline_ms()}});
    signals_.cancel();
    io_.stop();
  }

  Runtime& rt_;
  asio::io_context io_;
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
  Runtime rt{std::move(*schemas), std::move(*result.config), std::make_shared<ShiftableClock>(), nullptr};
  log::setup(rt.config.log_format() == "json" ? log::Format::json : log::Format::text, rt.config.log_level());
  if (auto st = prepare_data_dir(rt.config.data_dir()); !st) {
    log::error("cannot start", {{"error", st.message()}});
    return 1;
  }
  auto store = store::open_sqlite({rt.config.data_dir() / "schakel.db", rt.config.store_busy_timeout_ms(), true});
  if (!store) {
    log::error("cannot open the store", {{"error", store.status().message()}});
    return 1;
  }
  rt.store = std::move(store.value());
  if (auto st = rt.store->health(); !st) {
    log::error("store is not healthy", {{"error", st.message()}});
    return 1;
  }
  Daemon daemon(rt);
  return daemon.run();
}

}  // namespace schakel::daemon
