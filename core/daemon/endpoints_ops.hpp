#pragma once
// Shared by the operations endpoint files (endpoints_operations.cpp, endpoints_outbox.cpp).
#include <string>

#include "api/api_service.hpp"

namespace schakel::daemon {

class Runtime;

// GET /v1/outbox, POST /v1/outbox/{id}/retry.
void register_outbox_endpoints(api::ApiService& service, Runtime& rt);

// Who acted, for logs and the audit log: "api:<token id>".
inline std::string actor_of(const api::RequestContext& ctx) {
  return "api:" + (ctx.principal() ? ctx.principal()->token_id : std::string("anonymous"));
}

// A refusal from a Status: not_found 404, conflict/busy/invalid 409, unavailable 503, else 500
// (the message of a store or internal failure goes to the log only).
inline api::ApiResponse status_response(const Status& st) {
  switch (st.code()) {
    case ErrorCode::not_found: return api::not_found(st.message());
    case ErrorCode::conflict:
    case ErrorCode::busy:
    case ErrorCode::invalid: return api::error_response(409, "conflict", st.message());
    default: return api::store_failure(st);
  }
}

}  // namespace schakel::daemon
