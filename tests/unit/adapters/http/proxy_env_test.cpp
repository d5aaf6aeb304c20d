// Which proxy a request uses: the options, or HTTPS_PROXY and NO_PROXY from the environment.
#include <cstdlib>

#include <gtest/gtest.h>

#include "http/detail.hpp"

namespace schakel::http::detail {
namespace {

class ProxyEnv : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* v : {"HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy"}) unsetenv(v);
    options_.proxy.reset();
  }
  void TearDown() override { SetUp(); }

  std::optional<Target> proxy_of(const std::string& url) {
    auto t = parse_target(url, true);
    EXPECT_TRUE(t) << t.status().message();
    auto p = proxy_for(options_, *t);
    EXPECT_TRUE(p) << p.status().message();
    return *p;
  }
  ClientOptions options_;
};

TEST_F(ProxyEnv, HttpsProxyFromTheEnvironmentWithCredentials) {
  setenv("HTTPS_PROXY", "http://school%20proxy:p%40ss@proxy.internal:3128", 1);
  auto p = proxy_of("https://portal.example.org/api");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->host, "proxy.internal");
  EXPECT_EQ(p->port, 3128);
  EXPECT_EQ(p->user_info, "school proxy:p@ss");
}

TEST_F(ProxyEnv, LowerCaseAndSchemelessProxyAreAccepted) {
  setenv("https_proxy", "proxy.internal:8080", 1);
  auto p = proxy_of("https://portal.example.org/");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->port, 8080);
}

TEST_F(ProxyEnv, NoProxyLoopbackAndPlainHttpGoDirect) {
  setenv("HTTPS_PROXY", "http://proxy.internal:3128", 1);
  setenv("NO_PROXY", "intranet, .school.nl", 1);
  EXPECT_FALSE(proxy_of("https://intranet/x"));
  EXPECT_FALSE(proxy_of("https://las.school.nl/x"));
  EXPECT_FALSE(proxy_of("https://school.nl/x"));
  EXPECT_TRUE(proxy_of("https://notschool.nl/x"));
  EXPECT_FALSE(proxy_of("https://127.0.0.1:8443/x"));
  EXPECT_FALSE(proxy_of("https://localhost/x"));
  EXPECT_FALSE(proxy_of("http://example.org/x"));
  setenv("NO_PROXY", "*", 1);
  EXPECT_FALSE(proxy_of("https://portal.example.org/"));
}

TEST_F(ProxyEnv, OptionsOverrideTheEnvironment) {
  setenv("HTTPS_PROXY", "http://proxy.internal:3128", 1);
  options_.proxy = "";
  EXPECT_FALSE(proxy_of("https://portal.example.org/"));
  options_.proxy = "http://127.0.0.1:9999";
  auto p = proxy_of("https://127.0.0.1:8443/");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->port, 9999);
  options_.proxy = "https://proxy.internal:443";
  auto t = parse_target("https://portal.example.org/", false);
  ASSERT_TRUE(t);
  auto refused = proxy_for(options_, *t);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.status().message().find("only http:// CONNECT proxies"), std::string::npos);
}

}  // namespace
}  // namespace schakel::http::detail
