#pragma once
// What a privacy officer asks of the log: entries by student, recipient, purpose, action,
// outcome and period, paged; exports as CSV (RFC 4180) and JSON lines; the AVG art. 15 report
// for one student. Every read and export is itself appended to the log, naming the reader.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "audit/audit_writer.hpp"
#include "audit/entry.hpp"
#include "store/store.hpp"

namespace schakel::audit {

struct AuditFilter {
  std::optional<std::string> tenant;
  std::optional<std::string> student_id;  // pseudonymised with the tenant's key; needs tenant
  std::optional<std::string> recipient;   // as stored (encode_recipient for a named recipient)
  std::optional<std::string> purpose;
  std::optional<std::string> action;
  std::optional<std::string> outcome;
  std::optional<TimePoint> from;   // inclusive
  std::optional<TimePoint> until;  // exclusive
  std::int64_t after_seq = 0;      // paging: entries after this seq
  int limit = 100;
};

// Who reads the log: recorded in the audit.read / export entry.
struct Reader {
  std::string actor;
  std::string actor_role;  // e.g. privacy_officer
  std::string tenant;      // the tenant the reading entry is filed under; default the filter's
  std::string reason;      // why, e.g. "access request 2026-17"
};

struct AuditPage {
  std::vector<store::AuditRow> rows;
  std::int64_t next_after_seq = 0;  // pass as after_seq for the next page
  bool more = false;                // a full page: there may be more
};

struct Disclosure {
  std::int64_t seq = 0;
  TimePoint time{};
  std::string outcome;
  Recipient recipient;
  std::string purpose;
  std::vector<std::string> categories;
  std::vector<std::string> consent_ids;
};

struct Art15Report {
  std::string student_id;
  TimePoint generated_at{};
  std::vector<Disclosure> disclosures;  // in log order

  [[nodiscard]] nlohmann::json to_json() const;
  [[nodiscard]] std::string to_text() const;
};

// CSV of rows with a header line; categories and consent ids joined with ';'.
std::string rows_to_csv(const std::vector<store::AuditRow>& rows, bool header);
std::string rows_to_jsonl(const std::vector<store::AuditRow>& rows);

class AuditQueries {
 public:
  AuditQueries(AuditWriter& writer, store::Store& store) : writer_(writer), store_(store) {}

  // One page; logs an audit.read entry.
  Result<AuditPage> find(const AuditFilter& filter, const Reader& reader);
  // The same for a server that must not answer before the audit.read entry is durable, without
  // holding a thread until it is: the page is read now, and calling `log` appends the entry
  // (AuditWriter::append_async) and gives its callback the outcome.
  struct LoggedPage {
    AuditPage page;
    std::function<void(std::function<void(Status)>)> log;
  };
  Result<LoggedPage> find_then_log(const AuditFilter& filter, const Reader& reader);
  // Every matching entry from filter.after_seq on; logs an export entry.
  Result<std::string> export_csv(const AuditFilter& filter, const Reader& reader);
  Result<std::string> export_jsonl(const AuditFilter& filter, const Reader& reader);
  // Every disclosure (action disclose; outcome delivered, permitted or redacted) concerning the
  // student. Without a tenant, every tenant with a key is searched. Logs an export entry.
  Result<Art15Report> art15_report(const std::string& student_id, const std::optional<std::string>& tenant,
                                   const Reader& reader);

 private:
  Result<store::AuditQuery> to_query(const AuditFilter& filter);
  Result<std::vector<store::AuditRow>> read_all(AuditFilter filter);
  Result<AuditPage> read_page(const AuditFilter& filter);
  AuditEvent read_event(const std::string& action, const AuditFilter& filter, const Reader& reader,
                        std::size_t count) const;
  Status log_read(const std::string& action, const AuditFilter& filter, const Reader& reader,
                  std::size_t count);

  AuditWriter& writer_;
  store::Store& store_;
};

}  // namespace schakel::audit
