// next_after over whole years, both DST nights included: literal expected sequences for the
// nights and edges that matter, and a minute-by-minute replay of each year as a cross-check.
#include <gtest/gtest.h>

#include <cctype>
#include <ostream>
#include <string>
#include <vector>

#include "schedule/cron_expression.hpp"
#include "time_text.hpp"

namespace schakel {
namespace {

using namespace std::chrono;
using test::at;
using test::show;

CronExpression cron(const std::string& text) {
  Result<CronExpression> r = CronExpression::parse(text);
  if (!r) throw std::invalid_argument(text + ": " + r.status().message());
  return *r;
}

std::vector<std::string> shown(const std::vector<TimePoint>& times) {
  std::vector<std::string> out;
  for (TimePoint t : times) out.push_back(show(t));
  return out;
}

struct SequenceCase {
  const char* expression;
  const char* start;
  std::vector<const char*> expected;  // consecutive next_after results from `start`
};

TEST(CronNext, ExpectedSequences) {
  const SequenceCase cases[] = {
      // Spring forward 2026: 02:30 does not exist; the run moves to 03:00 summer time, once.
      {"30 2 * * *", "2026-03-27T12:00:00Z",
       {"2026-03-28T02:30:00+01:00", "2026-03-29T03:00:00+02:00", "2026-03-30T02:30:00+02:00"}},
      // Fall back 2026: 02:30 happens twice; the job runs at the first (summer-time) one only.
      {"30 2 * * *", "2026-10-23T12:00:00Z",
       {"2026-10-24T02:30:00+02:00", "2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"}},
      {"30 2 * * *", "2027-03-27T00:00:00Z",
       {"2027-03-27T02:30:00+01:00", "2027-03-28T03:00:00+02:00", "2027-03-29T02:30:00+02:00"}},
      {"30 2 * * *", "2027-10-30T00:00:00Z",
       {"2027-10-30T02:30:00+02:00", "2027-10-31T02:30:00+02:00", "2027-11-01T02:30:00+01:00"}},
      // Started inside the repeated hour, after its first 02:30: not again in the second pass.
      {"30 2 * * *", "2026-10-25T02:10:00+01:00", {"2026-10-26T02:30:00+01:00"}},
      {"0 */6 * * *", "2026-03-28T12:00:00+01:00",
       {"2026-03-28T18:00:00+01:00", "2026-03-29T00:00:00+01:00", "2026-03-29T06:00:00+02:00",
        "2026-03-29T12:00:00+02:00"}},
      {"0 */6 * * *", "2026-10-24T19:00:00+02:00",
       {"2026-10-25T00:00:00+02:00", "2026-10-25T06:00:00+01:00", "2026-10-25T12:00:00+01:00"}},
      // Interval jobs follow elapsed time: no run for the skipped hour, both passes of the
      // repeated one.
      {"*/30 * * * *", "2026-03-29T01:00:00+01:00",
       {"2026-03-29T01:30:00+01:00", "2026-03-29T03:00:00+02:00", "2026-03-29T03:30:00+02:00"}},
      {"*/30 * * * *", "2026-10-25T01:40:00+02:00",
       {"2026-10-25T02:00:00+02:00", "2026-10-25T02:30:00+02:00", "2026-10-25T02:00:00+01:00",
        "2026-10-25T02:30:00+01:00", "2026-10-25T03:00:00+01:00"}},
      // Friday afternoon to Monday morning, across the spring-forward weekend.
      {"*/15 8-17 * * mon-fri", "2026-03-27T17:20:00+01:00",
       {"2026-03-27T17:30:00+01:00", "2026-03-27T17:45:00+01:00", "2026-03-30T08:00:00+02:00",
        "2026-03-30T08:15:00+02:00"}},
      {"0 9 1 * *", "2026-01-15T00:00:00Z",
       {"2026-02-01T09:00:00+01:00", "2026-03-01T09:00:00+01:00", "2026-04-01T09:00:00+02:00",
        "2026-05-01T09:00:00+02:00"}},
      {"0 9 1 * *", "2026-10-02T00:00:00Z",
       {"2026-11-01T09:00:00+01:00", "2026-12-01T09:00:00+01:00", "2027-01-01T09:00:00+01:00"}},
      // Leap day: none in 2026 or 2027.
      {"0 0 29 2 *", "2026-01-01T00:00:00Z", {"2028-02-29T00:00:00+01:00", "2032-02-29T00:00:00+01:00"}},
      // Saturday before the fall-back night to the working week after it.
      {"0 8 * * 1-5", "2026-10-24T10:00:00+02:00",
       {"2026-10-26T08:00:00+01:00", "2026-10-27T08:00:00+01:00", "2026-10-28T08:00:00+01:00",
        "2026-10-29T08:00:00+01:00", "2026-10-30T08:00:00+01:00", "2026-11-02T08:00:00+01:00"}},
      // Day-of-month OR day-of-week: the 13th and every Friday (Friday 13 February once).
      {"0 12 13 * fri", "2026-02-01T00:00:00Z",
       {"2026-02-06T12:00:00+01:00", "2026-02-13T12:00:00+01:00", "2026-02-20T12:00:00+01:00",
        "2026-02-27T12:00:00+01:00", "2026-03-06T12:00:00+01:00", "2026-03-13T12:00:00+01:00",
        "2026-03-20T12:00:00+01:00", "2026-03-27T12:00:00+01:00", "2026-04-03T12:00:00+02:00",
        "2026-04-10T12:00:00+02:00", "2026-04-13T12:00:00+02:00", "2026-04-17T12:00:00+02:00"}},
  };
  for (const SequenceCase& c : cases) {
    const CronExpression e = cron(c.expression);
    std::vector<TimePoint> expected, actual;
    TimePoint t = at(c.start);
    for (const char* next : c.expected) {
      expected.push_back(at(next));
      t = e.next_after(t);
      actual.push_back(t);
    }
    EXPECT_EQ(shown(actual), shown(expected)) << c.expression << " from " << c.start;
  }
}

TEST(CronNext, FixedJobOverTheGapRunsOnceAtThree) {
  const CronExpression e = cron("* 2 * * *");
  // From 01:59 winter time, the next run is the whole skipped hour collapsed into 03:00.
  EXPECT_EQ(show(e.next_after(at("2026-03-29T01:59:00+01:00"))), show(at("2026-03-29T03:00:00+02:00")));
  EXPECT_EQ(show(e.next_after(at("2026-03-29T03:00:00+02:00"))), show(at("2026-03-30T02:00:00+02:00")));
  // In autumn it runs through the first pass of 02:xx only.
  EXPECT_EQ(show(e.next_after(at("2026-10-25T02:59:00+02:00"))), show(at("2026-10-26T02:00:00+01:00")));
}

TEST(CronNext, StrictlyAfterAndOnWholeMinutes) {
  const CronExpression e = cron("0 9 * * *");
  EXPECT_EQ(e.next_after(at("2026-06-01T09:00:00+02:00")), at("2026-06-02T09:00:00+02:00"));
  EXPECT_EQ(e.next_after(at("2026-06-01T08:59:59.999999+02:00")), at("2026-06-01T09:00:00+02:00"));
  EXPECT_EQ(e.next_after(at("2026-06-01T09:00:00.000001+02:00")), at("2026-06-02T09:00:00+02:00"));
  EXPECT_EQ(e.next_after(at("2026-12-31T10:00:00+01:00")), at("2027-01-01T09:00:00+01:00"));
}

// The runs in [from, to) by chaining next_after.
std::vector<TimePoint> chain(const CronExpression& e, TimePoint from, TimePoint to) {
  std::vector<TimePoint> out;
  for (TimePoint t = e.next_after(from - microseconds{1}); t < to; t = e.next_after(t)) out.push_back(t);
  return out;
}

// The Amsterdam local time of every UTC minute in [from - 1h, to), computed once per year;
// index i is the minute from - 1h + i.
struct MinuteTable {
  TimePoint from;
  std::vector<LocalTime> local;
};
constexpr std::size_t kHour = 60;

MinuteTable minute_table(TimePoint from, TimePoint to) {
  MinuteTable table{from, {}};
  for (TimePoint u = from - hours{1}; u < to; u += minutes{1}) table.local.push_back(amsterdam_local(u));
  return table;
}

// The same runs found by walking every UTC minute and applying the DST rule directly to the
// offsets of base/clock.hpp: a minute whose local time was already seen an hour earlier is a
// second pass; a jump in local time means skipped minutes, which a fixed job runs at the jump.
std::vector<TimePoint> replay(const CronExpression& e, const MinuteTable& table) {
  std::vector<TimePoint> out;
  const std::vector<LocalTime>& local = table.local;
  for (std::size_t i = kHour; i < local.size(); ++i) {
    const bool second_pass = local[i - kHour] == local[i];
    bool runs = (e.is_interval() || !second_pass) && e.matches(local[i]);
    if (!e.is_interval()) {
      for (LocalTime skipped = local[i - 1] + minutes{1}; !runs && skipped < local[i]; skipped += minutes{1}) {
        runs = e.matches(skipped);
      }
    }
    if (runs) out.push_back(table.from + minutes{i - kHour});
  }
  return out;
}

struct YearCase {
  const char* expression;
  int year;
  std::size_t runs;  // how many times the job runs in that (local) year
};

void PrintTo(const YearCase& c, std::ostream* out) { *out << '"' << c.expression << "\" in " << c.year; }

// One test per case, so each stays short under the sanitizers.
class CronYear : public ::testing::TestWithParam<YearCase> {};

TEST_P(CronYear, MatchesAMinuteByMinuteReplay) {
  const YearCase& c = GetParam();
  const CronExpression e = cron(c.expression);
  const TimePoint from = at(std::to_string(c.year) + "-01-01T00:00:00+01:00");
  const TimePoint to = at(std::to_string(c.year + 1) + "-01-01T00:00:00+01:00");
  const std::vector<TimePoint> chained = chain(e, from, to);
  EXPECT_EQ(chained.size(), c.runs) << c.expression << " in " << c.year;
  const std::vector<TimePoint> replayed = replay(e, minute_table(from, to));
  ASSERT_EQ(chained.size(), replayed.size()) << c.expression << " in " << c.year;
  for (std::size_t i = 0; i < chained.size(); ++i) {
    ASSERT_EQ(show(chained[i]), show(replayed[i])) << c.expression << " run " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(
    TwoYears, CronYear,
    ::testing::Values(
        YearCase{"30 2 * * *", 2026, 365}, YearCase{"30 2 * * *", 2027, 365},
        YearCase{"0 */6 * * *", 2026, 365 * 4},
        YearCase{"*/15 8-17 * * mon-fri", 2026, 261 * 40},
        YearCase{"*/15 8-17 * * mon-fri", 2027, 261 * 40}, YearCase{"0 9 1 * *", 2026, 12},
        YearCase{"0 0 29 2 *", 2026, 0}, YearCase{"0 0 29 2 *", 2027, 0},
        YearCase{"0 8 * * 1-5", 2026, 261},
        // Every Friday and every 13th; Friday the 13th (February, March, November) once.
        YearCase{"0 12 13 * fri", 2026, 52 + 12 - 3},
        // A fixed job: the skipped hour collapses into one run, the repeated one runs once.
        YearCase{"* 2 * * *", 2026, 365 * 60 - 60 + 1},
        // Interval jobs follow elapsed time: the 23-hour and the 25-hour day balance.
        YearCase{"*/10 * * * *", 2026, 365 * 24 * 6}, YearCase{"30 * * * *", 2027, 365 * 24}),
    [](const ::testing::TestParamInfo<YearCase>& param_info) {
      std::string name;
      for (const char* p = param_info.param.expression; *p != '\0'; ++p) {
        name += std::isalnum(static_cast<unsigned char>(*p)) ? *p : '_';
      }
      return name + "_" + std::to_string(param_info.param.year);
    });

}  // namespace
}  // namespace schakel
