#pragma once
// What one calendar recipient may see of a meeting (DESIGN sections 3, 4 and 9; purpose
// `calendar`). The consent module decides; this only applies its answers:
//  - a standing member sees the whole meeting, with each case slot as "casus 1", "casus 2", ...
//    unless consent covers identity and case for that recipient, then with the child's roepnaam;
//  - a parent (or a student of 16 or over) sees only the slots of their own child, by the consent
//    module's own_child rule, and nothing at all when there is none;
//  - an ECK iD, a BSN or health data never appears: the view has no field for them.
// Every view lists the consent ids and categories it disclosed, for its audit entry.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "consent/types.hpp"

namespace schakel::calendar {

struct SlotView {
  std::string start;  // Europe/Amsterdam local date-time, as in the meeting
  std::string end;
  std::string label;  // "casus 2", or "casus 2: Sanne" when identity and case are permitted
};

struct MeetingView {
  std::string uid;  // the meeting's ical_uid, the same for every recipient and every change
  int sequence = 0;
  bool cancelled = false;
  std::string start;  // the meeting's window, or for a parent the window of their child's slots
  std::string end;
  std::string summary;      // never a child's name for a standing member
  std::string location;
  std::string description;  // the slots, one a line
  std::vector<SlotView> slots;
  std::vector<std::string> categories;   // what the view disclosed
  std::vector<std::string> consent_ids;  // the consents that permitted it
  std::vector<std::string> students;     // the students whose slots the view names
};

// Decides for one student, purpose calendar, this recipient: the consent index's decide().
using DecideFn = std::function<consent::Decision(const std::string& student_id, const std::vector<std::string>& categories)>;
// The name to show for a student (roepnaam, else the first of voornamen); nullopt when unknown.
using StudentNameFn = std::function<std::optional<std::string>(const std::string& student_id)>;

// nullopt: the recipient sees nothing of this meeting. `meeting` matches meeting.schema.json.
std::optional<MeetingView> view_for(const nlohmann::json& meeting, const consent::Recipient& recipient,
                                    const DecideFn& decide, const StudentNameFn& student_name);

// The view as adapters/ical's JSON event (uid, sequence, dtstamp, start, end, summary, location,
// description, status). `dtstamp`: when this version of the meeting was made (RFC 3339).
nlohmann::json event_json(const MeetingView& view, const std::string& dtstamp);

}  // namespace schakel::calendar
