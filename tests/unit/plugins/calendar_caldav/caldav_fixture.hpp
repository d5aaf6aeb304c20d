#pragma once
// The calendar-caldav plugin through the real plugin host against one real Radicale per test
// binary (a gtest Environment); each test gets its own calendar.
#include <mutex>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "ical/reader.hpp"
#include "ical/text.hpp"
#include "plugin_host/plugin_host.hpp"
#include "radicale.hpp"
#include "support/plugin_test_options.hpp"

namespace schakel::test {

inline const std::string k_nurse_password = "nurse-password-7Gq2";  // must never appear in output

class RadicaleEnvironment : public ::testing::Environment {
 public:
  void SetUp() override { server = std::make_unique<Radicale>(std::map<std::string, std::string>{{"nurse", k_nurse_password}}); }
  void TearDown() override { server.reset(); }
  static inline std::unique_ptr<Radicale> server;
};

struct Record {
  std::string stream;
  nlohmann::json record;
};

class Caldav : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    calendar_ = std::string("c-") + info->name();
    radicale().make_calendar("nurse", calendar_);
    plugin_ = plugin_dir_.path() / "libschakel_calendar_caldav.so";
    std::filesystem::copy_file(SCHAKEL_CALENDAR_CALDAV_PLUGIN, plugin_);
    TimePoint t;
    parse_rfc3339("2026-11-20T08:00:00Z", t);
    clock_ = std::make_unique<ManualClock>(t);
    state_ = plugin_host::memory_state_store();
    auto o = plugin_test_options(plugin_dir_.path(), *clock_);
    o.state = state_.get();
    o.records = [this](const std::string&, const std::string& stream, const nlohmann::json& r, std::string_view) {
      std::lock_guard lock(mu_);
      records_.push_back({stream, r});
      return Status::ok();
    };
    o.on_log = [this](const std::string&, int, const std::string& msg) {
      std::lock_guard lock(mu_);
      logs_.push_back(msg);
    };
    host_ = std::make_unique<plugin_host::PluginHost>(std::move(o));
  }
  void TearDown() override {
    host_.reset();
    for (const auto& l : logs_) EXPECT_EQ(l.find(k_nurse_password), std::string::npos) << "the password leaked into a log";
  }

  static Radicale& radicale() { return *RadicaleEnvironment::server; }

  nlohmann::json settings() const {
    return {{"url", radicale().url("/")}, {"username", "nurse"}, {"password", k_nurse_password},
            {"recipient_email", "jvk@ggd.example"}, {"calendar", calendar_}, {"allow_plain_http", true},
            {"read_timeout_ms", 10000}, {"total_timeout_ms", 30000}};
  }
  Status add(nlohmann::json s) { return host_->add_connector({"cal", plugin_, std::nullopt, std::move(s)}); }

  static nlohmann::json meeting(const std::string& uid, int sequence, const std::string& start, const std::string& end,
                                const std::string& status = "planned") {
    return {{"event",
             {{"uid", uid}, {"sequence", sequence}, {"dtstamp", "2026-11-20T08:00:00Z"}, {"start", start}, {"end", end},
              {"summary", "OT-overleg"}, {"location", "Lokaal 12"}, {"description", "casus 1, casus 2"},
              {"status", status},
              {"organizer", {{"email", "ib@regenboog.example"}, {"name", "IB"}}},
              {"attendees", {{{"email", "jvk@ggd.example"}, {"name", "Jeugdverpleegkundige"}},
                             {{"email", "ib@regenboog.example"}, {"name", "IB"}, {"partstat", "accepted"}}}}}}};
  }
  plugin_host::CallResult deliver(const nlohmann::json& doc) { return host_->deliver("cal", doc.dump(), "k").get(); }
  plugin_host::CallResult poll() { return host_->poll("cal").get(); }

  std::string path(const std::string& uid) const { return "/nurse/" + calendar_ + "/" + uid + ".ics"; }
  // The server's copy, read as another client would.
  std::pair<ical::Event, std::string> server_copy(const std::string& uid) {
    auto r = radicale().request("nurse", "GET", path(uid));
    EXPECT_TRUE(r && r->status == 200) << (r ? r->status : 0);
    auto e = ical::read_event(r ? r->body : "");
    EXPECT_TRUE(e) << e.status().message();
    return {e ? *e : ical::Event{}, r ? r->header("ETag").value_or("") : ""};
  }
  // Another client (the nurse's own) changing the event with If-Match, as CalDAV clients do.
  void edit_by_hand(const std::string& uid, const std::function<void(std::string&)>& change) {
    auto r = radicale().request("nurse", "GET", path(uid));
    ASSERT_TRUE(r && r->status == 200);
    std::string ics = ical::unfold(r->body);
    change(ics);
    auto put = radicale().request("nurse", "PUT", path(uid), ics,
                                  {{"If-Match", r->header("ETag").value_or("")}, {"Content-Type", "text/calendar"}});
    ASSERT_TRUE(put && (put->status == 201 || put->status == 204)) << (put ? put->status : 0);
  }
  static void replace(std::string& s, const std::string& from, const std::string& to) {
    const auto at = s.find(from);
    ASSERT_NE(at, std::string::npos) << from << " not in\n" << s;
    s.replace(at, from.size(), to);
  }
  std::vector<Record> records() {
    std::lock_guard lock(mu_);
    return records_;
  }
  std::optional<std::string> state(const std::string& key) {
    auto v = state_->get("cal", key);
    return v ? *v : std::nullopt;
  }

  TempDir plugin_dir_;
  std::filesystem::path plugin_;
  std::string calendar_;
  std::unique_ptr<ManualClock> clock_;
  std::unique_ptr<plugin_host::StateStore> state_;
  std::unique_ptr<plugin_host::PluginHost> host_;
  std::mutex mu_;
  std::vector<Record> records_;
  std::vector<std::string> logs_;
};

}  // namespace schakel::test
