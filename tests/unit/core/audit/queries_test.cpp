// Privacy officer queries, exports, the art. 15 report and the offline commands.
#include <sstream>

#include "audit/audit_commands.hpp"
#include "audit/queries.hpp"
#include "audit_fixture.hpp"

namespace schakel::audit::test {
namespace {

class Queries : public AuditFixture {
 protected:
  Reader officer() { return {"fg:m.bakker", "privacy_officer", "12AB00", "test"}; }

  std::vector<store::AuditRow> all_rows() {
    auto txn = store_->begin(false);
    EXPECT_TRUE(txn);
    auto rows = (*txn)->audit_range(1, 10000);
    EXPECT_TRUE(rows);
    return *rows;
  }
};

TEST_F(Queries, PagesThroughAStudentsEntriesAndLogsEachRead) {
  append_n(70);  // student-3 appears at i = 3, 10, 17, ..., 66: 10 entries
  AuditQueries queries(*writer_, *store_);
  AuditFilter f;
  f.tenant = "12AB00";
  f.student_id = "student-3";
  f.action = "disclose";  // the reads below are filed under the student too
  f.limit = 4;
  std::vector<std::int64_t> seqs;
  for (int pages = 0; pages < 10; ++pages) {
    auto page = queries.find(f, officer());
    ASSERT_TRUE(page) << page.status().message();
    for (const auto& r : page->rows) seqs.push_back(r.seq);
    if (!page->more) break;
    f.after_seq = page->next_after_seq;
  }
  EXPECT_EQ(seqs, (std::vector<std::int64_t>{3, 10, 17, 24, 31, 38, 45, 52, 59, 66}));
  // Three pages read, three audit.read entries naming the officer, about the same student.
  const auto rows = all_rows();
  int reads = 0;
  for (const auto& r : rows) {
    if (r.action != "audit.read") continue;
    ++reads;
    EXPECT_EQ(r.actor, "fg:m.bakker");
    EXPECT_EQ(r.subject, rows[2].subject);
  }
  EXPECT_EQ(reads, 3);
  EXPECT_TRUE(verify().ok());
}

TEST_F(Queries, FiltersByRecipientPurposeOutcomeAndPeriod) {
  append_n(30);
  AuditEvent other = disclosure(99);
  other.recipient = encode_recipient({"GGD Hollands Midden", "youth_nurse", "J. Smit"});
  ASSERT_TRUE(writer_->append_durable(*store_, other));
  AuditQueries queries(*writer_, *store_);
  AuditFilter f;
  f.recipient = encode_recipient({"GGD Hollands Midden", "youth_nurse", "J. Smit"});
  auto page = queries.find(f, officer());
  ASSERT_TRUE(page);
  ASSERT_EQ(page->rows.size(), 1u);
  EXPECT_EQ(page->rows[0].seq, 31);

  AuditFilter g;
  g.purpose = "swv_request";
  g.outcome = "redacted";
  g.from = at("2026-03-04T09:00:01Z");   // entry i is at 09:00:00 + i * 250 ms
  g.until = at("2026-03-04T09:00:05Z");  // i = 4..19
  auto p2 = queries.find(g, officer());
  ASSERT_TRUE(p2);
  std::vector<std::int64_t> seqs;
  for (const auto& r : p2->rows) seqs.push_back(r.seq);
  EXPECT_EQ(seqs, (std::vector<std::int64_t>{9, 15}));  // odd and divisible by 3

  AuditFilter no_tenant;
  no_tenant.student_id = "student-1";
  EXPECT_FALSE(queries.find(no_tenant, officer()));
}

TEST_F(Queries, CsvQuotesAsRfc4180AndJsonLinesParse) {
  AuditEvent e = disclosure(1);
  e.reason = "said \"no\", then\nyes";
  ASSERT_TRUE(writer_->append_durable(*store_, e));
  const auto csv = rows_to_csv(all_rows(), true);
  EXPECT_EQ(csv.rfind("seq,time,tenant,action,", 0), 0u);
  EXPECT_NE(csv.find(",\"said \"\"no\"\", then\nyes\","), std::string::npos) << csv;
  EXPECT_NE(csv.find("\r\n1,2026-03-04T09:00:00.000000Z,12AB00,disclose,"), std::string::npos) << csv;
  EXPECT_NE(csv.find(",identity;education,"), std::string::npos);

  AuditQueries queries(*writer_, *store_);
  auto jsonl = queries.export_jsonl({}, officer());
  ASSERT_TRUE(jsonl);
  std::istringstream in(*jsonl);
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  const auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["seq"], 1);
  EXPECT_EQ(j["reason"], "said \"no\", then\nyes");
  EXPECT_EQ(all_rows().back().action, "export");
}

TEST_F(Queries, Art15ReportListsEveryDisclosureOfTheStudent) {
  AuditEvent a = disclosure(1);
  a.student_id = "leerling-42";
  a.outcome = "delivered";
  a.consent_ids = {"consent-7", "consent-9"};
  a.categories = {"identity", "education", "wellbeing"};
  a.time = at("2026-03-04T23:30:00Z");  // 5 March in Amsterdam
  ASSERT_TRUE(writer_->append_durable(*store_, a));
  AuditEvent blocked = a;
  blocked.outcome = "blocked";  // nothing left the hub: not a disclosure
  ASSERT_TRUE(writer_->append_durable(*store_, blocked));
  AuditEvent imported = a;
  imported.action = "import";
  ASSERT_TRUE(writer_->append_durable(*store_, imported));
  AuditEvent b = a;
  b.outcome = "redacted";
  b.recipient = encode_recipient({"GGD", "youth_nurse", "J. Smit"});
  b.purpose = "youth_health";
  b.categories = {"identity"};
  b.consent_ids = {"consent-11"};
  b.time = at("2026-04-01T08:00:00Z");
  ASSERT_TRUE(writer_->append_durable(*store_, b));
  AuditEvent someone_else = a;
  someone_else.student_id = "leerling-43";
  ASSERT_TRUE(writer_->append_durable(*store_, someone_else));

  AuditQueries queries(*writer_, *store_);
  auto report = queries.art15_report("leerling-42", std::nullopt, officer());
  ASSERT_TRUE(report) << report.status().message();
  ASSERT_EQ(report->disclosures.size(), 2u);
  const auto j = report->to_json();
  EXPECT_EQ(j["student_id"], "leerling-42");
  EXPECT_EQ(j["disclosures"][0]["date"], "2026-03-05");
  EXPECT_EQ(j["disclosures"][0]["recipient"]["name"], "A. de Vries");
  EXPECT_EQ(j["disclosures"][0]["recipient"]["organisation"], "SWV Rijnmond");
  EXPECT_EQ(j["disclosures"][0]["recipient"]["role"], "education_specialist");
  EXPECT_EQ(j["disclosures"][0]["purpose"], "swv_request");
  EXPECT_EQ(j["disclosures"][0]["categories"], nlohmann::json({"identity", "education", "wellbeing"}));
  EXPECT_EQ(j["disclosures"][0]["consent_ids"], nlohmann::json({"consent-7", "consent-9"}));
  EXPECT_EQ(j["disclosures"][1]["recipient"]["name"], "J. Smit");
  EXPECT_EQ(j["disclosures"][1]["purpose"], "youth_health");
  EXPECT_EQ(j["disclosures"][1]["outcome"], "redacted");
  const auto text = report->to_text();
  EXPECT_NE(text.find("2026-03-05  to A. de Vries, education_specialist, SWV Rijnmond"), std::string::npos) << text;
  EXPECT_NE(text.find("consent: consent-7, consent-9"), std::string::npos) << text;
  EXPECT_NE(text.find("data: identity"), std::string::npos) << text;
  // The report itself is logged, under the student's pseudonym, and names the officer.
  const auto last = all_rows().back();
  EXPECT_EQ(last.action, "export");
  EXPECT_EQ(last.actor, "fg:m.bakker");
  EXPECT_EQ(last.subject, all_rows().front().subject);
}

TEST_F(Queries, OfflineCommandsOnADataDirectory) {
  append_n(12);
  close_all();
  std::ostringstream out, err;
  EXPECT_EQ(audit_verify_command(dir_.path(), out, err), kExitOk) << err.str();
  EXPECT_NE(out.str().find("audit log intact: 12 entries"), std::string::npos) << out.str();

  ReportCommandOptions r;
  r.student = "student-3";
  r.actor = "fg:test";
  std::ostringstream rout, rerr;
  EXPECT_EQ(audit_report_command(dir_.path(), r, rout, rerr), kExitOk) << rerr.str();
  EXPECT_NE(rout.str().find("to A. de Vries"), std::string::npos) << rout.str();

  ExportCommandOptions e;
  e.format = "jsonl";
  e.action = "disclose";
  std::ostringstream eout, eerr;
  EXPECT_EQ(audit_export_command(dir_.path(), e, eout, eerr), kExitOk) << eerr.str();
  const std::string exported = eout.str();
  EXPECT_EQ(std::count(exported.begin(), exported.end(), '\n'), 12);
  e.format = "xml";
  EXPECT_EQ(audit_export_command(dir_.path(), e, eout, eerr), kExitUsage);
  EXPECT_NE(eerr.str().find("must be csv or jsonl"), std::string::npos);

  // The reads were logged and the log still verifies; then tamper and verify fails with 1.
  std::ostringstream vout;
  EXPECT_EQ(audit_verify_command(dir_.path(), vout, err), kExitOk) << vout.str();
  EXPECT_NE(vout.str().find("14 entries"), std::string::npos) << vout.str();
  std::filesystem::remove(checkpoint_path());
  std::ostringstream bad;
  EXPECT_EQ(audit_verify_command(dir_.path(), bad, err), kExitVerifyFailed);
  EXPECT_NE(bad.str().find("FAILED at seq 1"), std::string::npos) << bad.str();

  std::ostringstream none, nerr;
  EXPECT_EQ(audit_verify_command(dir_.path() / "nowhere", none, nerr), kExitUsage);
  EXPECT_NE(nerr.str().find("no database"), std::string::npos);
}

}  // namespace
}  // namespace schakel::audit::test
