#pragma once
// Who owns what in a calendar copy, and what the plugin remembers per event. Schakel owns the
// time and the agenda (start, end, summary, location, description, status); the recipient owns
// their own PARTSTAT. Pure functions, so the rule is tested without a server.
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "ical/event.hpp"

namespace schakel::caldav {

// What the plugin keeps in its state for one event (key "event/<uid>").
struct EventState {
  std::string href;      // the resource's URL
  std::string etag;      // of the version last written or seen; empty: must be (re)created
  nlohmann::json sent;   // the document's event as last delivered (to skip an unchanged one)
  ical::Event written;   // what the server holds as far as Schakel knows
};
nlohmann::json state_to_json(const EventState& s);
Result<EventState> state_from_json(const std::string& text);
std::string state_key(const std::string& uid);

// The resource name for a UID: unreserved characters kept, the rest percent-encoded, ".ics".
std::string resource_name(const std::string& uid);
// The UID back from an href's last segment; nullopt when it is not one of ours.
std::optional<std::string> uid_from_href(const std::string& href);

// Whether the fields Schakel owns differ.
bool owned_fields_differ(const ical::Event& a, const ical::Event& b);
// The attendee with this address (case-insensitive), if any.
const ical::Attendee* find_attendee(const ical::Event& e, const std::string& email);

// The event with the recipient among its attendees (PARTSTAT NEEDS-ACTION when the document did
// not name them): the one answer their calendar owns needs an ATTENDEE line to be given in.
ical::Event with_recipient(ical::Event e, const std::string& recipient_email);

// The version to write over `theirs` (what the server holds now) given `ours`: our time and
// agenda, the recipient's PARTSTAT from theirs, and a SEQUENCE above theirs when our owned
// fields replace different ones (RFC 5546: a change attendees must see raises SEQUENCE).
ical::Event resolve(const ical::Event& ours, const ical::Event& theirs, const std::string& recipient_email);

// The version to write after `previous` (what Schakel last wrote) for a new document: the
// recipient's known PARTSTAT kept, SEQUENCE raised when owned fields changed but the document
// did not raise it (a cancellation is such a change).
ical::Event next_version(ical::Event doc, const ical::Event& previous, const std::string& recipient_email);

}  // namespace schakel::caldav
