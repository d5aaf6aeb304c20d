// RecordImporter's batching (core/daemon/import_batch.cpp) against a real SQLite store: records
// wait in a batch until it is full or flushed, a record of another stream stores the batch first,
// and a record that cannot be stored is reported by the next flush while the rest are stored.
#include <gtest/gtest.h>

#include "audit/audit_writer.hpp"
#include "base/json_text.hpp"
#include "daemon/pipeline.hpp"
#include "temp_dir.hpp"

namespace schakel::daemon {
namespace {

using nlohmann::json;

json student(const std::string& key) {
  return {{"source_key", key}, {"source_version", "2026-09-01T06:00:00.000000Z"}, {"source", "users.csv:2"}, {"active", true},
          {"record", {{"id", "student-" + key}, {"school_id", "school-org-1"}, {"las_key", key},
                      {"naam", {{"achternaam", "Çelik"}}}, {"birth_date", "2016-05-04"}, {"status", "active"}}}};
}

class ImportBatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = store::open_sqlite({dir_.path() / "schakel.db", 5000, false});
    ASSERT_TRUE(s.is_ok()) << s.status().message();
    store_ = std::move(*s);
    auto a = audit::AuditWriter::open({dir_.path() / "keys", dir_.path() / "audit.checkpoints", 1000, std::chrono::seconds{300}, &clock_});
    ASSERT_TRUE(a.is_ok()) << a.status().message();
    audit_ = std::move(*a);
    importer_ = std::make_unique<RecordImporter>(*store_, *audit_, consent_, clock_);
    importer_->set_batch_size(3);
  }
  std::optional<store::Entity> stored(const std::string& connector, const std::string& key) {
    auto tx = store_->begin(false);
    auto r = (*tx)->get_by_source(store::Kind::student, connector, key);
    return r ? *r : std::nullopt;
  }

  test::TempDir dir_;
  ManualClock clock_{TimePoint{std::chrono::seconds{1'790'000'000}}};
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<audit::AuditWriter> audit_;
  ConsentService consent_;
  std::unique_ptr<RecordImporter> importer_;
};

TEST_F(ImportBatchTest, RecordsWaitForAFullBatchOrAFlush) {
  ASSERT_TRUE(importer_->import("sis", "students", student("s1")).is_ok());
  ASSERT_TRUE(importer_->import("sis", "students", student("s2")).is_ok());
  EXPECT_FALSE(stored("sis", "s1")) << "a batch of 3 is written when full";
  ASSERT_TRUE(importer_->import("sis", "students", student("s3")).is_ok());
  ASSERT_TRUE(importer_->import("sis", "students", student("s4")).is_ok());
  EXPECT_FALSE(stored("sis", "s4")) << "s4 waits in the next batch";
  ASSERT_TRUE(importer_->flush("sis").is_ok());
  EXPECT_TRUE(stored("sis", "s1") && stored("sis", "s3"));
  auto s4 = stored("sis", "s4");
  ASSERT_TRUE(s4);
  EXPECT_EQ(s4->doc["naam"]["achternaam"], "Çelik");
  EXPECT_EQ(s4->source_version, "2026-09-01T06:00:00.000000Z");
  EXPECT_TRUE(importer_->flush("sis").is_ok()) << "nothing left to store";
}

TEST_F(ImportBatchTest, AFullBatchIsStoredWithoutAFlush) {
  for (const char* key : {"s1", "s2", "s3", "s4"}) ASSERT_TRUE(importer_->import("sis", "students", student(key)).is_ok());
  // The full batch went to the store's commit thread; the importer waits for it when it goes.
  importer_.reset();
  EXPECT_TRUE(stored("sis", "s1") && stored("sis", "s2") && stored("sis", "s3"));
  auto tx = store_->begin(false);
  auto s1 = (*tx)->get_by_source(store::Kind::student, "sis", "s1");
  ASSERT_TRUE(s1.is_ok() && *s1);
  EXPECT_EQ((**s1).doc["naam"]["achternaam"], "Çelik");
  EXPECT_FALSE(stored("sis", "s4")) << "a record of a batch not yet full waits for the flush";
  EXPECT_EQ(consent_.change([](consent::ConsentIndex& i) { return i.student_count(); }), 3u)
      << "the consent index follows what the batch stored";
}

// The host hands on the record's text where the plugin wrote it as json_text writes it: the store
// keeps that text, and what it reads back is the record; an update compares by that text too.
TEST_F(ImportBatchTest, TheRecordsOwnTextIsStoredAsItIs) {
  for (const char* key : {"s1", "s2", "s3"}) {
    json envelope = student(key);
    const std::string text = json_text(envelope["record"]);
    ASSERT_TRUE(importer_->import("sis", "students", std::move(envelope), text).is_ok());
  }
  ASSERT_TRUE(importer_->flush("sis").is_ok());
  for (const char* key : {"s1", "s2", "s3"}) {
    auto s = stored("sis", key);
    ASSERT_TRUE(s) << key;
    EXPECT_EQ(s->doc, student(key)["record"]) << key;
  }
  // Newer versions, one with its text and one without: the newest is stored.
  json again = student("s1");
  again["source_version"] = "2026-09-02T06:00:00.000000Z";
  const std::string text = json_text(again["record"]);
  ASSERT_TRUE(importer_->import("sis", "students", json(again), text).is_ok());
  again["source_version"] = "2026-09-03T06:00:00.000000Z";
  again["record"]["naam"]["achternaam"] = "Yılmaz";
  ASSERT_TRUE(importer_->import("sis", "students", std::move(again)).is_ok());
  ASSERT_TRUE(importer_->flush("sis").is_ok());
  auto s1 = stored("sis", "s1");
  ASSERT_TRUE(s1);
  EXPECT_EQ(s1->doc["naam"]["achternaam"], "Yılmaz");
  EXPECT_EQ(s1->source_version, "2026-09-03T06:00:00.000000Z");
}

// As the daemon runs it, the consent index holds none of what an import brings: the gate reads a
// student and its guardians from the store when a decision first needs them, and a later import
// of a guardian reaches the student it holds by then.
TEST_F(ImportBatchTest, TheGateReadsImportedStudentsFromTheStoreWithoutHoldingThem) {
  ASSERT_TRUE(consent_.load(*store_, 1).is_ok());
  auto guardian = [](const std::string& version, const std::vector<std::string>& children) {
    json doc = {{"id", "guardian-g1"}, {"naam", {{"achternaam", "Çelik"}}}, {"children", json::array()}};
    for (const auto& c : children) doc["children"].push_back({{"student_id", c}, {"relation", "parent"}, {"gezag", "yes"}});
    return json{{"source_key", "g1"}, {"source_version", version}, {"source", "users.csv:9"}, {"active", true}, {"record", doc}};
  };
  for (const char* key : {"s1", "s2", "s3"}) ASSERT_TRUE(importer_->import("sis", "students", student(key)).is_ok());
  ASSERT_TRUE(importer_->import("sis", "guardians", guardian("2026-09-01T06:00:00Z", {"student-s1", "student-s2"})).is_ok());
  ASSERT_TRUE(importer_->flush("sis").is_ok());
  auto held = [&] { return consent_.change([](consent::ConsentIndex& i) { return i.student_count(); }); };
  EXPECT_EQ(held(), 0u);

  const consent::Recipient parent{"", "parent", "Mw. Çelik", "guardian-g1"};
  auto parent_sees = [&](const std::string& student) {
    return consent_.decide(student, parent, "calendar", {"identity"}, clock_.now(), "").permitted("identity");
  };
  EXPECT_TRUE(parent_sees("student-s2"));  // g1 is not s2's first child: found all the same
  EXPECT_EQ(held(), 1u);
  // A newer document of g1 without s2 reaches the s2 the index holds.
  ASSERT_TRUE(importer_->import("sis", "guardians", guardian("2026-09-02T06:00:00Z", {"student-s1"})).is_ok());
  ASSERT_TRUE(importer_->flush("sis").is_ok());
  EXPECT_FALSE(parent_sees("student-s2"));
  EXPECT_TRUE(parent_sees("student-s1"));  // read now; s2 goes, as one other student is the bound
  EXPECT_EQ(held(), 1u);
  EXPECT_FALSE(parent_sees("student-s3"));
  EXPECT_EQ(consent_.decide("student-x", parent, "calendar", {"identity"}, clock_.now(), "").categories.at(0).reason,
            "unknown student student-x");
}

TEST_F(ImportBatchTest, ARecordOfAnotherStreamStoresTheBatchFirst) {
  ASSERT_TRUE(importer_->import("sis", "students", student("s1")).is_ok());
  // A calendar reply is not batched; the student before it is stored by then, whatever the reply.
  (void)importer_->import("sis", "calendar_reply", json{{"uid", "x"}, {"attendee", "a"}, {"partstat", "ACCEPTED"},
                                                         {"observed_at", "2026-09-01T06:00:00Z"}});
  EXPECT_TRUE(stored("sis", "s1"));
}

TEST_F(ImportBatchTest, ARecordThatCannotBeStoredIsReportedAndTheOthersAreStored) {
  // Another connector holds the hub id student-s2 already.
  ASSERT_TRUE(store_->write([&](store::Transaction& tx) -> Status {
    auto e = student("s2");
    store::Entity other;
    other.kind = store::Kind::student;
    other.id = "student-s2";
    other.connector = "other";
    other.source_key = "elsewhere";
    other.source_version = "1";
    other.doc = e["record"];
    return tx.upsert(other).status();
  }).is_ok());
  ASSERT_TRUE(importer_->import("sis", "students", student("s1")).is_ok());
  ASSERT_TRUE(importer_->import("sis", "students", student("s2")).is_ok());
  // s3 fills the batch; its write meets s2's failure, which this import reports too.
  (void)importer_->import("sis", "students", student("s3"));
  const Status st = importer_->flush("sis");
  ASSERT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find("s2"), std::string::npos) << st.message();
  EXPECT_TRUE(stored("sis", "s1"));
  EXPECT_TRUE(stored("sis", "s3"));
  EXPECT_FALSE(stored("sis", "s2"));
  EXPECT_TRUE(importer_->flush("sis").is_ok()) << "a failure is reported once";
}

}  // namespace
}  // namespace schakel::daemon
