#pragma once
// The test data every API test shares: "our" school 27XK (tenant 27XK01, sch_own) and the other
// school 12AB (12AB00, sch_other), valid documents for each kind, requests as the API's pool
// hands them to the ApiService, and tokens issued straight into a TokenStore (as the CLI would).
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/http_types.hpp"
#include "api/roles.hpp"
#include "base/clock.hpp"
#include "store/store.hpp"

namespace schakel::api {
class TokenStore;
}

namespace schakel::test {

inline constexpr const char* k_own_brin = "27XK";
inline constexpr const char* k_other_brin = "12AB";
inline constexpr const char* k_own_tenant = "27XK01";
inline constexpr const char* k_other_tenant = "12AB00";
inline constexpr const char* k_swv = "SWV Passend Onderwijs PO2401";

nlohmann::json school_doc(const std::string& id, const std::string& brin, const std::string& vestiging,
                          const std::string& naam);
nlohmann::json student_doc(const std::string& id, const std::string& school_id);
nlohmann::json guardian_doc(const std::string& id, const std::string& student_id);
// A consent of `guardian` for the SWV's referral, with the given categories.
nlohmann::json consent_doc(const std::string& id, const std::string& student_id, const std::string& school_id,
                           const std::string& guardian, const std::vector<std::string>& categories);
nlohmann::json case_doc(const std::string& id, const std::string& student_id, const std::string& school_id);
nlohmann::json referral_doc(const std::string& id, const std::string& case_id, const std::string& student_id,
                            const std::string& school_id);

// Writes one entity (student_id taken from the document); throws when the store refuses it.
void put_entity(store::Store& store, store::Kind kind, const std::string& id, const std::string& tenant,
                const nlohmann::json& doc, TimePoint now);
// Both schools and a student in each (sch_own/stu_own, sch_other/stu_other).
void put_two_schools(store::Store& store, TimePoint now);

// A new token's secret for `role` at `brin`, valid for `valid`; `id` receives its id.
std::string issue_token(api::TokenStore& tokens, api::Role role, const std::string& brin, TimePoint now,
                        std::string* id = nullptr, std::chrono::seconds valid = std::chrono::hours(24));

// A request from 127.0.0.1 with the bearer `token` (none when empty).
api::ApiRequest request(const std::string& method, const std::string& target, const std::string& token = "",
                        const std::string& body = "", std::map<std::string, std::string> headers = {});
// The response body as JSON (discarded when it is not JSON).
nlohmann::json body_of(const api::ApiResponse& r);

}  // namespace schakel::test
