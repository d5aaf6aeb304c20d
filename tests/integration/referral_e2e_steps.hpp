#pragma once
// Steps shared by the end-to-end scenarios: calls that skip when the API is not served yet, and
// reads of the portal's and the daemon's state.
#include <regex>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "referral_e2e_data.hpp"
#include "referral_hub.hpp"

using namespace schakel;
using namespace schakel::test;
using namespace schakel::test::e2e;
using nlohmann::json;

// The call; a test fails at once, naming it, when the daemon does not serve the endpoint.
#define API_OR_FAIL(var, hub, role, method, target, body)                 \
  const auto var = (hub).api(role, method, target, body);                 \
  if (endpoint_missing(var)) FAIL() << "needs " << (method) << " " << (target) << " (not served)"

// Starts the hub and records the students and guardians; fails when no token can be made
// offline or an endpoint is not served.
#define HUB_OR_FAIL(hub)                                                                           \
  if ((hub).token("staff").empty())                                                                \
    FAIL() << "the offline `schakel token create --config F --role R --school BRIN` failed"; \
  if (const std::string failed_ = (hub).start(); !failed_.empty()) FAIL() << failed_;               \
  if (const std::string enrolled_ = (hub).enroll(); enrolled_.rfind("missing: ", 0) == 0)            \
    FAIL() << "needs " << enrolled_.substr(9) << " (not served)";                         \
  else if (!enrolled_.empty())                                                                      \
  FAIL() << enrolled_

inline std::set<std::string> keys_of(const json& o) {
  std::set<std::string> out;
  for (const auto& [k, _] : o.items()) out.insert(k);
  return out;
}

// The aanmelding the portal stores for Schakel's referral `id`, or null.
inline json aanmelding_for(ReferralHub& hub, const std::string& id) {
  const json all = hub.portal_aanmeldingen();  // named: a temporary would die before the loop
  for (const auto& a : all["aanmeldingen"]) {
    if (a["aanmelding"].value("referentie", "") == id) return a;
  }
  return nullptr;
}

inline json referral_of(ReferralHub& hub, const std::string& id) {
  const auto r = hub.api("staff", "GET", "/v1/referrals/" + id);
  return r.status == 200 ? r.json() : json();
}

// Referrals whose delivery the plugin reported with the portal's receipt (its log line).
inline std::set<std::string> delivered_referrals(ReferralHub& hub) {
  static const std::regex re(R"(aanmelding for referral ([A-Za-z0-9._-]+): HTTP 20[01])");
  std::set<std::string> out;
  for (const auto& line : hub.daemon().lines()) {
    std::smatch m;
    if (std::regex_search(line, m, re)) out.insert(m[1].str());
  }
  return out;
}

// The deliveries the audit log records as delivered. The delivered mark commits just after the
// plugin's receipt line, so a test waits for this count rather than reading it once.
inline int audited_deliveries(ReferralHub& hub) {
  int n = 0;
  for (const auto& e : hub.audit_export("deliver")) n += e.value("outcome", "") == "delivered";
  return n;
}

// The dead letters' last errors (GET /v1/outbox?state=dead), one string.
inline std::string dead_letters(ReferralHub& hub) {
  const auto r = hub.api("admin", "GET", "/v1/outbox?state=dead");
  std::string out;
  if (r.status != 200) return out;
  for (const auto& i : r.json().value("items", json::array()))
    out += "outbox " + i["id"].dump() + ": " + (i["last_error"].is_string() ? i["last_error"].get<std::string>() : "") + "\n";
  return out;
}

// Waits until the plugin reported referral `id` delivered, or a delivery went to the dead letters
// (failing at once with their errors rather than waiting out the timeout).
#define EXPECT_DELIVERED(hub, id)                                                                  \
  do {                                                                                            \
    std::string dead_;                                                                             \
    ASSERT_TRUE((hub).wait_until([&] {                                                             \
      if (delivered_referrals(hub).count(id)) return true;                                        \
      dead_ = dead_letters(hub);                                                                   \
      return !dead_.empty();                                                                       \
    })) << (hub).daemon().all_output();                                                           \
    ASSERT_TRUE(dead_.empty()) << "dead letters instead of a delivery of " << (id) << ":\n" << dead_; \
  } while (false)

// The portal's API requests to `path_prefix` with `method`.
inline int portal_requests(ReferralHub& hub, const std::string& method, const std::string& path_prefix) {
  int n = 0;
  for (const auto& r : hub.portal().api_requests())
    n += r["method"] == method && r["path"].get<std::string>().rfind(path_prefix, 0) == 0;
  return n;
}

// The IB records the case and the consent: the start of most scenarios.
#define CASE_AND_CONSENT_OR_FAIL(hub, student, consent)                                          \
  do {                                                                                           \
    API_OR_FAIL(case_, hub, "staff", "POST", "/v1/cases", case_doc("case-" student, "student-" student)); \
    ASSERT_EQ(case_.status, 201) << case_.body;                                                  \
    API_OR_FAIL(consent_, hub, "staff", "POST", "/v1/consents", consent);                        \
    ASSERT_EQ(consent_.status, 201) << consent_.body;                                            \
  } while (false)
