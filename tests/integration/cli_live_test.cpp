// The schakel CLI against a real schakeld over HTTPS (the demo's self-signed certificate): the
// first admin token made offline, connectors list/status/check/run/pause/resume, a dead letter
// listed and retried, config reload good and bad, an operator refused on an admin command, a
// wrong CA refused, and no secret in any output.
#include <signal.h>

#include <fstream>
#include <regex>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "../support/child_process.hpp"
#include "../support/cli_runner.hpp"
#include "../support/temp_dir.hpp"
#include "hub_common.hpp"
#include "store/store.hpp"

using namespace schakel;

namespace {

using test::hub::k_schakel;
using test::hub::k_schakeld;

std::string config_text(const std::string& extra = "") {
  return "version: 1\ninstance:\n  name: cli-live\n  demo: true\n  data_dir: data\n"
         "  log: {format: json, level: info}\n  shutdown_deadline_ms: 2000\n"
         "  plugin_dirs: ['" + std::string(SCHAKEL_BINARY_DIR) + "/plugins']\n"
         "api:\n  listen: 127.0.0.1:0\n"
         "schools:\n  - {brin: 12AB, vestiging: '00', naam: OBS De Regenboog}\n"
         "  - {brin: 34CD, vestiging: '01', naam: CBS Het Kompas}\n"
         "connectors:\n  - {id: src, plugin: schakel_demo_source, schedule: '0 3 * * *', run_missed_at_start: false}\n"
         "  - {id: sink, plugin: schakel_noop_sink}\n" + extra;
}

void write(const std::filesystem::path& p, const std::string& text) { test::write_file(p, text); }

using Cli = test::CliResult;

class CliLive : public ::testing::Test {
 protected:
  std::filesystem::path config() const { return dir_.path() / "schakel.yaml"; }
  std::filesystem::path data() const { return dir_.path() / "data"; }

  Cli run(const std::vector<std::string>& args) { return cli_.run(args); }
  Cli live(const std::string& token_file, std::vector<std::string> args) {
    cli_.set_api(url_, (data() / "tls" / "cert.pem").string());
    return cli_.live(token_file, args);
  }
  std::string token_file(const std::string& name, const std::string& secret) { return cli_.token_file(name, secret); }
  std::string offline_token(const std::string& role) {
    auto c = run({"token", "create", "--config", config().string(), "--role", role, "--school", "12AB",
                  "--label", role + " of the test"});
    EXPECT_EQ(c.code, 0) << c.err;
    EXPECT_FALSE(test::CliRunner::secret_of(c).empty()) << "stdout holds the secret alone";
    EXPECT_NE(c.err.find("created token tok_"), std::string::npos) << c.err;
    return test::CliRunner::secret_of(c);
  }

  test::TempDir dir_;
  test::CliRunner cli_{k_schakel, dir_.path()};
  std::string url_;
};

// A dead letter of school 12AB for the sink, as the delivery engine would leave one.
std::int64_t put_dead_letter(const std::filesystem::path& db) {
  auto store = store::open_sqlite({db});
  if (!store) throw std::runtime_error(store.status().message());
  store::OutboxItem item;
  item.route_id = "r1";
  item.connector = "sink";
  item.idempotency_key = "dead-1";
  item.tenant = "12AB00";
  item.student_id = "stu_hidden";
  item.purpose = "swv_request";
  item.document = R"({"inhoud":"geheim document"})";
  item.schema_name = "referral";
  item.created_at = TimePoint{std::chrono::seconds(1'790'000'000)};
  item.next_attempt_at = item.created_at;
  std::int64_t id = 0;
  const Status st = (*store)->write([&](store::Transaction& tx) -> Status {
    auto e = tx.enqueue_outbox(item);
    if (!e) return e.status();
    id = e->item.id;
    auto leased = tx.lease_outbox("sink", item.created_at, 10);
    if (!leased) return leased.status();
    return tx.mark_outbox_dead(id, "the destination refused it", true);
  });
  if (!st) throw std::runtime_error(st.message());
  return id;
}

}  // namespace

TEST_F(CliLive, AdminAndOperatorWorkFromTheCliOverHttps) {
  write(config(), config_text());
  // The first tokens, offline, before the daemon runs.
  const std::string admin = offline_token("admin");
  const std::string op = offline_token("operator");
  const auto dead = put_dead_letter(data() / "schakel.db");

  test::ChildProcess d({k_schakeld, "--config", config().string()});
  auto ready = d.wait_for("\"msg\":\"ready\"");
  ASSERT_TRUE(ready) << d.all_output();
  url_ = nlohmann::json::parse(*ready)["api"].get<std::string>();
  const std::string admin_file = token_file("admin.token", admin);
  const std::string op_file = token_file("operator.token", op);

  auto list = live(admin_file, {"connectors", "list"});
  ASSERT_EQ(list.code, 0) << list.err;
  EXPECT_NE(list.out.find("ID"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("src"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("sink"), std::string::npos) << list.out;
  auto json_list = live(op_file, {"connectors", "list", "--json"});
  ASSERT_EQ(json_list.code, 0) << json_list.err;
  EXPECT_EQ(nlohmann::json::parse(json_list.out)["connectors"].size(), 2u) << json_list.out;

  auto status = live(op_file, {"connectors", "status", "src"});
  ASSERT_EQ(status.code, 0) << status.err;
  EXPECT_NE(status.out.find("state:"), std::string::npos) << status.out;
  EXPECT_EQ(live(op_file, {"connectors", "status", "nope"}).code, 1);

  auto run_now = live(op_file, {"connectors", "run", "src"});
  ASSERT_EQ(run_now.code, 0) << run_now.err;
  EXPECT_EQ(run_now.out, "src: poll started\n");
  ASSERT_TRUE(d.wait_for("polled up to 2")) << d.all_output();

  auto check = live(admin_file, {"connectors", "check", "sink"});
  EXPECT_EQ(check.code, 0) << check.err;
  EXPECT_EQ(check.out, "sink: ok\n");
  EXPECT_EQ(live(admin_file, {"connectors", "pause", "src"}).out, "src: paused\n");
  EXPECT_EQ(live(op_file, {"connectors", "run", "src"}).code, 1) << "a paused connector does not run";
  EXPECT_EQ(live(admin_file, {"connectors", "resume", "src"}).out, "src: resumed\n");

  // The dead letter: listed without its content, retried, then delivered by the sink.
  auto dead_list = live(op_file, {"outbox", "list", "--state", "dead"});
  ASSERT_EQ(dead_list.code, 0) << dead_list.err;
  EXPECT_NE(dead_list.out.find("the destination refused it"), std::string::npos) << dead_list.out;
  EXPECT_EQ(dead_list.out.find("geheim"), std::string::npos);
  auto retry = live(op_file, {"outbox", "retry", std::to_string(dead)});
  ASSERT_EQ(retry.code, 0) << retry.err;
  EXPECT_EQ(retry.out, "outbox item " + std::to_string(dead) + ": pending\n");
  EXPECT_EQ(live(op_file, {"outbox", "retry", std::to_string(dead)}).code, 1) << "no longer a dead letter";

  // Config reload: a good one applies, a bad one is refused with its place and the old one stays.
  auto reload = live(admin_file, {"config", "reload"});
  EXPECT_EQ(reload.code, 0) << reload.err;
  EXPECT_EQ(reload.out, "configuration reloaded\n");
  write(config(), config_text("unknown_key: 1\n"));
  auto bad = live(admin_file, {"config", "reload"});
  EXPECT_EQ(bad.code, 1) << bad.out << bad.err;
  EXPECT_NE(bad.err.find("422 invalid_config"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("/unknown_key: " + config().string() + ":"), std::string::npos) << bad.err;
  write(config(), config_text());

  // An operator may not do an admin's work: refused, with exit code 1.
  auto refused = live(op_file, {"config", "reload"});
  EXPECT_EQ(refused.code, 1);
  EXPECT_NE(refused.err.find("403 forbidden"), std::string::npos) << refused.err;
  EXPECT_EQ(live(op_file, {"connectors", "pause", "src"}).code, 1);
  EXPECT_EQ(live(op_file, {"token", "create", "--role", "staff", "--school", "12AB"}).code, 1);

  // Tokens online: the secret alone on stdout; revoked, it no longer works.
  auto created = live(admin_file, {"token", "create", "--role", "staff", "--school", "12AB"});
  ASSERT_EQ(created.code, 0) << created.err;
  EXPECT_TRUE(std::regex_match(created.out, std::regex("skl_[A-Za-z0-9_-]{43}\n"))) << created.out;
  const std::string staff = created.out.substr(0, created.out.size() - 1);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(created.err, m, std::regex("tok_[0-9a-f]{16}"))) << created.err;
  EXPECT_EQ(live(admin_file, {"token", "revoke", m.str()}).code, 0);
  const std::string staff_file = token_file("staff.token", staff);
  auto revoked = live(staff_file, {"connectors", "list"});
  EXPECT_EQ(revoked.code, 1);
  EXPECT_NE(revoked.err.find("401"), std::string::npos) << revoked.err;

  // TLS: the system's trust store does not know the demo certificate; the CLI says so.
  auto untrusted = run({"--url", url_, "--token-file", admin_file, "connectors", "list"});
  EXPECT_EQ(untrusted.code, 3);
  EXPECT_NE(untrusted.err.find("failed verification"), std::string::npos) << untrusted.err;
  EXPECT_NE(untrusted.err.find("--ca-file"), std::string::npos) << untrusted.err;
  const auto other_ca = dir_.path() / "other-ca.pem";
  std::filesystem::copy_file("/etc/ssl/certs/ca-certificates.crt", other_ca);
  auto wrong = run({"--url", url_, "--ca-file", other_ca.string(), "--token-file", admin_file, "connectors", "list"});
  EXPECT_EQ(wrong.code, 3);
  EXPECT_NE(wrong.err.find("failed verification against the CA file"), std::string::npos) << wrong.err;
  // Usage and transport errors.
  EXPECT_EQ(run({"--url", url_, "connectors", "list"}).code, 2) << "no token";
  EXPECT_EQ(run({"--url", "ftp://x", "--token-file", admin_file, "connectors", "list"}).code, 2);
  EXPECT_EQ(run({"--url", "http://example.org", "--token-file", admin_file, "connectors", "list"}).code, 2);

  d.signal(SIGTERM);
  ASSERT_TRUE(d.wait_for("\"msg\":\"stopped\"")) << d.all_output();
  EXPECT_EQ(d.wait_exit(), 0);

  // Nothing printed a secret but token create's stdout, and the daemon logged none.
  for (const auto& secret : {admin, op, staff}) {
    EXPECT_EQ(cli_.all_output().find(secret), cli_.all_output().rfind(secret)) << "a secret appeared more than once";
    EXPECT_EQ(d.all_output().find(secret), std::string::npos) << "the daemon logged a secret";
  }

  // The offline token creations are in the audit log, which verifies.
  auto verify = run({"audit", "--data-dir", data().string(), "verify"});
  EXPECT_EQ(verify.code, 0) << verify.out << verify.err;
  auto exported = run({"audit", "--data-dir", data().string(), "export", "--format", "jsonl", "--action", "token.create"});
  EXPECT_EQ(std::count(exported.out.begin(), exported.out.end(), '\n'), 2) << exported.out << exported.err;
}

TEST_F(CliLive, TransportFailuresAreExitCodeThree) {
  const std::string file = token_file("t", "skl_" + std::string(43, 'A'));
  // Nothing listens on port 1.
  auto c = run({"--url", "https://127.0.0.1:1", "--token-file", file, "connectors", "list"});
  EXPECT_EQ(c.code, 3) << c.err;
  EXPECT_NE(c.err.find("cannot connect to 127.0.0.1:1"), std::string::npos) << c.err;
  EXPECT_EQ(c.err.find("skl_"), std::string::npos);
}
