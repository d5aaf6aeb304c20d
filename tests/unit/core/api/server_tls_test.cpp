// The server over real TLS on loopback: protocol versions, ciphers, certificate checks, sslscan.
#include <array>
#include <cstdio>
#include <memory>

#include <openssl/ssl.h>

#include "server_test_env.hpp"

namespace schakel::api::test {
namespace {

using schakel::test::http_request;
using schakel::test::tls_handshake;

TEST(ServerTls, ServesHealthAndAuthenticatedEndpointsOverTls13) {
  ServerEnv s(true);
  ASSERT_TRUE(s.server->uses_tls());
  const auto health = http_request(s.client(), "GET", "/v1/health");
  ASSERT_EQ(health.status, 200) << health.error;
  EXPECT_EQ(health.tls_version, "TLSv1.3");
  EXPECT_EQ(health.json()["status"], "ok");
  EXPECT_EQ(health.headers.count("strict-transport-security"), 1U);
  EXPECT_EQ(http_request(s.client(), "GET", "/v1/metrics").status, 401);
  EXPECT_EQ(http_request(s.client(), "GET", "/v1/metrics", s.token(Role::operator_)).status, 200);
  EXPECT_EQ(http_request(s.client(), "GET", "/v1/students/stu_own", s.token(Role::staff)).status, 200);
  EXPECT_EQ(http_request(s.client(), "GET", "/v1/students/stu_other", s.token(Role::staff)).status, 403);
}

TEST(ServerTls, Tls12NegotiatesOnlyEcdheAead) {
  ServerEnv s(true);
  auto c = s.client();
  c.max_tls = TLS1_2_VERSION;
  std::string version, cipher;
  ASSERT_EQ(tls_handshake(c, &version, &cipher), "");
  EXPECT_EQ(version, "TLSv1.2");
  EXPECT_EQ(cipher.rfind("ECDHE-", 0), 0U) << cipher;
  EXPECT_TRUE(cipher.find("GCM") != std::string::npos || cipher.find("CHACHA20") != std::string::npos) << cipher;

  // A client that offers only CBC, or only non-ECDHE key exchange, finds nothing in common.
  for (const char* weak : {"ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA384", "AES128-GCM-SHA256",
                           "DHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES128-SHA256"}) {
    c.tls12_ciphers = weak;
    c.allow_legacy = true;
    EXPECT_NE(tls_handshake(c), "") << weak;
  }
}

TEST(ServerTls, OldProtocolsAreRefused) {
  ServerEnv s(true);
  for (int version : {TLS1_VERSION, TLS1_1_VERSION}) {
    auto c = s.client();
    c.allow_legacy = true;  // the client really offers the old protocol
    c.min_tls = version;
    c.max_tls = version;
    const std::string error = tls_handshake(c);
    EXPECT_NE(error, "") << "TLS version " << version << " was accepted";
  }
  // The server keeps serving.
  EXPECT_EQ(http_request(s.client(), "GET", "/v1/health").status, 200);
  s.shutdown(std::chrono::milliseconds(1000));  // so every session has counted its failure
  EXPECT_NE(s.server->metrics().render().find("schakel_api_tls_handshake_failures_total 2"), std::string::npos);
}

TEST(ServerTls, CertificateIsVerifiedAgainstTheRightCaOnly) {
  ServerEnv s(true);
  auto c = s.client();
  c.ca_file = s.tls_files.cert_file.string();
  EXPECT_EQ(tls_handshake(c), "");
  schakel::test::TempDir other;
  auto wrong = ensure_self_signed(other.path(), s.env.clock);
  ASSERT_TRUE(wrong);
  c.ca_file = wrong->cert_file.string();
  EXPECT_NE(tls_handshake(c), "");
}

TEST(ServerTls, SslscanFindsNoWeakProtocolOrCipher) {
  ServerEnv s(true);
  const std::string cmd = "sslscan --no-colour 127.0.0.1:" + std::to_string(s.server->port()) + " 2>&1";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
  ASSERT_TRUE(pipe);
  std::string out;
  std::array<char, 4096> buf{};
  while (std::fgets(buf.data(), buf.size(), pipe.get())) out += buf.data();
  ASSERT_NE(out.find("TLSv1.3"), std::string::npos) << out;
  for (const char* line : {"SSLv2     enabled", "SSLv3     enabled", "TLSv1.0   enabled", "TLSv1.1   enabled"}) {
    EXPECT_EQ(out.find(line), std::string::npos) << line << "\n" << out;
  }
  std::istringstream lines(out);
  std::string line;
  int accepted = 0;
  while (std::getline(lines, line)) {
    if (line.rfind("Preferred", 0) != 0 && line.rfind("Accepted", 0) != 0) continue;
    ++accepted;
    for (const char* weak : {"CBC", "RC4", "DES", "NULL", "EXP", "MD5", "-SHA ", "AES128-SHA ", "AES256-SHA "}) {
      EXPECT_EQ(line.find(weak), std::string::npos) << line;
    }
    EXPECT_TRUE(line.find("TLSv1.2") == std::string::npos || line.find("ECDHE") != std::string::npos) << line;
  }
  EXPECT_GT(accepted, 0) << out;
}

}  // namespace
}  // namespace schakel::api::test
