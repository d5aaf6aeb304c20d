// The operations endpoints against a real Runtime: connector status, pause and resume, run now,
// config reload (good and bad, shared with SIGHUP), and the outbox list and retry with their
// school filter and without document content.
#include "daemon_env.hpp"

namespace schakel::daemon::test {
namespace {

std::string ops_config_text(const std::string& extra = "") {
  return DaemonEnv::config_text(DaemonEnv::demo_connectors(extra));
}

class OpsEndpoints : public ::testing::Test {
 protected:
  api::ApiResponse call(const std::string& method, const std::string& target, const std::string& body = "") {
    return env_.service().handle(request(method, target, admin_, body));
  }
  DaemonEnv env_{DaemonEnv::demo_connectors()};
  std::string admin_ = env_.token(Role::admin, k_own_brin);
};

TEST_F(OpsEndpoints, ListsConnectorsWithTheirStatus) {
  const auto res = call("GET", "/v1/connectors");
  ASSERT_EQ(res.status, 200) << res.body;
  const auto list = body_of(res)["connectors"];
  ASSERT_EQ(list.size(), 3u) << res.body;
  EXPECT_EQ(list[0]["id"], "src");
  EXPECT_EQ(list[0]["kind"], "source");
  EXPECT_EQ(list[0]["schedule"], "0 3 * * *");
  EXPECT_EQ(list[0]["paused"], false);
  EXPECT_TRUE(list[0]["last_poll"].is_null());
  EXPECT_EQ(list[2]["kind"], "sink");

  const auto one = call("GET", "/v1/connectors/sink");
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(body_of(one)["id"], "sink");
  EXPECT_EQ(call("GET", "/v1/connectors/nope").status, 404);
  EXPECT_EQ(call("GET", "/v1/connectors/..").status, 400);
}

TEST_F(OpsEndpoints, PauseStopsRunsUntilResumeAndSurvivesInState) {
  auto paused = call("POST", "/v1/connectors/src/pause");
  ASSERT_EQ(paused.status, 200) << paused.body;
  EXPECT_EQ(body_of(paused)["paused"], true);
  EXPECT_TRUE(env_.rt().paused("src"));
  const auto refused = call("POST", "/v1/connectors/src/run");
  EXPECT_EQ(refused.status, 409) << refused.body;
  EXPECT_NE(refused.body.find("paused"), std::string::npos) << refused.body;
  // Kept in the connector's state, where a restarted daemon finds it.
  auto tx = env_.rt().store().begin(false);
  ASSERT_TRUE(tx);
  auto kept = (*tx)->connector_state("src", "schakel.paused");
  ASSERT_TRUE(kept && kept.value());
  EXPECT_EQ(**kept, "true");
  tx.value().reset();

  const auto resumed = call("POST", "/v1/connectors/src/resume");
  ASSERT_EQ(resumed.status, 200) << resumed.body;
  EXPECT_EQ(body_of(resumed)["paused"], false);
  EXPECT_EQ(call("POST", "/v1/connectors/src/run").status, 202);
  EXPECT_EQ(call("POST", "/v1/connectors/sink/run").status, 409) << "a sink has nothing to poll";
  EXPECT_EQ(call("POST", "/v1/connectors/nope/pause").status, 404);
}

TEST_F(OpsEndpoints, CheckAnswersThePluginsVerdict) {
  const auto res = call("POST", "/v1/connectors/sink/check");
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(body_of(res)["ok"], true) << res.body;
  EXPECT_EQ(body_of(res)["result"], "ok");
}

TEST_F(OpsEndpoints, ReloadRefusesABadConfigAndAppliesAGoodOne) {
  env_.write_config(ops_config_text("unknown_key: 1\n"));
  const auto bad = call("POST", "/v1/config/reload");
  ASSERT_EQ(bad.status, 422) << bad.body;
  const auto body = body_of(bad);
  EXPECT_EQ(body["reloaded"], false);
  ASSERT_EQ(body["problems"].size(), 1u) << bad.body;
  EXPECT_EQ(body["problems"][0]["pointer"], "/unknown_key");
  EXPECT_NE(body["problems"][0]["message"].get<std::string>().find("schakel.yaml:"), std::string::npos) << bad.body;
  EXPECT_EQ(env_.rt().connectors_config().size(), 3u) << "the running configuration stays";

  env_.write_config(ops_config_text().substr(0, ops_config_text().find("  - {id: manual")) +
                    "  - {id: sink, plugin: schakel_noop_sink}\n");
  const auto good = call("POST", "/v1/config/reload");
  ASSERT_EQ(good.status, 200) << good.body;
  EXPECT_EQ(body_of(good)["reloaded"], true);
  EXPECT_EQ(env_.rt().connectors_config().size(), 2u);
}

TEST_F(OpsEndpoints, OutboxListShowsOwnSchoolsOnlyAndNoContent) {
  const auto own = env_.dead_letter("27XK01");
  const auto other = env_.dead_letter("12AB00");
  const auto res = call("GET", "/v1/outbox?state=dead&limit=10");
  ASSERT_EQ(res.status, 200) << res.body;
  const auto items = body_of(res)["items"];
  ASSERT_EQ(items.size(), 1u) << res.body;
  EXPECT_EQ(items[0]["id"], own);
  EXPECT_EQ(items[0]["state"], "dead");
  EXPECT_EQ(items[0]["last_error"], "destination said no");
  EXPECT_EQ(res.body.find("secret_document"), std::string::npos) << "no document content";
  EXPECT_EQ(res.body.find("stu_secret_id"), std::string::npos) << "no student";

  EXPECT_EQ(call("GET", "/v1/outbox?state=pending").status, 200);
  const auto bad = call("GET", "/v1/outbox?state=stuck&limit=0&colour=red");
  ASSERT_EQ(bad.status, 400);
  const auto problems = body_of(bad)["problems"];
  ASSERT_EQ(problems.size(), 3u) << bad.body;

  const auto retried = call("POST", "/v1/outbox/" + std::to_string(own) + "/retry");
  ASSERT_EQ(retried.status, 200) << retried.body;
  EXPECT_EQ(body_of(retried)["state"], "pending");
  EXPECT_EQ(body_of(retried)["attempts"], 0);
  EXPECT_EQ(call("POST", "/v1/outbox/" + std::to_string(own) + "/retry").status, 409) << "no longer dead";
  EXPECT_EQ(call("POST", "/v1/outbox/" + std::to_string(other) + "/retry").status, 403);
  EXPECT_EQ(call("POST", "/v1/outbox/999999/retry").status, 404);
  EXPECT_EQ(call("POST", "/v1/outbox/abc/retry").status, 400);
}

TEST_F(OpsEndpoints, OutboxPagesWithAfter) {
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(env_.dead_letter("27XK01"));
  const auto first = body_of(call("GET", "/v1/outbox?state=dead&limit=2"));
  ASSERT_EQ(first["items"].size(), 2u);
  ASSERT_FALSE(first["next_after"].is_null());
  const auto rest = body_of(call("GET", "/v1/outbox?state=dead&limit=2&after=" + first["next_after"].dump()));
  ASSERT_EQ(rest["items"].size(), 1u);
  EXPECT_EQ(rest["items"][0]["id"], ids[2]);
}

}  // namespace
}  // namespace schakel::daemon::test
