#pragma once
// The few primitives the audit log needs, on OpenSSL 3 EVP: SHA-256, HMAC-SHA-256 and Ed25519,
// plus the key files that hold the secrets outside the database.
#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.hpp"

struct evp_md_ctx_st;
struct evp_md_st;
struct evp_pkey_st;

namespace schakel::audit {

using Digest = std::array<unsigned char, 32>;

std::string to_hex(const unsigned char* data, std::size_t size);
inline std::string to_hex(const Digest& d) { return to_hex(d.data(), d.size()); }
// Decodes lowercase or uppercase hex; false on odd length or a non-hex character.
bool from_hex(std::string_view hex, std::string& out);

// A reusable SHA-256 context: hashing many short messages without a fetch or allocation each.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void reset();
  void update(std::string_view bytes);
  Digest finish();
  // One-shot over the concatenation of a and b.
  Digest digest(std::string_view a, std::string_view b = {});

 private:
  evp_md_st* md_ = nullptr;
  evp_md_ctx_st* ctx_ = nullptr;
};

std::string sha256_hex(std::string_view bytes);
std::string hmac_sha256_hex(std::string_view key, std::string_view message);

// Reads the secret in `path`, or creates it with `size` random bytes, mode 0600, when absent.
// Creation is atomic (written aside, then linked into place), so concurrent first uses agree.
Result<std::string> load_or_create_secret(const std::filesystem::path& path, std::size_t size);
// Reads an existing secret; not_found when the file is absent.
Result<std::string> load_secret(const std::filesystem::path& path, std::size_t size);

// Writes `bytes` to `path` through a temporary file, fsync and rename (mode `mode`).
Status write_file_atomically(const std::filesystem::path& path, std::string_view bytes, unsigned mode);

// An Ed25519 key: signs when it holds the private half, verifies with the public half.
class Ed25519Key {
 public:
  static Result<Ed25519Key> from_private(std::string_view seed32);
  static Result<Ed25519Key> from_public(std::string_view public32);

  [[nodiscard]] bool can_sign() const { return has_private_; }
  Result<std::string> sign(std::string_view message) const;  // 64 raw bytes
  [[nodiscard]] bool verify(std::string_view message, std::string_view signature) const;
  [[nodiscard]] std::string public_key() const;  // 32 raw bytes

 private:
  std::shared_ptr<evp_pkey_st> key_;
  bool has_private_ = false;
};

}  // namespace schakel::audit
