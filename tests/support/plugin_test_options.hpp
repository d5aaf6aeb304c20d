#pragma once
// Plugin-host options for tests that drive a real plugin from a temp plugin directory: the
// test's own uid may own the file, time comes from the test's clock, tick() is called by the test
// (no watchdog thread), and retries never turn into a restart.
#include <unistd.h>

#include <filesystem>
#include <string>

#include "plugin_host/plugin_host.hpp"

namespace schakel::test {

inline plugin_host::HostOptions plugin_test_options(const std::filesystem::path& plugin_dir, const Clock& clock) {
  plugin_host::HostOptions o;
  o.load.plugin_dirs = {plugin_dir};
  o.load.daemon_uid = ::getuid();
  o.load.schema_dir = std::string(SCHAKEL_SOURCE_DIR) + "/schemas";
  o.clock = &clock;
  o.watchdog_thread = false;
  o.max_errors_in_a_row = 1000;
  return o;
}

}  // namespace schakel::test
