#include "rules.hpp"

#include <algorithm>
#include <cctype>

namespace schakel::caldav {
namespace {

bool same_address(const std::string& a, const std::string& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

void take_recipient_partstat(ical::Event& target, const ical::Event& source, const std::string& recipient_email) {
  const ical::Attendee* theirs = find_attendee(source, recipient_email);
  if (theirs == nullptr) return;
  for (auto& a : target.attendees) {
    if (same_address(a.email, recipient_email)) a.partstat = theirs->partstat;
  }
}

}  // namespace

nlohmann::json state_to_json(const EventState& s) {
  return {{"href", s.href}, {"etag", s.etag}, {"sent", s.sent}, {"written", ical::event_to_json(s.written)}};
}

Result<EventState> state_from_json(const std::string& text) {
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object() || !j.contains("href") || !j.contains("written")) {
    return error(ErrorCode::corrupt, "stored event state is not readable");
  }
  EventState s;
  s.href = j.value("href", "");
  s.etag = j.value("etag", "");
  s.sent = j.value("sent", nlohmann::json());
  auto w = ical::event_from_json(j.at("written"), "/written");
  if (!w) return error(ErrorCode::corrupt, "stored event state: " + w.status().message());
  s.written = *w;
  return s;
}

std::string state_key(const std::string& uid) { return "event/" + uid; }

std::string resource_name(const std::string& uid) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : uid) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4U];
      out += hex[c & 15U];
    }
  }
  return out + ".ics";
}

std::optional<std::string> uid_from_href(const std::string& href) {
  const auto slash = href.rfind('/');
  std::string seg = slash == std::string::npos ? href : href.substr(slash + 1);
  if (seg.size() <= 4 || seg.compare(seg.size() - 4, 4, ".ics") != 0) return std::nullopt;
  seg.resize(seg.size() - 4);
  std::string out;
  for (std::size_t i = 0; i < seg.size(); ++i) {
    if (seg[i] == '%' && i + 2 < seg.size() && std::isxdigit(static_cast<unsigned char>(seg[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(seg[i + 2]))) {
      out += static_cast<char>(std::stoi(seg.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += seg[i];
    }
  }
  return out;
}

bool owned_fields_differ(const ical::Event& a, const ical::Event& b) {
  return a.start != b.start || a.end != b.end || a.summary != b.summary || a.location != b.location ||
         a.description != b.description || a.status != b.status;
}

const ical::Attendee* find_attendee(const ical::Event& e, const std::string& email) {
  for (const auto& a : e.attendees) {
    if (same_address(a.email, email)) return &a;
  }
  return nullptr;
}

ical::Event with_recipient(ical::Event e, const std::string& recipient_email) {
  if (!recipient_email.empty() && find_attendee(e, recipient_email) == nullptr) {
    ical::Attendee a;
    a.email = recipient_email;
    e.attendees.push_back(std::move(a));
  }
  return e;
}

ical::Event resolve(const ical::Event& ours, const ical::Event& theirs, const std::string& recipient_email) {
  ical::Event out = ours;
  take_recipient_partstat(out, theirs, recipient_email);
  const std::int64_t floor = owned_fields_differ(ours, theirs) ? theirs.sequence + 1 : theirs.sequence;
  out.sequence = std::max(ours.sequence, floor);
  return out;
}

ical::Event next_version(ical::Event doc, const ical::Event& previous, const std::string& recipient_email) {
  take_recipient_partstat(doc, previous, recipient_email);
  if (owned_fields_differ(doc, previous) && doc.sequence <= previous.sequence) doc.sequence = previous.sequence + 1;
  if (doc.sequence < previous.sequence) doc.sequence = previous.sequence;
  return doc;
}

}  // namespace schakel::caldav
