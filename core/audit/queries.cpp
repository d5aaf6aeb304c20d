#include "audit/queries.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace schakel::audit {
namespace {

std::string join(const std::vector<std::string>& items, const char* sep) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += sep;
    out += items[i];
  }
  return out;
}

// RFC 4180: quote a field holding a comma, quote, CR or LF; double the quotes inside.
void csv_field(std::string& out, const std::string& value) {
  if (value.find_first_of(",\"\r\n") == std::string::npos) {
    out += value;
    return;
  }
  out += '"';
  for (char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

std::string time_text(TimePoint t) {
  std::string s;
  append_utc_micros(s, t);
  return s;
}

std::string date_text(TimePoint t) {
  const auto ymd = amsterdam_date(t);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", int(ymd.year()), unsigned(ymd.month()), unsigned(ymd.day()));
  return buf;
}

std::string describe(const AuditFilter& f) {
  std::string out;
  auto add = [&out](const char* name, const std::optional<std::string>& v) {
    if (v) out += std::string(out.empty() ? "" : " ") + name + "=" + *v;
  };
  add("tenant", f.tenant);
  add("recipient", f.recipient);
  add("purpose", f.purpose);
  add("action", f.action);
  add("outcome", f.outcome);
  if (f.student_id) out += std::string(out.empty() ? "" : " ") + "student=(pseudonym)";
  if (f.from) out += std::string(out.empty() ? "" : " ") + "from=" + time_text(*f.from);
  if (f.until) out += std::string(out.empty() ? "" : " ") + "until=" + time_text(*f.until);
  if (f.after_seq) out += std::string(out.empty() ? "" : " ") + "after_seq=" + std::to_string(f.after_seq);
  return out.empty() ? "all entries" : out;
}

bool is_disclosure(const store::AuditRow& r) {
  return r.action == "disclose" &&
         (r.outcome == "delivered" || r.outcome == "permitted" || r.outcome == "redacted");
}

}  // namespace

std::string rows_to_csv(const std::vector<store::AuditRow>& rows, bool header) {
  std::string out;
  if (header) {
    out += "seq,time,tenant,action,outcome,actor,actor_role,on_behalf_of,subject,recipient,purpose,"
           "processing_activity,categories,consent_ids,payload_sha256,trace_id,reason,prev_hash,hash\r\n";
  }
  for (const auto& r : rows) {
    const std::string fields[] = {std::to_string(r.seq), time_text(r.time), r.tenant, r.action, r.outcome,
                                  r.actor, r.actor_role, r.on_behalf_of, r.subject, r.recipient, r.purpose,
                                  r.processing_activity, join(r.categories, ";"), join(r.consent_ids, ";"),
                                  r.payload_sha256, r.trace_id, r.reason, r.prev_hash, r.hash};
    bool first = true;
    for (const auto& f : fields) {
      if (!first) out += ',';
      first = false;
      csv_field(out, f);
    }
    out += "\r\n";
  }
  return out;
}

std::string rows_to_jsonl(const std::vector<store::AuditRow>& rows) {
  std::string out;
  for (const auto& r : rows) {
    out += entry_json(r).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    out += '\n';
  }
  return out;
}

nlohmann::json Art15Report::to_json() const {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& d : disclosures) {
    list.push_back({{"seq", d.seq},
                    {"date", date_text(d.time)},
                    {"time", time_text(d.time)},
                    {"outcome", d.outcome},
                    {"recipient", {{"organisation", d.recipient.organisation},
                                   {"role", d.recipient.role},
                                   {"name", d.recipient.name}}},
                    {"purpose", d.purpose},
                    {"categories", d.categories},
                    {"consent_ids", d.consent_ids}});
  }
  return {{"student_id", student_id}, {"generated_at", time_text(generated_at)}, {"disclosures", list}};
}

std::string Art15Report::to_text() const {
  std::string out = "Disclosures of personal data concerning student " + student_id + " (AVG art. 15)\n";
  out += "Generated " + time_text(generated_at) + "\n\n";
  if (disclosures.empty()) return out + "No disclosures are recorded.\n";
  for (const auto& d : disclosures) {
    std::string who = d.recipient.name.empty() ? "(unnamed)" : d.recipient.name;
    if (!d.recipient.role.empty()) who += ", " + d.recipient.role;
    if (!d.recipient.organisation.empty()) who += ", " + d.recipient.organisation;
    out += date_text(d.time) + "  to " + who + "\n";
    out += "  purpose: " + d.purpose + "\n";
    out += "  data: " + (d.categories.empty() ? std::string("(none)") : join(d.categories, ", ")) + "\n";
    out += "  consent: " + (d.consent_ids.empty() ? std::string("(none recorded)") : join(d.consent_ids, ", ")) + "\n";
    out += "  outcome: " + d.outcome + " (log entry " + std::to_string(d.seq) + ")\n\n";
  }
  return out;
}

Result<store::AuditQuery> AuditQueries::to_query(const AuditFilter& f) {
  store::AuditQuery q;
  q.tenant = f.tenant;
  if (f.student_id) {
    if (!f.tenant) return error(ErrorCode::invalid, "audit query: a student filter needs the tenant (pseudonyms are per tenant)");
    auto p = writer_.keys().existing_pseudonym(*f.tenant, *f.student_id);
    if (!p && p.status().code() != ErrorCode::not_found) return p.status();
    // No key: the tenant never logged a subject, so nothing can match; a pseudonym of an empty
    // key's shape would, so filter on a value no entry holds.
    q.subject = p ? *p : std::string("-");
  }
  q.recipient = f.recipient;
  q.purpose = f.purpose;
  q.action = f.action;
  q.outcome = f.outcome;
  q.from = f.from;
  q.until = f.until;
  q.after_seq = f.after_seq;
  if (f.limit < 1) return error(ErrorCode::invalid, "audit query: limit must be at least 1");
  q.limit = f.limit;
  return q;
}

AuditEvent AuditQueries::read_event(const std::string& action, const AuditFilter& filter, const Reader& reader,
                                    std::size_t count) const {
  AuditEvent ev;
  ev.tenant = !reader.tenant.empty() ? reader.tenant : filter.tenant.value_or("all");
  ev.action = action;
  ev.outcome = "ok";
  ev.actor = reader.actor;
  ev.actor_role = reader.actor_role;
  if (filter.student_id && filter.tenant && *filter.tenant == ev.tenant) ev.student_id = *filter.student_id;
  ev.reason = describe(filter) + "; " + std::to_string(count) + " entries" +
              (reader.reason.empty() ? "" : "; " + reader.reason);
  return ev;
}

Status AuditQueries::log_read(const std::string& action, const AuditFilter& filter, const Reader& reader,
                              std::size_t count) {
  return writer_.append_durable(store_, read_event(action, filter, reader, count)).status();
}

Result<AuditPage> AuditQueries::read_page(const AuditFilter& filter) {
  auto q = to_query(filter);
  SCHAKEL_TRY(q);
  auto txn = store_.begin(false);
  SCHAKEL_TRY(txn);
  auto rows = (*txn)->find_audit(*q);
  SCHAKEL_TRY(rows);
  txn->reset();
  AuditPage page;
  page.rows = std::move(*rows);
  page.more = static_cast<int>(page.rows.size()) == filter.limit;
  page.next_after_seq = page.rows.empty() ? filter.after_seq : page.rows.back().seq;
  return page;
}

Result<AuditPage> AuditQueries::find(const AuditFilter& filter, const Reader& reader) {
  auto page = read_page(filter);
  SCHAKEL_TRY(page);
  SCHAKEL_TRY(log_read("audit.read", filter, reader, page->rows.size()));
  return page;
}

Result<AuditQueries::LoggedPage> AuditQueries::find_then_log(const AuditFilter& filter, const Reader& reader) {
  auto page = read_page(filter);
  SCHAKEL_TRY(page);
  LoggedPage out;
  out.log = [&writer = writer_, &store = store_, event = read_event("audit.read", filter, reader, page->rows.size())](
                std::function<void(Status)> done) { writer.append_async(store, event, std::move(done)); };
  out.page = std::move(*page);
  return out;
}

Result<std::vector<store::AuditRow>> AuditQueries::read_all(AuditFilter filter) {
  filter.limit = 1000;
  auto txn = store_.begin(false);
  SCHAKEL_TRY(txn);
  std::vector<store::AuditRow> all;
  for (;;) {
    auto q = to_query(filter);
    SCHAKEL_TRY(q);
    auto rows = (*txn)->find_audit(*q);
    SCHAKEL_TRY(rows);
    if (rows->empty()) break;
    filter.after_seq = rows->back().seq;
    const bool full = static_cast<int>(rows->size()) == filter.limit;
    all.insert(all.end(), std::make_move_iterator(rows->begin()), std::make_move_iterator(rows->end()));
    if (!full) break;
  }
  return all;
}

Result<std::string> AuditQueries::export_csv(const AuditFilter& filter, const Reader& reader) {
  auto rows = read_all(filter);
  SCHAKEL_TRY(rows);
  SCHAKEL_TRY(log_read("export", filter, reader, rows->size()));
  return rows_to_csv(*rows, true);
}

Result<std::string> AuditQueries::export_jsonl(const AuditFilter& filter, const Reader& reader) {
  auto rows = read_all(filter);
  SCHAKEL_TRY(rows);
  SCHAKEL_TRY(log_read("export", filter, reader, rows->size()));
  return rows_to_jsonl(*rows);
}

Result<Art15Report> AuditQueries::art15_report(const std::string& student_id,
                                               const std::optional<std::string>& tenant,
                                               const Reader& reader) {
  if (student_id.empty()) return error(ErrorCode::invalid, "art. 15 report: student id is empty");
  const std::vector<std::string> tenants = tenant ? std::vector<std::string>{*tenant} : writer_.keys().tenants();
  Art15Report report;
  report.student_id = student_id;
  report.generated_at = writer_.clock().now();
  std::vector<store::AuditRow> rows;
  for (const auto& t : tenants) {
    AuditFilter f;
    f.tenant = t;
    f.student_id = student_id;
    f.action = "disclose";
    auto found = read_all(f);
    SCHAKEL_TRY(found);
    for (auto& r : *found) {
      if (is_disclosure(r)) rows.push_back(std::move(r));
    }
  }
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.seq < b.seq; });
  for (const auto& r : rows) {
    report.disclosures.push_back({r.seq, r.time, r.outcome, decode_recipient(r.recipient), r.purpose,
                                  r.categories, r.consent_ids});
  }
  if (tenants.empty()) {
    Reader r = reader;
    r.reason = "art. 15 report: no tenant key, nothing recorded" + (reader.reason.empty() ? "" : "; " + reader.reason);
    SCHAKEL_TRY(log_read("export", AuditFilter{}, r, 0));
  }
  for (const auto& t : tenants) {
    AuditFilter logged;
    logged.tenant = t;
    logged.student_id = student_id;
    Reader r = reader;
    r.tenant = t;
    r.reason = "art. 15 report" + (reader.reason.empty() ? "" : "; " + reader.reason);
    SCHAKEL_TRY(log_read("export", logged, r, report.disclosures.size()));
  }
  return report;
}

}  // namespace schakel::audit
