// TLS set-up and the explanation of handshake failures for the HTTPS client.
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/error.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include "http/detail.hpp"

namespace schakel::http::detail {

namespace {

std::string openssl_reason(unsigned long e) {
  const char* r = ERR_reason_error_string(e);
  return r != nullptr ? r : "error " + std::to_string(e);
}

}  // namespace

Result<std::unique_ptr<ssl::context>> make_tls_context(const ClientOptions& options) {
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
  SSL_CTX* native = ctx->native_handle();
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1) {
    return error(ErrorCode::internal, "TLS: cannot require TLS 1.2");
  }
  boost::system::error_code ec;
  ctx->set_verify_mode(ssl::verify_peer, ec);
  if (options.ca_file.empty()) {
    ctx->set_default_verify_paths(ec);
    if (ec) return error(ErrorCode::io, "TLS: cannot load the system CA store: " + ec.message());
  } else {
    ctx->load_verify_file(options.ca_file, ec);
    if (ec) return error(ErrorCode::invalid, "TLS: cannot load CA bundle " + options.ca_file + ": " + ec.message());
  }
  if (options.client_cert_file.empty() != options.client_key_file.empty()) {
    return error(ErrorCode::invalid, "TLS: client_cert_file and client_key_file go together");
  }
  if (!options.client_cert_file.empty()) {
    ctx->use_certificate_chain_file(options.client_cert_file, ec);
    if (ec) {
      return error(ErrorCode::invalid,
                   "TLS: cannot load client certificate " + options.client_cert_file + ": " + ec.message());
    }
    ctx->use_private_key_file(options.client_key_file, ssl::context::pem, ec);
    if (ec) {
      return error(ErrorCode::invalid, "TLS: cannot load client key " + options.client_key_file + ": " + ec.message());
    }
    if (SSL_CTX_check_private_key(native) != 1) {
      return error(ErrorCode::invalid, "TLS: client key " + options.client_key_file + " does not match " +
                                           options.client_cert_file);
    }
  }
  return ctx;
}

Status prepare_tls_stream(TlsStream& stream, const Target& t) {
  SSL* ssl = stream.native_handle();
  if (t.ip_literal) {
    // SNI carries host names only (RFC 6066); an address is matched against the IP SANs.
    if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), t.host.c_str()) != 1) {
      return error(ErrorCode::invalid, "TLS: cannot verify against address " + t.host);
    }
  } else {
    // SSL_set_tlsext_host_name is a macro with a C cast; this is what it expands to.
    void* name = const_cast<char*>(t.host.c_str());
    if (SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, name) != 1 ||
        SSL_set1_host(ssl, t.host.c_str()) != 1) {
      return error(ErrorCode::invalid, "TLS: cannot set the server name " + t.host);
    }
  }
  SSL_set_verify(ssl, SSL_VERIFY_PEER, nullptr);
  return {};
}

Status describe_handshake_failure(TlsStream& stream, const boost::system::error_code& ec, const Target& t,
                                  const Deadline::Budget& budget) {
  if (ec == beast::error::timeout) {
    return error(ErrorCode::unavailable, "timeout: TLS handshake exceeded the " + budget.limit + " for " + t.display);
  }
  const long verify = SSL_get_verify_result(stream.native_handle());
  if (verify == X509_V_ERR_HOSTNAME_MISMATCH || verify == X509_V_ERR_IP_ADDRESS_MISMATCH) {
    // One wording for names and addresses; the URL after it says which was asked for.
    return error(ErrorCode::invalid, "TLS: certificate verify failed (hostname mismatch) for " + t.display);
  }
  if (verify != X509_V_OK) {
    return error(ErrorCode::invalid, std::string("TLS: certificate verify failed (") +
                                         X509_verify_cert_error_string(verify) + ") for " + t.display);
  }
  if (ec == ssl::error::stream_truncated) {
    return error(ErrorCode::unavailable, "TLS: connection closed during the handshake for " + t.display);
  }
  if (ec.category() == asio::error::get_ssl_category()) {
    const auto code = static_cast<unsigned long>(ec.value());
    if (ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
      return error(ErrorCode::unavailable, "TLS: connection closed during the handshake for " + t.display);
    }
    // A refused protocol version, no shared cipher, a bad certificate: retrying will not help.
    return error(ErrorCode::invalid, "TLS: handshake failed (" + openssl_reason(code) + ") for " + t.display);
  }
  return error(ErrorCode::unavailable, "TLS: handshake failed (" + ec.message() + ") for " + t.display);
}

}  // namespace schakel::http::detail
