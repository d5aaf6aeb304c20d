#include "daemon/endpoints_common.hpp"

#include <cctype>

#include "daemon/runtime.hpp"
#include "outbox/seams.hpp"

namespace schakel::daemon {

using nlohmann::json;

ApiResponse schema_failure(const std::vector<schema::Violation>& violations, const std::string& message,
                           const std::string& prefix_from, const std::string& prefix_to) {
  std::vector<api::Problem> problems;
  for (const auto& v : violations) {
    std::string pointer = v.pointer;
    if (!prefix_from.empty() && pointer.rfind(prefix_from, 0) == 0 &&
        (pointer.size() == prefix_from.size() || pointer[prefix_from.size()] == '/')) {
      pointer = prefix_to + pointer.substr(prefix_from.size());
    }
    problems.push_back({pointer, v.message});
  }
  return api::error_response(422, "invalid_document", message, problems);
}

std::optional<ApiResponse> validate_doc(const api::ApiService& service, const std::string& schema, const json& doc,
                                        const std::string& prefix_from, const std::string& prefix_to) {
  const auto violations = service.schemas().validate(schema, doc);
  if (violations.empty()) return std::nullopt;
  return schema_failure(violations, "the " + schema + " does not match " + schema + ".schema.json", prefix_from,
                        prefix_to);
}

ApiResponse unprocessable(const std::string& pointer, const std::string& problem, const std::string& message) {
  return api::error_response(422, "invalid_document", message, {{pointer, problem}});
}

ApiResponse status_failure(const Status& st, bool not_found_is_422) {
  const std::string& msg = st.message();
  // "consent c1: /grantors/0/guardian_id: no gezag" → pointer and problem.
  api::Problem problem{"", msg};
  const auto at = msg.rfind('/', 0) == 0 ? 0 : msg.find(": /");
  if (at != std::string::npos) {
    const auto start = at == 0 ? 0 : at + 2;
    const auto end = msg.find(": ", start);
    problem.pointer = msg.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (end != std::string::npos) problem.message = msg.substr(end + 2);
  }
  switch (st.code()) {
    case ErrorCode::invalid: return api::error_response(422, "invalid_document", msg, {problem});
    case ErrorCode::not_found:
      if (not_found_is_422) return api::error_response(422, "invalid_document", msg, {problem});
      return api::not_found(msg);
    case ErrorCode::conflict: return api::error_response(409, "conflict", msg, {problem});
    default: return api::store_failure(st);
  }
}

std::string school_tenant(const store::Entity& school) {
  if (!school.tenant.empty()) return school.tenant;
  return school.doc.value("brin", std::string()) + school.doc.value("vestiging", std::string());
}

Result<std::optional<store::Entity>> load(api::ApiService& service, store::Kind kind, const std::string& id) {
  auto tx = service.store().begin(false);
  if (!tx) return tx.status();
  return (*tx)->get(kind, id);
}

std::optional<ApiResponse> load_scoped(api::ApiService& service, RequestContext& ctx, store::Kind kind,
                                       const std::string& id, store::Entity& out) {
  const std::string what = std::string(store::kind_name(kind)) + " " + id;
  auto found = load(service, kind, id);
  if (!found) return api::store_failure(found.status());
  if (!*found) {
    ctx.may_see_all({});  // nothing to show, so no school to check
    return api::not_found(what + " does not exist");
  }
  out = std::move(**found);
  if (!ctx.may_see(out.tenant)) return api::forbidden(what + " belongs to a school this token does not see");
  return std::nullopt;
}

std::optional<ApiResponse> audited_read(api::ApiService& service, RequestContext& ctx, const std::string& tenant,
                                        const std::string& kind, const std::string& entity_id,
                                        const std::string& student_id) {
  api::ReadAccess access;
  access.tenant = tenant;
  access.kind = kind;
  access.entity_id = entity_id;
  access.student_id = student_id;
  if (!ctx.may_see(tenant)) {
    access.outcome = "denied";
    (void)service.audit_read(ctx, access);  // a refused attempt is logged too, best effort
    return api::forbidden(kind + " " + entity_id + " belongs to a school this token does not see");
  }
  access.outcome = "permitted";
  if (const Status st = service.audit_read(ctx, access); !st) {
    return api::error_response(503, "audit_unavailable", "the read could not be logged, so it is refused");
  }
  return std::nullopt;
}

// The school and student a case, referral or meeting names: both known, the student at that
// school, and the school one of the token's. Sets `tenant`; returns the refusal otherwise.
std::optional<ApiResponse> check_school_and_student(api::ApiService& service, RequestContext& ctx, const json& doc,
                                                    std::string& tenant) {
  const std::string school_id = doc.value("school_id", "");
  auto school = load(service, store::Kind::school, school_id);
  if (!school) return api::store_failure(school.status());
  if (!*school) {
    ctx.may_see_all({});
    return unprocessable("/school_id", "no school with this id", "school " + school_id + " is not known");
  }
  tenant = school_tenant(**school);
  if (!ctx.may_see(tenant)) return api::forbidden("school " + school_id + " is not one of this token's schools");
  if (!doc.contains("student_id")) return std::nullopt;
  const std::string student_id = doc.value("student_id", "");
  auto student = load(service, store::Kind::student, student_id);
  if (!student) return api::store_failure(student.status());
  if (!*student) return unprocessable("/student_id", "no student with this id", "student " + student_id + " is not known");
  if ((*student)->doc.value("school_id", "") != school_id) {
    return unprocessable("/student_id", "the student is not at school " + school_id,
                         "student " + student_id + " is not at school " + school_id);
  }
  return std::nullopt;
}

std::string actor_of(const RequestContext& ctx) {
  return ctx.principal() ? ctx.principal()->token_id : std::string("anonymous");
}

std::string role_of(const RequestContext& ctx) {
  return ctx.principal() ? api::role_name(ctx.principal()->role) : std::string();
}

routing::Event event_of(const RequestContext& ctx, const std::string& type, const std::string& entity_id,
                        const std::string& trace_id) {
  routing::Event ev;
  ev.type = type;
  ev.entity_id = entity_id;
  ev.trace_id = trace_id;
  ev.actor = actor_of(ctx);
  ev.actor_role = role_of(ctx);
  return ev;
}

void keep_consent_index_current(api::ApiService& service, Runtime& rt) {
  service.set_student_recorded_hook([&rt](const json& student) {
    return rt.consent().change([&](consent::ConsentIndex& i) { return i.apply_student(student); });
  });
}

void bump_version(json& doc, TimePoint now) {
  const auto& v = doc.contains("version") ? doc["version"] : json();
  doc["version"] = v.is_number_integer() ? v.get<long long>() + 1 : 1;
  // The schemas' date_time: seconds and up to six fractional digits, trailing Z.
  doc["updated_at"] = format_utc(now);
}

json outcomes_json(const std::vector<routing::FireOutcome>& outcomes) {
  json out = json::array();
  for (const auto& o : outcomes) {
    const bool blocked = o.outcome == outbox::GateOutcome::blocked;
    json r = {{"route_id", o.route_id},
              {"outcome", blocked ? "blocked" : "queued"},
              {"gate", outbox::gate_outcome_name(o.outcome)},
              {"duplicate", o.duplicate}};
    if (o.outbox_id != 0) r["outbox_id"] = o.outbox_id;
    if (!o.reason.empty()) r["reason"] = o.reason;
    out.push_back(std::move(r));
  }
  return out;
}

std::string derived_trace_id(const std::string& material) {
  return outbox::sha256_hex("schakel-trace-v1\n" + material).substr(0, 32);
}

std::map<std::string, std::string> query_params(const std::string& target) {
  std::map<std::string, std::string> out;
  const auto q = target.find('?');
  if (q == std::string::npos) return out;
  auto decode = [](const std::string& s) {
    std::string r;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '+') {
        r += ' ';
      } else if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
                 std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
        r += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
        i += 2;
      } else {
        r += s[i];
      }
    }
    return r;
  };
  std::size_t pos = q + 1;
  while (pos <= target.size()) {
    auto amp = target.find('&', pos);
    if (amp == std::string::npos) amp = target.size();
    const std::string part = target.substr(pos, amp - pos);
    if (!part.empty()) {
      const auto eq = part.find('=');
      out[decode(part.substr(0, eq))] = eq == std::string::npos ? std::string() : decode(part.substr(eq + 1));
    }
    pos = amp + 1;
  }
  return out;
}

}  // namespace schakel::daemon
