// Opening files: migration from empty, refusing newer versions, corrupt and unusable files.
#include <fstream>

#include "store_test_support.hpp"

namespace schakel::store::test {
namespace {

void write_file(const std::filesystem::path& path, const std::string& bytes, std::streamoff at = 0) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  if (!f) f.open(path, std::ios::out | std::ios::binary);
  f.seekp(at);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

Status open_status(const std::filesystem::path& path) {
  Options options;
  options.path = path;
  return open_sqlite(options).status();
}

TEST(MigrationTest, MigratesAnEmptyFile) {
  schakel::test::TempDir dir;
  const auto path = dir.path() / "empty.db";
  write_file(path, "");
  ASSERT_EQ(std::filesystem::file_size(path), 0U);
  auto store = open_store(path);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->schema_version(), latest_schema_version());
  EXPECT_GE(latest_schema_version(), 1);
  EXPECT_TRUE(store->health());
  store.reset();

  EXPECT_EQ(raw_scalar(path, "PRAGMA user_version"), std::to_string(latest_schema_version()));
  EXPECT_EQ(raw_scalar(path, "PRAGMA journal_mode"), "wal");
  for (const char* table : {"schools", "students", "guardians", "staff", "cases", "consents",
                            "referrals", "meetings", "connector_state", "audit", "quarantine",
                            "outbox"}) {
    EXPECT_EQ(raw_scalar(path, std::string("SELECT count(*) FROM sqlite_schema WHERE type = "
                                           "'table' AND name = '") + table + "'"),
              "1")
        << table;
  }
}

TEST(MigrationTest, CreatesAMissingFileAndReopensWithoutMigratingAgain) {
  schakel::test::TempDir dir;
  const auto path = dir.path() / "new.db";
  ASSERT_NE(open_store(path), nullptr);
  ASSERT_TRUE(std::filesystem::exists(path));
  auto again = open_store(path);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->schema_version(), latest_schema_version());
}

// Version 5 finds each guardian's children for guardians written before it.
TEST(MigrationTest, Version5LinksTheGuardiansAlreadyStored) {
  schakel::test::TempDir dir;
  const auto path = dir.path() / "v4.db";
  ASSERT_NE(open_store(path), nullptr);
  ASSERT_EQ(raw_sql(path,
                    "DROP TABLE guardian_children;"
                    "INSERT INTO guardians (id, student_id, doc, updated_at) VALUES"
                    " ('gua-1', 'stu-1', '{\"id\":\"gua-1\",\"children\":[{\"student_id\":\"stu-1\"},{\"student_id\":\"stu-2\"}]}', 0),"
                    " ('gua-2', '', '{\"id\":\"gua-2\"}', 0);"
                    "PRAGMA user_version=4"),
            "");
  auto store = open_store(path);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->schema_version(), latest_schema_version());
  auto tx = store->begin(false);
  ASSERT_TRUE(tx);
  auto found = (*tx)->guardians_of("stu-2");
  ASSERT_TRUE(found) << found.status().message();
  ASSERT_EQ(found->size(), 1U);
  EXPECT_EQ(found->front().id, "gua-1");
  EXPECT_EQ(raw_scalar(path, "SELECT count(*) FROM guardian_children"), "2");
}

TEST(MigrationTest, RefusesAFileFromANewerBinary) {
  schakel::test::TempDir dir;
  const auto path = dir.path() / "newer.db";
  ASSERT_NE(open_store(path), nullptr);
  const int newer = latest_schema_version() + 1;
  ASSERT_EQ(raw_sql(path, "PRAGMA user_version=" + std::to_string(newer)), "");
  Status st = open_status(path);
  EXPECT_EQ(st.code(), ErrorCode::conflict);
  EXPECT_EQ(st.message(), path.string() + ": database schema version " + std::to_string(newer) +
                              " is newer than this binary supports (" +
                              std::to_string(latest_schema_version()) + ")");
  EXPECT_EQ(raw_scalar(path, "PRAGMA user_version"), std::to_string(newer));  // left alone
}

TEST(MigrationTest, GarbageFileIsCorrupt) {
  schakel::test::TempDir dir;
  const auto path = dir.path() / "garbage.db";
  write_file(path, std::string(8192, 'x'));
  Status st = open_status(path);
  EXPECT_EQ(st.code(), ErrorCode::corrupt) << st.message();
  EXPECT_EQ(st.message().rfind(path.string() + ": ", 0), 0U) << st.message();
  EXPECT_NE(st.message().find("corrupt or not a database"), std::string::npos) << st.message();
}

TEST(MigrationTest, DamagedHeaderIsCorrupt) {
  schakel::test::TempDir dir;
  const auto path = dir.path() / "damaged.db";
  ASSERT_NE(open_store(path), nullptr);  // closed again: the WAL is checkpointed away
  write_file(path, "NOT SQLITE AT ALL", 0);
  Status st = open_status(path);
  EXPECT_EQ(st.code(), ErrorCode::corrupt) << st.message();
  EXPECT_NE(st.message().find(path.string()), std::string::npos);
}

TEST(MigrationTest, DamagedDataPagesAreReportedByReads) {
  schakel::test::TempDir dir;
  const auto path = dir.path() / "pages.db";
  {
    auto store = open_store(path);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->write([](Transaction& t) {
      for (int i = 0; i < 50; ++i) SCHAKEL_TRY(t.upsert(student(i)));
      return Status::ok();
    }));
  }
  // The students' rows were written last, after the schema: garble the file's last pages.
  const auto size = std::filesystem::file_size(path);
  ASSERT_GT(size, 4U * 4096U);
  write_file(path, std::string(3 * 4096, '\xA5'), static_cast<std::streamoff>(size - 3 * 4096));
  auto store = open_store(path);
  ASSERT_NE(store, nullptr);
  auto tx = store->begin(false);
  ASSERT_TRUE(tx);
  EntityQuery q;
  q.include_inactive = true;
  auto rows = (*tx)->list(q);
  EXPECT_EQ(rows.status().code(), ErrorCode::corrupt) << rows.status().message();
  EXPECT_EQ(rows.status().message().rfind(path.string() + ": database file is corrupt", 0), 0U)
      << rows.status().message();
}

TEST(MigrationTest, MissingDirectoryIsAnIoError) {
  schakel::test::TempDir dir;
  const auto path = dir.path() / "no" / "such" / "dir.db";
  Status st = open_status(path);
  EXPECT_EQ(st.code(), ErrorCode::io) << st.message();
  EXPECT_NE(st.message().find(path.string()), std::string::npos) << st.message();
}

}  // namespace
}  // namespace schakel::store::test
