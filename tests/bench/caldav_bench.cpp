// A school year of an SWV synced to a real Radicale through the calendar-caldav plugin and the
// real plugin host: 50 schools x 8 meetings x 6 external members, each member a CalDAV account
// of their own (one connector each). Run 1 writes every event and reads each calendar back once
// (sync-collection); run 2 delivers the same documents and polls again with nothing changed,
// which should cost at most 5% of run 1 thanks to the stored ETags, sync tokens and getctag.
// Two setups, each with a Radicale of its own, are measured side by side: as shipped (a Depth-0
// PROPFIND of getctag, the REPORT only when the calendar changed) and, with COMPARE, with the
// getctag check off (state "ctag_unsupported": every poll sends its sync-collection REPORT). Run 1
// of each, then run 2 three times alternating between them (so a shared machine's load drifts
// over both alike); the median run 2 counts.
// Usage: caldav_bench [SCHOOLS=50] [MEETINGS=8] [MEMBERS=6] [WORKERS=4] [COMPARE=1 (0: as shipped only)]
// With SCHAKEL_CALDAV_BASELINE_PLUGIN=<an older libschakel_calendar_caldav.so> the check-off
// setup loads that build instead, for a before/after comparison in one process.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "plugin_host/plugin_host.hpp"
#include "radicale.hpp"
#include "support/plugin_test_options.hpp"

namespace {

using namespace schakel;
using nlohmann::json;
using Steady = std::chrono::steady_clock;

double seconds_since(Steady::time_point t) { return std::chrono::duration<double>(Steady::now() - t).count(); }

std::string two(int n) { return (n < 10 ? "0" : "") + std::to_string(n); }

json meeting(int school, int k, int member) {
  // Eight OT meetings spread over the school year, on Tuesdays and Thursdays in winter time.
  const int day = 3 + k * 3;  // November and December days
  const std::string month = k < 4 ? "11" : "12";
  const std::string date = "2026-" + month + "-" + two(day % 28 + 1);
  const std::string email = "member" + std::to_string(school * 100 + member) + "@partner.example";
  return {{"event",
           {{"uid", "ot-s" + std::to_string(school) + "-m" + std::to_string(k) + "@schakel.invalid"},
            {"sequence", 0},
            {"dtstamp", "2026-09-01T08:00:00Z"},
            {"start", date + "T09:30:00+01:00"},
            {"end", date + "T11:30:00+01:00"},
            {"summary", "OT-overleg"},
            {"location", "School " + std::to_string(school) + ", lokaal 3"},
            {"description", "casus 1, casus 2, casus 3"},
            {"organizer", {{"email", "ib" + std::to_string(school) + "@school.example"}, {"name", "IB"}}},
            {"attendees", {{{"email", email}, {"name", "Lid " + std::to_string(member)}}}}}}};
}

struct RunResult {
  double seconds = 0;
  double deliver_seconds = 0;  // the part spent on deliveries; the rest is the polls
  int failures = 0;
};

struct Shape {
  int schools = 50;
  int meetings = 8;
  int members = 6;
  int workers = 4;
};

std::string user(int school, int member) { return "m" + std::to_string(school * 100 + member); }

// A school year's accounts on a Radicale of their own, one connector per account.
class Year {
 public:
  Year(const Shape& shape, bool ctag, std::string plugin_file)
      : shape_(shape), plugin_file_(std::move(plugin_file)), users_(make_users(shape)), radicale_(users_),
        clock_(TimePoint{std::chrono::seconds{1789000000}}), state_(plugin_host::memory_state_store()) {
    for (const auto& [u, p] : users_) radicale_.make_calendar(u, "ot");
    const auto plugin = plugin_dir_.path() / "libschakel_calendar_caldav.so";
    std::filesystem::copy_file(plugin_file_, plugin);
    auto options = test::plugin_test_options(plugin_dir_.path(), clock_);
    options.state = state_.get();
    options.workers = shape.workers;
    options.on_log = [](const std::string&, int level, const std::string& msg) {
      if (level >= 2) std::fprintf(stderr, "plugin: %s\n", msg.c_str());
    };
    host_ = std::make_unique<plugin_host::PluginHost>(std::move(options));
    for (int s = 0; s < shape.schools; ++s) {
      for (int m = 0; m < shape.members; ++m) {
        const std::string u = user(s, m);
        const json settings = {{"url", radicale_.url("/")}, {"username", u}, {"password", users_[u]},
                               {"recipient_email", "member" + std::to_string(s * 100 + m) + "@partner.example"},
                               {"calendar", "ot"}, {"allow_plain_http", true}};
        if (auto st = host_->add_connector({u, plugin, std::nullopt, settings}); !st) {
          throw std::runtime_error("add_connector " + u + ": " + st.message());
        }
        if (!ctag && !state_->put(u, "ctag_unsupported", "1")) throw std::runtime_error("state put failed");
      }
    }
  }

  [[nodiscard]] const std::string& plugin_file() const { return plugin_file_; }

  // One run: every member's meetings delivered, then every calendar read back once.
  RunResult run() {
    RunResult r;
    const auto t0 = Steady::now();
    std::vector<std::future<plugin_host::CallResult>> calls;
    for (int s = 0; s < shape_.schools; ++s) {
      for (int m = 0; m < shape_.members; ++m) {
        for (int k = 0; k < shape_.meetings; ++k) calls.push_back(host_->deliver(user(s, m), meeting(s, k, m).dump(), "k"));
      }
    }
    collect(calls, "deliver", r);
    r.deliver_seconds = seconds_since(t0);
    for (int s = 0; s < shape_.schools; ++s) {
      for (int m = 0; m < shape_.members; ++m) calls.push_back(host_->poll(user(s, m)));
    }
    collect(calls, "poll", r);
    r.seconds = seconds_since(t0);
    return r;
  }

 private:
  static std::map<std::string, std::string> make_users(const Shape& shape) {
    std::map<std::string, std::string> users;
    for (int s = 0; s < shape.schools; ++s) {
      for (int m = 0; m < shape.members; ++m) users[user(s, m)] = "pw-" + user(s, m) + "-x9";
    }
    return users;
  }
  static void collect(std::vector<std::future<plugin_host::CallResult>>& calls, const char* what, RunResult& r) {
    for (auto& c : calls) {
      auto res = c.get();
      if (res.code != plugin_host::CallCode::ok && r.failures++ < 3) {
        std::fprintf(stderr, "%s: %s\n", what, res.message.c_str());
      }
    }
    calls.clear();
  }

  Shape shape_;
  std::string plugin_file_;
  std::map<std::string, std::string> users_;
  test::Radicale radicale_;
  test::TempDir plugin_dir_;
  ManualClock clock_;
  std::unique_ptr<plugin_host::StateStore> state_;
  std::unique_ptr<plugin_host::PluginHost> host_;
};

void report(const char* title, const std::string& plugin_file, int events, const RunResult& first,
            const RunResult& second) {
  std::printf(" %s\n  plugin %s\n", title, plugin_file.c_str());
  for (const auto& [name, r] : {std::pair{"run 1 (create + sync):  ", first}, std::pair{"run 2 (nothing changed):", second}}) {
    std::printf("  %s   %8.2f s  %8.1f events/s  (deliver %.3f s, poll %.3f s)  failures %d\n", name, r.seconds,
                events / r.seconds, r.deliver_seconds, r.seconds - r.deliver_seconds, r.failures);
  }
  std::printf("  run 2 / run 1:             %8.1f %%  (target <= 5 %%)\n", 100.0 * second.seconds / first.seconds);
}

RunResult median(std::vector<RunResult> runs) {
  std::sort(runs.begin(), runs.end(), [](const RunResult& a, const RunResult& b) { return a.seconds < b.seconds; });
  RunResult m = runs[runs.size() / 2];
  for (const auto& r : runs) m.failures = std::max(m.failures, r.failures);
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  Shape shape;
  if (argc > 1) shape.schools = std::atoi(argv[1]);
  if (argc > 2) shape.meetings = std::atoi(argv[2]);
  if (argc > 3) shape.members = std::atoi(argv[3]);
  if (argc > 4) shape.workers = std::atoi(argv[4]);
  const bool compare = argc > 5 ? std::atoi(argv[5]) != 0 : true;
  const int accounts = shape.schools * shape.members;
  const int events = accounts * shape.meetings;
  std::printf("caldav_bench: %d schools x %d meetings x %d members = %d events in %d calendars, %d plugin workers\n",
              shape.schools, shape.meetings, shape.members, events, accounts, shape.workers);
  const char* baseline = std::getenv("SCHAKEL_CALDAV_BASELINE_PLUGIN");
  Year shipped(shape, true, SCHAKEL_CALENDAR_CALDAV_PLUGIN);
  std::unique_ptr<Year> off;
  if (compare) off = std::make_unique<Year>(shape, false, baseline != nullptr ? baseline : SCHAKEL_CALENDAR_CALDAV_PLUGIN);
  const RunResult first = shipped.run();
  const RunResult off_first = off ? off->run() : RunResult{};
  std::vector<RunResult> seconds;
  std::vector<RunResult> off_seconds;
  for (int i = 0; i < 3; ++i) {
    seconds.push_back(shipped.run());
    if (off) off_seconds.push_back(off->run());
  }
  const RunResult second = median(seconds);
  int failures = first.failures + second.failures;
  report("as shipped (getctag, then sync-collection when changed):", shipped.plugin_file(), events, first, second);
  if (off) {
    const RunResult off_second = median(off_seconds);
    failures += off_first.failures + off_second.failures;
    report("getctag check off (sync-collection REPORT on every poll):", off->plugin_file(), events, off_first, off_second);
    std::printf(" run 2 as shipped / run 2 with the check off: %.2f\n", second.seconds / off_second.seconds);
  }
  return failures == 0 ? 0 : 1;
}
