// Cases (staff, own schools): create, read (audited), change stage (fires case.stage_reached),
// add an agreement. register_case_endpoints also registers the other groups of this API.
#include "daemon/endpoints.hpp"
#include "daemon/endpoints_common.hpp"
#include "daemon/runtime.hpp"

namespace schakel::daemon {
namespace {

using nlohmann::json;

ApiResponse create_case(api::ApiService& service, RequestContext& ctx) {
  json doc;
  if (auto bad = api::parse_json_object(ctx.request(), doc)) return *bad;
  if (auto bad = validate_doc(service, "case", doc)) return *bad;
  const std::string id = doc["id"].get<std::string>();
  if (!api::is_valid_id(id)) return unprocessable("/id", "must match [A-Za-z0-9._-]{1,128}", "the id is not usable in a URL");
  std::string tenant;
  if (auto refused = check_school_and_student(service, ctx, doc, tenant)) return *refused;
  bump_version(doc, ctx.now());

  store::Entity e;
  e.kind = store::Kind::case_;
  e.id = id;
  e.tenant = tenant;
  e.student_id = doc["student_id"].get<std::string>();
  e.doc = doc;
  e.updated_at = ctx.now();
  bool exists = false;
  const Status st = service.store().write([&](store::Transaction& tx) -> Status {
    auto existing = tx.get(store::Kind::case_, id);
    if (!existing) return existing.status();
    if (*existing) {
      exists = true;
      return Status(ErrorCode::conflict, "exists");
    }
    return tx.put(e);
  });
  if (exists) return api::error_response(409, "conflict", "case " + id + " already exists", {{"/id", "already exists"}});
  if (!st) return api::store_failure(st);
  ApiResponse r = api::json_response(201, {{"id", id}, {"stage", doc["stage"]}, {"version", doc["version"]}});
  r.headers.emplace_back("Location", "/v1/cases/" + id);
  return r;
}

ApiResponse read_case(api::ApiService& service, RequestContext& ctx) {
  store::Entity e;
  if (auto refused = load_scoped(service, ctx, store::Kind::case_, ctx.param("id"), e)) return *refused;
  if (auto refused = audited_read(service, ctx, e.tenant, "case", e.id, e.student_id)) return *refused;
  return api::json_response(200, e.doc);
}

// Replaces a case's document after `change`, re-validated as a whole; the 422 maps pointers back
// onto the body through (from, to).
std::optional<ApiResponse> update_case(api::ApiService& service, const store::Entity& before, const json& after,
                                       TimePoint now, const std::string& from, const std::string& to) {
  if (auto bad = validate_doc(service, "case", after, from, to)) return *bad;
  store::Entity e = before;
  e.doc = after;
  e.updated_at = now;
  const Status st = service.store().write([&](store::Transaction& tx) -> Status {
    // Two changes at once: the later must not silently undo the earlier.
    auto current = tx.get(store::Kind::case_, e.id);
    if (!current) return current.status();
    if (!*current || (*current)->doc.value("version", 0) != before.doc.value("version", 0))
      return Status(ErrorCode::conflict, "case " + e.id + " changed meanwhile; read it again");
    return tx.put(e);
  });
  if (!st) return status_failure(st);
  return std::nullopt;
}

ApiResponse change_stage(api::ApiService& service, Runtime& rt, RequestContext& ctx) {
  json body;
  if (auto bad = api::parse_json_object(ctx.request(), body)) return *bad;
  store::Entity e;
  if (auto refused = load_scoped(service, ctx, store::Kind::case_, ctx.param("id"), e)) return *refused;
  for (const auto& [key, _] : body.items()) {
    if (key != "stage" && key != "closed_on" && key != "escalation")
      return unprocessable("/" + key, "unknown field; give stage, and closed_on or escalation where the stage needs it",
                           "unknown field " + key);
  }
  if (!body.contains("stage") || !body["stage"].is_string())
    return unprocessable("/stage", "required, a string", "the new stage is missing");
  json doc = e.doc;
  const bool changed = doc.value("stage", "") != body["stage"].get<std::string>();
  for (const auto& [key, value] : body.items()) doc[key] = value;
  if (!changed && doc == e.doc) return api::json_response(200, {{"id", e.id}, {"stage", doc["stage"]}, {"changed", false}, {"routes", json::array()}});
  bump_version(doc, ctx.now());
  if (auto bad = update_case(service, e, doc, ctx.now(), "", "")) return *bad;

  json routes = json::array();
  if (changed) {
    routing::Event ev = event_of(ctx, "case.stage_reached", e.id,
                                 derived_trace_id("case.stage_reached\n" + e.id + "\n" +
                                                  std::to_string(doc["version"].get<long long>())));
    ev.stage = doc["stage"].get<std::string>();
    auto fired = rt.router().fire(ev);
    if (!fired) {
      return api::error_response(500, "routing_failed",
                                 "the stage is recorded, but its routes could not be fired: " + fired.status().message());
    }
    routes = outcomes_json(*fired);
  }
  return api::json_response(200, {{"id", e.id}, {"stage", doc["stage"]}, {"version", doc["version"]},
                                  {"changed", changed}, {"routes", routes}});
}

ApiResponse add_agreement(api::ApiService& service, RequestContext& ctx) {
  json agreement;
  if (auto bad = api::parse_json_object(ctx.request(), agreement)) return *bad;
  store::Entity e;
  if (auto refused = load_scoped(service, ctx, store::Kind::case_, ctx.param("id"), e)) return *refused;
  json doc = e.doc;
  if (!doc.contains("agreements")) doc["agreements"] = json::array();
  const std::size_t index = doc["agreements"].size();
  doc["agreements"].push_back(agreement);
  bump_version(doc, ctx.now());
  if (auto bad = update_case(service, e, doc, ctx.now(), "/agreements/" + std::to_string(index), "")) return *bad;
  ApiResponse r = api::json_response(201, {{"case_id", e.id}, {"index", index}, {"version", doc["version"]}});
  return r;
}

}  // namespace

void register_case_endpoints(api::ApiService& service, Runtime& rt) {
  using api::Role;
  using api::SchoolScope;
  keep_consent_index_current(service, rt);
  register_guardian_routes(service, rt);
  service.add_route({"POST", "/v1/cases", {Role::staff}, SchoolScope::resource,
                     [&service](RequestContext& ctx) { return create_case(service, ctx); }, "record a case"});
  service.add_route({"GET", "/v1/cases/{id}", {Role::staff}, SchoolScope::resource,
                     [&service](RequestContext& ctx) { return read_case(service, ctx); }, "read a case (audited)"});
  service.add_route({"POST", "/v1/cases/{id}/stage", {Role::staff}, SchoolScope::resource,
                     [&service, &rt](RequestContext& ctx) { return change_stage(service, rt, ctx); },
                     "move a case to a stage; fires case.stage_reached"});
  service.add_route({"POST", "/v1/cases/{id}/agreements", {Role::staff}, SchoolScope::resource,
                     [&service](RequestContext& ctx) { return add_agreement(service, ctx); }, "add an agreement to a case"});
  register_consent_routes(service, rt);
  register_referral_routes(service, rt);
  register_audit_routes(service, rt);
  register_meeting_routes(service, rt);
}

}  // namespace schakel::daemon
