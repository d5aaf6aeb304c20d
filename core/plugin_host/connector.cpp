#include "plugin_host/connector.hpp"

#include <spdlog/spdlog.h>

namespace schakel::plugin_host {

using nlohmann::json;
using std::chrono::duration_cast;
using std::chrono::milliseconds;

const char* call_kind_name(CallKind kind) {
  switch (kind) {
    case CallKind::create: return "create";
    case CallKind::check: return "check";
    case CallKind::poll: return "poll";
    case CallKind::deliver: return "deliver";
    case CallKind::revoke: return "revoke";
  }
  return "?";
}

namespace {

const char* result_name(schakel_result r) {
  switch (r) {
    case SCHAKEL_OK: return "ok";
    case SCHAKEL_RETRY: return "retry";
    case SCHAKEL_REJECT: return "reject";
    case SCHAKEL_FATAL: return "fatal";
    default: return "an unknown result";
  }
}

}  // namespace

Connector::Connector(std::shared_ptr<PluginHost::Core> core, std::string id, std::shared_ptr<PluginLibrary> lib,
                     schema::SchemaSet schemas, std::string settings_json)
    : core_(std::move(core)),
      id_(std::move(id)),
      lib_(std::move(lib)),
      schemas_(std::move(schemas)),
      settings_json_(std::move(settings_json)) {
  services_ = host_services_table();
  ctx_.connector = this;
  counters_.plugin = lib_->name() + " " + lib_->version();
  counters_.kind = lib_->manifest().kind;
}

void Connector::start() {
  std::lock_guard lock(mu_);
  state_ = ConnectorState::starting;
  queue_.push_front(PendingCall{CallKind::create, {}, {}, {}});
  schedule_locked();
}

CallResult Connector::refusal_locked() const {
  switch (state_) {
    case ConnectorState::degraded:
      return {CallCode::retry, "connector " + id_ + " is degraded: " + degraded_because_, {}, {}};
    case ConnectorState::restarting:
      return {CallCode::retry,
              "connector " + id_ + " is restarting (attempt " + std::to_string(restart_attempt_) +
                  ", next at " + (next_restart_ ? format_utc(*next_restart_) : "?") + ") after: " + counters_.last_error,
              {}, {}};
    default:
      return {CallCode::retry, "connector " + id_ + " is " + state_name(state_), {}, {}};
  }
}

void Connector::submit(PendingCall call) {
  CallResult refused;
  {
    std::lock_guard lock(mu_);
    if (core_->stopping) {
      refused = {CallCode::retry, "plugin host is shutting down", {}, {}};
    } else if (state_ != ConnectorState::running && state_ != ConnectorState::starting) {
      refused = refusal_locked();
    } else if (queue_.size() >= core_->options.max_pending_per_connector) {
      refused = {CallCode::retry, "connector " + id_ + ": " + std::to_string(queue_.size()) + " calls waiting; try later", {}, {}};
    } else {
      queue_.push_back(std::move(call));
      schedule_locked();
      return;
    }
  }
  call.done(std::move(refused));
}

void Connector::schedule_locked() {
  if (scheduled_ || queue_.empty()) return;
  scheduled_ = true;
  if (!core_->pool->post([self = shared_from_this()] { self->drain(); })) {
    // Not expected: the pool queue holds at most one task per connector.
    scheduled_ = false;
    spdlog::error("plugin host: worker pool queue full; connector {} waits for the next call", id_);
  }
}

void Connector::drain() {
  PendingCall call;
  std::uint64_t seq = 0;
  {
    std::lock_guard lock(mu_);
    if (queue_.empty()) {
      scheduled_ = false;
      return;
    }
    call = std::move(queue_.front());
    queue_.pop_front();
    seq = ++seq_;
    inflight_ = InFlight{seq, call.kind, core_->clock->now() + core_->options.call_deadline,
                         WorkerPool::current(), std::move(call.done), false};
  }
  CallResult result = run(call);

  CallDone done;
  std::vector<CallDone> refused;
  CallResult refusal;
  std::vector<std::pair<HostEvent::Kind, std::string>> events;
  bool destroy = false;
  {
    std::lock_guard lock(mu_);
    const bool expired = inflight_ && inflight_->expired;
    if (inflight_ && inflight_->done) done = std::move(inflight_->done);
    inflight_.reset();
    idle_cv_.notify_all();
    if (expired) WorkerPool::unmark_stuck(WorkerPool::current());
    ++counters_.calls;
    if (result.code != CallCode::ok) {
      ++counters_.errors;
      counters_.last_error = result.message;
    }
    if (core_->stopping) {
      destroy = instance_ != nullptr;  // a stuck call came back after shutdown
    } else if (call.kind == CallKind::create) {
      if (result.code == CallCode::ok) {
        state_ = ConnectorState::running;
        events.emplace_back(HostEvent::Kind::started, counters_.plugin + " started");
      } else {
        fail_locked("create returned " + std::string(call_code_name(result.code)) + ": " + result.message, refused);
      }
    } else if (result.code == CallCode::ok) {
      errors_in_a_row_ = 0;
      if (reset_attempts_on_ok_) {
        restart_attempt_ = 0;
        reset_attempts_on_ok_ = false;
      }
    } else if (result.code == CallCode::fatal) {
      fail_locked(std::string(call_kind_name(call.kind)) + " returned fatal: " + result.message, refused);
      destroy = true;
    } else if (result.code == CallCode::retry && ++errors_in_a_row_ >= core_->options.max_errors_in_a_row) {
      fail_locked(std::to_string(errors_in_a_row_) + " retry results in a row; last: " + result.message, refused);
      destroy = true;
    }
    if (expired && state_ == ConnectorState::degraded) {
      state_ = ConnectorState::running;
      events.emplace_back(HostEvent::Kind::recovered,
                          std::string(call_kind_name(call.kind)) + " returned after its deadline (" +
                              call_code_name(result.code) + "); its result was discarded");
    }
    if (state_ == ConnectorState::restarting && !core_->stopping) {
      const auto wait = duration_cast<milliseconds>(*next_restart_ - core_->clock->now()).count();
      events.emplace_back(HostEvent::Kind::failed,
                          counters_.last_error + "; restart " + std::to_string(restart_attempt_) + " in " +
                              std::to_string(wait) + " ms");
    }
    refusal = refusal_locked();
    if (expired) done = nullptr;  // the deadline already answered the caller
  }
  if (destroy) destroy_instance();
  {
    std::lock_guard lock(mu_);
    scheduled_ = false;
    if (!core_->stopping) schedule_locked();
  }
  for (auto& [kind, msg] : events) core_->event(kind, id_, msg);
  if (done) done(std::move(result));
  for (auto& r : refused) r(refusal);
}

void Connector::fail_locked(const std::string& why, std::vector<CallDone>& refused) {
  counters_.last_error = why;
  state_ = ConnectorState::restarting;
  ++restart_attempt_;
  reset_attempts_on_ok_ = false;
  errors_in_a_row_ = 0;
  const auto delay = backoff_delay(core_->options.restart_backoff, restart_attempt_, core_->random());
  next_restart_ = core_->clock->now() + delay;
  counters_.next_restart = next_restart_;
  for (auto& c : queue_)
    if (c.done) refused.push_back(std::move(c.done));
  queue_.clear();
}

void Connector::destroy_instance() {
  void* inst = nullptr;
  {
    std::lock_guard lock(mu_);
    std::swap(inst, instance_);
  }
  // destroy runs without a deadline: it must not fail, and the instance is of no use after.
  if (inst != nullptr) lib_->descriptor().destroy(inst);
}

bool Connector::flush_records() {
  if (core_->options.flush_records) {
    if (auto st = core_->options.flush_records(id_); !st) ctx_.unstored = st.message();
  }
  return ctx_.unstored.empty();
}

CallResult Connector::run(PendingCall& call) {
  ctx_.error.reset();
  ctx_.state_strings.clear();
  ctx_.unstored.clear();
  schakel_outcome out{};
  out.struct_size = sizeof(out);
  const auto& d = lib_->descriptor();
  void* inst = nullptr;
  {
    std::lock_guard lock(mu_);
    inst = instance_;
  }
  schakel_result r = SCHAKEL_OK;
  switch (call.kind) {
    case CallKind::create: {
      void* created = nullptr;
      r = d.create(&services_, &ctx_, settings_json_.c_str(), &created);
      if (r == SCHAKEL_OK) {
        std::lock_guard lock(mu_);
        instance_ = created;
      }
      break;
    }
    case CallKind::check:
      if (d.check == nullptr) return {CallCode::ok, {}, {}, {}};
      r = d.check(inst);
      break;
    case CallKind::poll:
      if (d.poll == nullptr) return {CallCode::reject, "plugin " + lib_->name() + " is not a source", {}, {}};
      r = d.poll(inst, &out);
      break;
    case CallKind::deliver:
      if (d.deliver == nullptr) return {CallCode::reject, "plugin " + lib_->name() + " is not a sink", {}, {}};
      r = d.deliver(inst, call.a.data(), call.a.size(), call.b.c_str(), &out);
      break;
    case CallKind::revoke:
      if (d.revoke == nullptr)
        return {CallCode::reject, "plugin " + lib_->name() + " has no 'revoke' capability", {}, {}};
      r = d.revoke(inst, call.a.c_str(), call.b.c_str(), &out);
      break;
  }
  CallResult res = result_of(call.kind, r, &out);
  // Records the plugin emitted are stored before its call counts as done.
  if (!flush_records() && res.code != CallCode::fatal) {
    const std::string why = "records of this " + std::string(call_kind_name(call.kind)) + " were not stored: " + ctx_.unstored;
    res = {CallCode::retry, res.code == CallCode::retry ? res.message + "; " + why : why, {}, res.retry_after};
  }
  return res;
}

CallResult Connector::result_of(CallKind kind, schakel_result r, const schakel_outcome* out) {
  CallResult res;
  const std::string where = std::string(call_kind_name(kind));
  if (r < SCHAKEL_OK || r > SCHAKEL_FATAL) {
    res.code = CallCode::fatal;
    res.message = "plugin bug: " + lib_->name() + " returned unknown result " + std::to_string(r) + " from " + where;
    core_->event(HostEvent::Kind::plugin_bug, id_, res.message);
    return res;
  }
  res.code = static_cast<CallCode>(r);
  if (res.code == CallCode::ok) {
    if (out->receipt_json != nullptr) res.receipt_json = out->receipt_json;
    if (!res.receipt_json.empty()) {
      const json receipt = json::parse(res.receipt_json, nullptr, false);
      if (receipt.is_discarded() || !receipt.is_object())
        core_->event(HostEvent::Kind::plugin_bug, id_,
                     "plugin bug: " + lib_->name() + " returned a receipt that is not a JSON object from " + where);
    }
    return res;
  }
  if (ctx_.error && !ctx_.error->empty()) {
    res.message = *ctx_.error;
  } else {
    res.message = "plugin bug: " + lib_->name() + " returned " + result_name(r) + " without an error message";
    core_->event(HostEvent::Kind::plugin_bug, id_, res.message + " (from " + where + ")");
  }
  if (res.code == CallCode::retry && out->retry_after_ms > 0) res.retry_after = milliseconds(out->retry_after_ms);
  return res;
}

void Connector::tick(TimePoint now) {
  CallDone done;
  std::vector<CallDone> refused;
  CallResult late;
  WorkerPool::Worker* stuck = nullptr;
  {
    std::lock_guard lock(mu_);
    if (inflight_ && !inflight_->expired && now >= inflight_->deadline) {
      inflight_->expired = true;
      stuck = inflight_->worker;
      done = std::move(inflight_->done);
      ++counters_.deadline_misses;
      const auto ms = core_->options.call_deadline.count();
      degraded_because_ = std::string(call_kind_name(inflight_->kind)) + " did not return within " +
                          std::to_string(ms) + " ms (its worker thread stays blocked until it returns)";
      counters_.last_error = degraded_because_;
      state_ = ConnectorState::degraded;
      for (auto& c : queue_)
        if (c.done) refused.push_back(std::move(c.done));
      queue_.clear();
      late = {CallCode::retry, "connector " + id_ + ": " + degraded_because_, {}, {}};
    }
    if (state_ == ConnectorState::restarting && next_restart_ && now >= *next_restart_ && !core_->stopping) {
      state_ = ConnectorState::starting;
      ++counters_.restarts;
      next_restart_.reset();
      counters_.next_restart.reset();
      reset_attempts_on_ok_ = true;
      queue_.push_front(PendingCall{CallKind::create, {}, {}, {}});
      schedule_locked();
    }
  }
  if (stuck != nullptr || done) {
    core_->pool->mark_stuck(stuck);
    core_->event(HostEvent::Kind::degraded, id_, late.message);
    if (done) done(late);
    for (auto& r : refused) r(late);
  }
}

void Connector::shutdown() {
  std::vector<CallDone> refused;
  std::unique_lock lock(mu_);
  for (auto& c : queue_)
    if (c.done) refused.push_back(std::move(c.done));
  queue_.clear();
  // Wait for a running call (bounded by the deadline); a stuck one keeps its instance.
  idle_cv_.wait_for(lock, core_->options.call_deadline, [&] { return !inflight_ || inflight_->expired; });
  const bool busy = inflight_.has_value();
  state_ = ConnectorState::stopped;
  lock.unlock();
  if (!busy) destroy_instance();
  for (auto& r : refused) r({CallCode::retry, "plugin host is shutting down", {}, {}});
}

ConnectorStatus Connector::status() const {
  std::lock_guard lock(mu_);
  ConnectorStatus s = counters_;
  s.state = state_;
  return s;
}

}  // namespace schakel::plugin_host
