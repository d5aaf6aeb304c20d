#pragma once
// ApiServer's shared state, seen by the acceptor and every session. Private to core/api.
#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>

#include "api/api_server.hpp"

namespace schakel::api {

// What stop() needs to reach a connection. Touched only on the connection's thread, except
// `executor`, which never changes.
struct SessionHandle {
  boost::asio::any_io_executor executor;
  std::function<void()> close;  // set while the connection's stream exists
  bool idle = false;            // waiting for the next request
};

struct ApiServer::State : std::enable_shared_from_this<ApiServer::State> {
  State(boost::asio::io_context& io_, ApiOptions options_, store::Store& store, schema::SchemaSet& schemas,
        const Clock& clock);
  ~State();

  // Counts a new connection from `ip`; false when that client has too many.
  bool admit(const std::string& ip, const std::shared_ptr<SessionHandle>& handle);
  void end_session(const std::string& ip, const std::shared_ptr<SessionHandle>& handle);
  void stop(std::chrono::milliseconds deadline, std::function<void()> on_stopped);
  void close_sessions(bool idle_only);

  // Starts the connection threads (after the acceptor listens).
  void start_net();
  // Ends them and drops the connections still open with them. Call from outside those threads
  // (~ApiServer), after stop().
  void end_net();

  boost::asio::io_context& io;  // the daemon's: on_stopped runs there
  ApiOptions options;
  // The API's own io_contexts, one per thread (ApiOptions::io_threads): each connection lives on
  // one of them (round-robin), so its handlers never hop threads or take a strand's lock; the
  // first one also runs the acceptor and the shutdown timer.
  std::vector<std::unique_ptr<boost::asio::io_context>> nets;
  std::vector<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> net_work;
  std::vector<std::thread> net_threads;
  std::size_t next_net = 0;  // the acceptor's round-robin; touched only on accept_strand
  ApiService service;
  std::shared_ptr<boost::asio::ssl::context> tls;
  boost::asio::thread_pool pool;
  std::optional<boost::asio::strand<boost::asio::io_context::executor_type>> accept_strand;
  // Optional so that end_net can destroy them before the io_context they belong to.
  std::optional<boost::asio::ip::tcp::acceptor> acceptor;
  std::optional<boost::asio::steady_timer> deadline_timer;
  std::atomic<std::uint16_t> port{0};
  std::atomic<bool> stopping{false};
  std::atomic<bool> started{false};

  mutable std::mutex mu;
  std::map<std::string, int> per_client;
  std::map<SessionHandle*, std::shared_ptr<SessionHandle>> sessions;
  // Answers waiting for ApiResponse::durable: their callbacks post to an io_context, so end_net
  // waits for every one before destroying the io_contexts.
  int awaiting_durable = 0;  // guarded by mu
  std::condition_variable durable_cv;

  Counter& rejected;
  Counter& handshake_failures;
  Counter& timeouts;
};

boost::asio::awaitable<void> accept_loop(std::shared_ptr<ApiServer::State> state);
boost::asio::awaitable<void> run_session(std::shared_ptr<ApiServer::State> state, boost::asio::ip::tcp::socket socket,
                                         std::string client_ip, std::shared_ptr<SessionHandle> handle);

}  // namespace schakel::api
