#pragma once
// The webhook signature: "sha256=" + lower-case hex HMAC-SHA-256(secret, timestamp + "." + body).
// The receiver recomputes it over the raw body bytes and the X-Schakel-Timestamp header.
#include <string>
#include <string_view>

namespace schakel::webhook {

std::string signature(std::string_view secret, std::string_view timestamp, std::string_view body);

}  // namespace schakel::webhook
