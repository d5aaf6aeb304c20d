#pragma once
// Maps the gated documents of the two referral routes onto the portal contract's request bodies
// (schemas/openapi/referral-portal.openapi.yaml). Deterministic: the same document gives the same
// bytes (fixed field order, no clock, no randomness), because the portal compares a retry's body
// byte for byte with the first. A field the gate left out (or left empty) is absent, never "".
#include <string>
#include <string_view>

#include "base/status.hpp"

namespace schakel::referral_portal {

struct PortalRequest {
  std::string kind;  // "aanmelding" or "aanvulling"
  std::string path;  // below base_url, e.g. /api/v1/aanmeldingen/AM-000001/aanvulling
  std::string body;  // the exact JSON bytes to send
  std::string referentie;  // Schakel's referral id
};

// The request for one gated document. An error (ErrorCode::invalid) names every missing or
// mistyped field by its JSON pointer in the document.
Result<PortalRequest> map_document(std::string_view document);

// RFC 3986 percent-encoding of everything but the unreserved characters.
std::string percent_encode(std::string_view text);

}  // namespace schakel::referral_portal
