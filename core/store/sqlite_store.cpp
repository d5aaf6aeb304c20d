#include "store/sqlite_store.hpp"

#include <array>
#include <exception>

#include "store/migrations.hpp"
#include "store/sqlite_transaction.hpp"

namespace schakel::store {
namespace sqlite {
namespace {

// Idle readers kept open; more are opened on demand and closed when returned. As many as the API
// runs handlers at once (api::ApiOptions::handler_threads), so a busy API does not reopen files.
constexpr std::size_t k_max_idle_readers = 64;

constexpr std::array<const char*, 8> k_entity_tables = {
    "schools", "students", "guardians", "staff", "cases", "consents", "referrals", "meetings"};

}  // namespace

void WriterGate::acquire() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return !held_; });
  held_ = true;
}

void WriterGate::release() {
  {
    std::lock_guard lock(mu_);
    held_ = false;
  }
  cv_.notify_one();
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const Options& options) {
  OpenFlags flags;
  flags.busy_timeout_ms = options.busy_timeout_ms;
  flags.durable = options.durable;
  auto db = Db::open(options.path, flags);
  if (!db) return db.status();
  auto version = migrate(**db);
  if (!version) return version.status();
  return std::unique_ptr<SqliteStore>(new SqliteStore(options, std::move(*db), *version));
}

Result<std::unique_ptr<Db>> SqliteStore::take_reader() {
  {
    std::lock_guard lock(readers_mu_);
    if (!readers_.empty()) {
      auto db = std::move(readers_.back());
      readers_.pop_back();
      return db;
    }
  }
  OpenFlags flags;
  flags.create = false;
  flags.query_only = true;
  flags.busy_timeout_ms = options_.busy_timeout_ms;
  flags.durable = options_.durable;
  return Db::open(options_.path, flags);
}

void SqliteStore::return_reader(std::unique_ptr<Db> db) {
  if (db->in_transaction()) (void)db->exec("ROLLBACK", "ending a read");
  std::lock_guard lock(readers_mu_);
  if (readers_.size() < k_max_idle_readers) readers_.push_back(std::move(db));
}

Result<std::unique_ptr<Transaction>> SqliteStore::begin(bool write) {
  using Mode = SqliteTransaction::Mode;
  if (write) {
    gate_.acquire();
    if (writer_->in_transaction()) (void)writer_->exec("ROLLBACK", "clearing a stale transaction");
    Status st = writer_->exec("BEGIN IMMEDIATE", "starting a write transaction");
    if (!st) {
      gate_.release();
      return st;
    }
    return std::unique_ptr<Transaction>(
        std::make_unique<SqliteTransaction>(*writer_, Mode::write, [this] { gate_.release(); }));
  }
  auto reader = take_reader();
  if (!reader) return reader.status();
  Db* raw = reader->release();
  Status st = raw->exec("BEGIN", "starting a read transaction");
  if (!st) {
    return_reader(std::unique_ptr<Db>(raw));
    return st;
  }
  return std::unique_ptr<Transaction>(std::make_unique<SqliteTransaction>(
      *raw, Mode::read, [this, raw] { return_reader(std::unique_ptr<Db>(raw)); }));
}

std::size_t SqliteStore::queued_writes() {
  std::lock_guard lock(queue_mu_);
  return queue_.size();
}

// Leader and followers: whoever finds no leader takes every queued work, runs them in one
// transaction and releases the others; the rest wait, and the first of those queued meanwhile
// leads the next batch.
Status SqliteStore::write(const std::function<Status(Transaction&)>& work) {
  using State = PendingWrite::State;
  PendingWrite pending(work);
  bool lead = false;
  {
    std::lock_guard lock(queue_mu_);
    queue_.push_back(&pending);
    lead = !leader_active_;
    leader_active_ = true;
  }
  if (!lead) {
    std::unique_lock lock(pending.mu);
    pending.cv.wait(lock, [&pending] { return pending.state != State::waiting; });
    if (pending.state == State::done) return pending.status;
  }
  // Leading: this work is still queued (a leader takes the whole queue), so it is in the batch.
  std::vector<PendingWrite*> batch;
  {
    std::lock_guard lock(queue_mu_);
    batch.swap(queue_);
  }
  run_batch(batch);
  PendingWrite* next = nullptr;
  {
    std::lock_guard lock(queue_mu_);
    if (queue_.empty()) {
      leader_active_ = false;
    } else {
      next = queue_.front();
    }
  }
  if (next) signal(*next, State::lead);
  for (PendingWrite* p : batch) {
    if (p != &pending) signal(*p, State::done);
  }
  return pending.status;
}

// Under the waiter's own lock: once it sees the new state it may return, and `p` is gone.
void SqliteStore::signal(PendingWrite& p, PendingWrite::State to) {
  std::lock_guard lock(p.mu);
  p.state = to;
  p.cv.notify_one();
}

void SqliteStore::write_async(std::function<Status(Transaction&)> work, std::function<void(Status)> done) {
  auto item = std::make_unique<AsyncWrite>(std::move(work), std::move(done));
  std::lock_guard lock(async_mu_);
  if (!committer_.joinable()) committer_ = std::thread([this] { commit_loop(); });
  async_queue_.push_back(std::move(item));
  async_cv_.notify_one();
}

void SqliteStore::commit_loop() {
  std::unique_lock lock(async_mu_);
  for (;;) {
    async_cv_.wait(lock, [this] { return stopping_ || !async_queue_.empty(); });
    if (async_queue_.empty()) return;  // stopping, and nothing is left to commit
    std::vector<std::unique_ptr<AsyncWrite>> items;
    items.swap(async_queue_);
    lock.unlock();
    std::vector<PendingWrite*> batch;
    batch.reserve(items.size());
    for (auto& item : items) batch.push_back(&item->pending);
    run_batch(batch);
    for (auto& item : items) item->done(item->pending.status);
    lock.lock();
  }
}

SqliteStore::~SqliteStore() {
  {
    std::lock_guard lock(async_mu_);
    stopping_ = true;
  }
  async_cv_.notify_one();
  if (committer_.joinable()) committer_.join();
}

Status SqliteStore::run_work(PendingWrite& pending) {
  SqliteTransaction tx(*writer_, SqliteTransaction::Mode::nested, nullptr);
  Status st;
  try {
    st = (*pending.work)(tx);
  } catch (const std::exception& e) {
    st = Status(ErrorCode::internal, writer_->file() + ": a write failed: " + e.what());
  } catch (...) {
    st = Status(ErrorCode::internal, writer_->file() + ": a write failed with an unknown exception");
  }
  tx.close_nested();
  return st;
}

void SqliteStore::run_batch(const std::vector<PendingWrite*>& batch) {
  gate_.acquire();
  if (writer_->in_transaction()) (void)writer_->exec("ROLLBACK", "clearing a stale transaction");
  Status fatal = writer_->exec("BEGIN IMMEDIATE", "starting a group commit");
  std::vector<PendingWrite*> succeeded;
  for (PendingWrite* p : batch) {
    if (!fatal) {
      p->status = fatal;
      continue;
    }
    // Each work in its own savepoint, so a failing one is undone alone.
    if (Status sp = writer_->exec("SAVEPOINT work", "starting a write"); !sp) {
      fatal = sp;
      p->status = sp;
      continue;
    }
    Status st = run_work(*p);
    if (!writer_->in_transaction()) {
      // SQLite rolled the whole transaction back (I/O error, disk full): earlier works are lost
      // too and get this error.
      fatal = st ? Status(ErrorCode::io, writer_->file() + ": the transaction was rolled back")
                 : st;
      p->status = fatal;
      continue;
    }
    if (st) {
      if (Status rel = writer_->exec("RELEASE work", "ending a write"); !rel) {
        fatal = rel;
        p->status = rel;
        continue;
      }
      succeeded.push_back(p);
    } else {
      p->status = st;
      Status rb = writer_->exec("ROLLBACK TO work", "undoing a failed write");
      if (rb) rb = writer_->exec("RELEASE work", "undoing a failed write");
      if (!rb) fatal = rb;
    }
  }
  if (fatal) fatal = writer_->exec("COMMIT", "committing");
  if (!fatal) {
    if (writer_->in_transaction()) (void)writer_->exec("ROLLBACK", "rolling back a group commit");
    for (PendingWrite* p : succeeded) p->status = fatal;
  }
  ++batches_;
  gate_.release();
}

Status SqliteStore::health() {
  auto reader = take_reader();
  if (!reader) return reader.status();
  auto check = [&](Db& db) -> Status {
    auto version = file_version(db);
    if (!version) return version.status();
    if (*version != version_) {
      return {ErrorCode::conflict, db.file() + ": the schema version changed from " +
                                       std::to_string(version_) + " to " +
                                       std::to_string(*version) + " under this process"};
    }
    for (const char* t : k_entity_tables) {
      auto stmt = db.prepare(std::string("SELECT 1 FROM ") + t + " LIMIT 1");
      if (!stmt) return stmt.status();
      SCHAKEL_TRY(stmt->step());
    }
    return Status::ok();
  };
  Status st = check(**reader);
  return_reader(std::move(*reader));
  return st;
}

}  // namespace sqlite

Result<std::unique_ptr<Store>> open_sqlite(const Options& options) {
  auto store = sqlite::SqliteStore::open(options);
  if (!store) return store.status();
  return std::unique_ptr<Store>(std::move(*store));
}

}  // namespace schakel::store
