// A school year of an SWV synced to a real Radicale through the calendar-caldav plugin and the
// real plugin host: 50 schools x 8 meetings x 6 external members, each member a CalDAV account
// of their own (one connector each). Run 1 writes every event and reads each calendar back once
// (sync-collection); run 2 delivers the same documents and polls again with nothing changed,
// which should cost at most 5% of run 1 thanks to the stored ETags, sync tokens and getctag.
// Both runs are measured twice, each time against a fresh Radicale: first with the getctag check
// turned off (state "ctag_unsupported", so every poll sends its sync-collection REPORT), then as
// shipped (a Depth-0 PROPFIND of getctag, the REPORT only when the calendar changed).
// Usage: caldav_bench [SCHOOLS=50] [MEETINGS=8] [MEMBERS=6] [WORKERS=4] [COMPARE=1 (0: as shipped only)]
// With SCHAKEL_CALDAV_BASELINE_PLUGIN=<an older libschakel_calendar_caldav.so> the first
// measurement loads that build instead, for a before/after comparison in one process.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <map>
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

// Run 1 and run 2 against a fresh Radicale with the plugin in `plugin_file`; `ctag` false turns
// the getctag check off.
bool measure(const Shape& shape, bool ctag, const std::string& plugin_file, RunResult& first, RunResult& second) {
  const int schools = shape.schools;
  const int meetings = shape.meetings;
  const int members = shape.members;
  const int events = schools * members * meetings;
  std::map<std::string, std::string> users;
  for (int s = 0; s < schools; ++s) {
    for (int m = 0; m < members; ++m) users[user(s, m)] = "pw-" + user(s, m) + "-x9";
  }
  test::Radicale radicale(users);
  for (const auto& [u, p] : users) radicale.make_calendar(u, "ot");

  test::TempDir plugin_dir;
  const auto plugin = plugin_dir.path() / "libschakel_calendar_caldav.so";
  std::filesystem::copy_file(plugin_file, plugin);
  ManualClock clock(TimePoint{std::chrono::seconds{1789000000}});
  auto state = plugin_host::memory_state_store();
  auto options = test::plugin_test_options(plugin_dir.path(), clock);
  options.state = state.get();
  options.workers = shape.workers;
  options.on_log = [](const std::string&, int level, const std::string& msg) {
    if (level >= 2) std::fprintf(stderr, "plugin: %s\n", msg.c_str());
  };
  plugin_host::PluginHost host(std::move(options));
  for (int s = 0; s < schools; ++s) {
    for (int m = 0; m < members; ++m) {
      const std::string u = user(s, m);
      const json settings = {{"url", radicale.url("/")}, {"username", u}, {"password", users[u]},
                             {"recipient_email", "member" + std::to_string(s * 100 + m) + "@partner.example"},
                             {"calendar", "ot"}, {"allow_plain_http", true}};
      if (auto st = host.add_connector({u, plugin, std::nullopt, settings}); !st) {
        std::fprintf(stderr, "add_connector %s: %s\n", u.c_str(), st.message().c_str());
        return false;
      }
      if (!ctag && !state->put(u, "ctag_unsupported", "1")) return false;
    }
  }

  // One run: every member's meetings delivered, then every calendar read back once.
  auto run = [&]() {
    RunResult r;
    const auto t0 = Steady::now();
    std::vector<std::future<plugin_host::CallResult>> calls;
    calls.reserve(static_cast<std::size_t>(events));
    for (int s = 0; s < schools; ++s) {
      for (int m = 0; m < members; ++m) {
        for (int k = 0; k < meetings; ++k) calls.push_back(host.deliver(user(s, m), meeting(s, k, m).dump(), "k"));
      }
    }
    for (auto& c : calls) {
      auto res = c.get();
      if (res.code != plugin_host::CallCode::ok) {
        if (r.failures++ < 3) std::fprintf(stderr, "deliver: %s\n", res.message.c_str());
      }
    }
    calls.clear();
    r.deliver_seconds = seconds_since(t0);
    for (int s = 0; s < schools; ++s) {
      for (int m = 0; m < members; ++m) calls.push_back(host.poll(user(s, m)));
    }
    for (auto& c : calls) {
      auto res = c.get();
      if (res.code != plugin_host::CallCode::ok) {
        if (r.failures++ < 3) std::fprintf(stderr, "poll: %s\n", res.message.c_str());
      }
    }
    r.seconds = seconds_since(t0);
    return r;
  };

  first = run();
  second = run();
  return true;
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
  int failures = 0;
  for (const bool ctag : {false, true}) {
    if (!ctag && !compare) continue;
    RunResult first;
    RunResult second;
    const char* baseline = std::getenv("SCHAKEL_CALDAV_BASELINE_PLUGIN");
    const std::string plugin_file = !ctag && baseline != nullptr ? baseline : SCHAKEL_CALENDAR_CALDAV_PLUGIN;
    if (!measure(shape, ctag, plugin_file, first, second)) return 1;
    failures += first.failures + second.failures;
    std::printf(" %s\n  plugin %s\n", ctag ? "as shipped (getctag, then sync-collection when changed):"
                                           : "getctag check off (sync-collection REPORT on every poll):",
                plugin_file.c_str());
    for (const auto& [name, r] : {std::pair{"run 1 (create + sync):  ", first}, std::pair{"run 2 (nothing changed):", second}}) {
      std::printf("  %s   %8.2f s  %8.1f events/s  (deliver %.3f s, poll %.3f s)  failures %d\n", name, r.seconds,
                  events / r.seconds, r.deliver_seconds, r.seconds - r.deliver_seconds, r.failures);
    }
    std::printf("  run 2 / run 1:             %8.1f %%  (target <= 5 %%)\n", 100.0 * second.seconds / first.seconds);
    std::fflush(stdout);
  }
  return failures == 0 ? 0 : 1;
}
