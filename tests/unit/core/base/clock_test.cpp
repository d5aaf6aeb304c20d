#include "base/clock.hpp"

#include <gtest/gtest.h>

using namespace schakel;
using namespace std::chrono;

namespace {
TimePoint utc(int y, unsigned m, unsigned d, int h, int mi) {
  return TimePoint{sys_days{year{y} / month{m} / day{d}}.time_since_epoch()} + hours{h} + minutes{mi};
}
}  // namespace

TEST(Clock, FormatsAndParsesRfc3339) {
  const TimePoint t = utc(2026, 3, 4, 9, 15) + microseconds{123};
  EXPECT_EQ(format_utc(t), "2026-03-04T09:15:00.000123Z");
  TimePoint back{};
  ASSERT_TRUE(parse_rfc3339("2026-03-04T10:15:00.000123+01:00", back));
  EXPECT_EQ(back, t);
  EXPECT_FALSE(parse_rfc3339("2026-13-04T10:15:00Z", back));
  EXPECT_FALSE(parse_rfc3339("2026-03-04 10:15:00Z", back));
  EXPECT_FALSE(parse_rfc3339("2026-02-30T10:15:00Z", back));
}

TEST(Clock, AmsterdamDateFollowsDaylightSaving) {
  // 23:30 UTC is the next day in Amsterdam in both winter (+1) and summer (+2).
  EXPECT_EQ(amsterdam_date(utc(2026, 1, 10, 23, 30)), year{2026} / 1 / 11);
  EXPECT_EQ(amsterdam_date(utc(2026, 7, 10, 22, 30)), year{2026} / 7 / 11);
  EXPECT_EQ(amsterdam_date(utc(2026, 1, 10, 22, 30)), year{2026} / 1 / 10);
  // The spring-forward instant 2026-03-29 01:00 UTC.
  EXPECT_EQ(amsterdam_utc_offset(utc(2026, 3, 29, 0, 59)), hours{1});
  EXPECT_EQ(amsterdam_utc_offset(utc(2026, 3, 29, 1, 0)), hours{2});
  EXPECT_EQ(amsterdam_utc_offset(utc(2026, 10, 25, 0, 59)), hours{2});
  EXPECT_EQ(amsterdam_utc_offset(utc(2026, 10, 25, 1, 0)), hours{1});
}

TEST(Clock, ShiftableClockMovesByOffset) {
  ShiftableClock clock;
  const TimePoint target = utc(2030, 5, 1, 12, 0);
  clock.set(target);
  EXPECT_LT(abs(duration_cast<seconds>(clock.now() - target).count()), 5);
  clock.shift(hours{24});
  EXPECT_LT(abs(duration_cast<seconds>(clock.now() - target - hours{24}).count()), 5);
}
