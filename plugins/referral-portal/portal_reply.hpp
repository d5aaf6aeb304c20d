#pragma once
// What the portal's answers mean for the host (the contract's "Rules every client must follow"):
// 429/503 retry after Retry-After, 500/502/504 and timeouts retry, other 4xx reject with the
// portal's Fout (code, melding, and each fouten entry's pad and melding).
#include <cstdint>
#include <string>

#include "base/status.hpp"
#include "http/client.hpp"
#include "schakel/plugin.hpp"

namespace schakel::referral_portal {

struct Fout {
  std::string code;     // empty when the body is not a Fout
  std::string summary;  // "409 sleutel_hergebruikt: <melding>; /pad: melding; ..."
};
Fout read_fout(const http::Response& res);

// The outcome of a non-2xx answer to `what` (e.g. "aanmelding R-12"). now_us: the host's clock,
// for a Retry-After given as a date.
plugin::Outcome outcome_of(const http::Response& res, const std::string& what, std::int64_t now_us);

// A request that got no answer: timeouts and resets retry; a TLS or configuration failure stops
// the connector (fatal) rather than dead-lettering every item; a refused client secret likewise.
plugin::Outcome outcome_of_failure(const Status& failure, const std::string& what);

}  // namespace schakel::referral_portal
