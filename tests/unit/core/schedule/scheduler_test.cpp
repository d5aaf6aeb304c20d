// The scheduler with a ManualClock: time moves only when a test says so, and tick() stands in
// for the timer, so nothing here waits for the wall clock.
#include "schedule/scheduler.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <map>
#include <string>
#include <vector>

#include "time_text.hpp"

namespace schakel {
namespace {

using namespace std::chrono;
using test::at;

CronExpression cron(const std::string& text) { return *CronExpression::parse(text); }

// Records the runs a job gets and keeps their `done` callbacks, so a test decides when each
// run ends.
struct RunLog {
  std::vector<JobRun> runs;
  std::vector<JobDone> pending;

  JobFunction function() {
    return [this](const JobRun& run, JobDone done) {
      runs.push_back(run);
      pending.push_back(std::move(done));
    };
  }
  void finish_all() {
    for (JobDone& done : pending) done();
    pending.clear();
  }
};

class SchedulerTest : public ::testing::Test {
 protected:
  boost::asio::io_context io_;
  ManualClock clock_{at("2026-03-02T07:50:00Z")};  // 08:50 local; slots at 08:00Z

  void advance_and_tick(Scheduler& s, microseconds by) {
    clock_.advance(by);
    s.tick();
    io_.poll();
  }
  void finish(RunLog& log) {
    log.finish_all();
    io_.poll();  // `done` posts the end of the run to the scheduler's strand
  }
  static JobStatus status(const Scheduler& s, const std::string& id) { return *s.status(id); }
};

TEST_F(SchedulerTest, RunsAtItsDueTimeAndNotBefore) {
  Scheduler s(io_, clock_);
  RunLog log;
  ASSERT_TRUE(s.add_job({"poll", cron("*/15 * * * *"), log.function(), std::nullopt}));
  s.start();
  EXPECT_TRUE(log.runs.empty());
  EXPECT_EQ(status(s, "poll").next_due, at("2026-03-02T08:00:00Z"));
  advance_and_tick(s, minutes{9} + seconds{59});
  EXPECT_TRUE(log.runs.empty());
  advance_and_tick(s, seconds{1});
  ASSERT_EQ(log.runs.size(), 1U);
  EXPECT_EQ(log.runs[0].job_id, "poll");
  EXPECT_EQ(log.runs[0].reason, RunReason::scheduled);
  EXPECT_EQ(log.runs[0].due, at("2026-03-02T08:00:00Z"));
  EXPECT_TRUE(status(s, "poll").running);
  finish(log);
  const JobStatus st = status(s, "poll");
  EXPECT_FALSE(st.running);
  EXPECT_EQ(st.runs_finished, 1U);
  EXPECT_EQ(st.last_finished, at("2026-03-02T08:00:00Z"));
  EXPECT_EQ(st.next_due, at("2026-03-02T08:15:00Z"));
}

TEST_F(SchedulerTest, ARunNeverOverlapsTheNextSlotIsSkippedAndCounted) {
  Scheduler s(io_, clock_);
  RunLog log;
  ASSERT_TRUE(s.add_job({"poll", cron("*/15 * * * *"), log.function(), std::nullopt}));
  s.start();
  advance_and_tick(s, minutes{10});
  ASSERT_EQ(log.runs.size(), 1U);
  // The run takes 40 minutes: the 08:15 and 08:30 slots come while it is still going.
  advance_and_tick(s, minutes{15});
  advance_and_tick(s, minutes{15});
  EXPECT_EQ(log.runs.size(), 1U);
  EXPECT_EQ(status(s, "poll").skipped_overlaps, 2U);
  advance_and_tick(s, minutes{10});
  finish(log);
  EXPECT_EQ(log.runs.size(), 1U);  // finishing does not start a run under the skip policy
  advance_and_tick(s, minutes{5});  // 08:45
  ASSERT_EQ(log.runs.size(), 2U);
  EXPECT_EQ(log.runs[1].due, at("2026-03-02T08:45:00Z"));
}

TEST_F(SchedulerTest, RunAfterPolicyRunsOnceWhenThePreviousRunEnds) {
  Scheduler s(io_, clock_, {.run_missed_at_start = true, .overlap = OverlapPolicy::run_after});
  RunLog log;
  ASSERT_TRUE(s.add_job({"poll", cron("*/15 * * * *"), log.function(), std::nullopt}));
  s.start();
  advance_and_tick(s, minutes{10});
  advance_and_tick(s, minutes{15});
  advance_and_tick(s, minutes{15});
  EXPECT_EQ(log.runs.size(), 1U);
  EXPECT_TRUE(status(s, "poll").deferred_run_pending);
  advance_and_tick(s, minutes{5});  // 08:35
  finish(log);
  // Two slots passed during the run; they give one run, at once, never two at a time.
  ASSERT_EQ(log.runs.size(), 2U);
  EXPECT_EQ(log.runs[1].reason, RunReason::deferred);
  EXPECT_EQ(log.runs[1].due, at("2026-03-02T08:15:00Z"));
  EXPECT_EQ(log.runs[1].started, at("2026-03-02T08:35:00Z"));
  EXPECT_TRUE(status(s, "poll").running);
  EXPECT_FALSE(status(s, "poll").deferred_run_pending);
  finish(log);
  EXPECT_EQ(log.runs.size(), 2U);
  EXPECT_EQ(status(s, "poll").skipped_overlaps, 0U);
}

TEST_F(SchedulerTest, AfterDowntimeAMissedRunRunsOnceAtStart) {
  Scheduler s(io_, clock_);
  RunLog log;
  // Hourly, last run three days ago: 72 slots missed, one run.
  ASSERT_TRUE(s.add_job({"poll", cron("0 * * * *"), log.function(), at("2026-02-27T08:00:00Z")}));
  EXPECT_TRUE(log.runs.empty());  // nothing runs before start()
  s.start();
  ASSERT_EQ(log.runs.size(), 1U);
  EXPECT_EQ(log.runs[0].reason, RunReason::missed);
  EXPECT_EQ(log.runs[0].due, at("2026-02-27T09:00:00Z"));
  EXPECT_EQ(log.runs[0].started, at("2026-03-02T07:50:00Z"));
  finish(log);
  s.tick();
  EXPECT_EQ(log.runs.size(), 1U);
  EXPECT_EQ(status(s, "poll").next_due, at("2026-03-02T08:00:00Z"));
  advance_and_tick(s, minutes{10});
  ASSERT_EQ(log.runs.size(), 2U);
  EXPECT_EQ(log.runs[1].reason, RunReason::scheduled);
}

TEST_F(SchedulerTest, NoMissedRunWhenNothingWasMissedOrItIsSwitchedOff) {
  RunLog recent, on_time, unknown, switched_off;
  clock_.set(at("2026-03-02T09:00:00+01:00"));
  Scheduler s(io_, clock_);
  // Every two hours (even local hours); it last ran at 08:00 local, it is now 09:00 local.
  ASSERT_TRUE(s.add_job({"recent", cron("0 */2 * * *"), recent.function(), at("2026-03-02T08:00:00+01:00")}));
  // Hourly, last ran at 08:00 local; the 09:00 slot is exactly now: due, on time, not missed.
  ASSERT_TRUE(s.add_job({"on-time", cron("0 * * * *"), on_time.function(), at("2026-03-02T08:00:00+01:00")}));
  ASSERT_TRUE(s.add_job({"unknown", cron("0 * * * *"), unknown.function(), std::nullopt}));
  s.start();
  EXPECT_TRUE(recent.runs.empty());
  EXPECT_EQ(status(s, "recent").next_due, at("2026-03-02T10:00:00+01:00"));
  ASSERT_EQ(on_time.runs.size(), 1U);
  EXPECT_EQ(on_time.runs[0].reason, RunReason::scheduled);
  EXPECT_EQ(on_time.runs[0].due, at("2026-03-02T09:00:00+01:00"));
  // Never ran (or unknown): it waits for its next slot, here also 09:00 local, which is now.
  ASSERT_EQ(unknown.runs.size(), 1U);
  EXPECT_EQ(unknown.runs[0].reason, RunReason::scheduled);

  clock_.advance(minutes{1});
  Scheduler off(io_, clock_, {.run_missed_at_start = false});
  ASSERT_TRUE(off.add_job({"poll", cron("0 * * * *"), switched_off.function(), at("2026-02-27T08:00:00Z")}));
  off.start();
  EXPECT_TRUE(switched_off.runs.empty());
  EXPECT_EQ(status(off, "poll").next_due, at("2026-03-02T10:00:00+01:00"));
}

TEST_F(SchedulerTest, ManualTriggerRunsNowAndNeverOverlaps) {
  Scheduler s(io_, clock_);
  RunLog log;
  ASSERT_TRUE(s.add_job({"poll", cron("*/15 * * * *"), log.function(), std::nullopt}));
  s.start();
  clock_.advance(minutes{3});
  ASSERT_TRUE(s.trigger("poll"));
  ASSERT_EQ(log.runs.size(), 1U);
  EXPECT_EQ(log.runs[0].reason, RunReason::manual);
  EXPECT_EQ(log.runs[0].started, at("2026-03-02T07:53:00Z"));

  const Status again = s.trigger("poll");
  EXPECT_EQ(again.code(), ErrorCode::busy);
  EXPECT_EQ(again.message(), "job 'poll' is already running (started 2026-03-02T07:53:00.000000Z)");
  // The scheduled 08:00 slot comes during the manual run: skipped, not run alongside.
  advance_and_tick(s, minutes{7});
  EXPECT_EQ(log.runs.size(), 1U);
  EXPECT_EQ(status(s, "poll").skipped_overlaps, 1U);

  finish(log);
  ASSERT_TRUE(s.trigger("poll"));
  EXPECT_EQ(log.runs.size(), 2U);
  EXPECT_EQ(status(s, "poll").manual_runs, 2U);
  EXPECT_EQ(status(s, "poll").next_due, at("2026-03-02T08:15:00Z"));  // the schedule is unchanged

  EXPECT_EQ(s.trigger("nope").code(), ErrorCode::not_found);
  s.stop();
  finish(log);
  EXPECT_EQ(s.trigger("poll").code(), ErrorCode::unavailable);
}

TEST_F(SchedulerTest, JobsAreIndependent) {
  Scheduler s(io_, clock_);
  RunLog hourly, quarter;
  ASSERT_TRUE(s.add_job({"hourly", cron("0 * * * *"), hourly.function(), std::nullopt}));
  ASSERT_TRUE(s.add_job({"quarter", cron("*/15 * * * *"), quarter.function(), std::nullopt}));
  s.start();
  // `hourly` starts at 08:00 and hangs; `quarter` keeps its own rhythm and finishes each run.
  for (int i = 0; i < 8; ++i) {
    advance_and_tick(s, i == 0 ? minutes{10} : minutes{15});  // 08:00, 08:15 .. 09:45
    quarter.finish_all();
    io_.poll();
  }
  EXPECT_EQ(quarter.runs.size(), 8U);
  EXPECT_EQ(status(s, "quarter").skipped_overlaps, 0U);
  EXPECT_EQ(hourly.runs.size(), 1U);
  EXPECT_EQ(status(s, "hourly").skipped_overlaps, 1U);  // 09:00 came while 08:00 was running
  EXPECT_TRUE(status(s, "hourly").running);
  ASSERT_TRUE(s.trigger("quarter"));
  EXPECT_EQ(s.trigger("hourly").code(), ErrorCode::busy);
}

TEST_F(SchedulerTest, DoneTwiceIsIgnoredAndDoneAfterTheSchedulerIsGoneIsSafe) {
  RunLog log;
  {
    Scheduler s(io_, clock_, {.overlap = OverlapPolicy::run_after});
    ASSERT_TRUE(s.add_job({"poll", cron("*/15 * * * *"), log.function(), std::nullopt}));
    s.start();
    advance_and_tick(s, minutes{10});
    JobDone done = log.pending.front();
    done();
    done();
    io_.poll();
    EXPECT_EQ(status(s, "poll").runs_finished, 1U);
    advance_and_tick(s, minutes{15});
    ASSERT_EQ(log.runs.size(), 2U);
  }
  log.pending.back()();  // the scheduler is gone; the posted end of run finds nothing to do
  io_.poll();
}

TEST_F(SchedulerTest, AddJobValidates) {
  Scheduler s(io_, clock_);
  RunLog log;
  ASSERT_TRUE(s.add_job({"poll", cron("* * * * *"), log.function(), std::nullopt}));
  EXPECT_EQ(s.add_job({"poll", cron("* * * * *"), log.function(), std::nullopt}).code(), ErrorCode::conflict);
  EXPECT_EQ(s.add_job({"", cron("* * * * *"), log.function(), std::nullopt}).code(), ErrorCode::invalid);
  EXPECT_EQ(s.add_job({"x", cron("* * * * *"), nullptr, std::nullopt}).code(), ErrorCode::invalid);
  EXPECT_EQ(s.status("x").status().code(), ErrorCode::not_found);
}

TEST_F(SchedulerTest, RemovedJobStopsRunningAndItsLateDoneIsIgnored) {
  Scheduler s(io_, clock_);
  RunLog old_log, new_log;
  ASSERT_TRUE(s.add_job({"poll", cron("*/15 * * * *"), old_log.function(), std::nullopt}));
  s.start();
  advance_and_tick(s, minutes{10});
  ASSERT_EQ(old_log.runs.size(), 1U);
  ASSERT_TRUE(s.remove_job("poll"));
  EXPECT_EQ(s.remove_job("poll").code(), ErrorCode::not_found);
  clock_.advance(minutes{1});
  ASSERT_TRUE(s.add_job({"poll", cron("*/15 * * * *"), new_log.function(), std::nullopt}));
  ASSERT_TRUE(s.trigger("poll"));
  finish(old_log);  // the removed job's run ends: the new job's run is still going
  EXPECT_TRUE(status(s, "poll").running);
  advance_and_tick(s, minutes{14});  // 08:15
  EXPECT_EQ(old_log.runs.size(), 1U);
  EXPECT_EQ(new_log.runs.size(), 1U);
  EXPECT_EQ(status(s, "poll").skipped_overlaps, 1U);
}

TEST_F(SchedulerTest, AJobAddedAfterStartWithAMissedRunRunsAtOnce) {
  Scheduler s(io_, clock_);
  RunLog log;
  s.start();
  ASSERT_TRUE(s.add_job({"late", cron("0 6 * * *"), log.function(), at("2026-02-28T05:00:00Z")}));
  ASSERT_EQ(log.runs.size(), 1U);
  EXPECT_EQ(log.runs[0].reason, RunReason::missed);
}

// Ticks every minute across a DST night and returns the instants at which the job started.
std::vector<TimePoint> runs_over_night(boost::asio::io_context& io, ManualClock& clock,
                                       const std::string& expression, TimePoint from, TimePoint to) {
  clock.set(from);
  Scheduler s(io, clock);
  std::vector<TimePoint> started;
  EXPECT_TRUE(s.add_job({"job", cron(expression),
                         [&](const JobRun& run, JobDone done) {
                           started.push_back(run.started);
                           done();
                         },
                         std::nullopt}));
  s.start();
  while (clock.now() < to) {
    clock.advance(minutes{1});
    s.tick();
    io.poll();
  }
  return started;
}

TEST_F(SchedulerTest, TwoThirtyJobRunsOnceOnBothDstNights) {
  EXPECT_EQ(runs_over_night(io_, clock_, "30 2 * * *", at("2026-03-28T22:00:00Z"), at("2026-03-29T04:00:00Z")),
            (std::vector<TimePoint>{at("2026-03-29T03:00:00+02:00")}));
  EXPECT_EQ(runs_over_night(io_, clock_, "30 2 * * *", at("2026-10-24T22:00:00Z"), at("2026-10-25T04:00:00Z")),
            (std::vector<TimePoint>{at("2026-10-25T02:30:00+02:00")}));
}

TEST_F(SchedulerTest, TheTimerTicksWhenWorkIsDue) {
  // max_sleep 0: the timer is always ready, so polling the io_context runs tick() without
  // anyone calling it and without waiting.
  Scheduler s(io_, clock_, {.max_sleep = milliseconds{0}});
  RunLog log;
  ASSERT_TRUE(s.add_job({"poll", cron("*/15 * * * *"), log.function(), std::nullopt}));
  s.start();
  io_.poll_one();
  EXPECT_TRUE(log.runs.empty());
  clock_.advance(minutes{10});
  for (int i = 0; i < 3 && log.runs.empty(); ++i) io_.poll_one();
  ASSERT_EQ(log.runs.size(), 1U);
  s.stop();
  io_.poll();  // the cancelled timer completes and does nothing
  EXPECT_EQ(log.runs.size(), 1U);
}

}  // namespace
}  // namespace schakel
