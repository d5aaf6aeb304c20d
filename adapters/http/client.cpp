// The blocking client: requests run as coroutines on the client's own I/O thread.
#include <deque>
#include <future>
#include <map>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>

#include "http/detail.hpp"

namespace schakel::http {

namespace bhttp = boost::beast::http;
using namespace detail;

std::optional<std::string> Response::header(std::string_view name) const {
  for (const auto& h : headers) {
    if (boost::beast::iequals(h.name, name)) return h.value;
  }
  return std::nullopt;
}

Outcome classify_status(int status) {
  if (status >= 200 && status < 400) return Outcome::success;
  if (status == 408 || status == 425 || status == 429 || (status >= 500 && status < 600)) return Outcome::transient;
  return Outcome::permanent;
}

Status response_status(const Response& response) {
  if (response.status >= 200 && response.status < 300) return {};
  constexpr std::size_t k_excerpt = 300;
  std::string text = "HTTP " + std::to_string(response.status) + " from " + response.url;
  if (!response.body.empty()) {
    text += ": " + response.body.substr(0, k_excerpt);
    if (response.body.size() > k_excerpt) text += "...";
  }
  const bool transient = classify_status(response.status) == Outcome::transient;
  return error(transient ? ErrorCode::unavailable : ErrorCode::invalid, text);
}

struct Client::Impl {
  ClientOptions options;
  SystemClock system_clock;
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  std::unique_ptr<ssl::context> tls;
  // Idle keep-alive connections per scheme://host:port; touched only on the I/O thread.
  std::map<std::string, std::deque<std::unique_ptr<Connection>>> idle;
  std::thread thread;

  const Clock& clock() const { return options.clock != nullptr ? *options.clock : system_clock; }

  std::unique_ptr<Connection> take_idle(const std::string& key) {
    auto it = idle.find(key);
    if (it == idle.end()) return nullptr;
    auto& list = it->second;
    while (!list.empty()) {
      auto c = std::move(list.back());
      list.pop_back();
      if (SteadyClock::now() - c->idle_since < options.idle_timeout) return c;
    }
    return nullptr;
  }

  void put_idle(const std::string& key, std::unique_ptr<Connection> c) {
    auto& list = idle[key];
    if (list.size() >= options.max_idle_per_host) list.pop_front();
    c->idle_since = SteadyClock::now();
    list.push_back(std::move(c));
  }

  bhttp::request<bhttp::string_body> build(const Request& r, const Target& t) const {
    bhttp::request<bhttp::string_body> req;
    const auto verb = bhttp::string_to_verb(r.method);
    if (verb == bhttp::verb::unknown) {
      req.method_string(r.method);
    } else {
      req.method(verb);
    }
    req.target(t.target);
    req.version(11);
    req.set(bhttp::field::host, t.host_port);
    req.set(bhttp::field::user_agent, options.user_agent);
    for (const auto& h : r.headers) {
      if (boost::beast::iequals(h.name, "User-Agent")) {
        req.set(bhttp::field::user_agent, h.value);
      } else {
        req.insert(h.name, h.value);
      }
    }
    req.body() = r.body;
    req.prepare_payload();
    return req;
  }

  Response convert(bhttp::response<bhttp::string_body>&& res, const Target& t) const {
    Response out;
    out.status = res.result_int();
    out.url = t.display;
    for (const auto& f : res) out.headers.push_back({std::string(f.name_string()), std::string(f.value())});
    out.body = std::move(res.body());
    if (auto ra = out.header("Retry-After")) out.retry_after = parse_retry_after(*ra, clock().now());
    return out;
  }

  // One request to one URL; a stale pooled connection is replaced once, before any answer arrived.
  asio::awaitable<Result<Response>> send_once(const Request& r, const Target& t, const Deadline& deadline) {
    auto proxy = proxy_for(options, t);
    if (!proxy) co_return proxy.status();
    const std::string key = t.pool_key();
    for (int attempt = 0;; ++attempt) {
      auto c = attempt == 0 ? take_idle(key) : nullptr;
      const bool reused = c != nullptr;
      if (!c) {
        auto opened = co_await open_connection(*tls, t, *proxy, options, deadline);
        if (!opened) co_return opened.status();
        c = std::move(*opened);
      }
      auto req = build(r, t);
      Exchange ex = co_await exchange(*c, req, t, options, deadline);
      if (!ex.status.is_ok()) {
        // A pooled connection the server dropped while idle; a timeout is not retried here.
        if (reused && ex.closed_unanswered) continue;
        co_return ex.status;
      }
      Response out = convert(std::move(*ex.response), t);
      if (ex.keep_alive) put_idle(key, std::move(c));
      co_return out;
    }
  }

  asio::awaitable<Result<Response>> run(Request r) {
    const Deadline deadline(options.total_timeout);
    for (int hop = 0;; ++hop) {
      auto t = parse_target(r.url, options.allow_plain_http);
      if (!t) co_return t.status();
      auto res = co_await send_once(r, *t, deadline);
      if (!res) co_return res;
      const int s = res->status;
      const bool redirect = s == 301 || s == 302 || s == 303 || s == 307 || s == 308;
      auto location = res->header("Location");
      if (!redirect || options.max_redirects <= 0 || !location) co_return res;
      if (hop >= options.max_redirects) {
        co_return error(ErrorCode::invalid, "too many redirects (more than " + std::to_string(options.max_redirects) +
                                                ") at " + t->display);
      }
      const std::string next = resolve_location(r.url, *location);
      if (next.empty()) co_return error(ErrorCode::invalid, "bad redirect Location from " + t->display);
      auto next_target = parse_target(next, options.allow_plain_http);
      if (!next_target) co_return next_target.status().with_context("redirect from " + t->display);
      if (next_target->pool_key() != t->pool_key()) {
        // Credentials are for the origin they were given to, not for wherever it points.
        std::erase_if(r.headers, [](const Header& h) {
          return boost::beast::iequals(h.name, "Authorization") || boost::beast::iequals(h.name, "Cookie");
        });
      }
      if (s == 303 || ((s == 301 || s == 302) && r.method == "POST")) {
        r.method = "GET";
        r.body.clear();
        std::erase_if(r.headers, [](const Header& h) { return boost::beast::iequals(h.name, "Content-Type"); });
      }
      r.url = next;
    }
  }
};

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<Client>> Client::create(ClientOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  auto tls = make_tls_context(impl->options);
  if (!tls) return tls.status();
  impl->tls = std::move(*tls);
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->io.run(); });
  return std::unique_ptr<Client>(new Client(std::move(impl)));
}

Client::~Client() {
  // No request is in flight (see send()); idle connections close when Impl goes, after the thread.
  impl_->work.reset();
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

const ClientOptions& Client::options() const { return impl_->options; }

Result<Response> Client::send(const Request& request) {
  std::optional<Result<Response>> out;
  auto done = asio::co_spawn(
      impl_->io,
      [&]() -> asio::awaitable<void> {
        try {
          out.emplace(co_await impl_->run(request));
        } catch (const std::exception& e) {
          out.emplace(error(ErrorCode::internal, std::string("HTTP client: ") + e.what()));
        }
      },
      asio::use_future);
  done.get();
  if (!out) return error(ErrorCode::internal, "HTTP client: request did not complete");
  return std::move(*out);
}

}  // namespace schakel::http
