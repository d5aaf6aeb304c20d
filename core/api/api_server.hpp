#pragma once
// The admin API over the network: Beast on Asio, HTTPS (or plain HTTP on loopback when the config
// allows it), one coroutine per connection on one of the I/O threads, limits and timeouts on everything,
// and a graceful stop with a deadline. Endpoints are registered on the ApiService (add_route);
// the core endpoints (health, metrics, tokens, students, config/validate) are there from the start.
//
//   api::ApiServer server(io, options, store, schemas, clock);
//   server.add_route({"GET", "/v1/outbox", {api::Role::operator_}, api::SchoolScope::none, handler, "list"});
//   server.set_read_audit_hook(...);
//   SCHAKEL_TRY(server.start());      // listening once this returns; server.port() tells where
//   ...
//   server.stop(std::chrono::seconds(5));  // refuses new connections, ends idle ones, then force-closes
//
// The io_context must keep running until stop's deadline has passed or all connections ended; the
// store, schemas and clock must outlive that.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include "api/api_options.hpp"
#include "api/api_service.hpp"

namespace boost::asio {
class io_context;
}

namespace schakel::api {

class ApiServer {
 public:
  ApiServer(boost::asio::io_context& io, ApiOptions options, store::Store& store, schema::SchemaSet& schemas,
            const Clock& clock);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Registers one endpoint; call before start().
  void add_route(Route route);
  void set_read_audit_hook(ReadAuditHook hook);

  // Checks the transport policy, loads TLS, binds and starts accepting. Errors say what and where.
  Status start();
  // Thread-safe; returns at once. Idle connections close now, busy ones after their response,
  // and whatever is left when `deadline` passes is closed. `on_stopped` (optional) runs once, on
  // the io_context, when no connection is left or the deadline has passed.
  void stop(std::chrono::milliseconds deadline, std::function<void()> on_stopped = {});

  [[nodiscard]] std::uint16_t port() const;  // the bound port, after start()
  [[nodiscard]] bool uses_tls() const;
  [[nodiscard]] std::size_t open_connections() const;

  [[nodiscard]] ApiService& service();
  [[nodiscard]] MetricsRegistry& metrics() { return service().metrics(); }
  [[nodiscard]] TokenStore& tokens() { return service().tokens(); }

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace schakel::api
