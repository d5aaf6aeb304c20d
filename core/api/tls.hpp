#pragma once
// TLS for the admin API: TLS 1.2 and 1.3 only, ECDHE with AEAD ciphers, the server's order.
#include <filesystem>
#include <memory>

#include <boost/asio/ssl/context.hpp>

#include "base/clock.hpp"
#include "base/status.hpp"

namespace schakel::api {

// The server context with cert and key loaded; errors name the file.
Result<std::shared_ptr<boost::asio::ssl::context>> make_server_tls_context(const std::filesystem::path& cert_file,
                                                                           const std::filesystem::path& key_file);

// The TLS 1.2 cipher list the server accepts (ECDHE, AES-GCM or ChaCha20-Poly1305).
const char* strong_tls12_ciphers();

struct TlsFiles {
  std::filesystem::path cert_file;
  std::filesystem::path key_file;
};

// A self-signed P-256 certificate for localhost, 127.0.0.1 and ::1, valid a year from `clock`,
// written to dir/cert.pem and dir/key.pem (mode 0600). Kept when both files already exist.
Result<TlsFiles> ensure_self_signed(const std::filesystem::path& dir, const Clock& clock);

}  // namespace schakel::api
