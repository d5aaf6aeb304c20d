// The plugin host running real plugins: results, errors and their messages, quarantine,
// settings validation, deadlines, restarts with backoff, and other connectors carrying on.
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "plugin_fixture.hpp"

namespace schakel::plugin_host::test {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

class HostTest : public PluginHostTest {};

TEST_F(HostTest, DeliversToASinkAndHandsBackTheReceipt) {
  PluginHost host(options());
  ASSERT_OK(host.add_connector({"noop", install("schakel_noop_sink"), std::nullopt, {}}));
  auto r = host.deliver("noop", R"({"a":1})", "key-1").get();
  EXPECT_EQ(r.code, CallCode::ok) << r.message;
  EXPECT_EQ(r.receipt_json, R"({"id":"key-1"})");
  auto v = host.revoke("noop", r.receipt_json, "consent withdrawn").get();
  EXPECT_EQ(v.code, CallCode::ok) << v.message;
  EXPECT_EQ(host.deliver("noop", "", "key-2").get().message, "empty document");
  EXPECT_EQ(host.deliver("nobody", "{}", "k").get().message, "no connector 'nobody'");
}

TEST_F(HostTest, ASourceKeepsItsCursorInState) {
  auto o = options();
  int records = 0;
  o.records = [&](const std::string&, const std::string& stream, const nlohmann::json& rec, std::string_view) {
    EXPECT_EQ(stream, "pupils");
    EXPECT_TRUE(rec.contains("roepnaam"));
    ++records;
    return Status::ok();
  };
  auto state = memory_state_store();
  o.state = state.get();
  PluginHost host(o);
  ASSERT_OK(host.add_connector({"demo", install("schakel_demo_source"), std::nullopt, {{"batch", 3}}}));
  EXPECT_EQ(host.poll("demo").get().code, CallCode::ok);
  EXPECT_EQ(host.poll("demo").get().code, CallCode::ok);
  EXPECT_EQ(records, 6);
  EXPECT_EQ(state->get("demo", "cursor")->value_or(""), "6");
}

// A sink that keeps records to store them in batches: the host has them stored before the cursor
// moves and before the poll counts as done; when storing fails, the cursor stays and the poll is
// a retry, so the source offers the same records again.
TEST_F(HostTest, BatchedRecordsAreStoredBeforeTheCursorMoves) {
  auto o = options();
  std::vector<std::string> kept, stored;
  bool fail = true;
  std::vector<std::string> order;  // what happened, in order
  o.records = [&](const std::string&, const std::string&, nlohmann::json&& rec, std::string_view) {
    kept.push_back(rec["id"].get<std::string>());
    return Status::ok();
  };
  o.flush_records = [&](const std::string& connector) -> Status {
    EXPECT_EQ(connector, "demo");
    order.push_back("flush " + std::to_string(kept.size()));
    if (kept.empty()) return Status::ok();
    if (fail) {
      kept.clear();  // a failed write: these records are not stored
      return Status(ErrorCode::io, "disk full");
    }
    stored.insert(stored.end(), kept.begin(), kept.end());
    kept.clear();
    return Status::ok();
  };
  auto state = memory_state_store();
  o.state = state.get();
  PluginHost host(o);
  ASSERT_OK(host.add_connector({"demo", install("schakel_demo_source"), std::nullopt, {{"batch", 3}}}));
  auto r = host.poll("demo").get();
  EXPECT_EQ(r.code, CallCode::retry);
  EXPECT_THAT(r.message, HasSubstr("disk full"));
  EXPECT_FALSE(state->get("demo", "cursor")->has_value()) << "the cursor moved past records that were not stored";
  EXPECT_TRUE(stored.empty());
  fail = false;
  r = host.poll("demo").get();
  EXPECT_EQ(r.code, CallCode::ok) << r.message;
  EXPECT_EQ(stored, (std::vector<std::string>{"demo-0", "demo-1", "demo-2"}));
  EXPECT_EQ(state->get("demo", "cursor")->value_or(""), "3");
  // After create (nothing kept); then each poll: before the cursor (3 kept), and once more as
  // the call returned (nothing left).
  EXPECT_EQ(order, (std::vector<std::string>{"flush 0", "flush 3", "flush 0", "flush 3", "flush 0"}));
}

TEST_F(HostTest, SettingsAreValidatedAgainstTheConfigSchemaWithEveryPointer) {
  PluginHost host(options());
  const auto path = install("broken_config_violation");
  const auto st = host.add_connector(
      {"cfg", path, std::nullopt, {{"base_url", "http://plain"}, {"timeout_ms", 0}, {"colour", "red"}}});
  ASSERT_FALSE(st);
  EXPECT_THAT(st.message(), HasSubstr("connector cfg (plugin " + path.string() + "): invalid settings:"));
  EXPECT_THAT(st.message(), HasSubstr("settings/base_url:"));
  EXPECT_THAT(st.message(), HasSubstr("settings/timeout_ms:"));
  EXPECT_THAT(st.message(), HasSubstr("settings/colour: unknown property"));
  // Only the innermost violation of each property, not the cascade up to its parent.
  EXPECT_THAT(st.message(), ::testing::Not(HasSubstr("Failed to validate against schema associated")));
  const auto missing = host.add_connector({"cfg2", path, std::nullopt, nlohmann::json::object()});
  EXPECT_THAT(missing.message(), HasSubstr("base_url"));
  EXPECT_TRUE(host.connectors().empty());  // nothing started
  ASSERT_OK(host.add_connector({"cfg3", path, std::nullopt, {{"base_url", "https://x.invalid"}, {"timeout_ms", 5}}}));
}

TEST_F(HostTest, AStreamSchemaWithARefCycleIsRefusedWithTheStreamAndThePlace) {
  PluginHost host(options());
  const auto path = install("broken_ref_cycle");
  const auto st = host.add_connector({"loopy", path, std::nullopt, nlohmann::json::object()});
  ASSERT_FALSE(st);
  EXPECT_THAT(st.message(), HasSubstr("loops"));  // the stream, by name
  EXPECT_THAT(st.message(), HasSubstr("$ref cycle at the root (#/definitions/a -> #/definitions/b -> #/definitions/a)"));
  EXPECT_TRUE(host.connectors().empty());
}

TEST_F(HostTest, EveryExceptionBecomesAnErrorWithItsMessage) {
  PluginHost host(options());
  // Installed once: copying over a loaded library would change code under the running process.
  const auto path = install("broken_throws");
  ASSERT_OK(host.add_connector({"boom", path, std::nullopt, {}}));
  const std::vector<std::pair<std::function<CallResult()>, std::string>> calls = {
      {[&] { return host.check("boom").get(); }, "check threw: check exploded"},
      {[&] { return host.poll("boom").get(); }, "poll threw: poll exploded"},
      {[&] { return host.deliver("boom", "{}", "k").get(); }, "deliver threw: deliver exploded"},
      {[&] { return host.revoke("boom", "{}", "r").get(); }, "revoke threw: an exception that is not a std::exception"},
  };
  int started = 1;
  for (const auto& [call, message] : calls) {
    events_.wait(HostEvent::Kind::started, "boom", started);
    const auto r = call();
    EXPECT_EQ(r.code, CallCode::fatal);
    EXPECT_EQ(r.message, message);
    // Fatal: the connector restarts after its backoff.
    clock_.advance(100ms);
    host.tick();
    ++started;
  }
  ASSERT_OK(host.add_connector({"boom2", path, std::nullopt, {{"throw_in_create", true}}}));
  const auto failed = events_.wait(HostEvent::Kind::failed, "boom2");
  EXPECT_THAT(failed.message, HasSubstr("create returned fatal: create threw: create exploded"));
}

TEST_F(HostTest, AnErrorWithoutAMessageIsReportedAsAPluginBug) {
  PluginHost host(options());
  ASSERT_OK(host.add_connector({"quiet", install("broken_no_message"), std::nullopt, {}}));
  const auto r = host.deliver("quiet", "{}", "k").get();
  EXPECT_EQ(r.code, CallCode::reject);
  EXPECT_EQ(r.message, "plugin bug: no-message returned reject without an error message");
  EXPECT_THAT(events_.wait(HostEvent::Kind::plugin_bug, "quiet").message, HasSubstr("from deliver"));
}

TEST_F(HostTest, InvalidRecordsAreQuarantinedWithThePointer) {
  auto o = options();
  std::vector<store::QuarantineRow> rows;
  std::vector<nlohmann::json> accepted;
  o.quarantine = [&](store::QuarantineRow& row) {
    row.id = static_cast<std::int64_t>(rows.size() + 1);
    rows.push_back(row);
    return Status::ok();
  };
  o.records = [&](const std::string&, const std::string&, const nlohmann::json& rec, std::string_view) {
    accepted.push_back(rec);
    return Status::ok();
  };
  PluginHost host(o);
  ASSERT_OK(host.add_connector({"src", install("broken_emits_invalid"), std::nullopt, {}}));
  EXPECT_EQ(host.poll("src").get().code, CallCode::ok);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].reason, "record is not valid JSON");
  EXPECT_EQ(rows[0].record, "{\"id\": \"p1\", \"groep\": ");
  EXPECT_THAT(rows[1].reason, HasSubstr("/groep:"));
  EXPECT_THAT(rows[1].reason, HasSubstr("/id:"));
  EXPECT_EQ(rows[2].reason, "stream 'teachers' is not declared in the manifest");
  for (const auto& row : rows) {
    EXPECT_EQ(row.connector, "src");
    EXPECT_EQ(row.time, t0());
  }
  ASSERT_EQ(accepted.size(), 1u);
  EXPECT_EQ(accepted[0]["id"], "p2");
  EXPECT_EQ(host.status("src")->quarantined, 3u);
}

TEST_F(HostTest, ACallPastItsDeadlineDegradesOnlyItsConnector) {
  auto o = options();
  o.workers = 1;
  std::mutex mu;
  std::condition_variable cv;
  bool polling = false;
  o.on_log = [&](const std::string& c, int, const std::string& msg) {
    if (c == "hang" && msg == "poll blocks") {
      std::lock_guard lock(mu);
      polling = true;
      cv.notify_all();
    }
  };
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  PluginHost host(o);
  ASSERT_OK(host.add_connector({"hang", install("broken_hang_poll"), std::nullopt, {{"wait_fd", fds[0]}}}));
  ASSERT_OK(host.add_connector({"noop", install("schakel_noop_sink"), std::nullopt, {}}));
  auto stuck = host.poll("hang");
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return polling; });
  }
  host.tick();  // not yet past the deadline
  EXPECT_EQ(host.status("hang")->state, ConnectorState::running);
  clock_.advance(1001ms);
  host.tick();
  const auto r = stuck.get();
  EXPECT_EQ(r.code, CallCode::retry);
  EXPECT_THAT(r.message, HasSubstr("connector hang: poll did not return within 1000 ms"));
  EXPECT_THAT(events_.wait(HostEvent::Kind::degraded, "hang").message, HasSubstr("poll did not return"));
  EXPECT_EQ(host.status("hang")->state, ConnectorState::degraded);
  EXPECT_EQ(host.status("hang")->deadline_misses, 1u);
  EXPECT_THAT(host.poll("hang").get().message, HasSubstr("connector hang is degraded"));
  // The only worker is stuck; the pool added one, so the other connector is still served.
  EXPECT_EQ(host.pool_threads(), 2);
  EXPECT_EQ(host.deliver("noop", "{}", "k").get().code, CallCode::ok);
  // Release the hang: the connector recovers, the late result is discarded.
  ::close(fds[1]);
  EXPECT_THAT(events_.wait(HostEvent::Kind::recovered, "hang").message, HasSubstr("its result was discarded"));
  EXPECT_EQ(host.status("hang")->state, ConnectorState::running);
  ::close(fds[0]);
}

TEST_F(HostTest, AFailedConnectorRestartsWithBackoffWhileOthersRun) {
  PluginHost host(options());
  ASSERT_OK(host.add_connector({"boom", install("broken_throws"), std::nullopt, {}}));
  ASSERT_OK(host.add_connector({"noop", install("schakel_noop_sink"), std::nullopt, {}}));
  const std::vector<std::string> delays = {"restart 1 in 10 ms", "restart 2 in 20 ms", "restart 3 in 40 ms",
                                           "restart 4 in 80 ms", "restart 5 in 80 ms"};
  for (size_t i = 0; i < delays.size(); ++i) {
    events_.wait(HostEvent::Kind::started, "boom", static_cast<int>(i) + 1);
    EXPECT_EQ(host.poll("boom").get().code, CallCode::fatal);
    EXPECT_THAT(events_.wait(HostEvent::Kind::failed, "boom", static_cast<int>(i) + 1).message, HasSubstr(delays[i]));
    EXPECT_EQ(host.status("boom")->state, ConnectorState::restarting);
    EXPECT_THAT(host.poll("boom").get().message, HasSubstr("connector boom is restarting"));
    EXPECT_EQ(host.deliver("noop", "{}", "k").get().code, CallCode::ok);  // unaffected
    clock_.advance(std::chrono::milliseconds(std::stoi(delays[i].substr(delays[i].rfind(" in ") + 4)) - 1));
    host.tick();
    EXPECT_EQ(host.status("boom")->state, ConnectorState::restarting);  // not yet
    clock_.advance(1ms);
    host.tick();
  }
  events_.wait(HostEvent::Kind::started, "boom", 6);
  EXPECT_EQ(host.status("boom")->restarts, 5);
}

TEST_F(HostTest, TooManyRetriesInARowCountAsAFailure) {
  auto o = options();
  o.max_errors_in_a_row = 3;
  PluginHost host(o);
  ASSERT_OK(host.add_connector({"flaky", install("broken_no_message"), std::nullopt, {{"result", "retry"}}}));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(host.deliver("flaky", "{}", "k").get().code, CallCode::retry);
  EXPECT_THAT(events_.wait(HostEvent::Kind::failed, "flaky").message, HasSubstr("3 retry results in a row"));
}

TEST(BackoffTest, DoublesCapsAndJittersDeterministically) {
  BackoffPolicy p{std::chrono::milliseconds(100), std::chrono::milliseconds(1000), 0.5, 7};
  EXPECT_EQ(backoff_delay(p, 1, 0), 100ms);
  EXPECT_EQ(backoff_delay(p, 2, 0), 200ms);
  EXPECT_EQ(backoff_delay(p, 5, 0), 1000ms);
  EXPECT_EQ(backoff_delay(p, 60, 0), 1000ms);
  EXPECT_EQ(backoff_delay(p, 1, ~std::uint64_t{0}), 50ms);  // at most half off
  EXPECT_EQ(backoff_delay(p, 3, std::uint64_t{1} << 63), 300ms);
}

}  // namespace
}  // namespace schakel::plugin_host::test
