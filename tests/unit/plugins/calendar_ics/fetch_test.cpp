// The calendar-ics plugin in the real plugin host, with its state in a real SQLite store, fetching
// over real TLS from tests/fakes/ics_feed.py: conditional GET, only changes emitted, and a bad
// feed that emits nothing, keeps what is known and is tried again on the next run.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include <nlohmann/json.hpp>

#include "base/clock.hpp"
#include "child_process.hpp"
#include "plugin_host/plugin_host.hpp"
#include "plugin_test_options.hpp"
#include "store/store.hpp"
#include "temp_dir.hpp"

namespace schakel::test {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}
void write_text(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary | std::ios::trunc) << text; }

// The feed's path holds a secret, as a private Google or Outlook address does.
constexpr const char* k_path = "/private-7f3a9c2e5b1d/basic.ics";
constexpr const char* k_secret = "7f3a9c2e5b1d";

class IcsFetch : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* pki = std::getenv("SCHAKEL_TEST_PKI_DIR");
    ASSERT_NE(pki, nullptr) << "run through ctest (fixture https_test_pki)";
    pki_ = pki;
    feed_dir_ = work_.path() / "feeds";
    fs::create_directories(feed_dir_);
    good_ = read_text(fs::path(SCHAKEL_SOURCE_DIR) / "tests/data/ics/google_ot.ics");
    write_text(feed_dir_ / "basic.ics", good_);
    record_ = work_.path() / "requests.jsonl";
    server_ = std::make_unique<ChildProcess>(std::vector<std::string>{
        "/usr/bin/python3", "-B", std::string(SCHAKEL_SOURCE_DIR) + "/tests/fakes/ics_feed.py", "serve", "--dir",
        feed_dir_.string(), "--record", record_.string(), "--cert", (pki_ / "good.pem").string(), "--key",
        (pki_ / "good.key").string()});
    auto line = server_->wait_for("PORT ");
    ASSERT_TRUE(line.has_value()) << server_->all_output();
    port_ = std::stoi(line->substr(line->find("PORT ") + 5));

    fs::copy_file(SCHAKEL_CALENDAR_ICS_PLUGIN, plugin_dir_.path() / "libschakel_calendar_ics.so");
    store::Options so;
    so.path = work_.path() / "schakel.db";
    so.durable = false;
    auto st = store::open_sqlite(so);
    ASSERT_TRUE(st.is_ok()) << st.status().message();
    store_ = std::move(*st);
    TimePoint t;
    ASSERT_TRUE(parse_rfc3339("2026-11-01T09:00:00Z", t));
    clock_ = std::make_unique<ManualClock>(t);
    state_ = plugin_host::store_state_store(*store_);
    plugin_host::HostOptions o = plugin_test_options(plugin_dir_.path(), *clock_);
    o.state = state_.get();
    o.records = [this](const std::string& connector, const std::string& stream, const json& r, std::string_view) {
      std::lock_guard lock(mu_);
      EXPECT_EQ(connector, "ics-kompas");
      EXPECT_EQ(stream, "meetings");
      if (store_failures_ > 0) {
        --store_failures_;
        return Status(ErrorCode::unavailable, "the store is full");
      }
      emitted_.push_back(r);
      return Status::ok();
    };
    host_ = std::make_unique<plugin_host::PluginHost>(std::move(o));
    json s = {{"url", "https://127.0.0.1:" + std::to_string(port_) + k_path},
              {"connector_id", "ics-kompas"},
              {"school_id", "12AB00"},
              {"school_year", {{"first_day", "2026-08-01"}, {"last_day", "2027-07-31"}}},
              {"match", {{{"summary", "\\bOT\\b"}}, {{"summary", "^VOT"}, {"kind", "vot"}}}},
              {"ca_file", (pki_ / "ca.pem").string()},
              {"max_feed_bytes", 10 << 20}};
    auto added = host_->add_connector({"ics-kompas", plugin_dir_.path() / "libschakel_calendar_ics.so", std::nullopt, s});
    ASSERT_TRUE(added.is_ok()) << added.message();
  }
  void TearDown() override { host_.reset(); }

  plugin_host::CallResult poll() { return host_->poll("ics-kompas").get(); }
  std::vector<json> take() {
    std::lock_guard lock(mu_);
    return std::exchange(emitted_, {});
  }
  std::vector<json> requests() const {
    std::vector<json> out;
    std::ifstream in(record_);
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) out.push_back(json::parse(line));
    return out;
  }
  std::optional<std::string> state(const std::string& key) {
    auto v = state_->get("ics-kompas", key);
    return v ? *v : std::nullopt;
  }
  // Polls a bad feed: retry, the message names the feed (never the secret path) and `what`,
  // nothing emitted, nothing known changed.
  void expect_refused(const std::string& what) {
    const auto known = state("known");
    auto r = poll();
    EXPECT_EQ(r.code, plugin_host::CallCode::retry);
    EXPECT_NE(r.message.find("feed ics-kompas (127.0.0.1): "), std::string::npos) << r.message;
    EXPECT_NE(r.message.find(what), std::string::npos) << r.message;
    EXPECT_EQ(r.message.find(k_secret), std::string::npos) << r.message;
    EXPECT_TRUE(take().empty());
    EXPECT_EQ(state("known"), known);
  }

  TempDir work_;
  TempDir plugin_dir_;
  fs::path pki_;
  fs::path feed_dir_;
  fs::path record_;
  std::string good_;
  std::unique_ptr<ChildProcess> server_;
  int port_ = 0;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<ManualClock> clock_;
  std::unique_ptr<plugin_host::StateStore> state_;
  std::unique_ptr<plugin_host::PluginHost> host_;
  std::mutex mu_;
  std::vector<json> emitted_;
  int store_failures_ = 0;
};

TEST_F(IcsFetch, FirstPollImportsAndAnUnchangedFeedIsNotFetchedAgain) {
  auto r = poll();
  ASSERT_EQ(r.code, plugin_host::CallCode::ok) << r.message;
  const auto first = take();
  EXPECT_EQ(first.size(), 9u);
  for (const auto& m : first) EXPECT_EQ(m["owner"]["connector_id"], "ics-kompas");
  ASSERT_TRUE(state("etag").has_value());
  EXPECT_FALSE(state("etag")->empty());
  r = poll();
  ASSERT_EQ(r.code, plugin_host::CallCode::ok) << r.message;
  EXPECT_TRUE(take().empty());
  const auto reqs = requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_TRUE(reqs[0]["if_none_match"].is_null());
  EXPECT_EQ(reqs[1]["if_none_match"], *state("etag"));
  EXPECT_EQ(reqs[1]["if_modified_since"], *state("last_modified"));
  EXPECT_EQ(reqs[1]["status"], 304);
}

TEST_F(IcsFetch, AChangedFeedEmitsOnlyWhatChanged) {
  ASSERT_EQ(poll().code, plugin_host::CallCode::ok);
  take();
  std::string moved = good_;
  moved.replace(moved.find("DTSTART:20270118T130000Z"), 24, "DTSTART:20270118T140000Z");
  write_text(feed_dir_ / "basic.ics", moved);
  auto r = poll();
  ASSERT_EQ(r.code, plugin_host::CallCode::ok) << r.message;
  const auto changed = take();
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0]["start"], "2027-01-18T15:00:00+01:00");
  EXPECT_EQ(requests().back()["status"], 200);
}

TEST_F(IcsFetch, BadFeedsEmitNothingKeepWhatIsKnownAndAreTriedAgain) {
  ASSERT_EQ(poll().code, plugin_host::CallCode::ok);
  ASSERT_EQ(take().size(), 9u);
  const std::string cut = good_.substr(0, good_.find("SUMMARY:VOT"));
  write_text(feed_dir_ / "basic.ics", cut);
  expect_refused("the feed is truncated: BEGIN:VEVENT at line ");
  // The next run asks again (a bad feed's ETag is never kept) and gets the same answer.
  expect_refused("the feed is truncated");
  EXPECT_EQ(requests().back()["status"], 200);
  write_text(feed_dir_ / "basic.ics", "<!DOCTYPE html>\n<html><body>Sign in</body></html>\n");
  expect_refused("line 1: not an iCalendar feed");
  std::string no_start = good_;
  no_start.erase(no_start.find("DTSTART:20270118T130000Z"), 25);
  write_text(feed_dir_ / "basic.ics", no_start);
  expect_refused("VEVENT UID 0a9b8c7d6e5f4g3h2i1j@google.com has no DTSTART");
  std::string forever = good_;
  forever.replace(forever.find("RRULE:FREQ=WEEKLY;WKST=MO;INTERVAL=6;BYDAY=TU"), 45, "RRULE:FREQ=MINUTELY");
  write_text(feed_dir_ / "basic.ics", forever);
  expect_refused("max_instances");
  std::string big = good_;
  big.insert(big.find("BEGIN:VEVENT"), "X-PADDING:" + std::string(20U << 20U, 'x') + "\n");
  write_text(feed_dir_ / "basic.ics", big);
  expect_refused("larger than max_feed_bytes");
  // Fixed: the feed is the one already imported, so the server answers 304 and nothing changes.
  write_text(feed_dir_ / "basic.ics", good_);
  auto r = poll();
  EXPECT_EQ(r.code, plugin_host::CallCode::ok) << r.message;
  EXPECT_TRUE(take().empty());
  EXPECT_EQ(requests().back()["status"], 304);
}

TEST_F(IcsFetch, ARecordTheStoreRefusedIsOfferedAgainByTheNextRun) {
  store_failures_ = 2;
  auto r = poll();
  EXPECT_EQ(r.code, plugin_host::CallCode::retry);
  EXPECT_NE(r.message.find("2 of 9 meeting records were not stored"), std::string::npos) << r.message;
  EXPECT_EQ(take().size(), 7u);
  EXPECT_EQ(state("etag").value_or(""), "");  // not "seen": the next run fetches it whole
  r = poll();
  ASSERT_EQ(r.code, plugin_host::CallCode::ok) << r.message;
  EXPECT_EQ(take().size(), 2u);  // only the two that were not stored
  EXPECT_EQ(requests().back()["status"], 200);
  EXPECT_EQ(poll().code, plugin_host::CallCode::ok);
  EXPECT_EQ(requests().back()["status"], 304);
}

TEST_F(IcsFetch, AServerErrorIsRetriedWithoutTheSecretPath) {
  write_text(feed_dir_ / "basic.ics.status", "503");
  expect_refused("HTTP 503");
  fs::remove(feed_dir_ / "basic.ics.status");
  EXPECT_EQ(poll().code, plugin_host::CallCode::ok);
  EXPECT_EQ(take().size(), 9u);
}

TEST_F(IcsFetch, CheckReadsTheFeedAndEmitsNothing) {
  auto r = host_->check("ics-kompas").get();
  EXPECT_EQ(r.code, plugin_host::CallCode::ok) << r.message;
  EXPECT_TRUE(take().empty());
  write_text(feed_dir_ / "basic.ics", "not a calendar\n");
  r = host_->check("ics-kompas").get();
  EXPECT_EQ(r.code, plugin_host::CallCode::reject);
  EXPECT_NE(r.message.find("line 1: not an iCalendar feed"), std::string::npos) << r.message;
}

}  // namespace
}  // namespace schakel::test
