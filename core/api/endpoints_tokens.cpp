// POST /v1/tokens and DELETE /v1/tokens/{id} (admin). An admin grants and revokes only within
// its own schools, so a token never widens what its creator may see.
#include <chrono>
#include <set>

#include "api/endpoints.hpp"

namespace schakel::api {
namespace {

constexpr auto k_default_lifetime = std::chrono::hours(24 * 90);

ApiResponse create_token(ApiService& service, RequestContext& ctx) {
  nlohmann::json body;
  if (auto bad = parse_json_object(ctx.request(), body)) return *bad;
  std::vector<Problem> problems;
  static const std::set<std::string> known = {"role", "schools", "label", "expires_at"};
  for (const auto& [k, v] : body.items()) {
    if (!known.count(k)) problems.push_back({"/" + k, "unknown field"});
  }
  NewToken req;
  if (!body.contains("role") || !body["role"].is_string()) {
    problems.push_back({"/role", "required: one of admin, staff, privacy_officer, operator"});
  } else if (auto role = role_from_name(body["role"].get<std::string>())) {
    req.role = *role;
  } else {
    problems.push_back({"/role", "must be one of admin, staff, privacy_officer, operator"});
  }
  if (!body.contains("schools") || !body["schools"].is_array() || body["schools"].empty()) {
    problems.push_back({"/schools", "required: a non-empty array of BRIN codes"});
  } else {
    for (std::size_t i = 0; i < body["schools"].size(); ++i) {
      const auto& s = body["schools"][i];
      if (!s.is_string() || !is_brin(s.get<std::string>())) {
        problems.push_back({"/schools/" + std::to_string(i), "must be a BRIN code such as 27XK"});
      } else {
        req.schools.push_back(s.get<std::string>());
      }
    }
  }
  if (body.contains("label")) {
    if (!body["label"].is_string() || body["label"].get<std::string>().size() > 200) {
      problems.push_back({"/label", "must be a string of at most 200 characters"});
    } else {
      req.label = body["label"].get<std::string>();
    }
  }
  req.expires_at = ctx.now() + std::chrono::duration_cast<std::chrono::microseconds>(k_default_lifetime);
  if (body.contains("expires_at")) {
    TimePoint at{};
    if (!body["expires_at"].is_string() || !parse_rfc3339(body["expires_at"].get<std::string>(), at)) {
      problems.push_back({"/expires_at", "must be an RFC 3339 date-time"});
    } else if (at <= ctx.now()) {
      problems.push_back({"/expires_at", "must be in the future"});
    } else {
      req.expires_at = at;
    }
  }
  if (!problems.empty()) return error_response(422, "invalid_request", "the token request is not valid", problems);
  if (!ctx.may_see_all(req.schools)) return forbidden("a token may only be granted for schools the caller sees");

  req.created_by = ctx.principal()->token_id;
  auto issued = service.tokens().create(req);
  if (!issued) {
    if (issued.status().code() == ErrorCode::invalid) {
      return error_response(422, "invalid_request", issued.status().message());
    }
    return store_failure(issued.status());
  }
  const auto& row = issued->row;
  ApiResponse r = json_response(201, {{"id", row.id},
                                      {"token", issued->secret},
                                      {"role", row.role},
                                      {"schools", row.schools},
                                      {"label", row.label},
                                      {"created_at", format_utc(row.created_at)},
                                      {"expires_at", format_utc(row.expires_at)}});
  r.headers.emplace_back("Cache-Control", "no-store");  // the secret is shown once
  return r;
}

ApiResponse revoke_token(ApiService& service, RequestContext& ctx) {
  const std::string& id = ctx.param("id");
  auto row = service.tokens().find(id);
  if (!row) return store_failure(row.status());
  if (!*row) {
    ctx.may_see_all({});
    return not_found("token " + id + " does not exist");
  }
  if (!ctx.may_see_all((*row)->schools)) return forbidden("token " + id + " covers schools the caller does not see");
  const Status st = service.tokens().revoke(id);
  if (!st) return st.code() == ErrorCode::not_found ? not_found(st.message()) : store_failure(st);
  ApiResponse r;
  r.status = 204;
  r.content_type.clear();
  return r;
}

}  // namespace

void register_token_endpoints(ApiService& service) {
  service.add_route({"POST", "/v1/tokens", {Role::admin}, SchoolScope::resource,
                     [&service](RequestContext& ctx) { return create_token(service, ctx); },
                     "create a bearer token (returned once)"});
  service.add_route({"DELETE", "/v1/tokens/{id}", {Role::admin}, SchoolScope::resource,
                     [&service](RequestContext& ctx) { return revoke_token(service, ctx); },
                     "revoke a bearer token"});
}

}  // namespace schakel::api
