#include "api/api_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "api/endpoints.hpp"
#include "api/server_state.hpp"
#include "api/tls.hpp"
#include "log/log.hpp"

namespace schakel::api {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

std::vector<std::unique_ptr<asio::io_context>> make_nets(int threads) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::vector<std::unique_ptr<asio::io_context>> nets;
  // Hint 1: each runs on one thread, which lets Asio skip most of its locking and wake-ups.
  for (int i = 0; i < threads; ++i) nets.push_back(std::make_unique<asio::io_context>(1));
  return nets;
}

}  // namespace

ApiServer::State::State(asio::io_context& io_, ApiOptions options_, store::Store& store, schema::SchemaSet& schemas,
                        const Clock& clock)
    : io(io_),
      options(std::move(options_)),
      nets(make_nets(options.io_threads)),
      service(store, schemas, clock),
      pool(static_cast<std::size_t>(std::max(1, options.handler_threads))),
      accept_strand(asio::make_strand(*nets.front())),
      acceptor(std::in_place, *accept_strand),
      deadline_timer(std::in_place, *accept_strand),
      rejected(service.metrics().counter("schakel_api_connections_rejected_total",
                                         "connections refused because the client had too many open")),
      handshake_failures(service.metrics().counter("schakel_api_tls_handshake_failures_total",
                                                   "TLS handshakes that failed (old protocol, weak cipher, no TLS)")),
      timeouts(service.metrics().counter("schakel_api_timeouts_total", "connections closed by a read or idle timeout")) {}

ApiServer::State::~State() {
  end_net();
  pool.join();
}

void ApiServer::State::start_net() {
  for (auto& net : nets) {
    net_work.push_back(asio::make_work_guard(*net));
    net_threads.emplace_back([ctx = net.get()] { ctx->run(); });
  }
}

void ApiServer::State::end_net() {
  net_work.clear();
  if (nets.empty()) return;
  for (auto& net : nets) net->stop();
  for (auto& t : net_threads) t.join();
  net_threads.clear();
  // A handler still running on the pool, or a commit an answer waits for, answers to a
  // connection in one of these io_contexts.
  pool.join();
  {
    std::unique_lock lock(mu);
    durable_cv.wait(lock, [this] { return awaiting_durable == 0; });
  }
  // Nothing that refers to the io_context may outlive it.
  {
    std::lock_guard lock(mu);
    sessions.clear();
  }
  acceptor.reset();
  deadline_timer.reset();
  accept_strand.reset();
  // Destroying an io_context destroys the connections still in it; each holds this State, so
  // it must happen while something else (ApiServer) still does.
  while (!nets.empty()) nets.pop_back();
}

bool ApiServer::State::admit(const std::string& ip, const std::shared_ptr<SessionHandle>& handle) {
  std::lock_guard lock(mu);
  int& count = per_client[ip];
  if (count >= options.max_connections_per_client) {
    if (count == 0) per_client.erase(ip);
    return false;
  }
  ++count;
  sessions[handle.get()] = handle;
  return true;
}

void ApiServer::State::end_session(const std::string& ip, const std::shared_ptr<SessionHandle>& handle) {
  std::lock_guard lock(mu);
  if (auto it = per_client.find(ip); it != per_client.end() && --it->second <= 0) per_client.erase(it);
  sessions.erase(handle.get());
  if (stopping && sessions.empty()) {
    asio::post(*accept_strand, [self = shared_from_this()] { self->deadline_timer->cancel(); });
  }
}

void ApiServer::State::close_sessions(bool idle_only) {
  std::lock_guard lock(mu);
  for (const auto& [raw, handle] : sessions) {
    asio::post(handle->executor, [handle, idle_only] {
      if (handle->close && (!idle_only || handle->idle)) handle->close();
    });
  }
}

void ApiServer::State::stop(std::chrono::milliseconds deadline, std::function<void()> on_stopped) {
  auto done = [&io = io, on_stopped]() {
    if (on_stopped) asio::post(io, on_stopped);
  };
  if (stopping.exchange(true) || !started) {  // already stopping, or nothing listens and nothing runs
    done();
    return;
  }
  asio::post(*accept_strand, [self = shared_from_this(), deadline, done] {
    boost::system::error_code ec;
    self->acceptor->close(ec);
    self->close_sessions(true);
    bool none_left = false;
    {
      std::lock_guard lock(self->mu);
      none_left = self->sessions.empty();
    }
    if (none_left) {
      done();
      return;
    }
    self->deadline_timer->expires_after(deadline);
    self->deadline_timer->async_wait([self, deadline, done](boost::system::error_code wait_ec) {
      if (!wait_ec) {  // not cancelled: some connection outlived the deadline
        log::warn("api: shutdown deadline passed; closing the remaining connections");
        self->close_sessions(false);
        // The closes run on the connections' own threads: the stop is reported once the last
        // one has ended (end_session cancels the timer), or after one more deadline.
        self->deadline_timer->expires_after(deadline);
        self->deadline_timer->async_wait([done](boost::system::error_code) { done(); });
        return;
      }
      done();
    });
  });
}

asio::awaitable<void> accept_loop(std::shared_ptr<ApiServer::State> s) {
  for (;;) {
    // Round-robin over the io_contexts; a connection stays on its one thread, so needs no strand.
    asio::io_context& net = *s->nets[s->next_net++ % s->nets.size()];
    auto [ec, socket] =
        co_await s->acceptor->async_accept(asio::any_io_executor(net.get_executor()), asio::as_tuple(asio::use_awaitable));
    if (s->stopping || ec == asio::error::operation_aborted) co_return;
    if (ec) {
      // E.g. out of file descriptors: wait a moment rather than spin.
      log::warn("api: accept failed", {{"error", ec.message()}});
      asio::steady_timer pause(*s->accept_strand, std::chrono::milliseconds(50));
      co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    boost::system::error_code ep_ec;
    const auto remote = socket.remote_endpoint(ep_ec);
    if (ep_ec) continue;
    // Responses go out in one or two writes: without this, Nagle holds the second (a TLS record
    // after the head's, say) until the client's delayed ACK, tens of milliseconds later.
    socket.set_option(tcp::no_delay(true), ep_ec);
    const std::string ip = remote.address().to_string();
    auto handle = std::make_shared<SessionHandle>();
    handle->executor = socket.get_executor();
    if (!s->admit(ip, handle)) {
      s->rejected.inc();
      socket.close(ep_ec);
      continue;
    }
    auto executor = socket.get_executor();
    asio::co_spawn(executor, run_session(s, std::move(socket), ip, handle),
                   [s, ip, handle](const std::exception_ptr& e) {
                     if (e) {
                       try {
                         std::rethrow_exception(e);
                       } catch (const std::exception& ex) {
                         log::error("api: connection failed", {{"error", ex.what()}});
                       }
                     }
                     s->end_session(ip, handle);
                   });
  }
}

ApiServer::ApiServer(asio::io_context& io, ApiOptions options, store::Store& store, schema::SchemaSet& schemas,
                     const Clock& clock)
    : state_(std::make_shared<State>(io, std::move(options), store, schemas, clock)) {
  register_core_endpoints(state_->service);
}

ApiServer::~ApiServer() {
  state_->stop(std::chrono::milliseconds(0), {});
  state_->end_net();
}

void ApiServer::add_route(Route route) { state_->service.add_route(std::move(route)); }
void ApiServer::set_read_audit_hook(ReadAuditHook hook) { state_->service.set_read_audit_hook(std::move(hook)); }
ApiService& ApiServer::service() { return state_->service; }
std::uint16_t ApiServer::port() const { return state_->port; }
bool ApiServer::uses_tls() const { return state_->tls != nullptr; }
void ApiServer::stop(std::chrono::milliseconds deadline, std::function<void()> on_stopped) {
  state_->stop(deadline, std::move(on_stopped));
}

std::size_t ApiServer::open_connections() const {
  std::lock_guard lock(state_->mu);
  return state_->sessions.size();
}

Status ApiServer::start() {
  State& s = *state_;
  SCHAKEL_TRY(check_transport(s.options));
  if (s.options.tls) {
    auto ctx = make_server_tls_context(s.options.cert_file, s.options.key_file);
    if (!ctx) return ctx.status();
    s.tls = *ctx;
  }
  const std::string where = s.options.host + ":" + std::to_string(s.options.port);
  boost::system::error_code ec;
  auto address = asio::ip::make_address(s.options.host == "localhost" ? "127.0.0.1" : s.options.host, ec);
  if (ec) return {ErrorCode::invalid, "api: listen address " + s.options.host + " is not an IP address"};
  const tcp::endpoint endpoint(address, s.options.port);
  s.acceptor->open(endpoint.protocol(), ec);
  if (!ec) s.acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) s.acceptor->bind(endpoint, ec);
  if (!ec) s.acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return {ErrorCode::io, "api: cannot listen on " + where + ": " + ec.message()};
  s.port = s.acceptor->local_endpoint().port();
  s.started = true;
  s.start_net();
  asio::co_spawn(*s.accept_strand, accept_loop(state_), [](const std::exception_ptr& e) {
    if (e) log::error("api: the acceptor stopped on an exception");
  });
  log::info("api: listening", {{"address", s.options.host}, {"port", s.port.load()}, {"tls", s.options.tls}});
  return Status::ok();
}

}  // namespace schakel::api
