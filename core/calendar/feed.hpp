#pragma once
// One recipient's calendar feed: every meeting of a school the recipient takes part in, each
// minimised for them (meeting_view.hpp) and written as RFC 5545 (adapters/ical). The bytes are
// the same for the same meetings and consents, so the ETag lets calendar clients poll cheaply.
#include <functional>
#include <string>
#include <vector>

#include "calendar/meeting_view.hpp"
#include "store/store.hpp"

namespace schakel::calendar {

struct Feed {
  std::string ics;
  std::string etag;                // a strong, quoted ETag over the bytes
  std::vector<MeetingView> views;  // what the feed disclosed, for its audit entries
};

// The consent index's decide() for this recipient and purpose calendar.
using RecipientDecideFn = std::function<consent::Decision(const std::string& student_id,
                                                          const std::vector<std::string>& categories)>;

// Standing members get the meetings whose standing members include their role (and their
// organisation, where the meeting names one); parents and students get the meetings with a slot
// of their own child, and only that slot.
Result<Feed> build_feed(store::Transaction& tx, const std::string& tenant, const consent::Recipient& recipient,
                        const RecipientDecideFn& decide);

// The display name of a student document: roepnaam, else the first of the voornamen.
std::optional<std::string> display_name(const nlohmann::json& student_doc);

}  // namespace schakel::calendar
