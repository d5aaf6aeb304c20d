#pragma once
// A test PKI per test binary and a work directory per test, for tests against https_echo.py.
#include <memory>

#include <gtest/gtest.h>

#include "http/client.hpp"
#include "support/https_fake.hpp"
#include "support/temp_dir.hpp"

namespace schakel::test {

class HttpsTest : public ::testing::Test {
 protected:
  // Under ctest a fixture test makes the PKI once (SCHAKEL_TEST_PKI_DIR); run alone, the binary
  // makes its own.
  static void SetUpTestSuite() {
    if (const char* shared = std::getenv("SCHAKEL_TEST_PKI_DIR"); shared != nullptr && *shared != '\0') {
      pki_path_ = shared;
      return;
    }
    pki_dir_ = new TempDir();
    make_test_pki(pki_dir_->path());
    pki_path_ = pki_dir_->path();
  }
  static void TearDownTestSuite() {
    delete pki_dir_;
    pki_dir_ = nullptr;
  }
  static std::string pki(const std::string& file) { return (pki_path_ / file).string(); }

  std::unique_ptr<HttpsFake> serve(nlohmann::json script, HttpsFake::Options options = {}) {
    options.script = std::move(script);
    return std::make_unique<HttpsFake>(pki_path_, work_.path(), std::move(options));
  }

  // Options that trust the test CA, bypass any environment proxy, and keep timeouts short.
  static http::ClientOptions trusting_options() {
    http::ClientOptions o;
    o.ca_file = pki("ca.pem");
    o.proxy = "";
    o.connect_timeout = http::Milliseconds{5'000};
    o.read_timeout = http::Milliseconds{5'000};
    o.total_timeout = http::Milliseconds{20'000};
    return o;
  }

  static std::unique_ptr<http::Client> make_client(http::ClientOptions o) {
    auto c = http::Client::create(std::move(o));
    if (!c) throw std::runtime_error(c.status().message());
    return std::move(*c);
  }

  inline static TempDir* pki_dir_ = nullptr;
  inline static std::filesystem::path pki_path_;
  TempDir work_;
};

}  // namespace schakel::test
