// ApiOptions from the configuration: TLS files, the demo's self-signed pair, plain HTTP rules,
// and the limit keys.
#include <sys/stat.h>

#include "api/api_options.hpp"
#include "api_test_env.hpp"
#include "config/config.hpp"

namespace schakel::api::test {
namespace {

config::Config load(ApiEnv& env, const std::string& api_yaml, bool demo) {
  const std::string yaml = "version: 1\ninstance:\n  name: t\n  data_dir: " + env.dir.path().string() +
                           "\n  demo: " + (demo ? "true" : "false") + "\napi:\n" + api_yaml;
  auto loaded = config::load_config_text(yaml, env.dir.path() / "schakel.yaml", env.schemas);
  if (!loaded.config) {
    std::string all;
    for (const auto& e : loaded.errors) all += e.to_string() + "\n";
    throw std::runtime_error(all);
  }
  return *loaded.config;
}

TEST(ApiOptionsFromConfig, DemoGetsASelfSignedPairInTheDataDir) {
  ApiEnv env;
  auto o = api_options_from_config(load(env, "  listen: 127.0.0.1:0\n", true), env.clock);
  ASSERT_TRUE(o) << o.status().message();
  EXPECT_TRUE(o->tls);
  EXPECT_EQ(o->cert_file, env.dir.path() / "tls" / "cert.pem");
  ASSERT_TRUE(std::filesystem::exists(o->cert_file));
  struct stat st {};
  ASSERT_EQ(::stat(o->key_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);
}

TEST(ApiOptionsFromConfig, WithoutTlsOrDemoOnlyLoopbackWithConsentIsPlain) {
  ApiEnv env;
  auto no_tls = api_options_from_config(load(env, "  listen: 127.0.0.1:8443\n", false), env.clock);
  ASSERT_FALSE(no_tls);
  EXPECT_NE(no_tls.status().message().find("cert_file and key_file"), std::string::npos);

  auto open = api_options_from_config(
      load(env, "  listen: 0.0.0.0:8443\n  allow_plain_http_on_loopback: true\n", false), env.clock);
  ASSERT_FALSE(open);
  EXPECT_NE(open.status().message().find("loopback"), std::string::npos);

  auto plain = api_options_from_config(
      load(env, "  listen: '[::1]:0'\n  allow_plain_http_on_loopback: true\n", false), env.clock);
  ASSERT_TRUE(plain) << plain.status().message();
  EXPECT_FALSE(plain->tls);
  EXPECT_EQ(plain->host, "::1");
}

TEST(ApiOptionsFromConfig, ReadsTlsFilesAndLimits) {
  ApiEnv env;
  auto o = api_options_from_config(load(env,
                                        "  listen: 127.0.0.1:9443\n"
                                        "  tls: {cert_file: certs/c.pem, key_file: certs/k.pem}\n"
                                        "  body_limit_bytes: 2048\n  header_limit_bytes: 4096\n"
                                        "  read_timeout_ms: 250\n  idle_timeout_ms: 500\n"
                                        "  max_connections_per_client: 3\n",
                                        false),
                                   env.clock);
  ASSERT_TRUE(o) << o.status().message();
  EXPECT_TRUE(o->tls);
  EXPECT_EQ(o->port, 9443);
  EXPECT_EQ(o->cert_file, env.dir.path() / "certs" / "c.pem");
  EXPECT_EQ(o->body_limit_bytes, 2048U);
  EXPECT_EQ(o->header_limit_bytes, 4096U);
  EXPECT_EQ(o->read_timeout, std::chrono::milliseconds(250));
  EXPECT_EQ(o->idle_timeout, std::chrono::milliseconds(500));
  EXPECT_EQ(o->max_connections_per_client, 3);
}

}  // namespace
}  // namespace schakel::api::test
