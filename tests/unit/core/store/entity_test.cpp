// Entity rows through the Store interface: CRUD, paging, upsert ordering, transactions.
#include "store_test_support.hpp"

namespace schakel::store::test {
namespace {

class EntityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = open_store(path_);
    ASSERT_NE(store_, nullptr);
  }

  std::unique_ptr<Transaction> tx(bool write) {
    auto t = store_->begin(write);
    EXPECT_TRUE(t) << t.status().message();
    return t ? std::move(*t) : nullptr;
  }

  UpsertOutcome upsert(const Entity& e) {
    UpsertOutcome outcome{};
    Status st = store_->write([&](Transaction& t) {
      auto r = t.upsert(e);
      if (r) outcome = *r;
      return r.status();
    });
    EXPECT_TRUE(st) << st.message();
    return outcome;
  }

  Entity fetch(const std::string& id) {
    auto t = tx(false);
    auto got = t->get(Kind::student, id);
    EXPECT_TRUE(got && got->has_value()) << id;
    return got && got->has_value() ? **got : Entity{};
  }

  schakel::test::TempDir dir_;
  std::filesystem::path path_ = dir_.path() / "schakel.db";
  std::unique_ptr<Store> store_;
};

TEST_F(EntityTest, KindNamesRoundTrip) {
  for (Kind k : {Kind::school, Kind::student, Kind::guardian, Kind::staff, Kind::case_,
                 Kind::consent, Kind::referral, Kind::meeting}) {
    EXPECT_EQ(kind_from_name(kind_name(k)), k);
  }
  EXPECT_STREQ(kind_name(Kind::case_), "case");
  EXPECT_FALSE(kind_from_name("pupil").has_value());
}

TEST_F(EntityTest, PutGetRemoveEveryKind) {
  auto t = tx(true);
  for (Kind k : {Kind::school, Kind::student, Kind::guardian, Kind::staff, Kind::case_,
                 Kind::consent, Kind::referral, Kind::meeting}) {
    Entity e;
    e.kind = k;
    e.id = std::string(kind_name(k)) + "-1";
    e.tenant = "12AB00";
    e.student_id = "stu-000001";
    e.doc = {{"id", e.id}, {"note", "é ünïcode"}};
    e.updated_at = TimePoint{std::chrono::microseconds{1767225600123456}};
    ASSERT_TRUE(t->put(e)) << kind_name(k);
    auto got = t->get(k, e.id);
    ASSERT_TRUE(got && got->has_value()) << kind_name(k);
    EXPECT_EQ((*got)->doc, e.doc);
    EXPECT_EQ((*got)->student_id, "stu-000001");
    EXPECT_EQ((*got)->updated_at, e.updated_at);
    EXPECT_EQ((*got)->kind, k);
  }
  ASSERT_TRUE(t->remove(Kind::case_, "case-1"));
  EXPECT_FALSE(t->get(Kind::case_, "case-1")->has_value());
  EXPECT_EQ(t->remove(Kind::case_, "case-1").code(), ErrorCode::not_found);
  // Kinds are separate tables: the same id in another kind is untouched.
  EXPECT_TRUE(t->get(Kind::meeting, "meeting-1")->has_value());
  ASSERT_TRUE(t->commit());
}

TEST_F(EntityTest, ListPagesAndFilters) {
  ASSERT_TRUE(store_->write([](Transaction& t) {
    for (int i = 0; i < 25; ++i) {
      Entity e = student(i);
      if (i % 5 == 0) e.tenant = "34CD01";
      if (i == 7) e.active = false;
      SCHAKEL_TRY(t.upsert(e));
    }
    return Status::ok();
  }));
  auto t = tx(false);
  EntityQuery q;
  q.limit = 10;
  std::vector<std::string> ids;
  for (;;) {
    auto page = t->list(q);
    ASSERT_TRUE(page) << page.status().message();
    if (page->empty()) break;
    EXPECT_LE(page->size(), 10U);
    for (const auto& e : *page) ids.push_back(e.id);
    q.after_id = page->back().id;
  }
  ASSERT_EQ(ids.size(), 24U);  // the inactive one is left out
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  EXPECT_EQ(std::count(ids.begin(), ids.end(), "stu-000007"), 0);

  EntityQuery all;
  all.include_inactive = true;
  EXPECT_EQ(t->list(all)->size(), 25U);
  EntityQuery tenant;
  tenant.tenant = "34CD01";
  EXPECT_EQ(t->list(tenant)->size(), 5U);
  EntityQuery other;
  other.connector = "calendar";
  EXPECT_TRUE(t->list(other)->empty());
  EntityQuery bad;
  bad.limit = 0;
  EXPECT_EQ(t->list(bad).status().code(), ErrorCode::invalid);
}

TEST_F(EntityTest, ListByStudent) {
  ASSERT_TRUE(store_->write([](Transaction& t) {
    for (int i = 0; i < 4; ++i) {
      Entity g;
      g.kind = Kind::guardian;
      g.id = "gua-" + std::to_string(i);
      g.student_id = i < 3 ? "stu-000001" : "stu-000002";
      g.doc = {{"id", g.id}};
      SCHAKEL_TRY(t.put(g));
    }
    return Status::ok();
  }));
  EntityQuery q;
  q.kind = Kind::guardian;
  q.student_id = "stu-000001";
  auto t = tx(false);
  EXPECT_EQ(t->list(q)->size(), 3U);
}

// A student's guardians are every guardian that names it among its children, whichever write
// path the guardian took, and only while the guardian is active.
TEST_F(EntityTest, GuardiansOfAStudentFollowTheirDocuments) {
  auto guardian = [](const std::string& id, const std::vector<std::string>& children, bool active = true,
                     const std::string& version = "2026-01-01T00:00:00Z") {
    Entity g;
    g.kind = Kind::guardian;
    g.id = id;
    g.source_version = version;
    g.student_id = children.empty() ? "" : children.front();
    g.active = active;
    g.doc = {{"id", id}, {"children", nlohmann::json::array()}};
    for (const auto& c : children) g.doc["children"].push_back({{"student_id", c}, {"gezag", "yes"}});
    return g;
  };
  auto ids = [&](const std::string& student) {
    std::vector<std::string> out;
    auto t = tx(false);
    auto found = t->guardians_of(student);
    EXPECT_TRUE(found) << found.status().message();
    if (found)
      for (const auto& e : *found) out.push_back(e.id);
    return out;
  };
  using Ids = std::vector<std::string>;
  ASSERT_TRUE(store_->write([&](Transaction& t) {
    SCHAKEL_TRY(t.put(guardian("gua-2", {"stu-1", "stu-2"})));
    SCHAKEL_TRY(t.put(guardian("gua-1", {"stu-2", "stu-1", "stu-2"})));
    SCHAKEL_TRY(t.upsert(guardian("gua-4", {"stu-4"})).status());
    return t.upsert(guardian("gua-3", {"stu-3", "stu-1"})).status();
  }));
  EXPECT_EQ(ids("stu-1"), (Ids{"gua-1", "gua-2", "gua-3"}));  // not only where it is the first child
  EXPECT_EQ(ids("stu-2"), (Ids{"gua-1", "gua-2"}));
  EXPECT_EQ(ids("stu-9"), Ids{});

  ASSERT_TRUE(store_->write([&](Transaction& t) {
    SCHAKEL_TRY(t.put(guardian("gua-1", {"stu-3"})));             // a new document, other children
    SCHAKEL_TRY(t.put(guardian("gua-3", {"stu-1"}, false)));      // left
    // A newer version of a source record (the upsert's update) and an older one (kept out).
    SCHAKEL_TRY(t.upsert(guardian("gua-4", {"stu-2"}, true, "2026-02-01T00:00:00Z")).status());
    SCHAKEL_TRY(t.upsert(guardian("gua-4", {"stu-9"}, true, "2025-12-01T00:00:00Z")).status());
    return t.remove(Kind::guardian, "gua-2");
  }));
  EXPECT_EQ(ids("stu-1"), Ids{});
  EXPECT_EQ(ids("stu-2"), (Ids{"gua-4"}));
  EXPECT_EQ(ids("stu-3"), (Ids{"gua-1"}));
  EXPECT_EQ(ids("stu-4"), Ids{});
  EXPECT_EQ(ids("stu-9"), Ids{});
  EXPECT_EQ(raw_scalar(path_, "SELECT count(*) FROM guardian_children"), "3");  // and gua-3, kept inactive
}

TEST_F(EntityTest, UpsertNeverLosesANewerVersion) {
  const Entity v1 = student(1, "2026-01-01T00:00:00Z", "5");
  EXPECT_EQ(upsert(v1), UpsertOutcome::inserted);
  EXPECT_EQ(upsert(v1), UpsertOutcome::unchanged);

  Entity v2 = student(1, "2026-02-01T00:00:00Z", "6");
  v2.id = "some-other-id";  // the hub's id, once given, stays
  EXPECT_EQ(upsert(v2), UpsertOutcome::updated);
  Entity stored = fetch("stu-000001");
  EXPECT_EQ(stored.doc["groep"], "6");
  EXPECT_EQ(stored.source_version, "2026-02-01T00:00:00Z");

  // Older: refused, whatever it says.
  EXPECT_EQ(upsert(student(1, "2026-01-15T00:00:00Z", "4")), UpsertOutcome::stale);
  // Same version with a different document: the stored one wins.
  EXPECT_EQ(upsert(student(1, "2026-02-01T00:00:00Z", "7")), UpsertOutcome::stale);
  EXPECT_EQ(fetch("stu-000001").doc["groep"], "6");

  // Newer version, same content: nothing changes but the version is remembered.
  EXPECT_EQ(upsert(student(1, "2026-03-01T00:00:00Z", "6")), UpsertOutcome::unchanged);
  EXPECT_EQ(fetch("stu-000001").source_version, "2026-03-01T00:00:00Z");
  EXPECT_EQ(upsert(student(1, "2026-02-15T00:00:00Z", "8")), UpsertOutcome::stale);

  // Leaving the school at the source is a newer version too.
  Entity left = student(1, "2026-04-01T00:00:00Z", "6");
  left.active = false;
  EXPECT_EQ(upsert(left), UpsertOutcome::updated);
  EXPECT_FALSE(fetch("stu-000001").active);
}

TEST_F(EntityTest, ZeroPaddedCounterVersionsCompareAsNumbers) {
  EXPECT_EQ(upsert(student(2, "0000000009")), UpsertOutcome::inserted);
  EXPECT_EQ(upsert(student(2, "0000000010", "6")), UpsertOutcome::updated);
  EXPECT_EQ(upsert(student(2, "0000000009", "7")), UpsertOutcome::stale);
}

TEST_F(EntityTest, UpsertWithoutConnectorIsKeyedById) {
  Entity e = student(3);
  e.connector.clear();
  e.source_key.clear();
  EXPECT_EQ(upsert(e), UpsertOutcome::inserted);
  Entity newer = e;
  newer.source_version = "2026-05-01T00:00:00Z";
  newer.doc["groep"] = "8";
  EXPECT_EQ(upsert(newer), UpsertOutcome::updated);
  EXPECT_EQ(upsert(e), UpsertOutcome::stale);
}

TEST_F(EntityTest, UpsertRefusesBadKeys) {
  ASSERT_EQ(upsert(student(4)), UpsertOutcome::inserted);
  Status st = store_->write([](Transaction& t) {
    Entity clash = student(5);
    clash.id = "stu-000004";  // another source record with a taken id
    return t.upsert(clash).status();
  });
  EXPECT_EQ(st.code(), ErrorCode::conflict);
  EXPECT_NE(st.message().find("stu-000004"), std::string::npos) << st.message();

  st = store_->write([](Transaction& t) {
    Entity no_key = student(6);
    no_key.source_key.clear();
    return t.upsert(no_key).status();
  });
  EXPECT_EQ(st.code(), ErrorCode::invalid);
  EXPECT_NE(st.message().find(path_.string()), std::string::npos) << st.message();
}

TEST_F(EntityTest, GetBySource) {
  ASSERT_EQ(upsert(student(8)), UpsertOutcome::inserted);
  auto t = tx(false);
  auto got = t->get_by_source(Kind::student, "las", "LAS100008");
  ASSERT_TRUE(got && got->has_value());
  EXPECT_EQ((*got)->id, "stu-000008");
  EXPECT_FALSE(t->get_by_source(Kind::student, "las", "LAS999999")->has_value());
  EXPECT_FALSE(t->get_by_source(Kind::guardian, "las", "LAS100008")->has_value());
}

TEST_F(EntityTest, UncommittedWriteIsRolledBack) {
  {
    auto t = tx(true);
    ASSERT_TRUE(t->put(student(9)));
  }
  auto t = tx(false);
  EXPECT_FALSE(t->get(Kind::student, "stu-000009")->has_value());
}

TEST_F(EntityTest, ReadTransactionsAreReadOnlyAndIsolated) {
  auto reader = tx(false);
  EXPECT_FALSE(reader->get(Kind::student, "stu-000010")->has_value());  // snapshot starts here
  EXPECT_EQ(reader->put(student(10)).code(), ErrorCode::internal);
  ASSERT_EQ(upsert(student(10)), UpsertOutcome::inserted);
  EXPECT_FALSE(reader->get(Kind::student, "stu-000010")->has_value());
  ASSERT_TRUE(reader->commit());
  EXPECT_FALSE(reader->get(Kind::student, "stu-000010"));  // ended
  EXPECT_TRUE(tx(false)->get(Kind::student, "stu-000010")->has_value());
}

TEST_F(EntityTest, WriteTransactionSeesItsOwnWrites) {
  auto t = tx(true);
  ASSERT_TRUE(t->put(student(11)));
  EXPECT_TRUE(t->get(Kind::student, "stu-000011")->has_value());
  ASSERT_TRUE(t->commit());
  EXPECT_EQ(t->put(student(12)).code(), ErrorCode::internal);
}

TEST_F(EntityTest, DataSurvivesReopen) {
  const Entity e = student(13);
  ASSERT_EQ(upsert(e), UpsertOutcome::inserted);
  store_.reset();
  store_ = open_store(path_);
  ASSERT_NE(store_, nullptr);
  EXPECT_TRUE(store_->health());
  Entity got = fetch("stu-000013");
  EXPECT_EQ(got.doc, e.doc);
  EXPECT_EQ(got.connector, "las");
  EXPECT_EQ(got.source_key, "LAS100013");
  EXPECT_EQ(got.source_version, e.source_version);
  EXPECT_EQ(got.updated_at, e.updated_at);
  EXPECT_EQ(upsert(e), UpsertOutcome::unchanged);
}

}  // namespace
}  // namespace schakel::store::test
