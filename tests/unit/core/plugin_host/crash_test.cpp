// A plugin that segfaults. Plugins run inside the daemon's process today, so the crash kills the
// process, other connectors included; process isolation comes later. This runs the host in a
// forked child and checks that the supervisor's side reports the death as a signal.
#include <csignal>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "plugin_fixture.hpp"
#include "plugin_host/child_process.hpp"

namespace schakel::plugin_host::test {
namespace {

class CrashTest : public PluginHostTest {};

TEST_F(CrashTest, ASegfaultingPluginKillsItsProcessAndIsReportedAsASignal) {
  const auto path = install("broken_segfault");
  auto o = options();
  auto exit = run_in_child([&] {
    PluginHost host(o);
    if (!host.add_connector({"crash", path, std::nullopt, {}})) return 2;
    host.poll("crash").get();
    return 0;  // not reached: the poll kills the process
  });
  ASSERT_TRUE(exit) << exit.status().message();
  EXPECT_TRUE(exit->signaled) << exit->describe();
  EXPECT_EQ(exit->signal, SIGSEGV);
  EXPECT_THAT(exit->describe(), ::testing::StartsWith("killed by signal 11"));
  // The same code path with a well-behaved plugin exits normally.
  const auto noop = install("schakel_noop_sink");
  auto fine = run_in_child([&] {
    PluginHost host(o);
    if (!host.add_connector({"noop", noop, std::nullopt, {}})) return 2;
    return host.deliver("noop", "{}", "k").get().code == CallCode::ok ? 0 : 3;
  });
  ASSERT_TRUE(fine);
  EXPECT_EQ(fine->describe(), "exited with code 0");
}

}  // namespace
}  // namespace schakel::plugin_host::test
