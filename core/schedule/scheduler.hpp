#pragma once
// Runs jobs (one per connector) on their cron schedules, on an Asio executor, with time read from
// an injected Clock.
//
// Choices, each a rule the implementation keeps:
// - A job is asynchronous: it gets a `done` callback and must call it once, from any thread,
//   when the run has finished (calling it before returning is fine; later calls are ignored).
// - Runs of one job never overlap. If a scheduled time comes while the previous run is still
//   going, OverlapPolicy::skip (default) drops that slot and counts it in skipped_overlaps;
//   OverlapPolicy::run_after starts one run as soon as the current run finishes (any number of
//   slots missed meanwhile collapse into that one run).
// - A manual trigger() starts a run now; while a run is going it is refused with `busy`, so an
//   admin sees why nothing happened instead of a hidden queue.
// - Missed runs: a job may be added with its last run time (from connector state). If the
//   schedule's next time after it has already passed and run_missed_at_start is set, the job
//   runs once at the first tick, not once per missed slot. A job without a last run time waits
//   for its next slot (a slot exactly at the current time is due). The same collapse applies
//   when the clock jumps forward while running.
// - The Asio timer only wakes the scheduler: the due times are compared with Clock::now() in
//   tick(), and the timer sleeps at most max_sleep, so a shifted test clock is noticed soon.
//   Unit tests drive it with a ManualClock and call tick() directly, without waiting.
// - Threading: call the member functions on executor() (or on the thread of a single-threaded
//   io_context); job functions are invoked there too.
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "base/clock.hpp"
#include "base/status.hpp"
#include "schedule/cron_expression.hpp"

namespace schakel {

enum class RunReason {
  scheduled,  // its cron time came
  missed,     // a time passed while the daemon was down (run_missed_at_start)
  manual,     // trigger()
  deferred,   // a time came during the previous run (OverlapPolicy::run_after)
};
const char* to_string(RunReason reason);

struct JobRun {
  std::string job_id;
  RunReason reason = RunReason::scheduled;
  TimePoint due;      // the slot this run serves; for a manual run, the trigger time
  TimePoint started;  // Clock::now() when the run started
};

using JobDone = std::function<void()>;
// Invoked on the scheduler's executor; must not throw; must call `done` exactly once.
using JobFunction = std::function<void(const JobRun& run, JobDone done)>;

enum class OverlapPolicy { skip, run_after };

struct SchedulerOptions {
  bool run_missed_at_start = true;
  OverlapPolicy overlap = OverlapPolicy::skip;
  std::chrono::milliseconds max_sleep{std::chrono::seconds{30}};
};

struct JobSpec {
  std::string id;  // the connector id
  CronExpression cron;
  JobFunction run;
  std::optional<TimePoint> last_run;  // when it last ran, if known
};

struct JobStatus {
  bool running = false;
  bool deferred_run_pending = false;
  TimePoint next_due;
  std::optional<TimePoint> last_started;
  std::optional<TimePoint> last_finished;
  std::uint64_t runs_started = 0;
  std::uint64_t runs_finished = 0;
  std::uint64_t skipped_overlaps = 0;
  std::uint64_t manual_runs = 0;
};

class Scheduler {
 public:
  using Executor = boost::asio::strand<boost::asio::io_context::executor_type>;

  Scheduler(boost::asio::io_context& io, const Clock& clock, SchedulerOptions options = {});
  ~Scheduler();  // stop(); a `done` called afterwards is ignored
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // A duplicate id is `conflict`, an empty id or a missing function `invalid`.
  Status add_job(JobSpec spec);
  // Forgets the job (on a config reload, say); a run in progress is not stopped, and its `done`
  // is ignored, so a job re-added under the same id may start while it still runs.
  Status remove_job(const std::string& job_id);
  // Runs what is due (including missed runs) and arms the timer.
  void start();
  // Cancels the timer and starts no more runs; runs in progress may still finish.
  void stop();
  // Starts every job whose due time is at or before Clock::now(), then re-arms the timer.
  void tick();
  // Runs the job now: `not_found`, `busy` while it runs, `unavailable` after stop().
  Status trigger(const std::string& job_id);

  [[nodiscard]] Result<JobStatus> status(const std::string& job_id) const;
  [[nodiscard]] Executor executor() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace schakel
