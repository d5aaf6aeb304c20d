// Connector state, the audit log (append only, down to the SQL) and the quarantine.
#include "store_test_support.hpp"

namespace schakel::store::test {
namespace {

class RecordsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = open_store(path_);
    ASSERT_NE(store_, nullptr);
  }

  AuditRow audit_row(int n, const std::string& subject) {
    AuditRow r;
    r.time = TimePoint{std::chrono::microseconds{1767225600000000 + n * 1000000LL}};
    r.tenant = "12AB00";
    r.action = "disclose";
    r.outcome = "permitted";
    r.actor = "route:ot-swv";
    r.actor_role = "system";
    r.subject = subject;
    r.recipient = R"({"organisation":"SWV 27-01","role":"education_specialist","name":"A. Jansen"})";
    r.purpose = "swv_request";
    r.processing_activity = "swv-aanmelding";
    r.categories = {"identity", "education"};
    r.consent_ids = {"con-" + std::to_string(n)};
    r.payload_sha256 = std::string(64, 'a');
    r.trace_id = "trace-" + std::to_string(n);
    r.prev_hash = std::string(64, '0');
    r.hash = std::string(64, 'f');
    return r;
  }

  schakel::test::TempDir dir_;
  std::filesystem::path path_ = dir_.path() / "schakel.db";
  std::unique_ptr<Store> store_;
};

TEST_F(RecordsTest, ConnectorState) {
  ASSERT_TRUE(store_->write([](Transaction& t) {
    auto missing = t.connector_state("las", "cursor");
    if (!missing || missing->has_value()) return Status(ErrorCode::internal, "expected nothing");
    SCHAKEL_TRY(t.put_connector_state("las", "cursor", "2026-01-01T00:00:00Z"));
    SCHAKEL_TRY(t.put_connector_state("las", "cursor", "2026-02-01T00:00:00Z"));
    return t.put_connector_state("calendar", "cursor", "sync-token-7");
  }));
  auto t = store_->begin(false);
  ASSERT_TRUE(t);
  EXPECT_EQ((*t)->connector_state("las", "cursor")->value(), "2026-02-01T00:00:00Z");
  EXPECT_EQ((*t)->connector_state("calendar", "cursor")->value(), "sync-token-7");
  EXPECT_FALSE((*t)->connector_state("calendar", "other")->has_value());
}

TEST_F(RecordsTest, AuditAppendsInOrderAndQueries) {
  std::vector<AuditRow> rows = {audit_row(1, "pseud-a"), audit_row(2, "pseud-b"),
                                audit_row(3, "pseud-a")};
  ASSERT_TRUE(store_->write([&](Transaction& t) {
    for (auto& r : rows) SCHAKEL_TRY(t.append_audit(r));
    return Status::ok();
  }));
  EXPECT_EQ(rows[0].seq, 1);
  EXPECT_EQ(rows[1].seq, 2);
  EXPECT_EQ(rows[2].seq, 3);

  auto t = store_->begin(false);
  ASSERT_TRUE(t);
  auto last = (*t)->last_audit();
  ASSERT_TRUE(last && last->has_value());
  EXPECT_EQ((*last)->seq, 3);
  EXPECT_EQ((*last)->categories, (std::vector<std::string>{"identity", "education"}));
  EXPECT_EQ((*last)->consent_ids, (std::vector<std::string>{"con-3"}));
  EXPECT_EQ((*last)->time, rows[2].time);
  EXPECT_EQ((*last)->recipient, rows[2].recipient);
  EXPECT_EQ((*last)->hash, rows[2].hash);

  auto range = (*t)->audit_range(2, 10);
  ASSERT_TRUE(range);
  ASSERT_EQ(range->size(), 2U);
  EXPECT_EQ((*range)[0].trace_id, "trace-2");

  AuditQuery by_subject;
  by_subject.subject = "pseud-a";
  auto found = (*t)->find_audit(by_subject);
  ASSERT_TRUE(found);
  ASSERT_EQ(found->size(), 2U);
  EXPECT_EQ((*found)[1].seq, 3);
  by_subject.after_seq = 1;
  by_subject.limit = 1;
  EXPECT_EQ((*t)->find_audit(by_subject)->front().seq, 3);

  AuditQuery window;  // [from, until)
  window.from = rows[1].time;
  window.until = rows[2].time;
  auto in_window = (*t)->find_audit(window);
  ASSERT_EQ(in_window->size(), 1U);
  EXPECT_EQ(in_window->front().seq, 2);

  AuditQuery none;
  none.outcome = "blocked";
  EXPECT_TRUE((*t)->find_audit(none)->empty());
}

TEST_F(RecordsTest, EmptyAuditLogHasNoLastEntry) {
  auto t = store_->begin(false);
  ASSERT_TRUE(t);
  auto last = (*t)->last_audit();
  ASSERT_TRUE(last);
  EXPECT_FALSE(last->has_value());
  auto head = (*t)->audit_head();
  ASSERT_TRUE(head);
  EXPECT_FALSE(head->has_value());
}

// The lists are read without a JSON parser when they have the writer's plain shape; whatever they
// hold comes back as written, and the head is the last entry's seq and hash.
TEST_F(RecordsTest, AuditListsRoundTripWhateverTheyHold) {
  AuditRow plain = audit_row(1, "pseud-a");
  AuditRow odd = audit_row(2, "pseud-a");
  odd.categories = {"", "quote\"inside", "back\\slash", "Zo\u00eb", "tab\there", "comma,inside", "[bracket]"};
  odd.consent_ids = {};
  odd.hash = std::string(64, 'e');
  ASSERT_TRUE(store_->write([&](Transaction& t) {
    SCHAKEL_TRY(t.append_audit(plain));
    return t.append_audit(odd);
  }));
  auto t = store_->begin(false);
  ASSERT_TRUE(t);
  auto all = (*t)->audit_range(1, 10);
  ASSERT_TRUE(all) << all.status().message();
  ASSERT_EQ(all->size(), 2U);
  EXPECT_EQ((*all)[0].categories, plain.categories);
  EXPECT_EQ((*all)[0].consent_ids, plain.consent_ids);
  EXPECT_EQ((*all)[1].categories, odd.categories);
  EXPECT_TRUE((*all)[1].consent_ids.empty());
  auto head = (*t)->audit_head();
  ASSERT_TRUE(head && head->has_value());
  EXPECT_EQ((*head)->seq, 2);
  EXPECT_EQ((*head)->hash, odd.hash);
}

// A list column that is not a JSON array of strings is reported as corrupt, naming the entry.
TEST_F(RecordsTest, AMalformedAuditListIsCorrupt) {
  for (const char* bad : {"x", "[\"a\",]", "[\"a\" \"b\"]", "[1]", "[\"a\"", "\"a\""}) {
    SCOPED_TRACE(bad);
    schakel::test::TempDir dir;
    auto store = open_store(dir.path() / "schakel.db");
    ASSERT_NE(store, nullptr);
    AuditRow r = audit_row(1, "pseud-a");
    ASSERT_TRUE(store->write([&](Transaction& t) { return t.append_audit(r); }));
    std::string sql = "INSERT INTO audit (time, tenant, action, outcome, actor, actor_role, on_behalf_of, subject,"
                      " recipient, purpose, processing_activity, categories, consent_ids, payload_sha256, trace_id,"
                      " reason, prev_hash, hash) SELECT time, tenant, action, outcome, actor, actor_role, on_behalf_of,"
                      " subject, recipient, purpose, processing_activity, '";
    for (const char* c = bad; *c; ++c) sql += *c == '\'' ? std::string("''") : std::string(1, *c);
    sql += "', consent_ids, payload_sha256, trace_id, reason, prev_hash, hash FROM audit WHERE seq = 1";
    EXPECT_EQ(raw_sql(dir.path() / "schakel.db", sql), "");
    auto t = store->begin(false);
    ASSERT_TRUE(t);
    auto rows = (*t)->audit_range(1, 10);
    ASSERT_FALSE(rows);
    EXPECT_EQ(rows.status().code(), ErrorCode::corrupt);
    EXPECT_NE(rows.status().message().find("audit entry 2: categories is not a JSON array of strings"),
              std::string::npos)
        << rows.status().message();
  }
}

TEST_F(RecordsTest, AuditRowsCannotBeChangedOrDeletedEvenInSql) {
  AuditRow r = audit_row(1, "pseud-a");
  ASSERT_TRUE(store_->write([&](Transaction& t) { return t.append_audit(r); }));
  EXPECT_NE(raw_sql(path_, "UPDATE audit SET reason = 'edited' WHERE seq = 1")
                .find("audit entries are append-only"),
            std::string::npos);
  EXPECT_NE(raw_sql(path_, "DELETE FROM audit").find("audit entries are append-only"),
            std::string::npos);
  auto t = store_->begin(false);
  ASSERT_TRUE(t);
  auto all = (*t)->audit_range(1, 10);
  ASSERT_EQ(all->size(), 1U);
  EXPECT_EQ(all->front().reason, "");
}

TEST_F(RecordsTest, TenantOfARecordWithoutItsDocument) {
  ASSERT_TRUE(store_->write([](Transaction& t) { return t.upsert(student(7)).status(); }));
  auto t = store_->begin(false);
  ASSERT_TRUE(t);
  auto school = (*t)->tenant_of(Kind::student, student(7).id);
  ASSERT_TRUE(school) << school.status().message();
  EXPECT_EQ(school->value_or("none"), "12AB00");
  auto missing = (*t)->tenant_of(Kind::student, "stu-nobody");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing->has_value());
  EXPECT_FALSE((*t)->tenant_of(Kind::guardian, student(7).id)->has_value());  // another kind's table
}

TEST_F(RecordsTest, Quarantine) {
  std::vector<QuarantineRow> rows(3);
  rows[0].connector = "las";
  rows[0].stream = "students";
  rows[0].source = "export.csv:17";
  rows[0].reason = "/birth_date: not a date";
  rows[0].record = R"({"birth_date":"31-02-2016"})";
  rows[1] = rows[0];
  rows[1].source = "export.csv:18";
  rows[2] = rows[0];
  rows[2].connector = "calendar";
  ASSERT_TRUE(store_->write([&](Transaction& t) {
    for (auto& r : rows) SCHAKEL_TRY(t.quarantine(r));
    return Status::ok();
  }));
  EXPECT_GT(rows[0].id, 0);
  EXPECT_GT(rows[1].id, rows[0].id);

  auto t = store_->begin(false);
  ASSERT_TRUE(t);
  auto las = (*t)->quarantined("las", 10);
  ASSERT_TRUE(las);
  ASSERT_EQ(las->size(), 2U);
  EXPECT_EQ((*las)[1].source, "export.csv:18");
  EXPECT_EQ((*las)[0].record, rows[0].record);
  EXPECT_EQ((*t)->quarantined("", 10)->size(), 3U);
  EXPECT_EQ((*t)->quarantined("las", 1)->size(), 1U);
}

}  // namespace
}  // namespace schakel::store::test
