// Bad input and limits over the wire: each refusal is a clear 4xx (or a closed connection for a
// client too slow to finish), and the server keeps serving. Timeouts are milliseconds; the test
// waits only for the server's own answer or close.
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "server_test_env.hpp"

namespace schakel::api::test {
namespace {

using schakel::test::http_request;
using schakel::test::raw_exchange;

void expect_still_serving(ServerEnv& s) {
  const auto res = http_request(s.client(), "GET", "/v1/health");
  EXPECT_EQ(res.status, 200) << res.error;
}

class ServerLimits : public ::testing::TestWithParam<bool> {};

TEST_P(ServerLimits, BadBodiesGetClearErrors) {
  ServerEnv s(GetParam(), [](ApiOptions& o) { o.body_limit_bytes = 4096; });
  const std::string staff = s.token(Role::staff);
  auto c = s.client();

  const auto malformed = http_request(c, "POST", "/v1/students", staff, "{\"id\": [");
  EXPECT_EQ(malformed.status, 400);
  EXPECT_EQ(malformed.json()["error"], "malformed_json");

  auto doc = student_doc("stu_x", "sch_own");
  doc["birth_date"] = 20160301;
  doc["hobby"] = "chess";
  const auto wrong = http_request(c, "POST", "/v1/students", staff, doc.dump());
  EXPECT_EQ(wrong.status, 422);
  std::set<std::string> pointers;
  const auto wrong_body = wrong.json();
  for (const auto& p : wrong_body["problems"]) pointers.insert(p["pointer"].get<std::string>());
  EXPECT_TRUE(pointers.count("/birth_date")) << wrong.body;
  EXPECT_TRUE(pointers.count("/hobby")) << wrong.body;

  const auto big = http_request(c, "POST", "/v1/students", staff, std::string(5000, ' ') + "{}");
  EXPECT_EQ(big.status, 413) << big.error;
  EXPECT_EQ(big.json()["error"], "payload_too_large");

  const auto traversal = http_request(c, "GET", "/v1/students/..%2f..%2fetc%2fpasswd", staff);
  EXPECT_EQ(traversal.status, 400);
  const auto dots = http_request(c, "GET", "/v1/students/%2e%2e", staff);
  EXPECT_EQ(dots.status, 400);
  expect_still_serving(s);
}

TEST_P(ServerLimits, MalformedHttpAndHugeHeadersAreRefused) {
  ServerEnv s(GetParam(), [](ApiOptions& o) { o.header_limit_bytes = 2048; });
  const auto garbage = raw_exchange(s.client(), "HELLO THERE\r\n\r\n");
  EXPECT_NE(garbage.received.find("HTTP/1.1 400"), std::string::npos) << garbage.received << garbage.error;
  const auto huge = raw_exchange(s.client(), "GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Pad: " +
                                                 std::string(4000, 'a') + "\r\n\r\n");
  EXPECT_NE(huge.received.find("HTTP/1.1 431"), std::string::npos) << huge.received << huge.error;
  expect_still_serving(s);
}

TEST_P(ServerLimits, SlowClientHitsTheReadTimeout) {
  ServerEnv s(GetParam(), [](ApiOptions& o) { o.read_timeout = std::chrono::milliseconds(150); });
  auto c = s.client();
  c.timeout = std::chrono::seconds(20);  // far longer than the server's read timeout
  // Half a request head, never finished: the server must give up on its own.
  const auto slow = raw_exchange(c, "POST /v1/students HTTP/1.1\r\nHost: x\r\nContent-Len");
  EXPECT_TRUE(slow.closed) << slow.error;
  EXPECT_EQ(slow.received, "");
  expect_still_serving(s);
  // The client may see the close before the server's coroutine counts it; after shutdown it has.
  s.shutdown(std::chrono::milliseconds(1000));
  EXPECT_NE(s.server->metrics().render().find("schakel_api_timeouts_total 1"), std::string::npos);
}

// The response head is written by the server itself: a handler's header replaces a default of
// the same name, one that could start a header of its own is refused, and requests that arrive
// together (pipelined) are each answered, in order.
TEST_P(ServerLimits, ResponseHeadsAndPipelinedRequests) {
  ServerEnv s(GetParam());
  // Before the first request, so registering does not race with serving.
  auto answer_with_header = [&s](const std::string& path, const std::string& name, const std::string& value) {
    s.server->add_route({"GET", path, {}, SchoolScope::none,
                         [name, value](RequestContext&) {
                           ApiResponse r = json_response(200, {{"ok", true}});
                           r.headers.emplace_back(name, value);
                           return r;
                         },
                         "test", true});
  };
  answer_with_header("/v1/test/cached", "cache-control", "private, no-cache");
  answer_with_header("/v1/test/injected", "X-Note", "a\r\nSet-Cookie: stolen=1");
  const auto cached = raw_exchange(s.client(), "GET /v1/test/cached HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_NE(cached.received.find("HTTP/1.1 200 OK\r\n"), std::string::npos) << cached.received << cached.error;
  EXPECT_NE(cached.received.find("Cache-Control: private, no-cache\r\n"), std::string::npos) << cached.received;
  EXPECT_EQ(cached.received.find("no-store"), std::string::npos) << cached.received;
  EXPECT_NE(cached.received.find("Connection: close\r\n"), std::string::npos) << cached.received;
  EXPECT_NE(cached.received.find("Content-Length: 11\r\n"), std::string::npos) << cached.received;
  EXPECT_TRUE(cached.received.ends_with("\r\n\r\n{\"ok\":true}")) << cached.received;

  const auto injected =
      raw_exchange(s.client(), "GET /v1/test/injected HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_NE(injected.received.find("HTTP/1.1 500"), std::string::npos) << injected.received << injected.error;
  EXPECT_EQ(injected.received.find("Set-Cookie"), std::string::npos) << injected.received;

  const std::string one = "GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n";
  const auto both = raw_exchange(s.client(), one + "GET /v1/test/cached HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  const auto first = both.received.find("HTTP/1.1 200 OK\r\n");
  ASSERT_NE(first, std::string::npos) << both.received << both.error;
  EXPECT_NE(both.received.find("{\"status\":\"ok\"}HTTP/1.1 200 OK\r\n", first), std::string::npos) << both.received;
  EXPECT_TRUE(both.closed);
  expect_still_serving(s);
}

// An answer whose handler set ApiResponse::durable leaves only with that outcome, reported here
// from another thread as the store's commit thread would: ok sends the response, a failure
// replaces it with the store failure (its message, which may name files, stays in the log).
TEST_P(ServerLimits, AnAnswerWaitsForWhatItMadeDurable) {
  ServerEnv s(GetParam());
  std::mutex mu;
  std::vector<std::thread> committers;
  auto route = [&](const std::string& path, Status outcome) {
    s.server->add_route({"GET", path, {}, SchoolScope::none,
                         [&mu, &committers, outcome](RequestContext&) {
                           ApiResponse r = json_response(200, {{"ok", true}});
                           r.durable = [&mu, &committers, outcome](std::function<void(Status)> done) {
                             std::lock_guard lock(mu);
                             committers.emplace_back([done, outcome] { done(outcome); });
                           };
                           return r;
                         },
                         "test"});
  };
  route("/v1/test/durable", Status::ok());
  route("/v1/test/lost", Status(ErrorCode::unavailable, "/var/lib/schakel/schakel.db: disk I/O error"));
  const auto ok = http_request(s.client(), "GET", "/v1/test/durable");
  EXPECT_EQ(ok.status, 200) << ok.error;
  EXPECT_EQ(ok.body, "{\"ok\":true}");
  const auto lost = http_request(s.client(), "GET", "/v1/test/lost");
  EXPECT_EQ(lost.status, 503) << lost.body;
  EXPECT_EQ(lost.body.find("/var/lib"), std::string::npos) << lost.body;
  EXPECT_EQ(lost.body.find("{\"ok\""), std::string::npos) << lost.body;
  // Called directly, the service waits for the outcome itself.
  ApiRequest direct;
  direct.method = "GET";
  direct.target = "/v1/test/lost";
  EXPECT_EQ(s.server->service().handle(direct).status, 503);
  expect_still_serving(s);
  s.shutdown(std::chrono::milliseconds(0));
  std::lock_guard lock(mu);
  for (auto& t : committers) t.join();
}

INSTANTIATE_TEST_SUITE_P(PlainAndTls, ServerLimits, ::testing::Values(false, true),
                         [](const auto& param_info) { return param_info.param ? std::string("tls") : std::string("plain"); });

TEST(ServerConnections, TooManyFromOneClientAreClosed) {
  ServerEnv s(false, [](ApiOptions& o) { o.max_connections_per_client = 2; });
  boost::asio::io_context io;
  const boost::asio::ip::tcp::endpoint ep(boost::asio::ip::make_address("127.0.0.1"), s.server->port());
  boost::asio::ip::tcp::socket a(io), b(io);
  a.connect(ep);
  b.connect(ep);
  // The server accepts in order, so the third connection is the one over the limit.
  auto third = raw_exchange(s.client(), "GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(third.closed);
  EXPECT_EQ(third.received, "");
  a.close();
  b.close();
  // Once those end, the client is welcome again; the server's count catches up as it sees them close.
  bool served = false;
  for (int i = 0; i < 200 && !served; ++i) served = http_request(s.client(), "GET", "/v1/health").status == 200;
  EXPECT_TRUE(served);
  s.shutdown(std::chrono::milliseconds(1000));
  EXPECT_EQ(s.server->metrics().render().find("schakel_api_connections_rejected_total 0\n"), std::string::npos);
}

TEST(ServerConnections, StopClosesIdleConnectionsAndReturns) {
  ServerEnv s(false, [](ApiOptions& o) { o.idle_timeout = std::chrono::minutes(10); });
  boost::asio::io_context io;
  const boost::asio::ip::tcp::endpoint ep(boost::asio::ip::make_address("127.0.0.1"), s.server->port());
  boost::asio::ip::tcp::socket idle(io);
  idle.connect(ep);
  boost::asio::ip::tcp::socket busy(io);
  busy.connect(ep);
  const std::string partial = "GET /v1/health HTTP/1.1\r\nHo";
  boost::asio::write(busy, boost::asio::buffer(partial));
  // With a ten-minute idle timeout, only stop() can end these; the deadline bounds the busy one.
  s.shutdown(std::chrono::milliseconds(200));
  EXPECT_EQ(s.server->open_connections(), 0U);
  char byte = 0;
  boost::system::error_code ec;
  boost::asio::read(idle, boost::asio::buffer(&byte, 1), ec);
  EXPECT_TRUE(ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset) << ec.message();
  boost::asio::read(busy, boost::asio::buffer(&byte, 1), ec);
  EXPECT_TRUE(ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset) << ec.message();
  // No longer listening.
  boost::asio::ip::tcp::socket late(io);
  late.connect(ep, ec);
  EXPECT_TRUE(ec) << "the listener is closed";
}

TEST(ServerStart, RefusesPlainHttpOffLoopbackAndBadCertificates) {
  ApiEnv env;
  boost::asio::io_context io;
  ApiOptions o;
  o.tls = false;
  o.host = "0.0.0.0";
  o.allow_plain_http_on_loopback = true;
  ApiServer plain(io, o, *env.store, env.schemas, env.clock);
  const Status st = plain.start();
  EXPECT_FALSE(st);
  EXPECT_NE(st.message().find("loopback"), std::string::npos) << st.message();

  o.tls = true;
  o.host = "127.0.0.1";
  o.cert_file = env.dir.path() / "missing.pem";
  o.key_file = env.dir.path() / "missing.key";
  ApiServer tls(io, o, *env.store, env.schemas, env.clock);
  const Status bad = tls.start();
  EXPECT_FALSE(bad);
  EXPECT_NE(bad.message().find("missing.pem"), std::string::npos) << bad.message();
}

}  // namespace
}  // namespace schakel::api::test
