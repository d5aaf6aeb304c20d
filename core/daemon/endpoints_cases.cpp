// Guardians, cases, consents, referrals, meetings and audit endpoints (staff, privacy officer).
#include "daemon/endpoints.hpp"
#include "daemon/runtime.hpp"

namespace schakel::daemon {

void register_case_endpoints(api::ApiService& /*service*/, Runtime& /*rt*/) {}

}  // namespace schakel::daemon
