#pragma once
// What the case, consent, referral, meeting and audit endpoints share: schema errors as 422 with
// JSON pointers, the school (tenant) of a student or school, scoped and audited loads, and the
// routes' outcomes as JSON.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/api_service.hpp"
#include "routing/router.hpp"
#include "store/store.hpp"

namespace schakel::daemon {

class Runtime;

using api::ApiResponse;
using api::RequestContext;

// 422 with one problem per schema violation. `prefix_from`/`prefix_to` rewrite pointers whose
// document differs from the body (e.g. "/agreements/3" of the case onto "" of the posted agreement).
ApiResponse schema_failure(const std::vector<schema::Violation>& violations, const std::string& message,
                           const std::string& prefix_from = "", const std::string& prefix_to = "");
// Validates `doc` against `schema`; the 422 to send when it does not match.
std::optional<ApiResponse> validate_doc(const api::ApiService& service, const std::string& schema, const nlohmann::json& doc,
                                        const std::string& prefix_from = "", const std::string& prefix_to = "");
// 422 with one problem at `pointer`.
ApiResponse unprocessable(const std::string& pointer, const std::string& problem, const std::string& message);
// A Status from the consent module or the store, as a response: invalid → 422 (the leading
// "/pointer: " of the message becomes the problem's pointer), not_found → 404 (or 422 with
// `not_found_is_422`), conflict → 409, else the store failure.
ApiResponse status_failure(const Status& st, bool not_found_is_422 = false);

// The tenant (BRIN + vestiging) of a school document or entity.
std::string school_tenant(const store::Entity& school);
// A fresh read of one entity.
Result<std::optional<store::Entity>> load(api::ApiService& service, store::Kind kind, const std::string& id);

// Loads an entity the token may see: 404 when absent, 403 (checked through may_see) when the
// entity's school is not the token's. `what` names it in messages ("case c1").
std::optional<ApiResponse> load_scoped(api::ApiService& service, RequestContext& ctx, store::Kind kind,
                                       const std::string& id, store::Entity& out);
// A read of a student's data (NEN 7513): denied reads are logged too; a read that cannot be
// logged is refused (503). Returns the refusal to send, if any.
std::optional<ApiResponse> audited_read(api::ApiService& service, RequestContext& ctx, const std::string& tenant,
                                        const std::string& kind, const std::string& entity_id,
                                        const std::string& student_id);

// The school and student a case, referral or meeting names (doc's school_id, and student_id when
// present): both known, the student at that school, the school one of the token's (checked with
// may_see). Sets `tenant`; returns the refusal otherwise.
std::optional<ApiResponse> check_school_and_student(api::ApiService& service, RequestContext& ctx,
                                                    const nlohmann::json& doc, std::string& tenant);

// The actor to name in audit entries and events: the token's id.
std::string actor_of(const RequestContext& ctx);
// The token's role ("staff", ...), named beside actor_of in audit entries; "" without a token.
std::string role_of(const RequestContext& ctx);
// An event caused by this request: actor and actor_role are the token's, so the gate's disclose
// entries name who acted rather than the destination's connector.
routing::Event event_of(const RequestContext& ctx, const std::string& type, const std::string& entity_id,
                        const std::string& trace_id);

// A student recorded through POST /v1/students (core/api) goes into the consent index once
// committed, so the gate knows its age and guardians before any consent or case names it.
void keep_consent_index_current(api::ApiService& service, Runtime& rt);
// Raises the document's version and stamps updated_at.
void bump_version(nlohmann::json& doc, TimePoint now);

// [{route_id, outcome: queued|blocked, gate: permitted|redacted|blocked, outbox_id, reason, duplicate}]
nlohmann::json outcomes_json(const std::vector<routing::FireOutcome>& outcomes);

// A W3C-shaped trace id (32 hex) derived from `material`, so a later read can find the audit
// entries of an event it fired (e.g. "referral.queued\nref_1").
std::string derived_trace_id(const std::string& material);

// The groups register_case_endpoints registers, one file each.
void register_guardian_routes(api::ApiService& service, Runtime& rt);   // endpoints_guardians.cpp
void register_consent_routes(api::ApiService& service, Runtime& rt);    // endpoints_consents.cpp
void register_referral_routes(api::ApiService& service, Runtime& rt);   // endpoints_referrals.cpp
void register_audit_routes(api::ApiService& service, Runtime& rt);      // endpoints_audit.cpp
void register_meeting_routes(api::ApiService& service, Runtime& rt);    // endpoints_meetings.cpp

// Query parameters of a request target, percent-decoded; a repeated name keeps the last.
std::map<std::string, std::string> query_params(const std::string& target);

}  // namespace schakel::daemon
