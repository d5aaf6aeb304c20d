// The audit log for the privacy officer: search (by student through the tenant's keyed
// pseudonym, action, outcome, purpose, period; paged), export as CSV or JSON lines, verify the
// chain and its checkpoints, and the AVG art. 15 report of one student. Searches and exports are
// themselves logged (audit.read / export) by core/audit/queries, as the offline CLI's are; a
// verification is logged as audit.verify.
#include <set>

#include "audit/entry.hpp"
#include "audit/queries.hpp"
#include "audit/verifier.hpp"
#include "daemon/endpoints_common.hpp"
#include "daemon/runtime.hpp"

namespace schakel::daemon {
namespace {

using nlohmann::json;

audit::Reader reader_of(const RequestContext& ctx, const std::string& tenant, const std::string& reason) {
  return {actor_of(ctx), role_of(ctx), tenant, reason};
}

// The filter from the query: student (with its school as the tenant) or tenant, and the rest.
// Checks the school against the token; returns the refusal to send, if any.
std::optional<ApiResponse> filter_from_query(api::ApiService& service, RequestContext& ctx, audit::AuditFilter& f,
                                             std::map<std::string, std::string>& q) {
  static const std::set<std::string> known = {"student", "tenant", "action", "outcome", "purpose", "recipient",
                                              "from", "to", "after", "limit", "format"};
  for (const auto& [key, _] : q) {
    if (!known.count(key)) return unprocessable("/query/" + key, "unknown parameter", "unknown query parameter " + key);
  }
  if (q.count("tenant")) f.tenant = q["tenant"];
  if (q.count("student")) {
    auto tx = service.store().begin(false);
    if (!tx) return api::store_failure(tx.status());
    auto school = (*tx)->tenant_of(store::Kind::student, q["student"]);
    tx->reset();
    if (!school) return api::store_failure(school.status());
    if (*school) {
      if (f.tenant && *f.tenant != **school)
        return unprocessable("/query/tenant", "student " + q["student"] + " is at " + **school,
                             "the tenant is not the student's school");
      f.tenant = **school;
    } else if (!f.tenant) {
      // A student removed from the store still has a history: then the school must be named.
      ctx.may_see_all({});
      return unprocessable("/query/student", "no such student; give tenant= to search a removed student's history",
                           "student " + q["student"] + " is not known");
    }
    f.student_id = q["student"];
  }
  if (!f.tenant) {
    ctx.may_see_all({});
    return unprocessable("/query/tenant", "give student= or tenant= (BRIN + vestiging, e.g. 27XK01)",
                         "an audit search names a student or a school");
  }
  if (!ctx.may_see(*f.tenant)) return api::forbidden("school " + *f.tenant + " is not one of this token's schools");
  for (const char* name : {"action", "outcome", "purpose", "recipient"}) {
    if (q.count(name)) {
      std::optional<std::string>& field = std::string(name) == "action"    ? f.action
                                          : std::string(name) == "outcome" ? f.outcome
                                          : std::string(name) == "purpose" ? f.purpose
                                                                           : f.recipient;
      field = q[name];
    }
  }
  for (const auto& [name, field] : {std::pair{"from", &f.from}, std::pair{"to", &f.until}}) {
    if (!q.count(name)) continue;
    TimePoint t{};
    if (!parse_rfc3339(q[name], t))
      return unprocessable(std::string("/query/") + name, "not an RFC 3339 time, e.g. 2026-09-01T00:00:00Z", "bad time");
    *field = t;
  }
  try {
    if (q.count("after")) f.after_seq = std::stoll(q["after"]);
    if (q.count("limit")) f.limit = std::stoi(q["limit"]);
  } catch (const std::exception&) {
    return unprocessable(q.count("limit") ? "/query/limit" : "/query/after", "must be a whole number", "bad number");
  }
  if (f.limit < 1 || f.limit > 1000) return unprocessable("/query/limit", "must be 1 to 1000", "bad limit");
  if (f.after_seq < 0) return unprocessable("/query/after", "must not be negative", "bad after");
  return std::nullopt;
}

// {"entries":[...],"more":…,"next_after":…} as json_response would write it, without building a
// JSON value per entry (a page is tens of kilobytes, and the search is the log's hottest read).
ApiResponse page_response(const audit::AuditPage& page) {
  ApiResponse r;
  r.status = 200;
  std::string& body = r.body;
  body.reserve(page.rows.size() * 900 + 64);
  body += "{\"entries\":[";
  for (std::size_t i = 0; i < page.rows.size(); ++i) {
    if (i) body += ',';
    if (!audit::append_entry_json(page.rows[i], body)) {
      // A field that is not UTF-8 (never written by the writer): the JSON library's own refusal.
      json entries = json::array();
      for (const auto& row : page.rows) entries.push_back(audit::entry_json(row));
      return api::json_response(200, {{"entries", entries}, {"next_after", page.next_after_seq}, {"more", page.more}});
    }
  }
  body += "],\"more\":";
  body += page.more ? "true" : "false";
  body += ",\"next_after\":";
  body += std::to_string(page.next_after_seq);
  body += '}';
  return r;
}

ApiResponse search(api::ApiService& service, Runtime& rt, RequestContext& ctx) {
  auto q = query_params(ctx.request().target);
  if (q.count("format")) return unprocessable("/query/format", "only for /v1/audit/export", "unknown query parameter format");
  audit::AuditFilter f;
  if (auto refused = filter_from_query(service, ctx, f, q)) return *refused;
  audit::AuditQueries queries(rt.audit(), rt.store());
  auto found = queries.find_then_log(f, reader_of(ctx, *f.tenant, "API search"));
  if (!found) return status_failure(found.status());
  // The page leaves once its audit.read entry is durable (the server waits without a thread).
  ApiResponse r = page_response(found->page);
  r.durable = std::move(found->log);
  return r;
}

ApiResponse export_log(api::ApiService& service, Runtime& rt, RequestContext& ctx) {
  auto q = query_params(ctx.request().target);
  const std::string format = q.count("format") ? q["format"] : "jsonl";
  if (format != "csv" && format != "jsonl") return unprocessable("/query/format", "must be csv or jsonl", "bad format");
  audit::AuditFilter f;
  if (auto refused = filter_from_query(service, ctx, f, q)) return *refused;
  if (q.count("limit")) return unprocessable("/query/limit", "an export has every matching entry", "no limit on export");
  audit::AuditQueries queries(rt.audit(), rt.store());
  const auto reader = reader_of(ctx, *f.tenant, "API export");
  auto text = format == "csv" ? queries.export_csv(f, reader) : queries.export_jsonl(f, reader);
  if (!text) return status_failure(text.status());
  ApiResponse r;
  r.status = 200;
  r.content_type = format == "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson";
  r.body = std::move(*text);
  return r;
}

ApiResponse verify(Runtime& rt, RequestContext& ctx) {
  auto tx = rt.store().begin(false);
  if (!tx) return api::store_failure(tx.status());
  audit::VerifyOptions o;
  o.checkpoint_path = rt.config().data_dir() / "audit.checkpoints";
  o.key_dir = rt.config().data_dir() / "keys";
  auto report = audit::verify_audit_log(**tx, o);
  tx->reset();
  if (!report) return api::store_failure(report.status());
  json findings = json::array();
  for (const auto& f : report->findings) {
    findings.push_back({{"problem", audit::problem_name(f.problem)}, {"seq", f.seq}, {"checkpoint", f.checkpoint},
                        {"message", f.message}});
  }
  audit::AuditEvent ev;
  ev.tenant = "instance";
  ev.action = "audit.verify";
  ev.outcome = report->ok() ? "ok" : "failed";
  ev.actor = actor_of(ctx);
  ev.actor_role = "privacy_officer";
  ev.trace_id = ctx.trace_id();
  ev.reason = report->summary();
  if (auto logged = rt.audit().append_durable(rt.store(), ev); !logged) return api::store_failure(logged.status());
  return api::json_response(200, {{"ok", report->ok()}, {"entries", report->entries}, {"last_seq", report->last_seq},
                                  {"last_hash", report->last_hash}, {"checkpoints", report->checkpoints},
                                  {"summary", report->summary()}, {"findings", findings}});
}

ApiResponse access_report(api::ApiService& service, Runtime& rt, RequestContext& ctx) {
  auto q = query_params(ctx.request().target);
  const std::string format = q.count("format") ? q["format"] : "json";
  if (format != "json" && format != "text") return unprocessable("/query/format", "must be json or text", "bad format");
  store::Entity student;
  if (auto refused = load_scoped(service, ctx, store::Kind::student, ctx.param("id"), student)) return *refused;
  audit::AuditQueries queries(rt.audit(), rt.store());
  auto report = queries.art15_report(student.id, student.tenant, reader_of(ctx, student.tenant, "API access report"));
  if (!report) return status_failure(report.status());
  if (format == "json") return api::json_response(200, report->to_json());
  ApiResponse r;
  r.status = 200;
  r.content_type = "text/plain; charset=utf-8";
  r.body = report->to_text();
  return r;
}

}  // namespace

void register_audit_routes(api::ApiService& service, Runtime& rt) {
  using api::Role;
  using api::SchoolScope;
  service.add_route({"GET", "/v1/audit", {Role::privacy_officer}, SchoolScope::resource,
                     [&service, &rt](RequestContext& ctx) { return search(service, rt, ctx); },
                     "search the audit log (itself logged as audit.read)"});
  service.add_route({"GET", "/v1/audit/export", {Role::privacy_officer}, SchoolScope::resource,
                     [&service, &rt](RequestContext& ctx) { return export_log(service, rt, ctx); },
                     "export audit entries as CSV or JSON lines (itself logged as export)"});
  service.add_route({"POST", "/v1/audit/verify", {Role::privacy_officer}, SchoolScope::none,
                     [&rt](RequestContext& ctx) { return verify(rt, ctx); },
                     "verify the audit chain and its signed checkpoints"});
  service.add_route({"GET", "/v1/students/{id}/access-report", {Role::privacy_officer}, SchoolScope::resource,
                     [&service, &rt](RequestContext& ctx) { return access_report(service, rt, ctx); },
                     "AVG art. 15 report of a student's disclosures (itself logged as export)"});
}

}  // namespace schakel::daemon
