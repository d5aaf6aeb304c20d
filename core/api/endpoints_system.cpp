// Health (public), metrics (operator, admin), and register_core_endpoints.
#include <chrono>
#include <memory>
#include <mutex>

#include "api/endpoints.hpp"

namespace schakel::api {

void register_system_endpoints(ApiService& service) {
  // The store check opens a reader and touches every table: a public endpoint polled by load
  // balancers (and reachable by anyone) runs it at most once a second and answers from that.
  struct HealthCache {
    std::mutex mu;
    std::chrono::steady_clock::time_point checked{};
    bool ok = false;
    bool valid = false;
  };
  auto cache = std::make_shared<HealthCache>();
  service.add_route({"GET", "/v1/health", {}, SchoolScope::none,
                     [&service, cache](RequestContext&) {
                       // Public: says whether the daemon can serve, and nothing about why not.
                       const auto now = std::chrono::steady_clock::now();
                       bool ok = false;
                       {
                         std::lock_guard lock(cache->mu);
                         if (!cache->valid || now - cache->checked >= std::chrono::seconds(1)) {
                           cache->ok = static_cast<bool>(service.store().health());
                           cache->checked = now;
                           cache->valid = true;
                         }
                         ok = cache->ok;
                       }
                       static const std::string ok_body = R"({"status":"ok"})";
                       static const std::string bad_body = R"({"status":"unavailable"})";
                       ApiResponse r;
                       r.status = ok ? 200 : 503;
                       r.content_type = "application/json";
                       r.body = ok ? ok_body : bad_body;
                       return r;
                     },
                     "liveness and store health", /*quick=*/true});
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
