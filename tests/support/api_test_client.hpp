#pragma once
// A small blocking HTTP(S) client for the admin API tests, on Beast. Every call has a timeout and
// opens its own connection; nothing here sleeps.
#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace schakel::test {

struct ClientOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  bool tls = true;
  int min_tls = 0;  // e.g. TLS1_VERSION; 0 leaves OpenSSL's default
  int max_tls = 0;
  std::string tls12_ciphers;  // empty: OpenSSL's default list
  bool allow_legacy = false;  // security level 0, so the client itself offers old protocols
  std::string ca_file;        // verify the server against this CA; empty: no verification
  std::chrono::milliseconds timeout{10'000};
};

struct ClientResponse {
  int status = 0;  // 0 when no response came
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string error;        // transport or TLS error, when status is 0
  std::string tls_version;  // e.g. "TLSv1.3"
  std::string tls_cipher;   // e.g. "TLS_AES_256_GCM_SHA384"

  [[nodiscard]] nlohmann::json json() const { return nlohmann::json::parse(body, nullptr, false); }
};

ClientResponse http_request(const ClientOptions& options, const std::string& method, const std::string& target,
                            const std::string& token = "", const std::string& body = "",
                            const std::string& content_type = "application/json");

// Sends `bytes` as they are (for malformed or partial requests), then reads until the server
// answers and/or closes. `closed` is true when the server ended the connection before our timeout.
struct RawExchange {
  std::string received;
  bool closed = false;
  std::string error;
};
RawExchange raw_exchange(const ClientOptions& options, const std::string& bytes);

// Only the TLS handshake; returns "" on success or the error.
std::string tls_handshake(const ClientOptions& options, std::string* version = nullptr, std::string* cipher = nullptr);

}  // namespace schakel::test
