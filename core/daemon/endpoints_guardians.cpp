// POST /v1/guardians and GET /v1/guardians/{id} (staff). A guardian belongs to the schools of
// its children: recording one needs every child to be a student the token sees; reading one
// shows only the children the token sees, and each such read is audited per child.
#include "daemon/endpoints_common.hpp"
#include "daemon/runtime.hpp"

namespace schakel::daemon {
namespace {

using nlohmann::json;

ApiResponse create_guardian(api::ApiService& service, Runtime& rt, RequestContext& ctx) {
  json doc;
  if (auto bad = api::parse_json_object(ctx.request(), doc)) return *bad;
  if (auto bad = validate_doc(service, "guardian", doc)) return *bad;
  const std::string id = doc["id"].get<std::string>();
  if (!api::is_valid_id(id)) return unprocessable("/id", "must match [A-Za-z0-9._-]{1,128}", "the id is not usable in a URL");

  // Every child must be a known student of a school the token sees.
  std::vector<std::string> tenants;
  std::string first_student;
  for (std::size_t i = 0; i < doc["children"].size(); ++i) {
    const std::string sid = doc["children"][i]["student_id"].get<std::string>();
    auto student = load(service, store::Kind::student, sid);
    if (!student) return api::store_failure(student.status());
    const std::string where = "/children/" + std::to_string(i) + "/student_id";
    if (!*student) {
      ctx.may_see_all({});
      return unprocessable(where, "no student with this id", "student " + sid + " is not known");
    }
    if (!ctx.may_see((*student)->tenant)) return api::forbidden("student " + sid + " is not at one of this token's schools");
    tenants.push_back((*student)->tenant);
    if (first_student.empty()) first_student = sid;
  }
  bump_version(doc, ctx.now());

  store::Entity e;
  e.kind = store::Kind::guardian;
  e.id = id;
  e.tenant = tenants.front();
  e.student_id = first_student;
  e.doc = doc;
  e.updated_at = ctx.now();
  bool exists = false;
  const Status st = service.store().write([&](store::Transaction& tx) -> Status {
    auto existing = tx.get(store::Kind::guardian, id);
    if (!existing) return existing.status();
    if (*existing) {
      exists = true;
      return Status(ErrorCode::conflict, "exists");
    }
    return tx.put(e);
  });
  if (exists) return api::error_response(409, "conflict", "guardian " + id + " already exists", {{"/id", "already exists"}});
  if (!st) return api::store_failure(st);
  // The consent index follows what is durable: the children it holds get the links (the others
  // find them in the store when it reads them).
  if (Status s = rt.consent().change([&](consent::ConsentIndex& i) { return i.apply_guardian(doc); }); !s) {
    return status_failure(s);
  }
  ApiResponse r = api::json_response(201, doc);
  r.headers.emplace_back("Location", "/v1/guardians/" + id);
  return r;
}

ApiResponse read_guardian(api::ApiService& service, RequestContext& ctx) {
  const std::string& id = ctx.param("id");
  auto found = load(service, store::Kind::guardian, id);
  if (!found) return api::store_failure(found.status());
  if (!*found) {
    ctx.may_see_all({});
    return api::not_found("guardian " + id + " does not exist");
  }
  json doc = (*found)->doc;
  // Only the children at the token's schools; the others are not this token's business.
  json visible = json::array();
  std::vector<std::pair<std::string, std::string>> reads;  // (tenant, student)
  for (const auto& c : doc.value("children", json::array())) {
    const std::string sid = c.value("student_id", "");
    auto student = load(service, store::Kind::student, sid);
    if (!student) return api::store_failure(student.status());
    if (!*student || !ctx.may_see((*student)->tenant)) continue;
    visible.push_back(c);
    reads.emplace_back((*student)->tenant, sid);
  }
  if (visible.empty()) {
    ctx.may_see_all({});
    return api::forbidden("guardian " + id + " has no child at a school this token sees");
  }
  for (const auto& [tenant, sid] : reads) {
    if (auto refused = audited_read(service, ctx, tenant, "guardian", id, sid)) return *refused;
  }
  doc["children"] = visible;
  return api::json_response(200, doc);
}

}  // namespace

void register_guardian_routes(api::ApiService& service, Runtime& rt) {
  using api::Role;
  using api::SchoolScope;
  service.add_route({"POST", "/v1/guardians", {Role::staff}, SchoolScope::resource,
                     [&service, &rt](RequestContext& ctx) { return create_guardian(service, rt, ctx); },
                     "record a guardian of own-school students"});
  service.add_route({"GET", "/v1/guardians/{id}", {Role::staff}, SchoolScope::resource,
                     [&service](RequestContext& ctx) { return read_guardian(service, ctx); },
                     "read a guardian (audited; only children at the token's schools)"});
}

}  // namespace schakel::daemon
