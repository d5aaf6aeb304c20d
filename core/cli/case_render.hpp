#pragma once
// How the answers of the case-side API read without --json: one line saying what happened, then
// tables (routes and their gate outcomes, consents, audit entries) or "path: value" lines for a
// whole document. With --json the API's JSON is printed instead (live.cpp).
#include <ostream>

#include <nlohmann/json.hpp>

namespace schakel::cli::render {

using nlohmann::json;

// POST answers.
void student_recorded(const json& b, std::ostream& out);
void guardian_recorded(const json& b, std::ostream& out);
void case_created(const json& b, std::ostream& out);
void stage_changed(const json& b, std::ostream& out);
void agreement_added(const json& b, std::ostream& out);
void consent_recorded(const json& b, std::ostream& out);
void consent_withdrawn(const json& b, std::ostream& out);
void referral_queued(const json& b, std::ostream& out);
void supplement_sent(const json& b, std::ostream& out);
void meeting_planned(const json& b, std::ostream& out);
void meeting_changed(const json& b, std::ostream& out);

// GET answers.
void document(const json& b, std::ostream& out);  // a student, guardian, case or meeting
void consent_list(const json& b, std::ostream& out);
void referral(const json& b, std::ostream& out);
void audit_entries(const json& b, std::ostream& out);
void audit_verified(const json& b, std::ostream& out);
void access_report(const json& b, std::ostream& out);

// The route outcomes of an event: ROUTE, OUTCOME, GATE, OUTBOX, REASON.
void routes(const json& routes, std::ostream& out);

}  // namespace schakel::cli::render
