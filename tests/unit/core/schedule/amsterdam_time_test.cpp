#include "schedule/amsterdam_time.hpp"

#include <gtest/gtest.h>

#include "time_text.hpp"

namespace schakel {
namespace {

using test::at;
using test::local;
using Kind = LocalTimeMapping::Kind;

TEST(AmsterdamTime, LocalTimeInWinterAndSummer) {
  EXPECT_EQ(amsterdam_local(at("2026-01-15T11:00:00Z")), local(2026, 1, 15, 12, 0));
  EXPECT_EQ(amsterdam_local(at("2026-07-15T11:00:00Z")), local(2026, 7, 15, 13, 0));
}

TEST(AmsterdamTime, OrdinaryTimesAreUnique) {
  const LocalTimeMapping winter = amsterdam_to_utc(local(2026, 1, 15, 12, 0));
  EXPECT_EQ(winter.kind, Kind::unique);
  EXPECT_EQ(winter.earliest, at("2026-01-15T11:00:00Z"));
  EXPECT_EQ(winter.latest, winter.earliest);
  const LocalTimeMapping summer = amsterdam_to_utc(local(2026, 7, 15, 12, 0));
  EXPECT_EQ(summer.kind, Kind::unique);
  EXPECT_EQ(summer.earliest, at("2026-07-15T10:00:00Z"));
}

TEST(AmsterdamTime, SpringForwardGapMapsToTheJump) {
  // 29 March 2026: 02:00 local becomes 03:00; 02:00-02:59 never happens.
  for (int minute : {0, 1, 30, 59}) {
    const LocalTimeMapping m = amsterdam_to_utc(local(2026, 3, 29, 2, minute));
    EXPECT_EQ(m.kind, Kind::skipped) << minute;
    EXPECT_EQ(m.earliest, at("2026-03-29T01:00:00Z")) << minute;
    EXPECT_EQ(m.latest, m.earliest);
  }
  EXPECT_EQ(amsterdam_to_utc(local(2026, 3, 29, 1, 59)).earliest, at("2026-03-29T00:59:00Z"));
  EXPECT_EQ(amsterdam_to_utc(local(2026, 3, 29, 3, 0)).earliest, at("2026-03-29T01:00:00Z"));
  EXPECT_EQ(amsterdam_to_utc(local(2026, 3, 29, 3, 0)).kind, Kind::unique);
  EXPECT_EQ(amsterdam_to_utc(local(2027, 3, 28, 2, 30)).kind, Kind::skipped);
  EXPECT_EQ(amsterdam_to_utc(local(2027, 3, 28, 2, 30)).earliest, at("2027-03-28T01:00:00Z"));
}

TEST(AmsterdamTime, FallBackHourIsAmbiguous) {
  // 25 October 2026: 03:00 summer time becomes 02:00 winter time; 02:00-02:59 happens twice.
  const LocalTimeMapping m = amsterdam_to_utc(local(2026, 10, 25, 2, 30));
  EXPECT_EQ(m.kind, Kind::ambiguous);
  EXPECT_EQ(m.earliest, at("2026-10-25T02:30:00+02:00"));
  EXPECT_EQ(m.latest, at("2026-10-25T02:30:00+01:00"));
  EXPECT_EQ(amsterdam_to_utc(local(2026, 10, 25, 1, 59)).kind, Kind::unique);
  EXPECT_EQ(amsterdam_to_utc(local(2026, 10, 25, 3, 0)).kind, Kind::unique);
  EXPECT_EQ(amsterdam_to_utc(local(2026, 10, 25, 3, 0)).earliest, at("2026-10-25T02:00:00Z"));
  const LocalTimeMapping m27 = amsterdam_to_utc(local(2027, 10, 31, 2, 0));
  EXPECT_EQ(m27.kind, Kind::ambiguous);
  EXPECT_EQ(m27.earliest, at("2027-10-31T00:00:00Z"));
  EXPECT_EQ(m27.latest, at("2027-10-31T01:00:00Z"));
}

TEST(AmsterdamTime, RoundTripsEveryQuarterHourOfTwoYears) {
  using namespace std::chrono;
  int ambiguous = 0;
  for (TimePoint t = at("2026-01-01T00:00:00Z"); t < at("2028-01-01T00:00:00Z"); t += minutes{15}) {
    const LocalTimeMapping m = amsterdam_to_utc(amsterdam_local(t));
    ASSERT_NE(m.kind, Kind::skipped) << format_utc(t);
    ASSERT_TRUE(m.earliest == t || m.latest == t) << format_utc(t);
    if (m.kind == Kind::ambiguous) ++ambiguous;
  }
  // Two fall-back nights, each hour seen from both of its passes, four quarters an hour.
  EXPECT_EQ(ambiguous, 2 * 2 * 4);
}

}  // namespace
}  // namespace schakel
