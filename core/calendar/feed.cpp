#include "calendar/feed.hpp"

#include "audit/crypto.hpp"
#include "ical/event.hpp"
#include "ical/writer.hpp"

namespace schakel::calendar {
namespace {

using nlohmann::json;

bool takes_part(const json& meeting, const consent::Recipient& r) {
  if (r.role == "parent" || r.role == "student") return true;  // view_for keeps their own child's slots only
  for (const auto& m : meeting.value("standing_members", json::array())) {
    if (m.value("role", "") != r.role) continue;
    const std::string org = m.value("organisation", "");
    if (org.empty() || r.organisation.empty() || org == r.organisation) return true;
  }
  return false;
}

}  // namespace

std::optional<std::string> display_name(const json& student_doc) {
  const auto naam = student_doc.value("naam", json::object());
  if (auto r = naam.value("roepnaam", std::string()); !r.empty()) return r;
  const std::string voornamen = naam.value("voornamen", std::string());
  if (voornamen.empty()) return std::nullopt;
  return voornamen.substr(0, voornamen.find(' '));
}

Result<Feed> build_feed(store::Transaction& tx, const std::string& tenant, const consent::Recipient& recipient,
                        const RecipientDecideFn& decide) {
  Feed feed;
  std::vector<ical::Event> events;
  auto name_of = [&tx](const std::string& student_id) -> std::optional<std::string> {
    auto s = tx.get(store::Kind::student, student_id);
    if (!s || !*s) return std::nullopt;
    return display_name((*s)->doc);
  };
  store::EntityQuery query;
  query.kind = store::Kind::meeting;
  query.tenant = tenant;
  for (;;) {
    auto page = tx.list(query);
    if (!page) return page.status();
    for (const auto& entity : *page) {
      if (!takes_part(entity.doc, recipient)) continue;
      auto view = view_for(entity.doc, recipient, decide, name_of);
      if (!view) continue;
      // The version's own time, not the time of the fetch: same meeting, same bytes.
      const json j = event_json(*view, entity.doc.value("updated_at", format_utc(entity.updated_at)));
      auto event = ical::event_from_json(j, "meeting " + entity.id);
      if (!event) return event.status();
      events.push_back(std::move(event.value()));
      feed.views.push_back(std::move(*view));
    }
    if (static_cast<int>(page->size()) < query.limit) break;
    query.after_id = page->back().id;
  }
  feed.ics = ical::write_calendar(events);
  feed.etag = "\"" + audit::sha256_hex(feed.ics) + "\"";
  return feed;
}

}  // namespace schakel::calendar
