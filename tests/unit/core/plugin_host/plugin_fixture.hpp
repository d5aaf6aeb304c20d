#pragma once
// Shared by the plugin host tests: a plugin directory in a temp dir holding copies of the in-tree
// plugins (mode 0755, as an admin would install them), host options on a manual clock, and an
// event log a test can wait on without sleeping.
#include <sys/stat.h>
#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/clock.hpp"
#include "plugin_host/plugin_host.hpp"
#include "support/temp_dir.hpp"

// Asserts that a Status is ok and prints its message when it is not.
#define ASSERT_OK(expr)                              \
  do {                                               \
    const ::schakel::Status st_ = (expr);            \
    ASSERT_TRUE(st_.is_ok()) << st_.message();       \
  } while (0)

namespace schakel::plugin_host::test {

namespace fs = std::filesystem;

// "broken_throws" from test-plugins/, "schakel_noop_sink" from plugins/.
inline fs::path built_plugin(const std::string& target) {
  const fs::path bin = SCHAKEL_BINARY_DIR;
  const std::string file = "lib" + target + ".so";
  if (target.rfind("broken_", 0) == 0) return bin / "test-plugins" / file;
  return bin / "plugins" / file;
}

// Copies a built plugin into `dir` with mode 0755 and returns its path there.
inline fs::path install_plugin(const fs::path& dir, const std::string& target) {
  const fs::path to = dir / ("lib" + target + ".so");
  fs::copy_file(built_plugin(target), to, fs::copy_options::overwrite_existing);
  ::chmod(to.c_str(), 0755);
  return to;
}

class EventLog {
 public:
  void add(const HostEvent& e) {
    {
      std::lock_guard lock(mu_);
      events_.push_back(e);
    }
    cv_.notify_all();
  }
  // Blocks until an event of `kind` for `connector` has been seen `count` times; returns the last.
  HostEvent wait(HostEvent::Kind kind, const std::string& connector, int count = 1) {
    std::unique_lock lock(mu_);
    HostEvent found{};
    cv_.wait(lock, [&] {
      int n = 0;
      for (const auto& e : events_)
        if (e.kind == kind && e.connector == connector && ++n == count) found = e;
      return n >= count;
    });
    return found;
  }
  std::vector<HostEvent> all() {
    std::lock_guard lock(mu_);
    return events_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<HostEvent> events_;
};

inline TimePoint t0() { return TimePoint{std::chrono::seconds{1'780'000'000}}; }

class PluginHostTest : public ::testing::Test {
 protected:
  HostOptions options() {
    HostOptions o;
    o.load.plugin_dirs = {dir_.path()};
    o.load.daemon_uid = ::geteuid();
    o.load.schema_dir = fs::path(SCHAKEL_SOURCE_DIR) / "schemas";
    o.clock = &clock_;
    o.watchdog_thread = false;
    o.call_deadline = std::chrono::milliseconds(1000);
    o.restart_backoff = BackoffPolicy{std::chrono::milliseconds(10), std::chrono::milliseconds(80), 0.0, 1};
    o.on_event = [this](const HostEvent& e) { events_.add(e); };
    o.on_log = [](const std::string&, int, const std::string&) {};
    return o;
  }
  fs::path install(const std::string& target) { return install_plugin(dir_.path(), target); }

  schakel::test::TempDir dir_;
  ManualClock clock_{t0()};
  EventLog events_;
};

}  // namespace schakel::plugin_host::test
