// Pure unit tests: path matching, id rules, token secrets and hashing, role and school checks,
// metrics text, the transport policy.
#include "api/api_options.hpp"
#include "api/metrics.hpp"
#include "api/roles.hpp"
#include "api/router.hpp"
#include "api/token.hpp"

#include <gtest/gtest.h>

namespace schakel::api {
namespace {

Route route(const std::string& method, const std::string& pattern) {
  return {method, pattern, {Role::staff}, SchoolScope::none, [](RequestContext&) { return ApiResponse{}; }, ""};
}

TEST(Router, MatchesLiteralsAndParameters) {
  Router r;
  r.add(route("GET", "/v1/students/{id}"));
  r.add(route("POST", "/v1/students"));
  auto m = r.match("GET", "/v1/students/stu_1.a-b");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.params.at("id"), "stu_1.a-b");
  EXPECT_FALSE(m.bad_param);
  EXPECT_EQ(r.match("POST", "/v1/students").route->method, "POST");
  EXPECT_EQ(r.match("GET", "/v1/students/a/b").route, nullptr);
  const auto wrong_method = r.match("DELETE", "/v1/students/x");
  EXPECT_EQ(wrong_method.route, nullptr);
  EXPECT_EQ(wrong_method.allowed_methods, std::vector<std::string>{"GET"});
}

TEST(Router, RefusesDuplicateAndMalformedRoutes) {
  Router r;
  r.add(route("GET", "/v1/x"));
  EXPECT_THROW(r.add(route("GET", "/v1/x")), std::logic_error);
  EXPECT_THROW(r.add(route("GET", "v1/x")), std::logic_error);
}

TEST(Router, BadIdsAndTraversalAreNamed) {
  Router r;
  r.add(route("GET", "/v1/students/{id}"));
  for (const std::string& path : std::vector<std::string>{"/v1/students/..", "/v1/students/%2e%2e", "/v1/students/a%2fb",
                                 "/v1/students/%zz", "/v1/students/a%00"}) {
    const auto m = r.match("GET", path);
    ASSERT_TRUE(m.bad_param) << path;
    EXPECT_EQ(m.bad_param->pointer, "/path") << path;
  }
  const auto traversal = r.match("GET", "/v1/../students/x");
  ASSERT_TRUE(traversal.bad_param);
  EXPECT_NE(traversal.bad_param->message.find("traversal"), std::string::npos);
  const auto odd = r.match("GET", "/v1/students/a b");
  ASSERT_NE(odd.route, nullptr);
  ASSERT_TRUE(odd.bad_param);
  EXPECT_EQ(odd.bad_param->pointer, "/path/id");
  EXPECT_FALSE(is_valid_id(std::string(129, 'a')));
  EXPECT_TRUE(is_valid_id(std::string(128, 'a')));
}

TEST(Token, SecretsAreRandomPrefixedAndHashed) {
  auto a = generate_token_secret();
  auto b = generate_token_secret();
  ASSERT_TRUE(a && b);
  EXPECT_NE(*a, *b);
  EXPECT_EQ(a->rfind("skl_", 0), 0U);
  EXPECT_EQ(a->size(), 4U + 43U);  // 256 bits in base64url
  EXPECT_TRUE(looks_like_token_secret(*a));
  EXPECT_FALSE(looks_like_token_secret("skl_short"));
  EXPECT_FALSE(looks_like_token_secret(std::string("xyz_") + a->substr(4)));
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "abcd"));
  EXPECT_EQ(base64url(std::string("\xfb\xff", 2)), "-_8");
}

TEST(Roles, NamesAndSchools) {
  for (Role r : all_roles()) EXPECT_EQ(role_from_name(role_name(r)), r);
  EXPECT_FALSE(role_from_name("root"));
  EXPECT_EQ(std::string(role_name(Role::operator_)), "operator");
  Principal p{"tok_1", Role::staff, {"27XK"}};
  EXPECT_TRUE(p.sees_school("27XK01"));
  EXPECT_TRUE(p.sees_school("27XK"));
  EXPECT_FALSE(p.sees_school("12AB00"));
  EXPECT_FALSE(p.sees_school(""));
  EXPECT_FALSE(p.sees_all_of({"27XK", "12AB"}));
  EXPECT_TRUE(is_brin("27XK"));
  EXPECT_FALSE(is_brin("27xk"));
}

TEST(Metrics, RendersPrometheusText) {
  MetricsRegistry m;
  m.counter("schakel_deliveries_total", "deliveries", {{"connector", "swv"}}).inc(2);
  m.counter("schakel_deliveries_total", "deliveries", {{"connector", "swv"}}).inc();
  auto& h = m.histogram("schakel_plugin_call_seconds", "latency", {{"connector", "swv"}}, {0.1, 1});
  h.observe(0.05);
  h.observe(0.5);
  h.observe(5);
  const std::string text = m.render();
  EXPECT_NE(text.find("# TYPE schakel_deliveries_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("schakel_deliveries_total{connector=\"swv\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("schakel_plugin_call_seconds_bucket{connector=\"swv\",le=\"0.10000000000000001\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("schakel_plugin_call_seconds_bucket{connector=\"swv\",le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("schakel_plugin_call_seconds_count{connector=\"swv\"} 3\n"), std::string::npos);
  EXPECT_THROW(m.histogram("schakel_deliveries_total", "x"), std::logic_error);
  EXPECT_THROW(m.counter("bad name", "x"), std::logic_error);
}

TEST(Transport, PlainHttpOnlyOnLoopbackAndWhenAllowed) {
  ApiOptions o;
  o.tls = false;
  o.host = "127.0.0.1";
  auto st = check_transport(o);
  EXPECT_FALSE(st);
  EXPECT_NE(st.message().find("allow_plain_http_on_loopback"), std::string::npos);
  o.allow_plain_http_on_loopback = true;
  EXPECT_TRUE(check_transport(o));
  o.host = "::1";
  EXPECT_TRUE(check_transport(o));
  o.host = "0.0.0.0";
  st = check_transport(o);
  EXPECT_FALSE(st);
  EXPECT_NE(st.message().find("only on a loopback address"), std::string::npos);
  o.host = "192.168.1.10";
  EXPECT_FALSE(check_transport(o));
  o.tls = true;
  st = check_transport(o);
  EXPECT_NE(st.message().find("cert_file and key_file"), std::string::npos);
}

TEST(Transport, ParsesListenAddresses) {
  std::string host;
  std::uint16_t port = 1;
  ASSERT_TRUE(parse_listen("127.0.0.1:8443", host, port));
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 8443);
  ASSERT_TRUE(parse_listen("[::1]:0", host, port));
  EXPECT_EQ(host, "::1");
  EXPECT_EQ(port, 0);
  EXPECT_FALSE(parse_listen("localhost", host, port));
  EXPECT_FALSE(parse_listen("h:99999", host, port));
}

}  // namespace
}  // namespace schakel::api
