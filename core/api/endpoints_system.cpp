// Health (public), metrics (operator, admin), and register_core_endpoints.
#include "api/endpoints.hpp"

namespace schakel::api {

void register_system_endpoints(ApiService& service) {
  service.add_route({"GET", "/v1/health", {}, SchoolScope::none,
                     [&service](RequestContext&) {
                       // Public: says whether the daemon can serve, and nothing about why not.
                       const Status st = service.store().health();
                       return json_response(st ? 200 : 503, {{"status", st ? "ok" : "unavailable"}});
                     },
                     "liveness and store health"});
  service.add_route({"GET", "/v1/metrics", {Role::operator_, Role::admin}, SchoolScope::none,
                     [&service](RequestContext&) {
                       ApiResponse r;
                       r.content_type = "text/plain; version=0.0.4; charset=utf-8";
                       r.body = service.metrics().render();
                       return r;
                     },
                     "Prometheus metrics"});
}

void register_core_endpoints(ApiService& service) {
  register_system_endpoints(service);
  register_token_endpoints(service);
  register_student_endpoints(service);
  register_config_endpoints(service);
}

}  // namespace schakel::api
