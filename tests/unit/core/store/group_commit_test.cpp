// Store::write(): many callers share one transaction; each work is undone alone when it fails.
#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "store/sqlite_store.hpp"
#include "store_test_support.hpp"

namespace schakel::store::test {
namespace {

std::unique_ptr<sqlite::SqliteStore> open_sqlite_store(const std::filesystem::path& path) {
  Options options;
  options.path = path;
  auto store = sqlite::SqliteStore::open(options);
  EXPECT_TRUE(store) << store.status().message();
  return store ? std::move(*store) : nullptr;
}

bool has_student(Store& store, int n) {
  auto t = store.begin(false);
  char id[32];
  std::snprintf(id, sizeof id, "stu-%06d", n);
  return t && (*t)->get(Kind::student, id)->has_value();
}

TEST(GroupCommitTest, ManyThreadsAllCommitted) {
  schakel::test::TempDir dir;
  auto store = open_sqlite_store(dir.path() / "schakel.db");
  ASSERT_NE(store, nullptr);
  constexpr int k_threads = 8;
  constexpr int k_per_thread = 40;
  std::vector<Status> results(k_threads * k_per_thread);
  std::vector<std::thread> threads;
  for (int t = 0; t < k_threads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < k_per_thread; ++i) {
        const int n = t * k_per_thread + i;
        results[n] = store->write([n](Transaction& tx) {
          SCHAKEL_TRY(tx.upsert(student(n)));
          // Every 13th work fails after writing: its row must not appear.
          if (n % 13 == 0) return Status(ErrorCode::invalid, "refused on purpose");
          return Status::ok();
        });
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int n = 0; n < k_threads * k_per_thread; ++n) {
    if (n % 13 == 0) {
      EXPECT_EQ(results[n].code(), ErrorCode::invalid) << n;
      EXPECT_FALSE(has_student(*store, n)) << n;
    } else {
      EXPECT_TRUE(results[n]) << n << ": " << results[n].message();
      EXPECT_TRUE(has_student(*store, n)) << n;
    }
  }
  EXPECT_LE(store->batches_committed(), k_threads * k_per_thread);
}

// The first work holds the writer until every other caller has queued, so the others are
// certain to share the second batch: a failing and a throwing work in it undo only themselves.
TEST(GroupCommitTest, OneFailingWorkDoesNotUndoItsBatch) {
  schakel::test::TempDir dir;
  auto store = open_sqlite_store(dir.path() / "schakel.db");
  ASSERT_NE(store, nullptr);
  constexpr int k_others = 6;
  std::atomic<bool> first_running{false};

  Status first_status;
  std::thread first([&] {
    first_status = store->write([&](Transaction& tx) {
      SCHAKEL_TRY(tx.upsert(student(100)));
      first_running = true;
      while (store->queued_writes() < k_others) std::this_thread::yield();
      return Status::ok();
    });
  });
  while (!first_running) std::this_thread::yield();

  std::vector<Status> results(k_others);
  std::vector<std::thread> others;
  for (int i = 0; i < k_others; ++i) {
    others.emplace_back([&, i] {
      results[i] = store->write([i](Transaction& tx) -> Status {
        SCHAKEL_TRY(tx.upsert(student(i)));
        if (i == 2) return {ErrorCode::conflict, "refused on purpose"};
        if (i == 4) throw std::runtime_error("thrown on purpose");
        return Status::ok();
      });
    });
  }
  first.join();
  for (auto& th : others) th.join();

  EXPECT_TRUE(first_status) << first_status.message();
  EXPECT_EQ(store->batches_committed(), 2);
  for (int i = 0; i < k_others; ++i) {
    if (i == 2) {
      EXPECT_EQ(results[i].code(), ErrorCode::conflict);
    } else if (i == 4) {
      EXPECT_EQ(results[i].code(), ErrorCode::internal);
      EXPECT_NE(results[i].message().find("thrown on purpose"), std::string::npos);
    } else {
      EXPECT_TRUE(results[i]) << results[i].message();
    }
    EXPECT_EQ(has_student(*store, i), i != 2 && i != 4) << i;
  }
  EXPECT_TRUE(has_student(*store, 100));
}

TEST(GroupCommitTest, CommitInsideAWorkIsLeftToTheStore) {
  schakel::test::TempDir dir;
  auto store = open_sqlite_store(dir.path() / "schakel.db");
  ASSERT_NE(store, nullptr);
  Status st = store->write([](Transaction& tx) {
    SCHAKEL_TRY(tx.upsert(student(1)));
    SCHAKEL_TRY(tx.commit());
    return tx.upsert(student(2)).status();
  });
  EXPECT_TRUE(st) << st.message();
  EXPECT_TRUE(has_student(*store, 1));
  EXPECT_TRUE(has_student(*store, 2));
}

TEST(GroupCommitTest, ExplicitWriteTransactionsAndGroupCommitsTakeTurns) {
  schakel::test::TempDir dir;
  auto store = open_sqlite_store(dir.path() / "schakel.db");
  ASSERT_NE(store, nullptr);
  constexpr int k_rounds = 30;
  std::thread writer([&] {
    for (int i = 0; i < k_rounds; ++i) {
      Status st = store->write([i](Transaction& tx) { return tx.upsert(student(i)).status(); });
      EXPECT_TRUE(st) << st.message();
    }
  });
  for (int i = 0; i < k_rounds; ++i) {
    auto tx = store->begin(true);
    ASSERT_TRUE(tx) << tx.status().message();
    ASSERT_TRUE((*tx)->upsert(student(1000 + i)));
    ASSERT_TRUE((*tx)->commit());
  }
  writer.join();
  auto t = store->begin(false);
  EntityQuery q;
  q.limit = 1000;
  EXPECT_EQ((*t)->list(q)->size(), 2U * k_rounds);
}

// Outcomes of write_async, collected as they are reported (on the store's commit thread).
class Outcomes {
 public:
  explicit Outcomes(int n) : statuses_(static_cast<std::size_t>(n)) {}
  std::function<void(Status)> slot(int i) {
    return [this, i](Status st) {
      std::lock_guard lock(mu_);
      statuses_[static_cast<std::size_t>(i)] = std::move(st);
      ++reported_;
      cv_.notify_all();
    };
  }
  const std::vector<Status>& wait_all() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return reported_ == statuses_.size(); });
    return statuses_;
  }
  std::size_t reported() {
    std::lock_guard lock(mu_);
    return reported_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Status> statuses_;
  std::size_t reported_ = 0;
};

TEST(GroupCommitTest, AsyncWritesReportEachOutcomeOnceDurable) {
  schakel::test::TempDir dir;
  auto store = open_sqlite_store(dir.path() / "schakel.db");
  ASSERT_NE(store, nullptr);
  constexpr int k_async = 200;
  Outcomes outcomes(k_async);
  // Synchronous writers at the same time: the two kinds take turns on the one writer.
  std::thread sync_writer([&] {
    for (int i = 0; i < 50; ++i) {
      Status st = store->write([i](Transaction& tx) { return tx.upsert(student(10'000 + i)).status(); });
      EXPECT_TRUE(st) << st.message();
    }
  });
  for (int n = 0; n < k_async; ++n) {
    store->write_async(
        [n](Transaction& tx) -> Status {
          SCHAKEL_TRY(tx.upsert(student(n)));
          if (n % 17 == 0) return {ErrorCode::conflict, "refused on purpose"};
          if (n % 23 == 0) throw std::runtime_error("thrown on purpose");
          return Status::ok();
        },
        outcomes.slot(n));
  }
  sync_writer.join();
  const auto& statuses = outcomes.wait_all();
  for (int n = 0; n < k_async; ++n) {
    if (n % 17 == 0) {
      EXPECT_EQ(statuses[n].code(), ErrorCode::conflict) << n;
    } else if (n % 23 == 0) {
      EXPECT_EQ(statuses[n].code(), ErrorCode::internal) << n;
    } else {
      EXPECT_TRUE(statuses[n]) << n << ": " << statuses[n].message();
    }
    // Reported ok means committed: a fresh reader sees it.
    EXPECT_EQ(has_student(*store, n), n % 17 != 0 && n % 23 != 0) << n;
  }
  for (int i = 0; i < 50; ++i) EXPECT_TRUE(has_student(*store, 10'000 + i)) << i;
  EXPECT_LT(store->batches_committed(), k_async + 50);  // queued works shared commits
}

// Closing the store commits what is still queued and reports it, so nothing accepted is lost.
TEST(GroupCommitTest, ClosingTheStoreCommitsQueuedAsyncWrites) {
  schakel::test::TempDir dir;
  const auto path = dir.path() / "schakel.db";
  constexpr int k_async = 100;
  Outcomes outcomes(k_async);
  {
    auto store = open_sqlite_store(path);
    ASSERT_NE(store, nullptr);
    for (int n = 0; n < k_async; ++n) {
      store->write_async([n](Transaction& tx) { return tx.upsert(student(n)).status(); }, outcomes.slot(n));
    }
  }
  EXPECT_EQ(outcomes.reported(), static_cast<std::size_t>(k_async));
  for (const auto& st : outcomes.wait_all()) EXPECT_TRUE(st) << st.message();
  auto reopened = open_sqlite_store(path);
  ASSERT_NE(reopened, nullptr);
  for (int n = 0; n < k_async; ++n) EXPECT_TRUE(has_student(*reopened, n)) << n;
}

}  // namespace
}  // namespace schakel::store::test
