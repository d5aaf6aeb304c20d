#include "api/tls.hpp"

#include <sys/stat.h>

#include <cstdio>
#include <system_error>

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

namespace schakel::api {
namespace {

std::string openssl_error() {
  const unsigned long e = ERR_get_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

}  // namespace

const char* strong_tls12_ciphers() {
  return "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
         "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
         "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256";
}

Result<std::shared_ptr<boost::asio::ssl::context>> make_server_tls_context(const std::filesystem::path& cert_file,
                                                                           const std::filesystem::path& key_file) {
  namespace ssl = boost::asio::ssl;
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_max_proto_version(native, TLS1_3_VERSION);
  SSL_CTX_set_options(native, SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1 | SSL_OP_NO_COMPRESSION |
                                  SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION |
                                  SSL_OP_SINGLE_ECDH_USE);
  if (SSL_CTX_set_cipher_list(native, strong_tls12_ciphers()) != 1 ||
      SSL_CTX_set_ciphersuites(native, "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256") != 1 ||
      SSL_CTX_set1_groups_list(native, "X25519:P-256:P-384") != 1) {
    return Status(ErrorCode::internal, "TLS: cannot set the cipher policy: " + openssl_error());
  }
  if (SSL_CTX_use_certificate_chain_file(native, cert_file.c_str()) != 1) {
    return Status(ErrorCode::invalid, cert_file.string() + ": cannot load the TLS certificate: " + openssl_error());
  }
  if (SSL_CTX_use_PrivateKey_file(native, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return Status(ErrorCode::invalid, key_file.string() + ": cannot load the TLS private key: " + openssl_error());
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    return Status(ErrorCode::invalid, key_file.string() + ": the private key does not match " + cert_file.string());
  }
  return ctx;
}

Result<TlsFiles> ensure_self_signed(const std::filesystem::path& dir, const Clock& clock) {
  TlsFiles files{dir / "cert.pem", dir / "key.pem"};
  std::error_code ec;
  if (std::filesystem::exists(files.cert_file, ec) && std::filesystem::exists(files.key_file, ec)) return files;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status(ErrorCode::io, dir.string() + ": cannot create the directory: " + ec.message());

  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  if (!key || !cert) return Status(ErrorCode::internal, "TLS: key generation failed: " + openssl_error());
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof serial) != 1) return Status(ErrorCode::internal, "TLS: no randomness");
  serial[0] &= 0x7F;  // a positive serial number
  std::unique_ptr<BIGNUM, decltype(&BN_free)> bn(BN_bin2bn(serial, sizeof serial, nullptr), BN_free);
  BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get()));
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(clock.now().time_since_epoch()).count();
  ASN1_TIME_set(X509_getm_notBefore(cert.get()), static_cast<time_t>(now - 60));
  ASN1_TIME_set(X509_getm_notAfter(cert.get()), static_cast<time_t>(now + 365LL * 24 * 3600));
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("schakel demo"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, cert.get(), cert.get(), nullptr, nullptr, 0);
  X509_EXTENSION* san = X509V3_EXT_conf_nid(nullptr, &v3, NID_subject_alt_name,
                                            "DNS:localhost,IP:127.0.0.1,IP:0:0:0:0:0:0:0:1");
  if (!san) return Status(ErrorCode::internal, "TLS: cannot build the certificate: " + openssl_error());
  X509_add_ext(cert.get(), san, -1);
  X509_EXTENSION_free(san);
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) {
    return Status(ErrorCode::internal, "TLS: cannot sign the certificate: " + openssl_error());
  }

  // The key file is created 0600 before anything is written to it.
  const mode_t old_mask = umask(077);
  std::unique_ptr<std::FILE, FileCloser> kf(std::fopen(files.key_file.c_str(), "wb"));
  umask(old_mask);
  if (!kf || PEM_write_PrivateKey(kf.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return Status(ErrorCode::io, files.key_file.string() + ": cannot write the private key");
  }
  std::unique_ptr<std::FILE, FileCloser> cf(std::fopen(files.cert_file.c_str(), "wb"));
  if (!cf || PEM_write_X509(cf.get(), cert.get()) != 1) {
    return Status(ErrorCode::io, files.cert_file.string() + ": cannot write the certificate");
  }
  return files;
}

}  // namespace schakel::api
