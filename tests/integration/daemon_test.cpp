// Starts the real schakeld as a child process: start, store health, SIGHUP with good and bad
// configs, the test clock, SIGTERM; and the offline config checks of schakeld and schakel.
#include <signal.h>

#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "../support/api_test_client.hpp"
#include "../support/child_process.hpp"
#include "../support/temp_dir.hpp"
#include "hub_common.hpp"

using namespace schakel;
using namespace std::chrono_literals;

namespace {

using test::hub::k_schakel;
using test::hub::k_schakeld;

std::string config_text(const std::string& name) {
  return "version: 1\ninstance:\n  name: " + name +
         "\n  data_dir: data\n  log: {format: json, level: info}\n  shutdown_deadline_ms: 2000\n"
         "schools:\n  - {brin: 12AB, naam: OBS De Regenboog}\n";
}

void write(const std::filesystem::path& p, const std::string& text) { std::ofstream(p) << text; }

class DaemonTest : public ::testing::Test {
 protected:
  std::filesystem::path config() const { return dir_.path() / "schakel.yaml"; }
  test::TempDir dir_;
};

}  // namespace

TEST_F(DaemonTest, StartsReloadsAndStops) {
  write(config(), config_text("first"));
  test::ChildProcess d({k_schakeld, "--config", config().string()});
  auto ready = d.wait_for("\"msg\":\"ready\"");
  ASSERT_TRUE(ready) << d.all_output();
  const auto ready_json = nlohmann::json::parse(*ready);
  EXPECT_EQ(ready_json["instance"], "first");
  EXPECT_GE(ready_json["store_schema_version"].get<int>(), 1);
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / "data" / "schakel.db"));
  EXPECT_EQ(std::filesystem::status(dir_.path() / "data").permissions() & std::filesystem::perms::others_all,
            std::filesystem::perms::none);

  // A bad new config is reported with file:line:column and the running one stays.
  write(config(), config_text("second") + "unknown_key: 1\n");
  d.signal(SIGHUP);
  auto err = d.wait_for("config error");
  ASSERT_TRUE(err) << d.all_output();
  EXPECT_NE(err->find("schakel.yaml:9:1"), std::string::npos) << *err;
  ASSERT_TRUE(d.wait_for("config reload failed; keeping the running configuration")) << d.all_output();

  write(config(), config_text("second"));
  d.signal(SIGHUP);
  ASSERT_TRUE(d.wait_for("config reloaded")) << d.all_output();

  d.signal(SIGTERM);
  ASSERT_TRUE(d.wait_for("\"msg\":\"stopping\"")) << d.all_output();
  ASSERT_TRUE(d.wait_for("\"msg\":\"stopped\"")) << d.all_output();
  EXPECT_EQ(d.wait_exit(), 0);

  // The start and the good reload are in the audit log, and the chain verifies.
  auto verify = test::run_program({k_schakel, "audit", "--data-dir", (dir_.path() / "data").string(), "verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
  auto exported = test::run_program({k_schakel, "audit", "--data-dir", (dir_.path() / "data").string(), "export",
                                     "--format", "jsonl", "--action", "config.change"});
  EXPECT_EQ(exported.exit_code, 0) << exported.output;
  EXPECT_EQ(std::count(exported.output.begin(), exported.output.end(), '\n'), 2) << exported.output;
}

TEST_F(DaemonTest, TestClockCanBeSet) {
  write(config(), config_text("clock"));
  test::ChildProcess d({k_schakeld, "--config", config().string()});
  ASSERT_TRUE(d.wait_for("\"msg\":\"ready\"")) << d.all_output();
  write(dir_.path() / "data" / "test-clock", "2031-05-01T10:00:00Z\n");
  d.signal(SIGUSR1);
  auto line = d.wait_for("clock set");
  ASSERT_TRUE(line) << d.all_output();
  EXPECT_NE(line->find("\"now\":\"2031-05-01T10:00:0"), std::string::npos) << *line;
  d.signal(SIGINT);
  EXPECT_EQ(d.wait_exit(), 0);
}

TEST_F(DaemonTest, RefusesToStartOnABrokenConfig) {
  write(config(), "version: 1\ninstance:\n  name: x\n");
  auto r = test::run_program({k_schakeld, "--config", config().string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("missing required property 'data_dir'"), std::string::npos) << r.output;
}

TEST_F(DaemonTest, CorruptStoreIsAClearError) {
  write(config(), config_text("corrupt"));
  std::filesystem::create_directories(dir_.path() / "data");
  write(dir_.path() / "data" / "schakel.db", std::string(8192, 'x'));
  auto r = test::run_program({k_schakeld, "--config", config().string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("cannot start"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("cannot open the store"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("schakel.db"), std::string::npos) << r.output;
}

TEST_F(DaemonTest, CheckConfigPrintsEveryErrorWithItsPlace) {
  write(config(), "version: 2\ninstance:\n  name: x\n  data_dir: d\n  colour: blue\nschools:\n  - {brin: 1, naam: S}\n");
  for (const auto& argv : {std::vector<std::string>{k_schakeld, "--check-config", config().string()},
                           std::vector<std::string>{k_schakel, "config", "check", config().string()}}) {
    auto r = test::run_program(argv);
    EXPECT_EQ(r.exit_code, 2) << r.output;
    const std::string f = config().string();
    EXPECT_NE(r.output.find(f + ":1:10: version:"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find(f + ":5:3: instance.colour: unknown property"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find(f + ":7:12: schools[0].brin: has the wrong type"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("3 errors in"), std::string::npos) << r.output;
  }
  write(config(), config_text("ok"));
  auto ok = test::run_program({k_schakel, "config", "check", config().string()});
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_NE(ok.output.find(": ok"), std::string::npos);
}

// The daemon serves the admin API: over TLS with the demo's self-signed certificate, on the port
// it announces in its ready line; a request without a token is refused; SIGTERM ends it cleanly.
TEST_F(DaemonTest, ServesTheAdminApiOverTls) {
  write(config(), [&] {
    std::string text = config_text("api") + "api:\n  listen: 127.0.0.1:0\n";
    text.replace(text.find("  data_dir:"), 0, "  demo: true\n");
    return text;
  }());
  test::ChildProcess d({k_schakeld, "--config", config().string()});
  auto ready = d.wait_for("\"msg\":\"ready\"");
  ASSERT_TRUE(ready) << d.all_output();
  const std::string url = nlohmann::json::parse(*ready)["api"].get<std::string>();
  ASSERT_EQ(url.rfind("https://127.0.0.1:", 0), 0u) << url;

  test::ClientOptions client;
  client.port = static_cast<std::uint16_t>(std::stoi(url.substr(url.rfind(':') + 1)));
  client.ca_file = (dir_.path() / "data" / "tls" / "cert.pem").string();
  const auto health = test::http_request(client, "GET", "/v1/health");
  ASSERT_EQ(health.status, 200) << health.error << health.body;
  EXPECT_EQ(health.json()["status"], "ok") << health.body;
  const auto student = test::http_request(client, "GET", "/v1/students/s1");
  EXPECT_EQ(student.status, 401) << student.body;

  d.signal(SIGTERM);
  ASSERT_TRUE(d.wait_for("\"msg\":\"stopped\"")) << d.all_output();
  EXPECT_EQ(d.wait_exit(), 0);
  EXPECT_FALSE(test::tls_handshake(client).empty()) << "the API still answers after the daemon stopped";
}
