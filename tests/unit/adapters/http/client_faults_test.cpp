// The HTTPS client against a misbehaving server: cut-off responses, errors, stalls, big bodies.
#include <thread>

#include "unit/adapters/http/https_fixture.hpp"

namespace schakel::test {
namespace {

using http::ClientOptions;
using http::Milliseconds;
using nlohmann::json;

class HttpsFaults : public HttpsTest {};

TEST_F(HttpsFaults, ServerClosingMidResponseIsTransient) {
  auto server = serve({{"*", {{{"action", "close_mid"}, {"status", 200}, {"body", "{\"partial\": true}"}}}}});
  auto res = make_client(trusting_options())->send({"POST", server->url("/x"), {}, "{}"});
  ASSERT_FALSE(res);
  EXPECT_TRUE(http::is_transient(res.status()));
  EXPECT_NE(res.status().message().find("connection closed mid-response"), std::string::npos)
      << res.status().message();
}

TEST_F(HttpsFaults, ServerClosingWithoutAnswerIsTransient) {
  auto server = serve({{"*", {{{"action", "close"}}}}});
  auto res = make_client(trusting_options())->send({"GET", server->url("/x"), {}, {}});
  ASSERT_FALSE(res);
  EXPECT_TRUE(http::is_transient(res.status()));
  EXPECT_NE(res.status().message().find("connection closed before a response"), std::string::npos)
      << res.status().message();
}

TEST_F(HttpsFaults, FiveHundredThenTwoHundred) {
  auto server = serve({{"*", {{{"status", 500}, {"body", "boom"}}, {{"status", 200}, {"body", "fine"}}}}});
  auto client = make_client(trusting_options());
  auto first = client->send({"POST", server->url("/x"), {}, "same"});
  ASSERT_TRUE(first) << first.status().message();
  EXPECT_EQ(first->status, 500);
  const Status s = http::response_status(*first);
  EXPECT_TRUE(http::is_transient(s));
  EXPECT_EQ(s.message(), "HTTP 500 from " + server->url("/x") + ": boom");
  auto second = client->send({"POST", server->url("/x"), {}, "same"});
  ASSERT_TRUE(second) << second.status().message();
  EXPECT_EQ(second->status, 200);
  EXPECT_EQ(second->body, "fine");
}

TEST_F(HttpsFaults, SlowServerPastTheReadTimeoutIsTransient) {
  auto server = serve({{"*", {{{"action", "hang"}}}}});
  ClientOptions o = trusting_options();
  o.read_timeout = Milliseconds{150};
  auto res = make_client(o)->send({"GET", server->url("/slow"), {}, {}});
  ASSERT_FALSE(res);
  EXPECT_TRUE(http::is_transient(res.status()));
  EXPECT_EQ(res.status().message(),
            "timeout: no response within the read timeout of 150 ms for " + server->url("/slow"));
}

TEST_F(HttpsFaults, TotalTimeoutBoundsTheWholeRequest) {
  auto server = serve({{"*", {{{"action", "hang"}}}}});
  ClientOptions o = trusting_options();
  o.total_timeout = Milliseconds{200};
  auto res = make_client(o)->send({"GET", server->url("/slow"), {}, {}});
  ASSERT_FALSE(res);
  EXPECT_TRUE(http::is_transient(res.status()));
  EXPECT_NE(res.status().message().find("total timeout of 200 ms"), std::string::npos) << res.status().message();
}

TEST_F(HttpsFaults, ConnectionRefusedIsTransient) {
  int port = 0;
  {
    auto gone = serve({});
    port = gone->port();
  }  // the server is stopped; its port now refuses
  auto res = make_client(trusting_options())->send({"GET", "https://127.0.0.1:" + std::to_string(port) + "/", {}, {}});
  ASSERT_FALSE(res);
  EXPECT_TRUE(http::is_transient(res.status()));
  EXPECT_NE(res.status().message().find("cannot connect to 127.0.0.1:"), std::string::npos) << res.status().message();
}

TEST_F(HttpsFaults, ResponseLargerThanTheLimitIsRefused) {
  auto server = serve({{"*", {{{"status", 200}, {"body_size", 5000}}}}});
  ClientOptions o = trusting_options();
  o.max_response_bytes = 4096;
  auto res = make_client(o)->send({"GET", server->url("/big"), {}, {}});
  ASSERT_FALSE(res);
  EXPECT_EQ(res.status().code(), ErrorCode::invalid);
  EXPECT_EQ(res.status().message(), "response body exceeds the limit of 4096 bytes for " + server->url("/big"));
  o.max_response_bytes = 5000;
  auto fits = make_client(o)->send({"GET", server->url("/big"), {}, {}});
  ASSERT_TRUE(fits) << fits.status().message();
  EXPECT_EQ(fits->body.size(), 5000U);
}

TEST_F(HttpsFaults, TooManyRequestsCarriesRetryAfter) {
  auto server = serve({{"*", {{{"status", 429}, {"headers", {{"Retry-After", "0"}}}, {"body", "slow down"}}}}});
  auto res = make_client(trusting_options())->send({"GET", server->url("/"), {}, {}});
  ASSERT_TRUE(res) << res.status().message();
  EXPECT_EQ(res->status, 429);
  EXPECT_EQ(res->retry_after, Milliseconds{0});
  EXPECT_TRUE(http::is_transient(http::response_status(*res)));
}

TEST_F(HttpsFaults, KeepAliveReusesTheConnection) {
  auto server = serve({{"*", {{{"status", 200}, {"body", "ok"}}}}});
  auto client = make_client(trusting_options());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(client->send({"GET", server->url("/"), {}, {}}));
  auto rec = server->records();
  ASSERT_EQ(rec.size(), 3U);
  EXPECT_EQ(rec[0]["peer_port"], rec[1]["peer_port"]);
  EXPECT_EQ(rec[1]["peer_port"], rec[2]["peer_port"]);
}

TEST_F(HttpsFaults, ConnectionDroppedWhileIdleIsReplacedTransparently) {
  auto server = serve({{"*", {{{"status", 200}, {"body", "ok"}, {"close_after", true}}}}});
  auto client = make_client(trusting_options());
  for (int i = 0; i < 2; ++i) {
    auto res = client->send({"POST", server->url("/"), {}, "body"});
    ASSERT_TRUE(res) << i << ": " << res.status().message();
  }
  auto rec = server->records();
  ASSERT_EQ(rec.size(), 2U);
  EXPECT_NE(rec[0]["peer_port"], rec[1]["peer_port"]);
}

TEST_F(HttpsFaults, RedirectsAreReturnedUnlessConfigured) {
  auto server = serve({{"/old", {{{"status", 308}, {"headers", {{"Location", "/new"}}}}}},
                       {"/new", {{{"echo", true}}}},
                       {"/loop", {{{"status", 302}, {"headers", {{"Location", "/loop"}}}}}}});
  auto res = make_client(trusting_options())->send({"POST", server->url("/old"), {}, "payload"});
  ASSERT_TRUE(res) << res.status().message();
  EXPECT_EQ(res->status, 308);

  ClientOptions o = trusting_options();
  o.max_redirects = 2;
  auto client = make_client(o);
  res = client->send({"POST", server->url("/old"), {}, "payload"});
  ASSERT_TRUE(res) << res.status().message();
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "payload");  // 308 keeps method and body
  EXPECT_EQ(res->url, server->url("/new"));

  res = client->send({"GET", server->url("/loop"), {}, {}});
  ASSERT_FALSE(res);
  EXPECT_NE(res.status().message().find("too many redirects (more than 2)"), std::string::npos);
}

TEST_F(HttpsFaults, ConcurrentCallersEachGetTheirOwnAnswer) {
  auto server = serve({{"*", {{{"echo", true}}}}});
  auto client = make_client(trusting_options());
  std::vector<std::thread> threads;
  std::vector<std::string> answers(4);
  for (std::size_t t = 0; t < answers.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        const std::string body = "caller " + std::to_string(t) + " #" + std::to_string(i);
        auto res = client->send({"POST", server->url("/echo"), {}, body});
        answers[t] += (res && res->body == body) ? "." : "x";
      }
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& a : answers) EXPECT_EQ(a, ".....");
}

}  // namespace
}  // namespace schakel::test
