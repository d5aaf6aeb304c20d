#include "api/token.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

namespace schakel::api {
namespace {

constexpr std::size_t k_secret_bytes = 32;
constexpr std::size_t k_secret_chars = 43;  // base64url of 32 bytes, no padding

Result<std::string> random_bytes(std::size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    return Status(ErrorCode::internal, "the random number generator failed");
  }
  return out;
}


}  // namespace

std::string base64url(std::string_view bytes) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += alphabet[(acc >> bits) & 0x3F];
    }
  }
  if (bits > 0) out += alphabet[(acc << (6 - bits)) & 0x3F];
  return out;
}

Result<std::string> generate_token_secret() {
  auto bytes = random_bytes(k_secret_bytes);
  if (!bytes) return bytes.status();
  return std::string(k_token_prefix) + base64url(*bytes);
}

Result<std::string> generate_token_id() {
  auto bytes = random_bytes(8);
  if (!bytes) return bytes.status();
  return "tok_" + audit::to_hex(reinterpret_cast<const unsigned char*>(bytes->data()), bytes->size());
}

bool looks_like_token_secret(std::string_view text) {
  if (text.size() != k_token_prefix.size() + k_secret_chars) return false;
  if (text.substr(0, k_token_prefix.size()) != k_token_prefix) return false;
  for (char c : text.substr(k_token_prefix.size())) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace schakel::api
