#pragma once
// Bearer token secrets: 256 bits from OpenSSL's RAND_bytes, written as "skl_" + base64url, and
// kept only as their SHA-256.
#include <string>
#include <string_view>

#include "audit/crypto.hpp"
#include "base/status.hpp"

namespace schakel::api {

inline constexpr std::string_view k_token_prefix = "skl_";

// A new secret: "skl_" followed by 43 base64url characters (32 random bytes).
Result<std::string> generate_token_secret();
// A new token id: "tok_" followed by 16 lower-case hex characters (not secret).
Result<std::string> generate_token_id();
// True when `text` has the shape of a secret (prefix, length, alphabet); checked before hashing.
bool looks_like_token_secret(std::string_view text);
// Lower-case hex SHA-256: the audit log's, so a token hash and an audited hash never disagree.
using audit::sha256_hex;
// Compares in time that depends on the lengths only (CRYPTO_memcmp).
bool constant_time_equal(std::string_view a, std::string_view b);
std::string base64url(std::string_view bytes);

}  // namespace schakel::api
