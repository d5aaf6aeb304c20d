#pragma once
// The SQLite Store: one writer connection shared by begin(true) and the group commit, and a small
// pool of reader connections. Private to core/store and its tests; others use store.hpp.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "store/sqlite_db.hpp"
#include "store/store.hpp"

namespace schakel::store::sqlite {

// A lock that may be released on another thread than the one that took it: a write transaction
// can be handed between threads and ends wherever it is destroyed.
class WriterGate {
 public:
  void acquire();
  void release();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool held_ = false;
};

class SqliteStore final : public Store {
 public:
  static Result<std::unique_ptr<SqliteStore>> open(const Options& options);

  // Works passed to write() must not call write() or begin(true) on this store: they run inside
  // the writer's transaction. Transactions must not outlive the store.
  Result<std::unique_ptr<Transaction>> begin(bool write) override;
  Status write(const std::function<Status(Transaction&)>& work) override;
  // Queued for the store's commit thread (started on first use), which commits whatever is queued
  // in one transaction at a time, apart from write()'s batches.
  void write_async(std::function<Status(Transaction&)> work, std::function<void(Status)> done) override;
  ~SqliteStore() override;
  Status health() override;
  [[nodiscard]] int schema_version() const override { return version_; }

  // For metrics and tests: group commits run so far, and works waiting for the next one.
  [[nodiscard]] std::int64_t batches_committed() const { return batches_.load(); }
  [[nodiscard]] std::size_t queued_writes();

 private:
  struct PendingWrite {
    enum class State { waiting, lead, done };
    explicit PendingWrite(const std::function<Status(Transaction&)>& w) : work(&w) {}
    const std::function<Status(Transaction&)>* work;
    Status status;
    // Each waiter has its own lock and signal: a finished batch wakes its own works and the next
    // leader, not every thread waiting (with a busy API, dozens), and the woken do not queue on
    // one lock.
    std::mutex mu;
    std::condition_variable cv;
    State state = State::waiting;  // guarded by mu
  };
  static void signal(PendingWrite& p, PendingWrite::State to);

  SqliteStore(Options options, std::unique_ptr<Db> writer, int version)
      : options_(std::move(options)), writer_(std::move(writer)), version_(version) {}

  struct AsyncWrite {
    AsyncWrite(std::function<Status(Transaction&)> w, std::function<void(Status)> d)
        : work(std::move(w)), done(std::move(d)), pending(work) {}
    std::function<Status(Transaction&)> work;
    std::function<void(Status)> done;
    PendingWrite pending;
  };

  void commit_loop();
  void run_batch(const std::vector<PendingWrite*>& batch);
  Status run_work(PendingWrite& pending);
  Result<std::unique_ptr<Db>> take_reader();
  void return_reader(std::unique_ptr<Db> db);

  Options options_;
  std::unique_ptr<Db> writer_;
  int version_;
  WriterGate gate_;

  std::mutex readers_mu_;
  std::vector<std::unique_ptr<Db>> readers_;

  std::mutex queue_mu_;
  std::vector<PendingWrite*> queue_;
  bool leader_active_ = false;
  std::atomic<std::int64_t> batches_{0};

  std::mutex async_mu_;
  std::condition_variable async_cv_;
  std::vector<std::unique_ptr<AsyncWrite>> async_queue_;
  bool stopping_ = false;
  std::thread committer_;
};

}  // namespace schakel::store::sqlite
