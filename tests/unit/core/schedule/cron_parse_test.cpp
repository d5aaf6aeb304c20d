#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "schedule/cron_expression.hpp"
#include "time_text.hpp"

namespace schakel {
namespace {

using test::local;

CronExpression must_parse(const std::string& text) {
  Result<CronExpression> r = CronExpression::parse(text);
  if (!r) ADD_FAILURE() << text << ": " << r.status().message();
  return r ? *r : *CronExpression::parse("* * * * *");
}

// The minutes of one local day (2026-06-01, a Monday) that match the minute and hour fields.
std::vector<int> minutes_of_day(const CronExpression& e) {
  std::vector<int> out;
  for (int m = 0; m < 24 * 60; ++m) {
    if (e.matches(local(2026, 6, 1, m / 60, m % 60))) out.push_back(m);
  }
  return out;
}

TEST(CronParse, ListsRangesAndSteps) {
  EXPECT_EQ(minutes_of_day(must_parse("5,10-12,50-59/4 3 * * *")),
            (std::vector<int>{185, 190, 191, 192, 230, 234, 238}));
  EXPECT_EQ(minutes_of_day(must_parse("*/20 1-10/4 * * *")),
            (std::vector<int>{60, 80, 100, 300, 320, 340, 540, 560, 580}));
  EXPECT_EQ(minutes_of_day(must_parse("0 */6 * * *")), (std::vector<int>{0, 360, 720, 1080}));
  EXPECT_EQ(minutes_of_day(must_parse("59 23 * * *")), (std::vector<int>{1439}));
  EXPECT_EQ(minutes_of_day(must_parse("  0\t12   * *  * ")), (std::vector<int>{720}));
}

TEST(CronParse, MonthNames) {
  const CronExpression e = must_parse("0 0 1 JAN,mar-May,Dec *");
  std::vector<unsigned> months;
  for (unsigned m = 1; m <= 12; ++m) {
    if (e.matches(local(2026, m, 1, 0, 0))) months.push_back(m);
  }
  EXPECT_EQ(months, (std::vector<unsigned>{1, 3, 4, 5, 12}));
}

// The weekdays (0 = Sunday) matched in the week of Sunday 2026-06-07.
std::vector<int> weekdays(const std::string& dow_field) {
  const CronExpression e = must_parse("0 0 * * " + dow_field);
  std::vector<int> out;
  for (unsigned d = 0; d < 7; ++d) {
    if (e.matches(local(2026, 6, 7 + d, 0, 0))) out.push_back(static_cast<int>(d));
  }
  return out;
}

TEST(CronParse, WeekdayNamesAndSundayAsZeroOrSeven) {
  EXPECT_EQ(weekdays("0"), (std::vector<int>{0}));
  EXPECT_EQ(weekdays("7"), (std::vector<int>{0}));
  EXPECT_EQ(weekdays("sun"), (std::vector<int>{0}));
  EXPECT_EQ(weekdays("mon-fri"), (std::vector<int>{1, 2, 3, 4, 5}));
  EXPECT_EQ(weekdays("1-5"), (std::vector<int>{1, 2, 3, 4, 5}));
  EXPECT_EQ(weekdays("fri-sun"), (std::vector<int>{0, 5, 6}));
  EXPECT_EQ(weekdays("5-7"), (std::vector<int>{0, 5, 6}));
  EXPECT_EQ(weekdays("SAT,Tue"), (std::vector<int>{2, 6}));
  EXPECT_EQ(weekdays("*/2"), (std::vector<int>{0, 2, 4, 6}));
}

TEST(CronParse, DayOfMonthAndDayOfWeekCombine) {
  // Both restricted: either matches. June 2026: the 13th is a Saturday, Fridays are 5, 12, 19, 26.
  const CronExpression either = must_parse("0 12 13 * fri");
  // One starts with '*': both must match (every other day that is a Friday).
  const CronExpression both = must_parse("0 12 */2 * fri");
  std::vector<unsigned> either_days, both_days;
  for (unsigned d = 1; d <= 30; ++d) {
    if (either.matches(local(2026, 6, d, 12, 0))) either_days.push_back(d);
    if (both.matches(local(2026, 6, d, 12, 0))) both_days.push_back(d);
  }
  EXPECT_EQ(either_days, (std::vector<unsigned>{5, 12, 13, 19, 26}));
  EXPECT_EQ(both_days, (std::vector<unsigned>{5, 19}));
}

TEST(CronParse, IntervalJobsHaveAWildcardHour) {
  EXPECT_TRUE(must_parse("*/15 * * * *").is_interval());
  EXPECT_TRUE(must_parse("0 */6 * * *").is_interval());
  EXPECT_FALSE(must_parse("30 2 * * *").is_interval());
  EXPECT_FALSE(must_parse("*/15 8-17 * * mon-fri").is_interval());
  EXPECT_EQ(must_parse("30 2 * * *").text(), "30 2 * * *");
}

struct BadCase {
  const char* text;
  const char* message;
};

TEST(CronParse, ErrorsNameTheFieldAndColumn) {
  const BadCase cases[] = {
      {"30 25 * * *", "field 2 (hour): 25 is out of range 0-23 at column 4"},
      {"60 * * * *", "field 1 (minute): 60 is out of range 0-59 at column 1"},
      {"* * 0 * *", "field 3 (day-of-month): 0 is out of range 1-31 at column 5"},
      {"* * 32 * *", "field 3 (day-of-month): 32 is out of range 1-31 at column 5"},
      {"* * * 13 *", "field 4 (month): 13 is out of range 1-12 at column 7"},
      {"* * * * 8", "field 5 (day-of-week): 8 is out of range 0-7 at column 9"},
      {"0 1,2,99 * * *", "field 2 (hour): 99 is out of range 0-23 at column 7"},
      {"0 5-99 * * *", "field 2 (hour): 99 is out of range 0-23 at column 5"},
      {"0 0 * jnu *", "field 4 (month): unknown name 'jnu' at column 7"},
      {"0 0 * * mon-fry", "field 5 (day-of-week): unknown name 'fry' at column 13"},
      {"0 0 * mon *", "field 4 (month): unknown name 'mon' at column 7"},
      {"jan * * * *", "field 1 (minute): unknown name 'jan' at column 1"},
      {"0 10-5 * * *", "field 2 (hour): range 10-5 is reversed at column 3"},
      {"*/0 * * * *", "field 1 (minute): step 0 is out of range 1-60 at column 3"},
      {"*/61 * * * *", "field 1 (minute): step 61 is out of range 1-60 at column 3"},
      {"*/ * * * *", "field 1 (minute): missing step after '/' at column 3"},
      {"5/10 * * * *", "field 1 (minute): a step needs '*' or a range before '/' at column 1"},
      {"1,,2 * * * *", "field 1 (minute): empty list element at column 3"},
      {"1, * * * *", "field 1 (minute): empty list element at column 3"},
      {"0 1- * * *", "field 2 (hour): missing end of range at column 5"},
      {"0 -1 * * *", "field 2 (hour): unexpected '-' in '-1' at column 3"},
      {"0 1x * * *", "field 2 (hour): unexpected 'x' in '1x' at column 4"},
      {"0 0 * * 1/2", "field 5 (day-of-week): a step needs '*' or a range before '/' at column 9"},
      {"0 0 31 apr,jun *", "field 3 (day-of-month): no selected day occurs in the selected months at column 5"},
      {"0 0 30 2 *", "field 3 (day-of-month): no selected day occurs in the selected months at column 5"},
      {"0 0 * *", "expected 5 fields (minute hour day-of-month month day-of-week), got 4"},
      {"0 0 * * * 2026", "expected 5 fields (minute hour day-of-month month day-of-week), got 6"},
      {"", "expected 5 fields (minute hour day-of-month month day-of-week), got 0"},
      {"99999999999 * * * *", "field 1 (minute): 99999999999 is out of range 0-59 at column 1"},
  };
  for (const BadCase& c : cases) {
    Result<CronExpression> r = CronExpression::parse(c.text);
    ASSERT_FALSE(r) << c.text;
    EXPECT_EQ(r.status().code(), ErrorCode::invalid) << c.text;
    EXPECT_EQ(r.status().message(), c.message) << c.text;
  }
}

TEST(CronParse, ImpossibleDayIsFineWhenTheWeekdayMayMatch) {
  // 30 February never comes, but with both fields restricted any Monday in February matches.
  EXPECT_TRUE(CronExpression::parse("0 0 30 2 mon"));
  EXPECT_TRUE(CronExpression::parse("0 0 29 2 *"));
  EXPECT_TRUE(CronExpression::parse("0 0 31 jan-apr *"));
}

TEST(CronParse, RandomInputIsAcceptedOrRefusedWithAPlace) {
  // A fixed seed keeps this deterministic; the alphabet is biased towards near-valid input.
  std::mt19937 random(20260329);
  const std::string alphabet = "0123456789*/-,  \tjanfebmonsunx7";
  const TimePoint start = test::at("2026-10-25T00:45:00Z");
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    const std::size_t length = random() % 24;
    for (std::size_t j = 0; j < length; ++j) text += alphabet[random() % alphabet.size()];
    Result<CronExpression> r = CronExpression::parse(text);
    if (r) {
      const TimePoint next = r->next_after(start);
      EXPECT_GT(next, start) << text;
      // It runs at a matching local minute, or at the spring jump for a skipped one.
      const bool at_jump = amsterdam_utc_offset(next - std::chrono::microseconds{1}) != amsterdam_utc_offset(next);
      EXPECT_TRUE(r->matches(amsterdam_local(next)) || at_jump) << text;
    } else {
      const std::string message = r.status().message();
      const bool placed = message.rfind("expected 5 fields", 0) == 0 ||
                          (message.rfind("field ", 0) == 0 && message.find(" at column ") != std::string::npos);
      EXPECT_TRUE(placed) << text << ": " << message;
    }
  }
}

}  // namespace
}  // namespace schakel
