// Faults that need a second process: another process holding the write lock, and a disk that
// fills up (RLIMIT_FSIZE in a forked child). Children are synchronised with pipes, never sleeps.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include "store_test_support.hpp"

namespace schakel::store::test {
namespace {

struct Pipe {
  int fds[2] = {-1, -1};
  Pipe() { EXPECT_EQ(pipe(fds), 0); }
  ~Pipe() {
    for (int fd : fds) {
      if (fd >= 0) close(fd);
    }
  }
  void put(char c) { EXPECT_EQ(write(fds[1], &c, 1), 1); }
  char get() {
    char c = 0;
    return read(fds[0], &c, 1) == 1 ? c : '\0';
  }
  std::string get_all() {
    close(fds[1]);
    fds[1] = -1;
    std::string out;
    char buf[512];
    ssize_t n = 0;
    while ((n = read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
    return out;
  }
};

int wait_child(pid_t pid) {
  int status = 0;
  EXPECT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status)) << "child ended by signal " << WTERMSIG(status);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// A child process that holds the write lock on a database file until released.
class LockHolder {
 public:
  LockHolder(const std::filesystem::path& path, const char* sql) {
    pid_ = fork();
    EXPECT_GE(pid_, 0);
    if (pid_ == 0) {
      sqlite3* db = nullptr;
      int rc = sqlite3_open(path.c_str(), &db);
      if (rc == SQLITE_OK) rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
      locked_.put(rc == SQLITE_OK ? 'L' : 'F');
      release_.get();
      rc = sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
      sqlite3_close(db);
      _exit(rc == SQLITE_OK ? 0 : 1);
    }
    holding_ = locked_.get() == 'L';
  }
  ~LockHolder() {
    if (pid_ > 0 && !released_) release();
  }
  [[nodiscard]] bool holding() const { return holding_; }
  // Lets the child commit and waits for it; returns its exit code.
  int release() {
    released_ = true;
    release_.put('G');
    return wait_child(pid_);
  }

 private:
  Pipe locked_;
  Pipe release_;
  pid_t pid_ = -1;
  bool holding_ = false;
  bool released_ = false;
};

TEST(ProcessTest, AnotherProcessHoldingTheWriteLock) {
  schakel::test::TempDir dir;
  const auto path = dir.path() / "schakel.db";
  ASSERT_NE(open_store(path), nullptr);  // created, migrated and closed before forking

  LockHolder child(path, "BEGIN IMMEDIATE; INSERT INTO connector_state VALUES ('child', 'k', 'v')");
  ASSERT_TRUE(child.holding());

  auto store = open_store(path, /*busy_ms=*/20);
  ASSERT_NE(store, nullptr);
  Status st = store->write([](Transaction& t) { return t.upsert(student(1)).status(); });
  EXPECT_EQ(st.code(), ErrorCode::busy);
  EXPECT_EQ(st.message().rfind(path.string() + ": database is locked by another process", 0), 0U)
      << st.message();
  auto tx = store->begin(true);
  EXPECT_EQ(tx.status().code(), ErrorCode::busy);
  // Readers are not blocked by a writer in WAL mode.
  auto reader = store->begin(false);
  ASSERT_TRUE(reader) << reader.status().message();
  EXPECT_FALSE((*reader)->get(Kind::student, "stu-000001")->has_value());
  reader = Status(ErrorCode::internal, "closed");  // ends the read transaction

  EXPECT_EQ(child.release(), 0);

  st = store->write([](Transaction& t) { return t.upsert(student(1)).status(); });
  EXPECT_TRUE(st) << st.message();
  auto t = store->begin(false);
  ASSERT_TRUE(t);
  EXPECT_EQ((*t)->connector_state("child", "k")->value_or(""), "v");
  EXPECT_TRUE((*t)->get(Kind::student, "stu-000001")->has_value());
}

TEST(ProcessTest, MigratingAFileLockedByAnotherProcessIsBusy) {
  schakel::test::TempDir dir;
  const auto path = dir.path() / "schakel.db";
  LockHolder child(path, "PRAGMA journal_mode=WAL; BEGIN IMMEDIATE; CREATE TABLE other (x)");
  ASSERT_TRUE(child.holding());
  Options options;
  options.path = path;
  options.busy_timeout_ms = 20;
  auto store = open_sqlite(options);
  EXPECT_EQ(store.status().code(), ErrorCode::busy) << store.status().message();
  EXPECT_EQ(store.status().message().rfind(path.string() + ": database is locked", 0), 0U);
  EXPECT_EQ(child.release(), 0);
  EXPECT_NE(open_store(path), nullptr);
}

TEST(ProcessTest, DiskFullLeavesTheLastCommittedState) {
  schakel::test::TempDir dir;
  const auto path = dir.path() / "schakel.db";
  {
    auto store = open_store(path);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->write([](Transaction& t) {
      for (int i = 0; i < 20; ++i) SCHAKEL_TRY(t.upsert(student(i)));
      return Status::ok();
    }));
  }
  const auto committed_size = std::filesystem::file_size(path);

  Pipe report;
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // Past the limit, write() fails with EFBIG instead of killing the process.
    std::signal(SIGXFSZ, SIG_IGN);
    const rlim_t limit = static_cast<rlim_t>(committed_size) + 64 * 1024;
    const rlimit rl{limit, limit};
    setrlimit(RLIMIT_FSIZE, &rl);
    Options options;
    options.path = path;
    auto store = open_sqlite(options);
    std::string out;
    if (!store) {
      out = "open failed: " + store.status().message();
    } else {
      Status st = (*store)->write([](Transaction& t) {
        for (int i = 1000; i < 3000; ++i) {
          Entity e = student(i);
          e.doc["notes"] = std::string(512, 'n');
          SCHAKEL_TRY(t.upsert(e));
        }
        return Status::ok();
      });
      out = std::to_string(static_cast<int>(st.code())) + "\n" + st.message();
      // The store stays usable for what still fits.
      Status small = (*store)->write([](Transaction& t) {
        return t.put_connector_state("las", "cursor", "after-full");
      });
      out += "\n" + std::to_string(static_cast<int>(small.code()));
    }
    const ssize_t n = write(report.fds[1], out.data(), out.size());
    _exit(n == static_cast<ssize_t>(out.size()) ? 0 : 1);
  }
  const std::string out = report.get_all();
  EXPECT_EQ(wait_child(pid), 0);
  const auto first_nl = out.find('\n');
  ASSERT_NE(first_nl, std::string::npos) << out;
  EXPECT_EQ(out.substr(0, first_nl), std::to_string(static_cast<int>(ErrorCode::io))) << out;
  const std::string message = out.substr(first_nl + 1, out.rfind('\n') - first_nl - 1);
  EXPECT_EQ(message.rfind(path.string() + ": disk full", 0), 0U) << message;

  auto store = open_store(path);
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->health());
  auto t = store->begin(false);
  ASSERT_TRUE(t);
  EntityQuery q;
  q.limit = 5000;
  auto rows = (*t)->list(q);
  ASSERT_TRUE(rows) << rows.status().message();
  EXPECT_EQ(rows->size(), 20U);  // all of the committed rows, none of the failed transaction
  EXPECT_EQ(raw_scalar(path, "PRAGMA integrity_check"), "ok");
}

}  // namespace
}  // namespace schakel::store::test

namespace schakel::store::test {
namespace {

// Fault injection by count: the same transaction under a file-size limit that grows a page group
// at a time, so the disk fills at every stage (WAL growth, commit, checkpoint on close). Each
// time the file must hold all of the transaction or none of it, and stay intact.
TEST(ProcessTest, DiskFullAtEveryStageKeepsTransactionsWhole) {
  schakel::test::TempDir dir;
  const auto base = dir.path() / "base.db";
  {
    auto store = open_store(base);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->write([](Transaction& t) {
      for (int i = 0; i < 20; ++i) SCHAKEL_TRY(t.upsert(student(i)));
      return Status::ok();
    }));
  }
  int failures = 0;
  int successes = 0;
  for (rlim_t limit = 8 * 1024; limit <= 480 * 1024; limit += 24 * 1024) {
    const auto path = dir.path() / ("limit-" + std::to_string(limit) + ".db");
    std::filesystem::copy_file(base, path);
    Pipe report;
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      std::signal(SIGXFSZ, SIG_IGN);
      const rlimit rl{limit, limit};
      setrlimit(RLIMIT_FSIZE, &rl);
      Options options;
      options.path = path;
      Status st;
      {
        auto store = open_sqlite(options);
        st = store ? (*store)->write([](Transaction& t) {
          for (int i = 100; i < 300; ++i) {
            Entity e = student(i);
            e.doc["notes"] = std::string(512, 'n');
            SCHAKEL_TRY(t.upsert(e));
          }
          return Status::ok();
        })
                   : store.status();
      }  // closing checkpoints the WAL into the file, which may fail too
      const char code = static_cast<char>('0' + static_cast<int>(st.code()));
      report.put(code);
      _exit(0);
    }
    const std::string out = report.get_all();
    ASSERT_EQ(wait_child(pid), 0) << "limit " << limit;
    ASSERT_EQ(out.size(), 1U) << "limit " << limit;
    if (out[0] == '0') {
      ++successes;
    } else {
      ++failures;
      EXPECT_EQ(out[0] - '0', static_cast<int>(ErrorCode::io)) << "limit " << limit;
    }
    auto store = open_store(path);
    ASSERT_NE(store, nullptr) << "limit " << limit;
    auto t = store->begin(false);
    ASSERT_TRUE(t);
    EntityQuery q;
    q.limit = 1000;
    auto rows = (*t)->list(q);
    ASSERT_TRUE(rows) << rows.status().message();
    EXPECT_EQ(rows->size(), out[0] == '0' ? 220U : 20U) << "limit " << limit;
    t = Status(ErrorCode::internal, "closed");
    store.reset();
    EXPECT_EQ(raw_scalar(path, "PRAGMA integrity_check"), "ok") << "limit " << limit;
  }
  EXPECT_GT(failures, 3);
  EXPECT_GT(successes, 0);
}

}  // namespace
}  // namespace schakel::store::test
