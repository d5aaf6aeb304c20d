#pragma once
// The bounded pool that runs plugin calls off the I/O threads. A worker whose call overran its
// deadline is marked stuck: the pool starts a replacement so other connectors keep being served,
// and at shutdown a stuck worker is detached rather than joined. There is no way to stop a
// thread inside foreign code; process isolation (a child per plugin) will replace this later.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <thread>

namespace schakel::plugin_host {

class WorkerPool {
 public:
  struct Worker;  // opaque handle to the thread running the current task

  // `workers` threads; `max_queue` tasks waiting at most; at most `max_replacements` threads are
  // added for stuck ones over the pool's life.
  WorkerPool(int workers, std::size_t max_queue, int max_replacements);
  ~WorkerPool();  // runs what is queued, joins the workers, detaches stuck ones
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // False if the queue is full or the pool is stopping.
  bool post(std::function<void()> task);

  // The worker running the calling task (nullptr outside the pool).
  static Worker* current();
  // Marks `w` stuck and starts a replacement (while the budget lasts).
  void mark_stuck(Worker* w);
  // The stuck call returned: `w` is an ordinary worker again.
  static void unmark_stuck(Worker* w);

  [[nodiscard]] int threads() const;
  [[nodiscard]] int stuck() const;

 private:
  struct State;
  void spawn();
  std::shared_ptr<State> state_;
};

}  // namespace schakel::plugin_host
