// Meetings (staff, own schools): plan one (fires meeting.planned), read one (audited for each
// student on its agenda), change or cancel one by PUT of the whole meeting (fires meeting.changed
// or meeting.cancelled; SEQUENCE raised so calendars take the change; the recipients' replies kept).
#include <set>

#include "daemon/endpoints_common.hpp"
#include "daemon/runtime.hpp"

namespace schakel::daemon {
namespace {

using nlohmann::json;

// Every agenda slot names a student of the meeting's school and a case of that student.
std::optional<ApiResponse> check_agenda(api::ApiService& service, const json& doc) {
  const std::string school_id = doc.value("school_id", "");
  const json agenda = doc.value("agenda", json::array());
  for (std::size_t i = 0; i < agenda.size(); ++i) {
    const std::string at = "/agenda/" + std::to_string(i);
    const std::string sid = agenda[i].value("student_id", "");
    auto student = load(service, store::Kind::student, sid);
    if (!student) return api::store_failure(student.status());
    if (!*student || (*student)->doc.value("school_id", "") != school_id)
      return unprocessable(at + "/student_id", "no student of school " + school_id + " with this id", "unknown student on the agenda");
    auto c = load(service, store::Kind::case_, agenda[i].value("case_id", ""));
    if (!c) return api::store_failure(c.status());
    if (!*c || (*c)->doc.value("student_id", "") != sid)
      return unprocessable(at + "/case_id", "no case of this student with this id", "unknown case on the agenda");
  }
  return std::nullopt;
}

std::string trace_of(const std::string& type, const std::string& id, const json& doc) {
  return derived_trace_id(type + "\n" + id + "\n" + std::to_string(doc.value("version", 0LL)));
}

Result<std::vector<routing::FireOutcome>> fire(Runtime& rt, const RequestContext& ctx, const std::string& type,
                                               const std::string& id, const json& doc) {
  return rt.router().fire(event_of(ctx, type, id, trace_of(type, id, doc)));
}

ApiResponse plan(api::ApiService& service, Runtime& rt, RequestContext& ctx) {
  json doc;
  if (auto bad = api::parse_json_object(ctx.request(), doc)) return *bad;
  // What Schakel decides for a meeting it owns, unless the body says.
  if (!doc.contains("owner")) doc["owner"] = {{"kind", "schakel"}};
  if (!doc.contains("sequence")) doc["sequence"] = 0;
  if (!doc.contains("status")) doc["status"] = "planned";
  if (!doc.contains("ical_uid") && doc.contains("id") && doc["id"].is_string())
    doc["ical_uid"] = derived_trace_id("ical\n" + doc["id"].get<std::string>()) + "@schakel";
  if (auto bad = validate_doc(service, "meeting", doc)) return *bad;
  const std::string id = doc["id"].get<std::string>();
  if (!api::is_valid_id(id)) return unprocessable("/id", "must match [A-Za-z0-9._-]{1,128}", "the id is not usable in a URL");
  if (doc["status"] != "planned") return unprocessable("/status", "a new meeting is \"planned\"", "wrong status");
  if (doc["owner"]["kind"] != "schakel")
    return unprocessable("/owner/kind", "a meeting planned here is Schakel's; imported ones come from their connector", "wrong owner");
  std::string tenant;
  if (auto refused = check_school_and_student(service, ctx, doc, tenant)) return *refused;
  if (auto bad = check_agenda(service, doc)) return *bad;
  bump_version(doc, ctx.now());

  store::Entity e;
  e.kind = store::Kind::meeting;
  e.id = id;
  e.tenant = tenant;
  e.doc = doc;
  e.updated_at = ctx.now();
  bool exists = false;
  const Status st = service.store().write([&](store::Transaction& tx) -> Status {
    auto existing = tx.get(store::Kind::meeting, id);
    if (!existing) return existing.status();
    if (*existing) {
      exists = true;
      return Status(ErrorCode::conflict, "exists");
    }
    return tx.put(e);
  });
  if (exists) return api::error_response(409, "conflict", "meeting " + id + " already exists", {{"/id", "already exists"}});
  if (!st) return api::store_failure(st);
  auto fired = fire(rt, ctx, "meeting.planned", id, doc);
  if (!fired) {
    return api::error_response(500, "routing_failed",
                               "meeting " + id + " is stored, but its routes could not be fired: " + fired.status().message());
  }
  ApiResponse r = api::json_response(201, {{"id", id}, {"version", doc["version"]}, {"sequence", doc["sequence"]},
                                           {"ical_uid", doc["ical_uid"]}, {"status", doc["status"]},
                                           {"routes", outcomes_json(*fired)}});
  r.headers.emplace_back("Location", "/v1/meetings/" + id);
  return r;
}

ApiResponse read(api::ApiService& service, RequestContext& ctx) {
  store::Entity e;
  if (auto refused = load_scoped(service, ctx, store::Kind::meeting, ctx.param("id"), e)) return *refused;
  std::set<std::string> students;
  for (const auto& slot : e.doc.value("agenda", json::array())) students.insert(slot.value("student_id", ""));
  for (const auto& sid : students) {
    if (auto refused = audited_read(service, ctx, e.tenant, "meeting", e.id, sid)) return *refused;
  }
  return api::json_response(200, e.doc);
}

ApiResponse change(api::ApiService& service, Runtime& rt, RequestContext& ctx) {
  json doc;
  if (auto bad = api::parse_json_object(ctx.request(), doc)) return *bad;
  store::Entity e;
  if (auto refused = load_scoped(service, ctx, store::Kind::meeting, ctx.param("id"), e)) return *refused;
  const json& old = e.doc;
  if (old["owner"].value("kind", "") != "schakel") {
    return api::error_response(409, "conflict", "meeting " + e.id + " belongs to connector " +
                                   old["owner"].value("connector_id", "") + "; change it there",
                               {{"/owner", "not Schakel's"}});
  }
  // What stays: identity, school and owner; the server keeps SEQUENCE and the version.
  for (const char* fixed : {"id", "school_id", "ical_uid", "owner"}) {
    if (!doc.contains(fixed)) {
      doc[fixed] = old[fixed];
    } else if (doc[fixed] != old[fixed]) {
      return unprocessable(std::string("/") + fixed, "cannot change", std::string(fixed) + " of a meeting is fixed");
    }
  }
  // The replies belong to the recipients (their PARTSTAT, read back from their calendars): a PUT
  // by the owner keeps them whatever its body says, as the server keeps SEQUENCE.
  doc.erase("replies");
  if (old.contains("replies")) doc["replies"] = old["replies"];
  if (!doc.contains("status")) doc["status"] = old["status"];
  doc["sequence"] = old.value("sequence", 0) + 1;
  if (old.contains("version")) doc["version"] = old["version"];
  else doc.erase("version");
  if (auto bad = validate_doc(service, "meeting", doc)) return *bad;
  if (auto bad = check_agenda(service, doc)) return *bad;
  if (old["status"] == "cancelled") {
    return api::error_response(409, "conflict", "meeting " + e.id + " is cancelled; plan a new one",
                               {{"/status", "already cancelled"}});
  }
  json same = doc;
  same["sequence"] = old["sequence"];
  if (old.contains("updated_at")) same["updated_at"] = old["updated_at"];
  if (same == old) {
    return api::json_response(200, {{"id", e.id}, {"version", old["version"]}, {"sequence", old["sequence"]},
                                    {"status", old["status"]}, {"changed", false}, {"routes", json::array()}});
  }
  bump_version(doc, ctx.now());
  store::Entity updated = e;
  updated.doc = doc;
  updated.updated_at = ctx.now();
  const Status st = service.store().write([&](store::Transaction& tx) -> Status {
    auto current = tx.get(store::Kind::meeting, e.id);
    if (!current) return current.status();
    if (!*current || (*current)->doc.value("version", 0) != old.value("version", 0))
      return Status(ErrorCode::conflict, "meeting " + e.id + " changed meanwhile; read it again");
    // A reply read back since the meeting was loaded does not raise the version: take the latest.
    updated.doc.erase("replies");
    if ((*current)->doc.contains("replies")) updated.doc["replies"] = (*current)->doc["replies"];
    return tx.put(updated);
  });
  if (!st) return status_failure(st);
  const std::string type = doc["status"] == "cancelled" ? "meeting.cancelled" : "meeting.changed";
  auto fired = fire(rt, ctx, type, e.id, doc);
  if (!fired) {
    return api::error_response(500, "routing_failed",
                               "the change is stored, but its routes could not be fired: " + fired.status().message());
  }
  return api::json_response(200, {{"id", e.id}, {"version", doc["version"]}, {"sequence", doc["sequence"]},
                                  {"status", doc["status"]}, {"changed", true}, {"event", type},
                                  {"routes", outcomes_json(*fired)}});
}

}  // namespace

void register_meeting_routes(api::ApiService& service, Runtime& rt) {
  using api::Role;
  using api::SchoolScope;
  service.add_route({"POST", "/v1/meetings", {Role::staff}, SchoolScope::resource,
                     [&service, &rt](RequestContext& ctx) { return plan(service, rt, ctx); },
                     "plan a meeting; fires meeting.planned"});
  service.add_route({"GET", "/v1/meetings/{id}", {Role::staff}, SchoolScope::resource,
                     [&service](RequestContext& ctx) { return read(service, ctx); },
                     "read a meeting (audited per student on its agenda)"});
  service.add_route({"PUT", "/v1/meetings/{id}", {Role::staff}, SchoolScope::resource,
                     [&service, &rt](RequestContext& ctx) { return change(service, rt, ctx); },
                     "change or cancel a meeting; fires meeting.changed or meeting.cancelled"});
}

}  // namespace schakel::daemon
