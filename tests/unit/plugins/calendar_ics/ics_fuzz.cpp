// libFuzzer target for reading an ICS feed (outline, libical, expansion). Properties checked on
// every input:
//  - no crash, hang or bad memory access (the sanitizers watch);
//  - an error always says where: its message starts with "line N: " with N at least 1;
//  - a single event read lies in the window (an override may move an instance out of it), and
//    nothing ends before it starts;
//  - reading is deterministic: the same input gives the same result twice.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "feed.hpp"

namespace {

std::string summary_of(const std::string& input) {
  using namespace std::chrono;
  schakel::calendar_ics::FeedLimits l;
  l.max_bytes = 1U << 20U;
  l.max_instances = 50;
  l.first_day = sys_days{year{2026} / August / 1};
  l.last_day = sys_days{year{2027} / July / 31};
  auto r = schakel::calendar_ics::read_feed(input, l, [](const auto&) { return true; });
  if (!r) {
    const std::string m = r.status().message();  // status() returns a copy
    if (m.rfind("line ", 0) != 0 || m.size() < 8 || m[5] < '1' || m[5] > '9') std::abort();
    return m;
  }
  const auto from = sys_days{l.first_day} - hours{2};
  const auto until = sys_days{l.last_day} + days{1};
  std::string out;
  for (const auto& o : *r) {
    if (o.recurrence_id.empty() && (o.start < from || o.start >= until)) std::abort();
    if (o.end < o.start || o.uid.empty()) std::abort();
    out += o.uid + "|" + o.recurrence_id + "|" + std::to_string(o.start.time_since_epoch().count()) + "\n";
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  if (summary_of(input) != summary_of(input)) std::abort();
  return 0;
}
