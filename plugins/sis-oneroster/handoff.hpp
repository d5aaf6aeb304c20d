#pragma once
// Overlaps reading a bundle with storing it. Only the poll's own thread may call the host
// (plugin.h, "Threading"), and the host validates and stores each record inside emit, so on one
// thread a bulk import waits for the host while it could be reading and mapping the next rows.
// run_beside runs the pass on a second thread and hands its records, in batches and in order, to
// the calling thread, which delivers them to the host. At most k_waiting_batches wait, so memory
// stays flat whatever the bundle size. That is enough for the pass to run ahead while the host is
// the slower side (storing students), and for the host to go on storing while the pass reads what
// it cannot emit yet (the guardians' rows): about 10 MB of records, for 3 to 5% less wall time at
// 100,000 students than with 4.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "sync.hpp"

namespace schakel::sis_oneroster {

class Handoff {
 public:
  static constexpr std::size_t k_batch = 256;
  static constexpr std::size_t k_waiting_batches = 64;
  explicit Handoff(std::size_t batch_size = k_batch, std::size_t max_batches = k_waiting_batches)
      : batch_size_(batch_size), max_batches_(max_batches) {}
  // The pass's side: queues one item; waits while max_batches full batches are waiting.
  void push(Outgoing item);
  // The pass's side, once done: the last batch goes out and take() then ends.
  void close();
  // The delivering side: the next batch, in order; empty once closed and drained.
  std::vector<Outgoing> take();

 private:
  const std::size_t batch_size_;
  const std::size_t max_batches_;
  std::vector<Outgoing> filling_;  // the pass's own, unlocked
  std::mutex mu_;
  std::condition_variable ready_, room_;
  std::deque<std::vector<Outgoing>> full_;
  bool closed_ = false;
};

// Runs `pass` on a thread of its own with an output that queues each record, and meanwhile calls
// `deliver` for each, in order, on this thread. Returns the pass's result once every record has
// been delivered; an exception in the pass becomes an internal error, never crosses a thread.
Result<SyncStats> run_beside(const std::function<Result<SyncStats>(const SyncOutput&)>& pass,
                             const std::function<void(Outgoing&)>& deliver);

}  // namespace schakel::sis_oneroster
