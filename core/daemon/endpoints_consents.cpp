// Consents: record and withdraw (staff; audited consent.record / consent.withdraw through
// core/consent/persist.hpp, the index updated at once so the gate decides on it), and the list of
// a student's consent records (staff and privacy officer; audited read). A withdrawal drops what
// is still queued under it and queues revocations of what was delivered (DESIGN section 7).
#include "daemon/endpoints_common.hpp"
#include "consent/persist.hpp"
#include "daemon/runtime.hpp"
#include "log/log.hpp"

namespace schakel::daemon {
namespace {

using nlohmann::json;

// The student a consent concerns, checked against the token. `pointer` names the field.
std::optional<ApiResponse> load_student(api::ApiService& service, RequestContext& ctx, const std::string& student_id,
                                        const std::string& pointer, store::Entity& out) {
  auto student = load(service, store::Kind::student, student_id);
  if (!student) return api::store_failure(student.status());
  if (!*student) {
    ctx.may_see_all({});
    if (pointer.empty()) return api::not_found("student " + student_id + " does not exist");
    return unprocessable(pointer, "no student with this id", "student " + student_id + " is not known");
  }
  out = std::move(**student);
  if (!ctx.may_see(out.tenant)) return api::forbidden("student " + student_id + " belongs to a school this token does not see");
  return std::nullopt;
}

// The audit entry of a consent change, filed under the student's school.
consent::AuditAppend audit_append(Runtime& rt, const RequestContext& ctx, const std::string& tenant) {
  const std::string actor = actor_of(ctx);
  const std::string role = role_of(ctx);
  const std::string trace = ctx.trace_id();
  return [&rt, actor, role, tenant, trace](store::Transaction& tx, const consent::ConsentRecord& c,
                                           const std::string& action) -> Status {
    audit::AuditEvent a;
    a.tenant = tenant;
    a.action = action;
    a.outcome = "ok";
    a.actor = actor;
    a.actor_role = role;
    a.student_id = c.student_id;
    a.purpose = c.purposes.empty() ? "" : c.purposes.front();
    a.categories = c.categories;
    a.consent_ids = {c.id};
    a.trace_id = trace;
    a.reason = action == "consent.record" ? "consent " + c.id + " recorded through the API"
                                          : "consent " + c.id + " withdrawn through the API";
    return rt.audit().append(tx, a).status();
  };
}

ApiResponse record(api::ApiService& service, Runtime& rt, RequestContext& ctx) {
  json doc;
  if (auto bad = api::parse_json_object(ctx.request(), doc)) return *bad;
  // The server fills what it knows, so a form need not.
  if (!doc.contains("status")) doc["status"] = "active";
  if (doc.contains("evidence") && doc["evidence"].is_object() && !doc["evidence"].contains("recorded_at"))
    doc["evidence"]["recorded_at"] = format_utc(ctx.now());
  if (auto bad = validate_doc(service, "consent", doc)) return *bad;
  if (!api::is_valid_id(doc["id"].get<std::string>()))
    return unprocessable("/id", "must match [A-Za-z0-9._-]{1,128}", "the id is not usable in a URL");
  if (doc["status"] != "active") return unprocessable("/status", "a new consent must be \"active\"", "a consent is withdrawn through /withdraw");
  store::Entity student;
  if (auto refused = load_student(service, ctx, doc["student_id"].get<std::string>(), "/student_id", student)) return *refused;
  if (student.doc.value("school_id", "") != doc["school_id"].get<std::string>())
    return unprocessable("/school_id", "the student is at school " + student.doc.value("school_id", ""),
                         "the consent's school is not the student's");

  auto recorded = rt.consent().change([&](consent::ConsentIndex& index) {
    return consent::record_consent(rt.store(), index, doc, ctx.now(), audit_append(rt, ctx, student.tenant));
  });
  if (!recorded) return status_failure(recorded.status(), true);
  ApiResponse r = api::json_response(201, consent::to_json(*recorded));
  r.headers.emplace_back("Location", "/v1/students/" + student.id + "/consents");
  return r;
}

ApiResponse withdraw(api::ApiService& service, Runtime& rt, RequestContext& ctx) {
  json body;
  if (auto bad = api::parse_json_object(ctx.request(), body)) return *bad;
  const std::string& id = ctx.param("id");
  for (const auto& [key, _] : body.items()) {
    if (key != "by" && key != "reason") return unprocessable("/" + key, "unknown field", "unknown field " + key);
  }
  if (!body.contains("by")) return unprocessable("/by", "required: {kind: guardian|student, guardian_id?}", "who withdraws is missing");
  if (body.contains("reason") && !body["reason"].is_string()) return unprocessable("/reason", "must be a string", "the reason must be text");
  auto by = consent::grantor_from_json(body["by"], "/by");
  if (!by) return status_failure(by.status());

  auto found = load(service, store::Kind::consent, id);
  if (!found) return api::store_failure(found.status());
  if (!*found) {
    ctx.may_see_all({});
    return api::not_found("consent " + id + " does not exist");
  }
  store::Entity student;
  if (auto refused = load_student(service, ctx, (*found)->student_id, "", student)) return *refused;

  const std::string reason = body.value("reason", "");
  auto withdrawn = rt.consent().change([&](consent::ConsentIndex& index) {
    return consent::withdraw_consent(rt.store(), index, id, *by, ctx.now(), reason, audit_append(rt, ctx, student.tenant));
  });
  if (!withdrawn) return status_failure(withdrawn.status());
  // Committed: now what waits under it is dropped and what was delivered is revoked.
  json out = {{"consent", consent::to_json(*withdrawn)}, {"revocation", "queued"}};
  // The parents' own words (category views) stay in the consent record: the outbox, the audit log
  // and the recipients are told only that consent was withdrawn.
  if (Status st = rt.delivery().on_consent_withdrawn(id, student.id, "consent withdrawn", {actor_of(ctx), role_of(ctx)}); !st) {
    out["revocation"] = "failed";
    out["revocation_error"] = "the withdrawal is recorded, but queueing revocations failed; the delivery "
                              "re-check still stops what is queued";
    log::error("consent withdrawal: revocations not queued", {{"consent", id}, {"error", st.message()}});
  }
  return api::json_response(200, out);
}

ApiResponse list(api::ApiService& service, RequestContext& ctx) {
  store::Entity student;
  if (auto refused = load_student(service, ctx, ctx.param("id"), "", student)) return *refused;
  // The entity named in the entry is the list, not the student: the entry holds only the pseudonym.
  if (auto refused = audited_read(service, ctx, student.tenant, "consents", "(list)", student.id)) return *refused;
  auto tx = service.store().begin(false);
  if (!tx) return api::store_failure(tx.status());
  store::EntityQuery q;
  q.kind = store::Kind::consent;
  q.student_id = student.id;
  q.include_inactive = true;
  json items = json::array();
  for (;;) {
    auto page = (*tx)->list(q);
    if (!page) return api::store_failure(page.status());
    for (const auto& e : *page) items.push_back(e.doc);
    if (static_cast<int>(page->size()) < q.limit) break;
    q.after_id = page->back().id;
  }
  return api::json_response(200, {{"student_id", student.id}, {"consents", items}});
}

}  // namespace

void register_consent_routes(api::ApiService& service, Runtime& rt) {
  using api::Role;
  using api::SchoolScope;
  service.add_route({"POST", "/v1/consents", {Role::staff}, SchoolScope::resource,
                     [&service, &rt](RequestContext& ctx) { return record(service, rt, ctx); },
                     "record a consent (audited consent.record)"});
  service.add_route({"POST", "/v1/consents/{id}/withdraw", {Role::staff}, SchoolScope::resource,
                     [&service, &rt](RequestContext& ctx) { return withdraw(service, rt, ctx); },
                     "withdraw a consent (audited consent.withdraw); revokes deliveries it covered"});
  service.add_route({"GET", "/v1/students/{id}/consents", {Role::staff, Role::privacy_officer}, SchoolScope::resource,
                     [&service](RequestContext& ctx) { return list(service, ctx); },
                     "a student's consent records (audited)"});
}

}  // namespace schakel::daemon
