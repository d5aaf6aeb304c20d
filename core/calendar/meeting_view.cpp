#include "calendar/meeting_view.hpp"

#include <algorithm>

namespace schakel::calendar {
namespace {

using nlohmann::json;

const char* kind_title(const std::string& kind) {
  if (kind == "vot") return "VOT-overleg";
  if (kind == "collegial_consult") return "Collegiale consultatie";
  if (kind == "theme") return "Themabespreking";
  return "OT-overleg";
}

void add_unique(std::vector<std::string>& into, const std::vector<std::string>& items) {
  for (const auto& i : items) {
    if (std::find(into.begin(), into.end(), i) == into.end()) into.push_back(i);
  }
}

bool is_personal(const consent::Recipient& r) { return r.role == "parent" || r.role == "student"; }

// "14:00" from "2026-11-24T14:00:00+01:00".
std::string clock_time(const std::string& date_time) { return date_time.size() >= 16 ? date_time.substr(11, 5) : date_time; }

}  // namespace

std::optional<MeetingView> view_for(const json& meeting, const consent::Recipient& recipient, const DecideFn& decide,
                                    const StudentNameFn& student_name) {
  MeetingView v;
  v.uid = meeting.value("ical_uid", "");
  v.sequence = meeting.value("sequence", 0);
  v.cancelled = meeting.value("status", "planned") == "cancelled";
  v.location = meeting.value("location", "");
  // A title is written without a child's name (meeting.schema.json); the kind's name otherwise.
  v.summary = meeting.value("title", std::string(kind_title(meeting.value("kind", "ot"))));
  v.categories = {"meeting"};

  const bool personal = is_personal(recipient);
  const auto& agenda = meeting.value("agenda", json::array());
  int number = 0;
  for (const auto& slot : agenda) {
    ++number;
    const std::string student = slot.value("student_id", "");
    SlotView s{slot.value("start", ""), slot.value("end", ""), "casus " + std::to_string(number)};
    const auto d = decide(student, {"case", "identity"});
    if (personal && !d.permitted("case")) continue;  // not their child: the slot does not exist for them
    if (d.permitted("case") && d.permitted("identity")) {
      if (auto name = student_name(student)) {
        s.label += ": " + *name;
        add_unique(v.categories, {"case", "identity"});
        add_unique(v.consent_ids, d.consent_ids());
        add_unique(v.students, {student});
      }
    } else if (personal) {
      add_unique(v.categories, {"case"});
      add_unique(v.consent_ids, d.consent_ids());
      add_unique(v.students, {student});
    }
    v.slots.push_back(std::move(s));
  }
  if (personal) {
    if (v.slots.empty()) return std::nullopt;
    // Parents join for their own child's part only: the event spans their slots.
    v.start = v.slots.front().start;
    v.end = v.slots.front().end;
    for (const auto& s : v.slots) {
      v.start = std::min(v.start, s.start);
      v.end = std::max(v.end, s.end);
    }
  } else {
    v.start = meeting.value("start", "");
    v.end = meeting.value("end", "");
  }
  for (const auto& s : v.slots) v.description += clock_time(s.start) + "-" + clock_time(s.end) + " " + s.label + "\n";
  return v;
}

json event_json(const MeetingView& view, const std::string& dtstamp) {
  json j = {{"uid", view.uid},
            {"sequence", view.sequence},
            {"dtstamp", dtstamp},
            {"start", view.start},
            {"end", view.end},
            {"summary", view.summary},
            {"status", view.cancelled ? "cancelled" : "planned"}};
  if (!view.location.empty()) j["location"] = view.location;
  if (!view.description.empty()) j["description"] = view.description;
  return j;
}

}  // namespace schakel::calendar
