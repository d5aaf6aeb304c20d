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
// transaction and releases the others; the rest wait, and one of them leads the next batch.
Status SqliteStore::write(const std::function<Status(Transaction&)>& work) {
  PendingWrite pending{&work, Status::ok(), false, {}};
  std::unique_lock lock(queue_mu_);
  queue_.push_back(&pending);
  while (!pending.done) {
    if (leader_active_) {
      pending.cv.wait(lock);
      continue;
    }
    leader_active_ = true;
    std::vector<PendingWrite*> batch;
    batch.swap(queue_);
    lock.unlock();
    run_batch(batch);
    lock.lock();
    leader_active_ = false;
    for (PendingWrite* p : batch) {
      p->done = true;
      if (p != &pending) p->cv.notify_one();  // under the lock: p is gone once it sees done
    }
    // The first work queued meanwhile leads the next batch (unless a newcomer does first).
    if (!queue_.empty()) queue_.front()->cv.notify_one();
  }
  return pending.status;
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
