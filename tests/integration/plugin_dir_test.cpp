// Plugins from a configured plugin directory in a real schakeld (issue 3): a plugin built out of
// tree against the installed SDK is loaded and receives what a route sends it; a plugin file
// writable by others is refused with its file and the reason, and the other connectors keep
// serving.
#include <signal.h>
#include <sys/stat.h>

#include <gtest/gtest.h>

#include "../support/temp_dir.hpp"
#include "data_path.hpp"

using namespace schakel;
using namespace std::chrono_literals;

namespace {

constexpr int k_items = 20;

// Installs the SDK into `prefix` and builds tests/integration/oot-plugin against it alone.
std::filesystem::path build_out_of_tree(const std::filesystem::path& work) {
  const auto prefix = work / "prefix";
  const auto build = work / "oot-build";
  auto install = test::run_program({SCHAKEL_CMAKE, "--install", SCHAKEL_BINARY_DIR, "--prefix", prefix.string(),
                                    "--component", "sdk"}, 120s);
  EXPECT_EQ(install.exit_code, 0) << install.output;
  // A clean environment: the build sees the installed prefix, not this tree's include paths.
  auto configure = test::run_program(
      {"/usr/bin/env", "-u", "CCACHE_BASEDIR", SCHAKEL_CMAKE, "-S", std::string(SCHAKEL_SOURCE_DIR) + "/tests/integration/oot-plugin",
       "-B", build.string(), "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release", "-DCMAKE_PREFIX_PATH=" + prefix.string(),
       "-DRECORDER_SOURCE=" + std::string(SCHAKEL_SOURCE_DIR) + "/plugins/demo/recorder_sink.cpp"},
      120s);
  EXPECT_EQ(configure.exit_code, 0) << configure.output;
  auto compile = test::run_program({SCHAKEL_CMAKE, "--build", build.string()}, 180s);
  EXPECT_EQ(compile.exit_code, 0) << compile.output;
  return build / "liboot_recorder.so";
}

void install_plugin(const std::filesystem::path& from, const std::filesystem::path& to, mode_t mode) {
  std::filesystem::copy_file(from, to, std::filesystem::copy_options::overwrite_existing);
  ASSERT_EQ(::chmod(to.c_str(), mode), 0) << to;
}

}  // namespace

TEST(PluginDirTest, OutOfTreePluginIsLoadedAndWritableOneIsRefused) {
  test::TempDir dir;
  const auto built = build_out_of_tree(dir.path());
  ASSERT_TRUE(std::filesystem::exists(built)) << built;
  const auto plugins = dir.path() / "plugins";
  std::filesystem::create_directory(plugins);
  ASSERT_EQ(::chmod(plugins.c_str(), 0700), 0);
  install_plugin(built, plugins / "liboot_recorder.so", 0755);
  // The same library, but any local user could replace its code under the daemon.
  const auto writable = plugins / "libopen_door.so";
  install_plugin(built, writable, 0757);

  const auto received_file = dir.path() / "received.jsonl";
  test::DataPathConfig c;
  c.plugin_dirs = "[" + plugins.string() + ", " + test::k_plugin_dir + "]";
  c.referrals = k_items;
  c.receiver_plugin = "oot_recorder";
  c.receiver_file = received_file.string();
  c.extra_connectors = "  - id: open-door\n    plugin: open_door\n    settings: {file: \"" +
                       (dir.path() / "never.jsonl").string() + "\"}\n";
  const auto config = dir.path() / "schakel.yaml";
  std::ofstream(config) << test::data_path_config(c);

  // The admin's offline views of the same plugin file.
  auto inspect = test::run_program({test::k_schakel, "plugins", "inspect", (plugins / "liboot_recorder.so").string()});
  EXPECT_EQ(inspect.exit_code, 0) << inspect.output;
  EXPECT_NE(inspect.output.find("demo-recorder"), std::string::npos) << inspect.output;
  EXPECT_NE(inspect.output.find("file"), std::string::npos) << inspect.output;
  auto check = test::run_program({test::k_schakel, "connectors", "check", "receiver", "--config", config.string()});
  EXPECT_EQ(check.exit_code, 0) << check.output;
  EXPECT_NE(check.output.find("receiver: ok"), std::string::npos) << check.output;
  auto refused_check = test::run_program({test::k_schakel, "connectors", "check", "open-door", "--config", config.string()});
  EXPECT_NE(refused_check.exit_code, 0) << refused_check.output;
  EXPECT_NE(refused_check.output.find(writable.string()), std::string::npos) << refused_check.output;

  test::ChildProcess d({test::k_schakeld, "--config", config.string()});
  // The refusal names the connector, the file and the reason; the daemon starts without it.
  auto refused = d.wait_for("\"msg\":\"connector refused\"");
  ASSERT_TRUE(refused) << d.all_output();
  EXPECT_NE(refused->find("open-door"), std::string::npos) << *refused;
  EXPECT_NE(refused->find(writable.string()), std::string::npos) << *refused;
  EXPECT_NE(refused->find("writable by group or others"), std::string::npos) << *refused;
  auto ready = d.wait_for("\"msg\":\"ready\"");
  ASSERT_TRUE(ready) << d.all_output();
  const auto connectors = nlohmann::json::parse(*ready)["connectors"];
  EXPECT_EQ(connectors, nlohmann::json::array({"receiver", "referrals"})) << *ready;
  EXPECT_NE(d.all_output().find("\"detail\":\"demo-recorder 0.1.0 started\""), std::string::npos) << d.all_output();

  // The out-of-tree receiver gets every referral the in-tree source queued, through the outbox.
  ASSERT_TRUE(test::set_clock(d, dir.path() / "data", 1)) << d.all_output();
  ASSERT_TRUE(d.wait_for("\"plugin: recorded " + std::to_string(k_items) + "\"")) << d.all_output();
  test::ReceivedLog received(received_file);
  received.read_new();
  EXPECT_EQ(received.distinct(), static_cast<std::size_t>(k_items));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "never.jsonl"));
  d.signal(SIGTERM);
  EXPECT_EQ(d.wait_exit(), 0) << d.all_output();
}
