#pragma once
// A data directory with a real SQLite store, key dir and checkpoint file, and a manual clock.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "audit/audit_writer.hpp"
#include "audit/verifier.hpp"
#include "store/store.hpp"
#include "../../../support/temp_dir.hpp"

namespace schakel::audit::test {

inline TimePoint at(const char* text) {
  TimePoint t;
  EXPECT_TRUE(parse_rfc3339(text, t)) << text;
  return t;
}

class AuditFixture : public ::testing::Test {
 protected:
  void SetUp() override { open_all(); }

  void open_all(std::int64_t checkpoint_every = 10) {
    store::Options o;
    o.path = db_path();
    auto s = store::open_sqlite(o);
    ASSERT_TRUE(s) << s.status().message();
    store_ = std::move(*s);
    AuditWriterOptions w;
    w.key_dir = key_dir();
    w.checkpoint_path = checkpoint_path();
    w.checkpoint_every = checkpoint_every;
    w.checkpoint_interval = std::chrono::seconds{3600};
    w.clock = &clock_;
    auto writer = AuditWriter::open(w);
    ASSERT_TRUE(writer) << writer.status().message();
    writer_ = std::move(*writer);
  }
  void close_all() {
    writer_.reset();
    store_.reset();
  }

  [[nodiscard]] std::filesystem::path db_path() const { return dir_.path() / "schakel.db"; }
  [[nodiscard]] std::filesystem::path key_dir() const { return dir_.path() / "keys"; }
  [[nodiscard]] std::filesystem::path checkpoint_path() const { return dir_.path() / "audit.checkpoints"; }

  static AuditEvent disclosure(int i) {
    AuditEvent e;
    e.tenant = "12AB00";
    e.action = "disclose";
    e.outcome = i % 3 == 0 ? "redacted" : "delivered";
    e.actor = "connector:referral-portal";
    e.actor_role = "system";
    e.student_id = "student-" + std::to_string(i % 7);
    e.recipient = encode_recipient({"SWV Rijnmond", "education_specialist", "A. de Vries"});
    e.purpose = i % 2 ? "swv_request" : "ot_meeting";
    e.processing_activity = "passend-onderwijs-aanmelding";
    e.categories = {"identity", "education"};
    e.consent_ids = {"consent-" + std::to_string(i)};
    e.payload = "payload number " + std::to_string(i);
    e.trace_id = "trace-" + std::to_string(i);
    return e;
  }

  void append_n(int n) {
    for (int i = 1; i <= n; ++i) {
      clock_.advance(std::chrono::milliseconds{250});
      auto row = writer_->append_durable(*store_, disclosure(i));
      ASSERT_TRUE(row) << row.status().message();
    }
  }

  VerifyReport verify() {
    auto txn = store_->begin(false);
    EXPECT_TRUE(txn) << txn.status().message();
    VerifyOptions o{checkpoint_path(), key_dir(), 7};  // a small page crosses page boundaries
    auto report = verify_audit_log(**txn, o);
    EXPECT_TRUE(report) << report.status().message();
    return report ? *report : VerifyReport{};
  }

  schakel::test::TempDir dir_;
  ManualClock clock_{at("2026-03-04T09:00:00Z")};
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<AuditWriter> writer_;
};

}  // namespace schakel::audit::test
