#pragma once
// The configuration and the documents an IB of school 12AB works with in cli_case_test: one pupil
// (Zoë, 10, so a guardian with gezag decides), her parent, her case, two referrals to the SWV, an
// OT meeting; another school (34CD) with a pupil the IB must not reach.
#include <string>

#include <nlohmann/json.hpp>

#include "school_fixture.hpp"

namespace schakel::cli_case {

// A referral as the unit tests write it (tests/support/school_fixture.hpp).
using test::referral_doc;

using nlohmann::json;

inline constexpr const char* k_swv = "SWV Passend Onderwijs PO2401";
// Words that only the case holds: the privacy officer's outputs must never show them.
inline constexpr const char* k_case_question = "Hoe helpen we Zoe bij rekenen?";
inline constexpr const char* k_agreement = "Rekenplan opstellen met de leerkracht";
inline constexpr const char* k_withdrawal_reason = "We willen eerst zelf met de school praten";

inline std::string route(const std::string& id, const std::string& trigger, const std::string& projection,
                         const std::string& extra, const std::string& recipient, const std::string& purpose,
                         const std::string& denied) {
  return "  - id: " + id + "\n    trigger: " + trigger + "\n    projection: " + projection + "\n" + extra +
         "    connector: sink\n    recipient: " + recipient + "\n    purpose: " + purpose +
         "\n    processing_activity: " + (purpose == "swv_request" ? "aanmelding-swv" : "ot-planning") +
         "\n    denied: " + denied + "\n";
}

inline std::string config_text(const std::string& plugin_dir) {
  const std::string swv = std::string("{organisation: '") + k_swv + "', role: education_specialist, name: Loket}";
  return "version: 1\ninstance:\n  name: cli-case\n  demo: true\n  data_dir: data\n"
         "  log: {format: json, level: info}\n  shutdown_deadline_ms: 2000\n"
         "  plugin_dirs: ['" + plugin_dir + "']\n"
         "api:\n  listen: 127.0.0.1:0\n"
         "schools:\n  - {brin: 12AB, vestiging: '00', naam: OBS De Regenboog}\n"
         "  - {brin: 34CD, vestiging: '01', naam: CBS Het Kompas}\n"
         "connectors:\n  - {id: sink, plugin: schakel_noop_sink}\n"
         "routes:\n" +
         route("swv-referral", "referral.queued", "referral", "", swv, "swv_request", "block") +
         route("swv-stage", "case.stage_reached", "case", "    stage: arrangement_requested\n", swv, "swv_request",
               "block") +
         route("ot-calendar", "meeting.planned", "meeting", "",
               "{organisation: GGD, role: youth_nurse, name: Jeugdverpleegkundige}", "ot_meeting", "redact");
}

inline json school(const std::string& id, const std::string& brin, const std::string& vestiging) {
  return {{"id", id}, {"brin", brin}, {"vestiging", vestiging}, {"naam", "School " + brin}, {"swv_code", "PO2401"}};
}

inline json student(const std::string& id, const std::string& school_id, const std::string& roepnaam,
                    const std::string& birth_date) {
  return {{"id", id},
          {"school_id", school_id},
          {"las_key", "L-" + id},
          {"naam", {{"voornamen", roepnaam + " Anna"}, {"roepnaam", roepnaam}, {"achternaam", "Vries"}}},
          {"birth_date", birth_date},
          {"groep", "6"},
          {"status", "active"}};
}

inline json guardian(const std::string& id, const std::string& student_id, const std::string& roepnaam) {
  return {{"id", id},
          {"naam", {{"roepnaam", roepnaam}, {"achternaam", "Vries"}}},
          {"children", {{{"student_id", student_id}, {"relation", "parent"}, {"gezag", "yes"}}}}};
}

inline json case_doc(const std::string& id, const std::string& student_id, const std::string& school_id) {
  return {{"id", id},
          {"school_id", school_id},
          {"student_id", student_id},
          {"stage", "ot"},
          {"opened_on", "2026-09-01"},
          {"questions", {{{"asked_by", "teacher"}, {"question", k_case_question}}}}};
}

inline json agreement() {
  return {{"what", k_agreement}, {"owner", {{"role", "ib"}, {"name", "J. de Boer"}}}, {"due", "2026-12-15"}};
}

inline json consent(const std::string& id, const std::string& student_id, const std::string& school_id,
                    const std::string& guardian_id) {
  return {{"id", id},
          {"student_id", student_id},
          {"school_id", school_id},
          {"grantors", {{{"kind", "guardian"}, {"guardian_id", guardian_id}}}},
          {"recipients", {{{"organisation", k_swv}}}},
          {"purposes", {"swv_request"}},
          {"categories", {"identity", "education", "case"}},
          {"valid_from", "2026-01-01"},
          {"legal_basis", "consent"},
          {"evidence", {{"form_version", "toestemming-2026.1"}, {"recorded_by", "staff_ib"}}}};
}

inline json withdrawal(const std::string& guardian_id) {
  return {{"by", {{"kind", "guardian"}, {"guardian_id", guardian_id}}}, {"reason", k_withdrawal_reason}};
}

inline json meeting(const std::string& id, const std::string& school_id, const std::string& case_id,
                    const std::string& student_id) {
  return {{"id", id}, {"school_id", school_id}, {"kind", "ot"}, {"title", "OT groep 5-8"},
          {"start", "2026-12-07T14:00:00+01:00"}, {"end", "2026-12-07T16:00:00+01:00"},
          {"standing_members", {{{"role", "youth_nurse"}, {"name", "Jeugdverpleegkundige"}}}},
          {"agenda", {{{"start", "2026-12-07T14:00:00+01:00"}, {"end", "2026-12-07T14:30:00+01:00"},
                       {"case_id", case_id}, {"student_id", student_id}}}}};
}

}  // namespace schakel::cli_case
