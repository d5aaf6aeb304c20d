#pragma once
// The admin API's endpoints that need the running daemon (connectors, outbox, config reload,
// cases, consents, referrals, meetings, audit). core/api serves health, metrics, tokens, students
// and config validation by itself; these are added on top, one Route each, before the server
// starts. Each register_* lives in its own endpoints_*.cpp.
#include "api/api_service.hpp"

namespace schakel::daemon {

class Runtime;

// Connectors (list, status, check, pause, resume, run now), config reload, outbox (list, retry).
void register_operations_endpoints(api::ApiService& service, Runtime& rt);
// Guardians, cases, consents, referrals, meetings and the audit log.
void register_case_endpoints(api::ApiService& service, Runtime& rt);

// Per-recipient calendar feeds: POST/DELETE /v1/calendar-feeds (staff), GET /v1/calendar/{feed}
// (public: the URL is the capability).
void register_calendar_endpoints(api::ApiService& service, Runtime& rt);

inline void register_daemon_endpoints(api::ApiService& service, Runtime& rt) {
  register_operations_endpoints(service, rt);
  register_case_endpoints(service, rt);
  register_calendar_endpoints(service, rt);
}

}  // namespace schakel::daemon
