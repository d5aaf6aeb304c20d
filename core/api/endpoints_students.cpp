// GET /v1/students/{id} and POST /v1/students (staff, own schools). Every read goes through the
// audit hook first (NEN 7513): data that cannot be logged as read is not shown.
#include "api/endpoints.hpp"

namespace schakel::api {
namespace {

ApiResponse read_student(ApiService& service, RequestContext& ctx) {
  const std::string& id = ctx.param("id");
  auto tx = service.store().begin(false);
  if (!tx) return store_failure(tx.status());
  auto entity = (*tx)->get(store::Kind::student, id);
  if (!entity) return store_failure(entity.status());
  ReadAccess access;
  access.kind = "student";
  access.entity_id = id;
  access.student_id = id;
  if (!*entity) {
    ctx.may_see_all({});  // nothing to show, so no school to check
    return not_found("student " + id + " does not exist");
  }
  access.tenant = (*entity)->tenant;
  if (!ctx.may_see((*entity)->tenant)) {
    access.outcome = "denied";
    (void)service.audit_read(ctx, access);  // a refused attempt is logged too, best effort
    return forbidden("student " + id + " belongs to a school this token does not see");
  }
  access.outcome = "permitted";
  if (const Status st = service.audit_read(ctx, access); !st) {
    return error_response(503, "audit_unavailable", "the read could not be logged, so it is refused");
  }
  return json_response(200, (*entity)->doc);
}

ApiResponse create_student(ApiService& service, RequestContext& ctx) {
  nlohmann::json doc;
  if (auto bad = parse_json_object(ctx.request(), doc)) return *bad;
  const auto violations = service.schemas().validate("student", doc);
  if (!violations.empty()) {
    std::vector<Problem> problems;
    for (const auto& v : violations) problems.push_back({v.pointer, v.message});
    return error_response(422, "invalid_document", "the student does not match student.schema.json", problems);
  }
  const std::string id = doc["id"].get<std::string>();
  if (!is_valid_id(id)) {
    return error_response(422, "invalid_document", "the student's id is not usable in a URL",
                          {{"/id", "must match [A-Za-z0-9._-]{1,128}"}});
  }
  const std::string school_id = doc["school_id"].get<std::string>();

  // The school decides the tenant; it must be known and visible to the token.
  std::string tenant;
  {
    auto tx = service.store().begin(false);
    if (!tx) return store_failure(tx.status());
    auto school = store::school_tenant(**tx, school_id);
    if (!school) return store_failure(school.status());
    if (!*school) {
      ctx.may_see_all({});
      return error_response(422, "invalid_document", "school " + school_id + " is not known",
                            {{"/school_id", "no school with this id"}});
    }
    tenant = **school;
  }
  if (!ctx.may_see(tenant)) return forbidden("school " + school_id + " is not one of this token's schools");

  store::Entity entity;
  entity.kind = store::Kind::student;
  entity.id = id;
  entity.tenant = tenant;
  entity.active = doc.value("status", std::string("active")) == "active";
  entity.doc = doc;
  entity.updated_at = ctx.now();
  bool exists = false;
  const Status st = service.store().write([&](store::Transaction& tx) -> Status {
    auto existing = tx.get(store::Kind::student, id);
    if (!existing) return existing.status();
    if (*existing) {
      exists = true;
      return Status(ErrorCode::conflict, "exists");
    }
    return tx.put(entity);
  });
  if (exists) return error_response(409, "conflict", "student " + id + " already exists", {{"/id", "already exists"}});
  if (!st) return store_failure(st);
  // Until the consent gate knows the student, every disclosure about it is denied as "unknown
  // student"; a failure here says so rather than leave a misleading reason for later.
  if (const Status indexed = service.student_recorded(doc); !indexed) {
    return error_response(500, "index_failed",
                          "student " + id + " is recorded, but the consent gate could not take it in: " + indexed.message());
  }
  ApiResponse r = json_response(201, doc);
  r.headers.emplace_back("Location", "/v1/students/" + id);
  return r;
}

}  // namespace

void register_student_endpoints(ApiService& service) {
  service.add_route({"GET", "/v1/students/{id}", {Role::staff}, SchoolScope::resource,
                     [&service](RequestContext& ctx) { return read_student(service, ctx); },
                     "read one student (audited)"});
  service.add_route({"POST", "/v1/students", {Role::staff}, SchoolScope::resource,
                     [&service](RequestContext& ctx) { return create_student(service, ctx); },
                     "record a student"});
}

}  // namespace schakel::api
