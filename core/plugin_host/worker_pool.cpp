#include "plugin_host/worker_pool.hpp"

#include <atomic>

namespace schakel::plugin_host {

struct WorkerPool::Worker {
  std::thread thread;
  std::atomic<bool> stuck{false};
};

// Shared with the threads: a detached stuck thread may outlive the pool object.
struct WorkerPool::State {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::function<void()>> queue;
  std::list<Worker> workers;
  std::atomic<std::size_t> pending{0};  // queue.size(), readable without the lock
  int spinning = 0;                        // workers looking for work before sleeping (0 or 1)
  std::size_t max_queue = 0;
  int replacements_left = 0;
  bool stopping = false;
};

namespace {
thread_local WorkerPool::Worker* t_current = nullptr;
constexpr int k_spin_rounds = 200;
}

WorkerPool::WorkerPool(int workers, std::size_t max_queue, int max_replacements)
    : state_(std::make_shared<State>()) {
  state_->max_queue = max_queue;
  state_->replacements_left = max_replacements;
  for (int i = 0; i < (workers < 1 ? 1 : workers); ++i) spawn();
}

void WorkerPool::spawn() {
  // Called with state_->mu held or before any thread runs.
  Worker& w = state_->workers.emplace_back();
  w.thread = std::thread([state = state_, self = &w] {
    t_current = self;
    std::unique_lock lock(state->mu);
    for (;;) {
      if (state->queue.empty() && !state->stopping && state->spinning == 0) {
        // Deliveries come in bursts: look again briefly before sleeping, which saves the
        // futex wake-up (several microseconds) on the next call. One worker at a time: more
        // spinners would hold the cores the callers need to run.
        ++state->spinning;
        lock.unlock();
        for (int i = 0; i < k_spin_rounds && state->pending.load(std::memory_order_acquire) == 0; ++i)
          std::this_thread::yield();
        lock.lock();
        --state->spinning;
      }
      state->cv.wait(lock, [&] { return state->stopping || !state->queue.empty(); });
      if (state->queue.empty()) return;  // stopping and drained
      auto task = std::move(state->queue.front());
      state->queue.pop_front();
      state->pending.fetch_sub(1, std::memory_order_release);
      lock.unlock();
      task();
      lock.lock();
    }
  });
}

WorkerPool::~WorkerPool() {
  std::list<Worker> workers;
  {
    std::lock_guard lock(state_->mu);
    state_->stopping = true;
    workers.splice(workers.end(), state_->workers);
  }
  state_->cv.notify_all();
  for (auto& w : workers) {
    if (w.stuck) w.thread.detach();
    else if (w.thread.joinable()) w.thread.join();
  }
  // A detached thread still points at its Worker: hand the nodes back to the shared state,
  // which lives until the last thread lets go of it.
  std::lock_guard lock(state_->mu);
  state_->workers.splice(state_->workers.end(), workers);
}

bool WorkerPool::post(std::function<void()> task) {
  {
    std::lock_guard lock(state_->mu);
    if (state_->stopping || state_->queue.size() >= state_->max_queue) return false;
    state_->queue.push_back(std::move(task));
    state_->pending.fetch_add(1, std::memory_order_release);
    if (state_->spinning > 0) return true;  // the spinning worker will take it
  }
  state_->cv.notify_one();
  return true;
}

WorkerPool::Worker* WorkerPool::current() { return t_current; }

void WorkerPool::mark_stuck(Worker* w) {
  if (w == nullptr) return;
  std::lock_guard lock(state_->mu);
  if (w->stuck.exchange(true)) return;
  if (state_->replacements_left > 0 && !state_->stopping) {
    --state_->replacements_left;
    spawn();
  }
}

void WorkerPool::unmark_stuck(Worker* w) {
  if (w != nullptr) w->stuck = false;
}

int WorkerPool::threads() const {
  std::lock_guard lock(state_->mu);
  return static_cast<int>(state_->workers.size());
}

int WorkerPool::stuck() const {
  std::lock_guard lock(state_->mu);
  int n = 0;
  for (const auto& w : state_->workers) n += w.stuck ? 1 : 0;
  return n;
}

}  // namespace schakel::plugin_host
