#pragma once
// The endpoints core/api serves by itself. Each register_* adds its routes to the service; later
// modules (consent, audit, outbox, plugin host) add theirs the same way, one Route each.
#include "api/api_service.hpp"

namespace schakel::api {

void register_system_endpoints(ApiService& service);   // GET /v1/health, GET /v1/metrics
void register_token_endpoints(ApiService& service);    // POST /v1/tokens, DELETE /v1/tokens/{id}
void register_student_endpoints(ApiService& service);  // GET /v1/students/{id}, POST /v1/students
void register_config_endpoints(ApiService& service);   // POST /v1/config/validate

// All of the above.
void register_core_endpoints(ApiService& service);

}  // namespace schakel::api
