#include "schedule/scheduler.hpp"

#include <algorithm>
#include <atomic>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <map>

namespace schakel {

namespace asio = boost::asio;

const char* to_string(RunReason reason) {
  switch (reason) {
    case RunReason::scheduled: return "scheduled";
    case RunReason::missed: return "missed";
    case RunReason::manual: return "manual";
    case RunReason::deferred: return "deferred";
  }
  return "unknown";
}

namespace {

struct Job {
  CronExpression cron;
  JobFunction run;
  JobStatus status;
  bool missed = false;          // next_due is a slot that passed while we were down
  TimePoint deferred_due;       // the slot a deferred run serves
  std::uint64_t run_id = 0;     // which run a `done` belongs to
};

}  // namespace

// Typed on the strand rather than any_io_executor: the type-erased executor's comparison trips
// GCC 12's -Wnull-dereference inside Asio.
using StrandTimer = asio::basic_waitable_timer<std::chrono::steady_clock,
                                               asio::wait_traits<std::chrono::steady_clock>,
                                               Scheduler::Executor>;

struct Scheduler::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::io_context& io, const Clock& c, SchedulerOptions o)
      : strand(asio::make_strand(io)), timer(strand), clock(c), options(o) {}

  Executor strand;
  StrandTimer timer;
  const Clock& clock;
  SchedulerOptions options;
  std::map<std::string, Job> jobs;
  bool started = false;
  bool stopped = false;
  // Unique across jobs, so a late `done` of a removed job cannot end a re-added one's run.
  std::uint64_t last_run_id = 0;

  void begin_run(const std::string& id, Job& job, RunReason reason, TimePoint due) {
    const TimePoint now = clock.now();
    job.status.running = true;
    job.status.last_started = now;
    ++job.status.runs_started;
    if (reason == RunReason::manual) ++job.status.manual_runs;
    const std::uint64_t run_id = job.run_id = ++last_run_id;
    auto called = std::make_shared<std::atomic<bool>>(false);
    // `done` may outlive the scheduler and be called from any thread: it only posts.
    JobDone done = [weak = weak_from_this(), executor = strand, id, run_id, called] {
      if (called->exchange(true)) return;
      asio::post(executor, [weak, id, run_id] {
        if (auto self = weak.lock()) self->finish_run(id, run_id);
      });
    };
    // A copy: the job may remove itself while it runs, which destroys `job`.
    const JobFunction run = job.run;
    run(JobRun{id, reason, due, now}, std::move(done));
  }

  void finish_run(const std::string& id, std::uint64_t run_id) {
    const auto it = jobs.find(id);
    if (it == jobs.end() || it->second.run_id != run_id || !it->second.status.running) return;
    Job& job = it->second;
    job.status.running = false;
    job.status.last_finished = clock.now();
    ++job.status.runs_finished;
    if (job.status.deferred_run_pending && !stopped) {
      job.status.deferred_run_pending = false;
      begin_run(id, job, RunReason::deferred, job.deferred_due);
    }
  }

  void tick() {
    if (stopped) return;
    const TimePoint now = clock.now();
    for (auto& [id, job] : jobs) {
      if (job.status.next_due > now) continue;
      const TimePoint due = job.status.next_due;
      const RunReason reason = job.missed ? RunReason::missed : RunReason::scheduled;
      job.missed = false;
      // From now, not from `due`: slots passed during downtime or a clock jump collapse into one.
      job.status.next_due = job.cron.next_after(now);
      if (!job.status.running) {
        begin_run(id, job, reason, due);
      } else if (options.overlap == OverlapPolicy::run_after) {
        if (!job.status.deferred_run_pending) job.deferred_due = due;
        job.status.deferred_run_pending = true;
      } else {
        ++job.status.skipped_overlaps;
      }
    }
    arm_timer();
  }

  void arm_timer() {
    if (!started || stopped || jobs.empty()) return;
    TimePoint earliest = TimePoint::max();
    for (const auto& entry : jobs) earliest = std::min(earliest, entry.second.status.next_due);
    const auto wait = std::clamp<std::chrono::microseconds>(
        earliest - clock.now(), std::chrono::microseconds{0}, options.max_sleep);
    timer.expires_after(wait);
    timer.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
      if (ec == asio::error::operation_aborted) return;
      if (auto self = weak.lock()) self->tick();
    });
  }
};

Scheduler::Scheduler(asio::io_context& io, const Clock& clock, SchedulerOptions options)
    : impl_(std::make_shared<Impl>(io, clock, options)) {}

Scheduler::~Scheduler() { stop(); }

Status Scheduler::add_job(JobSpec spec) {
  if (spec.id.empty()) return error(ErrorCode::invalid, "job id is empty");
  if (!spec.run) return error(ErrorCode::invalid, "job '" + spec.id + "' has no function to run");
  if (impl_->jobs.count(spec.id) != 0) return error(ErrorCode::conflict, "job '" + spec.id + "' is already scheduled");
  const TimePoint now = impl_->clock.now();
  Job job{std::move(spec.cron), std::move(spec.run), {}, false, {}, 0};
  // A slot exactly at `now` is due now, not skipped.
  job.status.next_due = job.cron.next_after(now - std::chrono::microseconds{1});
  if (spec.last_run && impl_->options.run_missed_at_start) {
    const TimePoint after_last = job.cron.next_after(*spec.last_run);
    if (after_last < now) {
      job.status.next_due = after_last;
      job.missed = true;
    }
  }
  impl_->jobs.emplace(std::move(spec.id), std::move(job));
  if (impl_->started) impl_->tick();
  return Status::ok();
}

Status Scheduler::remove_job(const std::string& job_id) {
  if (impl_->jobs.erase(job_id) == 0) return error(ErrorCode::not_found, "no job '" + job_id + "'");
  return Status::ok();
}

void Scheduler::start() {
  if (impl_->started || impl_->stopped) return;
  impl_->started = true;
  impl_->tick();
}

void Scheduler::stop() {
  impl_->stopped = true;
  impl_->timer.cancel();
}

void Scheduler::tick() { impl_->tick(); }

Status Scheduler::trigger(const std::string& job_id) {
  const auto it = impl_->jobs.find(job_id);
  if (it == impl_->jobs.end()) return error(ErrorCode::not_found, "no job '" + job_id + "'");
  if (impl_->stopped) return error(ErrorCode::unavailable, "the scheduler is stopped");
  Job& job = it->second;
  if (job.status.running) {
    return error(ErrorCode::busy, "job '" + job_id + "' is already running (started " +
                                      format_utc(*job.status.last_started) + ")");
  }
  impl_->begin_run(job_id, job, RunReason::manual, impl_->clock.now());
  return Status::ok();
}

Result<JobStatus> Scheduler::status(const std::string& job_id) const {
  const auto it = impl_->jobs.find(job_id);
  if (it == impl_->jobs.end()) return error(ErrorCode::not_found, "no job '" + job_id + "'");
  return it->second.status;
}

Scheduler::Executor Scheduler::executor() const { return impl_->strand; }

}  // namespace schakel
