#include "audit/crypto.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <sstream>

#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/params.h>
#include <openssl/rand.h>

namespace schakel::audit {
namespace {

Status io_error(const std::filesystem::path& path, const std::string& what) {
  return error(ErrorCode::io, path.string() + ": " + what + ": " + std::strerror(errno));
}

Status fsync_dir(const std::filesystem::path& dir) {
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return io_error(dir, "open directory");
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return io_error(dir, "fsync directory");
  return {};
}

Status write_all(int fd, std::string_view bytes, const std::filesystem::path& path) {
  while (!bytes.empty()) {
    const auto n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error(path, "write");
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

}  // namespace

std::string to_hex(const unsigned char* data, std::size_t size) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(size * 2, '0');
  for (std::size_t i = 0; i < size; ++i) {
    out[2 * i] = kHex[data[i] >> 4];
    out[2 * i + 1] = kHex[data[i] & 0xF];
  }
  return out;
}

bool from_hex(std::string_view hex, std::string& out) {
  if (hex.size() % 2) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  out.clear();
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out += static_cast<char>(hi * 16 + lo);
  }
  return true;
}

Sha256::Sha256() : md_(EVP_MD_fetch(nullptr, "SHA256", nullptr)), ctx_(EVP_MD_CTX_new()) {
  if (!md_ || !ctx_) throw std::runtime_error("OpenSSL: SHA-256 unavailable");
  reset();
}

Sha256::~Sha256() {
  EVP_MD_CTX_free(ctx_);
  EVP_MD_free(md_);
}

void Sha256::reset() { EVP_DigestInit_ex(ctx_, md_, nullptr); }
void Sha256::update(std::string_view bytes) { EVP_DigestUpdate(ctx_, bytes.data(), bytes.size()); }

Digest Sha256::finish() {
  Digest d{};
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx_, d.data(), &len);
  reset();
  return d;
}

Digest Sha256::digest(std::string_view a, std::string_view b) {
  update(a);
  if (!b.empty()) update(b);
  return finish();
}

std::string sha256_hex(std::string_view bytes) {
  Digest d{};
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), d.data(), &len, EVP_sha256(), nullptr);
  return to_hex(d);
}

namespace {

// OpenSSL 3's one-shot HMAC() looks the algorithm up on every call; pseudonyms are computed on
// every audited read, almost always with the same tenant key. So each thread keeps one context
// keyed with the last key it used and rewinds it (EVP_MAC_init with no key) for the next message.
class ThreadHmac {
 public:
  ~ThreadHmac() {
    EVP_MAC_CTX_free(ctx_);
    EVP_MAC_free(mac_);
    OPENSSL_cleanse(key_.data(), key_.size());
  }

  bool sha256(std::string_view key, std::string_view message, Digest& out) {
    if (!ctx_) {
      mac_ = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
      ctx_ = mac_ ? EVP_MAC_CTX_new(mac_) : nullptr;
      if (!ctx_) return false;
    }
    const bool same_key = keyed_ && key == std::string_view(key_);
    if (same_key) {
      if (EVP_MAC_init(ctx_, nullptr, 0, nullptr) != 1) return false;
    } else {
      char digest[] = "SHA256";
      const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest, 0), OSSL_PARAM_construct_end()};
      keyed_ = false;
      if (EVP_MAC_init(ctx_, reinterpret_cast<const unsigned char*>(key.data()), key.size(), params) != 1) return false;
      OPENSSL_cleanse(key_.data(), key_.size());
      key_.assign(key);
      keyed_ = true;
    }
    std::size_t len = 0;
    return EVP_MAC_update(ctx_, reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1 &&
           EVP_MAC_final(ctx_, out.data(), &len, out.size()) == 1 && len == out.size();
  }

 private:
  EVP_MAC* mac_ = nullptr;
  EVP_MAC_CTX* ctx_ = nullptr;
  std::string key_;
  bool keyed_ = false;
};

}  // namespace

std::string hmac_sha256_hex(std::string_view key, std::string_view message) {
  Digest d{};
  thread_local ThreadHmac hmac;
  if (!hmac.sha256(key, message, d)) {
    // Only if OpenSSL cannot set up a context for this thread: the one-shot form still answers.
    unsigned int len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(message.data()), message.size(), d.data(), &len);
  }
  return to_hex(d);
}

Status write_file_atomically(const std::filesystem::path& path, std::string_view bytes, unsigned mode) {
  const auto tmp = path.string() + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return io_error(tmp, "create");
  Status s = write_all(fd, bytes, tmp);
  if (s && ::fsync(fd) != 0) s = io_error(tmp, "fsync");
  ::close(fd);
  if (s && ::rename(tmp.c_str(), path.c_str()) != 0) s = io_error(path, "rename");
  if (!s) {
    ::unlink(tmp.c_str());
    return s;
  }
  return fsync_dir(path.parent_path());
}

Result<std::string> load_secret(const std::filesystem::path& path, std::size_t size) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return error(ErrorCode::not_found, path.string() + ": key file does not exist");
    return io_error(path, "open key file");
  }
  std::string key(size + 1, '\0');
  std::size_t got = 0;
  while (got < key.size()) {
    const auto n = ::read(fd, key.data() + got, key.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  if (got != size) {
    return error(ErrorCode::corrupt, path.string() + ": key file holds " + std::to_string(got) +
                                         " bytes, expected " + std::to_string(size));
  }
  key.resize(size);
  return key;
}

Result<std::string> load_or_create_secret(const std::filesystem::path& path, std::size_t size) {
  auto existing = load_secret(path, size);
  if (existing || existing.status().code() != ErrorCode::not_found) return existing;
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) return error(ErrorCode::io, path.parent_path().string() + ": " + ec.message());
  ::chmod(path.parent_path().c_str(), 0700);
  std::string key(size, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), static_cast<int>(size)) != 1) {
    return error(ErrorCode::internal, "OpenSSL: no random bytes for " + path.string());
  }
  // Written aside under a unique name, then linked: link() fails if another process won the race.
  std::string tmpl = path.string() + ".new.XXXXXX";
  const int fd = ::mkstemp(tmpl.data());
  if (fd < 0) return io_error(tmpl, "create");
  ::fchmod(fd, 0600);
  Status s = write_all(fd, key, tmpl);
  if (s && ::fsync(fd) != 0) s = io_error(tmpl, "fsync");
  ::close(fd);
  if (s && ::link(tmpl.c_str(), path.c_str()) != 0 && errno != EEXIST) s = io_error(path, "link");
  ::unlink(tmpl.c_str());
  SCHAKEL_TRY(s);
  SCHAKEL_TRY(fsync_dir(path.parent_path()));
  return load_secret(path, size);
}

Result<Ed25519Key> Ed25519Key::from_private(std::string_view seed32) {
  EVP_PKEY* k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr,
                                             reinterpret_cast<const unsigned char*>(seed32.data()),
                                             seed32.size());
  if (!k) return error(ErrorCode::invalid, "not an Ed25519 private key");
  Ed25519Key key;
  key.key_.reset(k, EVP_PKEY_free);
  key.has_private_ = true;
  return key;
}

Result<Ed25519Key> Ed25519Key::from_public(std::string_view public32) {
  EVP_PKEY* k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                            reinterpret_cast<const unsigned char*>(public32.data()),
                                            public32.size());
  if (!k) return error(ErrorCode::invalid, "not an Ed25519 public key");
  Ed25519Key key;
  key.key_.reset(k, EVP_PKEY_free);
  return key;
}

Result<std::string> Ed25519Key::sign(std::string_view message) const {
  if (!has_private_) return error(ErrorCode::invalid, "Ed25519 key has no private half");
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  std::string sig(64, '\0');
  std::size_t len = sig.size();
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1) {
    return error(ErrorCode::internal, "OpenSSL: Ed25519 signing failed");
  }
  sig.resize(len);
  return sig;
}

bool Ed25519Key::verify(std::string_view message, std::string_view signature) const {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  return ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) == 1 &&
         EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(), reinterpret_cast<const unsigned char*>(message.data()),
                          message.size()) == 1;
}

std::string Ed25519Key::public_key() const {
  std::string pub(32, '\0');
  std::size_t len = pub.size();
  EVP_PKEY_get_raw_public_key(key_.get(), reinterpret_cast<unsigned char*>(pub.data()), &len);
  pub.resize(len);
  return pub;
}

}  // namespace schakel::audit
