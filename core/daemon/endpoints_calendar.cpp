// Per-recipient calendar feeds (DESIGN section 9): staff make and revoke a feed for one recipient
// of their school; calendar clients fetch it at its capability URL without a bearer token. Every
// fetch that returns content is in the audit log as a disclosure to that recipient.
#include "audit/entry.hpp"
#include "api/token.hpp"
#include "calendar/feed.hpp"
#include "consent/types.hpp"
#include "daemon/endpoints.hpp"
#include "daemon/runtime.hpp"

namespace schakel::daemon {
namespace {

using nlohmann::json;
using api::ApiResponse;
using api::error_response;
using api::json_response;

constexpr std::string_view k_ics_suffix = ".ics";

consent::Recipient recipient_of(const json& r) {
  return {r.value("organisation", ""), r.value("role", ""), r.value("name", ""), r.value("person_id", "")};
}

// The school's tenant, as create_student resolves it; empty with `out` set when it cannot be used.
std::string resolve_tenant(Runtime& rt, const std::string& school_id, std::optional<ApiResponse>& out) {
  auto tx = rt.store().begin(false);
  if (!tx) {
    out = api::store_failure(tx.status());
    return {};
  }
  auto tenant = store::school_tenant(**tx, school_id);
  if (!tenant) {
    out = api::store_failure(tenant.status());
    return {};
  }
  if (!*tenant) {
    out = error_response(422, "invalid_document", "school " + school_id + " is not known",
                         {{"/school_id", "no school with this id"}});
    return {};
  }
  return **tenant;
}

std::vector<api::Problem> check_feed_request(const json& body) {
  std::vector<api::Problem> problems;
  for (const auto& [key, _] : body.items()) {
    if (key != "school_id" && key != "recipient") problems.push_back({"/" + key, "unknown field"});
  }
  if (!body.contains("school_id") || !body["school_id"].is_string()) problems.push_back({"/school_id", "required string"});
  const json r = body.value("recipient", json());
  if (!r.is_object()) {
    problems.push_back({"/recipient", "required object {organisation?, role, name, person_id?}"});
    return problems;
  }
  for (const auto& [key, value] : r.items()) {
    if (key != "organisation" && key != "role" && key != "name" && key != "person_id") {
      problems.push_back({"/recipient/" + key, "unknown field"});
    } else if (!value.is_string() || value.get<std::string>().empty() || value.get<std::string>().size() > 200) {
      problems.push_back({"/recipient/" + key, "must be a string of 1 to 200 characters"});
    }
  }
  if (!consent::is_known_role(r.value("role", ""))) problems.push_back({"/recipient/role", "not one of the OT roles"});
  if (r.value("name", "").empty()) problems.push_back({"/recipient/name", "required: the recipient named individually"});
  const std::string role = r.value("role", "");
  if ((role == "parent" || role == "student") && r.value("person_id", "").empty()) {
    problems.push_back({"/recipient/person_id", "a parent's feed names the guardian (a student's, the student)"});
  }
  return problems;
}

ApiResponse create_feed(Runtime& rt, api::RequestContext& ctx) {
  json body;
  if (auto bad = api::parse_json_object(ctx.request(), body)) return *bad;
  if (auto problems = check_feed_request(body); !problems.empty()) {
    ctx.may_see_all({});
    return error_response(422, "invalid_document", "the feed request is not valid", problems);
  }
  std::optional<ApiResponse> failed;
  const std::string tenant = resolve_tenant(rt, body["school_id"].get<std::string>(), failed);
  if (failed) {
    ctx.may_see_all({});
    return *failed;
  }
  if (!ctx.may_see(tenant)) return api::forbidden("the school is not one of this token's schools");
  auto secret = api::generate_token_secret();
  auto id = api::generate_token_id();
  if (!secret || !id) return error_response(500, "internal", "no random bytes for a feed secret");
  store::CalendarFeedRow row;
  row.id = "feed_" + id->substr(4);
  row.token_sha256 = api::sha256_hex(*secret);
  row.tenant = tenant;
  row.recipient = body["recipient"];
  row.created_at = ctx.now();
  row.created_by = ctx.principal()->token_id;
  if (auto st = rt.store().write([&](store::Transaction& tx) { return tx.insert_calendar_feed(row); }); !st) {
    return api::store_failure(st);
  }
  ApiResponse r = json_response(201, {{"id", row.id},
                                      {"url", "/v1/calendar/" + *secret + std::string(k_ics_suffix)},
                                      {"school", tenant},
                                      {"recipient", row.recipient},
                                      {"created_at", format_utc(row.created_at)}});
  r.headers.emplace_back("Cache-Control", "no-store");  // the URL is the secret
  return r;
}

ApiResponse revoke_feed(Runtime& rt, api::RequestContext& ctx) {
  const std::string& id = ctx.param("id");
  auto tx = rt.store().begin(false);
  if (!tx) return api::store_failure(tx.status());
  auto feed = (*tx)->calendar_feed(id);
  if (!feed) return api::store_failure(feed.status());
  tx->reset();
  if (!*feed) {
    ctx.may_see_all({});
    return api::not_found("calendar feed " + id + " does not exist");
  }
  if (!ctx.may_see((*feed)->tenant)) return api::forbidden("the feed belongs to a school this token does not see");
  if (auto st = rt.store().write([&](store::Transaction& t) { return t.revoke_calendar_feed(id, ctx.now()); }); !st) {
    return api::store_failure(st);
  }
  return json_response(200, {{"id", id}, {"revoked", true}});
}

// The audit entries of one fetch: a disclosure per child the feed names, or one export entry for
// a feed with meeting data only.
std::vector<audit::AuditEvent> fetch_events(const store::CalendarFeedRow& feed, const calendar::Feed& content,
                                            const api::RequestContext& ctx) {
  audit::AuditEvent base;
  base.time = ctx.now();
  base.tenant = feed.tenant;
  base.outcome = "permitted";
  base.actor = feed.id;
  base.actor_role = "calendar_feed";
  base.recipient = audit::encode_recipient({feed.recipient.value("organisation", ""), feed.recipient.value("role", ""),
                                            feed.recipient.value("name", "")});
  base.purpose = "calendar";
  base.payload_sha256 = content.etag.substr(1, content.etag.size() - 2);
  base.trace_id = ctx.trace_id();
  base.reason = "calendar feed fetched";
  std::vector<audit::AuditEvent> out;
  for (const auto& view : content.views) {
    for (const auto& student : view.students) {
      auto e = base;
      e.action = "disclose";
      e.student_id = student;
      e.categories = view.categories;
      e.consent_ids = view.consent_ids;
      out.push_back(std::move(e));
    }
  }
  if (out.empty()) {
    auto e = base;
    e.action = "export";
    e.categories = {"meeting"};
    out.push_back(std::move(e));
  }
  return out;
}

ApiResponse fetch_feed(Runtime& rt, api::RequestContext& ctx) {
  const std::string& name = ctx.param("feed");
  // Unknown, revoked and malformed capabilities look the same to the caller.
  const ApiResponse gone = api::not_found("no such calendar feed");
  if (name.size() <= k_ics_suffix.size() || !name.ends_with(k_ics_suffix)) return gone;
  const std::string secret = name.substr(0, name.size() - k_ics_suffix.size());
  if (!api::looks_like_token_secret(secret)) return gone;
  auto tx = rt.store().begin(false);
  if (!tx) return api::store_failure(tx.status());
  auto feed = (*tx)->calendar_feed_by_hash(api::sha256_hex(secret));
  if (!feed) return api::store_failure(feed.status());
  if (!*feed || (*feed)->revoked_at) return gone;
  const consent::Recipient recipient = recipient_of((*feed)->recipient);
  auto content = calendar::build_feed(**tx, (*feed)->tenant, recipient,
                                      [&](const std::string& student, const std::vector<std::string>& categories) {
                                        return rt.consent().decide(student, recipient, "calendar", categories,
                                                                   ctx.now(), "");
                                      });
  tx->reset();
  if (!content) return api::store_failure(content.status());
  if (ctx.request().header("if-none-match") == content->etag) {
    ApiResponse r;
    r.status = 304;
    r.content_type.clear();
    r.headers.emplace_back("ETag", content->etag);
    return r;
  }
  // Content that cannot be logged as disclosed is not sent.
  const auto events = fetch_events(**feed, *content, ctx);
  const Status logged = rt.store().write([&](store::Transaction& t) -> Status {
    for (const auto& e : events) {
      if (auto row = rt.audit().append(t, e); !row) return row.status();
    }
    return Status::ok();
  });
  if (!logged) return error_response(503, "audit_unavailable", "the disclosure could not be logged, so it is refused");
  ApiResponse r;
  r.content_type = "text/calendar; charset=utf-8";
  r.body = std::move(content->ics);
  r.headers.emplace_back("ETag", content->etag);
  r.headers.emplace_back("Cache-Control", "private, no-cache");
  return r;
}

}  // namespace

void register_calendar_endpoints(api::ApiService& service, Runtime& rt) {
  using api::Role;
  using api::SchoolScope;
  service.add_route({"POST", "/v1/calendar-feeds", {Role::staff}, SchoolScope::resource,
                     [&rt](api::RequestContext& ctx) { return create_feed(rt, ctx); },
                     "make a recipient's calendar feed (its capability URL is shown once)"});
  service.add_route({"DELETE", "/v1/calendar-feeds/{id}", {Role::staff}, SchoolScope::resource,
                     [&rt](api::RequestContext& ctx) { return revoke_feed(rt, ctx); },
                     "revoke a calendar feed"});
  // Public: calendar clients cannot send a bearer token; the URL itself is the capability.
  service.add_route({"GET", "/v1/calendar/{feed}", {}, SchoolScope::none,
                     [&rt](api::RequestContext& ctx) { return fetch_feed(rt, ctx); },
                     "a recipient's calendar feed (text/calendar; audited)"});
}

}  // namespace schakel::daemon
