// Connectors, config reload and outbox endpoints (admin, operator).
#include "daemon/endpoints.hpp"
#include "daemon/runtime.hpp"

namespace schakel::daemon {

void register_operations_endpoints(api::ApiService& /*service*/, Runtime& /*rt*/) {}

}  // namespace schakel::daemon
