#pragma once
// The people and documents of the end-to-end scenarios. Birth dates and consent dates are counted
// from today, so an age (under 12, 15 turning 16) holds whenever the test runs.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "oneroster_bundle.hpp"

namespace schakel::test::e2e {

using nlohmann::json;
using std::chrono::days;
using std::chrono::sys_days;
using std::chrono::year_month_day;
using std::chrono::years;

inline sys_days today() { return std::chrono::floor<days>(std::chrono::system_clock::now()); }

inline std::string date_text(year_month_day d) {
  if (!d.ok()) d = year_month_day{d.year(), d.month(), std::chrono::day{28}};  // 29 February
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", int(d.year()), unsigned(d.month()), unsigned(d.day()));
  return buf;
}
inline std::string date_text(sys_days d) { return date_text(year_month_day{d}); }
// `age` years before `at`.
inline std::string born(sys_days at, int age) { return date_text(year_month_day{at} - years{age}); }

inline const std::string k_school_id = "school-org1";

// Daan (9) and Noor (8) with two parents with gezag each; Sem, 15, turns 16 in ten days.
inline sys_days sem_birthday() { return today() + days{10}; }
inline std::vector<BundleStudent> students() {
  return {{"daan", "Daan Pieter", "van der", "Berg", born(today(), 9), "male", 5, {"p-daan-1", "p-daan-2"}},
          {"noor", "Noor", "", "El Amrani", born(today(), 8), "female", 4, {"p-noor-1"}},
          {"sem", "Sem", "de", "Vries", born(sem_birthday(), 16), "male", 8, {"p-sem-1"}}};
}
inline std::vector<BundleGuardian> guardians() {
  return {{"p-daan-1", "Marieke", "van der Berg", "parent", "ja", {"daan"}},
          {"p-daan-2", "Joost", "van der Berg", "parent", "ja", {"daan"}},
          {"p-noor-1", "Samira", "El Amrani", "parent", "ja", {"noor"}},
          {"p-sem-1", "Ellen", "de Vries", "parent", "ja", {"sem"}}};
}

inline json case_doc(const std::string& id, const std::string& student) {
  return {{"id", id}, {"school_id", k_school_id}, {"student_id", student}, {"stage", "ot"},
          {"opened_on", date_text(today() - days{40})},
          {"signal", {{"noticed_on", date_text(today() - days{40})}, {"by_role", "teacher"},
                      {"description", "Trekt zich terug in de pauzes en haalt de rekentoetsen niet."}}}};
}

inline json grantor_guardian(const std::string& guardian) { return {{"kind", "guardian"}, {"guardian_id", guardian}}; }
inline json grantor_student() { return {{"kind", "student"}}; }

// A consent for swv_request to the SWV, recorded by the IB; `categories` are what it names.
inline json consent_doc(const std::string& id, const std::string& student, json grantors,
                        const std::vector<std::string>& categories, const std::string& valid_until = "") {
  json c = {{"id", id}, {"student_id", student}, {"school_id", k_school_id}, {"grantors", std::move(grantors)},
            {"recipients", json::array({{{"organisation", "SWV PO 27-01"}}})},
            {"purposes", json::array({"swv_request"})}, {"categories", categories},
            {"valid_from", date_text(today() - days{30})}, {"status", "active"}, {"legal_basis", "consent"},
            {"evidence", {{"form_version", "toestemming-swv-2026.1"}, {"recorded_by", "staff-ib-1"},
                          {"recorded_at", date_text(today() - days{30}) + "T10:05:00Z"}}}};
  if (!valid_until.empty()) c["valid_until"] = valid_until;
  return c;
}

inline const std::vector<std::string> k_base_categories = {"identity", "education", "case", "views", "contact"};

// A referral with every part filled, health and family included: the gate decides what leaves.
inline json referral_doc(const std::string& id, const std::string& student, const std::string& case_id) {
  return {{"id", id}, {"school_id", k_school_id}, {"student_id", student}, {"case_id", case_id},
          {"type", "arrangement"}, {"status", "queued"},
          {"question", "Welke ondersteuning helpt om de rekenachterstand in te halen?"},
          {"requested_support", "Ambulant begeleider in de klas, 2 uur per week gedurende 20 weken."},
          {"education_needs", {"Instructie in kleine stappen met concreet materiaal"}},
          {"hindering_factors", {"Faalangst bij toetsen"}},
          {"supporting_factors", {"Leest goed"}},
          {"parent_view", "Wij steunen de aanvraag."},
          {"child_view", "Ik wil graag hulp met de tafels."},
          {"family", "Ouders gescheiden, co-ouderschap."},
          {"health", "ADHD vastgesteld in 2025."},
          {"contact_person", {{"role", "ib"}, {"name", "Fatima El Amrani"}, {"email", "ib@regenboog.example"}}},
          {"attachments", json::array({{{"id", "att-" + id}, {"soort", "groeidocument"},
                                        {"naam", "groeidocument.pdf"},
                                        {"sha256", "b870d7c12583e1abbf14381827f3275e23babc3e2bb81cb36a1b98a2fa357852"},
                                        {"category", "case"}}})}};
}

// The Aanmelding's top-level fields when the consent names the base categories; health and
// family add gezondheid and thuissituatie. Nothing else may arrive (no empty strings either).
inline std::vector<std::string> expected_aanmelding_fields(bool health_and_family) {
  std::vector<std::string> f = {"school", "leerling", "referentie", "soort", "hulpvraag", "onderwijsbehoeften",
                                "belemmerende_factoren", "bevorderende_factoren", "gevraagde_ondersteuning",
                                "zienswijze_ouders", "zienswijze_leerling", "contactpersoon", "toestemming",
                                "bijlagen"};
  if (health_and_family) f.insert(f.end(), {"thuissituatie", "gezondheid"});
  return f;
}

}  // namespace schakel::test::e2e
