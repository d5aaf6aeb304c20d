#include "sync_engine.hpp"

#include <algorithm>
#include <map>

#include "ical/reader.hpp"
#include "ical/writer.hpp"

namespace schakel::caldav {
namespace {

using nlohmann::json;

Status state_failure(const std::string& key) {
  return error(ErrorCode::unavailable, "the host could not store state " + key);
}

}  // namespace

SyncEngine::SyncEngine(plugin::Host host, std::unique_ptr<DavClient> dav, SyncSettings settings)
    : host_(host), dav_(std::move(dav)), settings_(std::move(settings)) {}

Result<std::string> SyncEngine::collection() {
  if (!collection_.empty()) return collection_;
  const json want = {{"url", dav_->base_url()}, {"calendar", settings_.calendar}};
  if (auto stored = host_.state("collection")) {
    const json j = json::parse(*stored, nullptr, false);
    // A stored collection counts only for the same server and calendar setting.
    if (j.is_object() && j.value("url", "") == want["url"] && j.value("calendar", "") == want["calendar"]) {
      collection_ = j.value("href", "");
      if (!collection_.empty()) return collection_;
    }
  }
  auto found = dav_->discover(settings_.calendar);
  if (!found) return found.status();
  json j = want;
  j["href"] = *found;
  if (!host_.put_state("collection", j.dump())) return state_failure("collection");
  collection_ = *found;
  return collection_;
}

Result<std::optional<EventState>> SyncEngine::load(const std::string& uid) {
  auto text = host_.state(state_key(uid));
  if (!text) return std::optional<EventState>{};
  auto s = state_from_json(*text);
  if (!s) {
    // Unreadable state is not fatal: the server copy is re-read on the next conflict.
    host_.warn(s.status().message() + " (uid " + uid + "); writing it afresh");
    return std::optional<EventState>{};
  }
  return std::optional<EventState>{std::move(*s)};
}

Status SyncEngine::save(const std::string& uid, const EventState& s) {
  return host_.put_state(state_key(uid), state_to_json(s).dump()) ? Status::ok() : state_failure(state_key(uid));
}

Result<std::vector<std::string>> SyncEngine::known_uids() {
  std::vector<std::string> out;
  if (auto text = host_.state("uids")) {
    const json j = json::parse(*text, nullptr, false);
    if (j.is_array()) {
      for (const auto& u : j) {
        if (u.is_string()) out.push_back(u.get<std::string>());
      }
    }
  }
  return out;
}

Status SyncEngine::remember_uid(const std::string& uid) {
  auto uids = known_uids();
  SCHAKEL_TRY(uids);
  if (std::find(uids->begin(), uids->end(), uid) != uids->end()) return Status::ok();
  uids->push_back(uid);
  return host_.put_state("uids", json(*uids).dump()) ? Status::ok() : state_failure("uids");
}

Status SyncEngine::emit(const std::string& stream, const json& record) {
  if (!host_.emit(stream, record.dump())) {
    host_.warn("the host refused a " + stream + " record for " + record.value("uid", ""));
  }
  return Status::ok();
}

Status SyncEngine::fetch_etag(EventState& s) {
  // A server may change what it stores and then send no ETag with the PUT's answer.
  auto got = dav_->get(s.href);
  SCHAKEL_TRY(got);
  s.etag = got->etag;
  return Status::ok();
}

Status SyncEngine::put_version(const std::string& uid, EventState& s, const ical::Event& version) {
  Precondition pre{s.etag.empty(), s.etag};
  auto put = dav_->put(s.href, ical::write_calendar(version), pre);
  SCHAKEL_TRY(put);
  ical::Event written = version;
  if (put->status == 412 || put->status == 404) {
    // Someone else wrote (or removed) it since: read theirs, apply the ownership rule, try once more.
    auto current = dav_->get(s.href);
    SCHAKEL_TRY(current);
    if (current->status == 404) {
      pre = Precondition{true, {}};
    } else {
      auto theirs = ical::read_event(current->ics);
      if (theirs) {
        const ical::Attendee* was = find_attendee(s.written, settings_.recipient_email);
        const ical::Attendee* now = find_attendee(*theirs, settings_.recipient_email);
        if (now != nullptr && (was == nullptr || was->partstat != now->partstat)) {
          SCHAKEL_TRY(emit("calendar_reply", {{"uid", uid}, {"attendee", now->email},
                                              {"partstat", ical::partstat_name(now->partstat)},
                                              {"observed_at", format_utc(TimePoint{std::chrono::microseconds{host_.now_us()}})}}));
        }
        written = resolve(version, *theirs, settings_.recipient_email);
      } else {
        host_.warn("unreadable server copy of " + uid + " (" + theirs.status().message() + "); replacing it");
        written.sequence = std::max(written.sequence, s.written.sequence + 1);
      }
      pre = Precondition{false, current->etag};
    }
    put = dav_->put(s.href, ical::write_calendar(written), pre);
    SCHAKEL_TRY(put);
    if (put->status == 412 || put->status == 404) {
      return error(ErrorCode::conflict, "PUT " + s.href + ": changed again on the server while resolving; will retry");
    }
  }
  s.etag = put->etag;
  s.written = written;
  if (s.etag.empty()) SCHAKEL_TRY(fetch_etag(s));
  return Status::ok();
}

std::optional<json> SyncEngine::unchanged_receipt(const json& event_json) {
  // Read straight from the stored JSON: a document equal to the last one delivered was valid then,
  // so neither it nor the stored version needs converting to an event again.
  const auto uid = event_json.find("uid");
  if (uid == event_json.end() || !uid->is_string()) return std::nullopt;
  const auto text = host_.state(state_key(uid->get<std::string>()));
  if (!text) return std::nullopt;
  const json j = json::parse(*text, nullptr, false);
  if (!j.is_object() || j.value("sent", json()) != event_json) return std::nullopt;
  const std::string href = j.value("href", "");
  const std::string etag = j.value("etag", "");
  const auto written = j.find("written");
  if (href.empty() || etag.empty() || written == j.end() || !written->is_object()) return std::nullopt;
  const auto sequence = written->find("sequence");
  if (sequence == written->end() || !sequence->is_number_integer()) return std::nullopt;
  return json{{"href", dav_->path_of(href)}, {"etag", etag}, {"sequence", *sequence}};
}

Result<json> SyncEngine::write(const json& event_json) {
  if (!collection_.empty()) {
    if (auto same = unchanged_receipt(event_json)) return *same;  // nothing changed: no request at all
  }
  auto event = ical::event_from_json(event_json, "document/event");
  if (!event) return event.status();
  *event = with_recipient(std::move(*event), settings_.recipient_email);
  auto col = collection();
  if (!col) return col.status();
  auto loaded = load(event->uid);
  if (!loaded) return loaded.status();
  EventState s;
  ical::Event version = *event;
  if (*loaded) {
    s = std::move(**loaded);
    if (!s.etag.empty() && s.sent == event_json) {
      // Nothing changed since the last delivery: no request at all.
      return json{{"href", dav_->path_of(s.href)}, {"etag", s.etag}, {"sequence", s.written.sequence}};
    }
    version = next_version(*event, s.written, settings_.recipient_email);
  } else {
    s.href = *col + resource_name(event->uid);
    s.written = version;
  }
  SCHAKEL_TRY(put_version(event->uid, s, version));
  s.sent = event_json;
  SCHAKEL_TRY(save(event->uid, s));
  SCHAKEL_TRY(remember_uid(event->uid));
  return json{{"href", dav_->path_of(s.href)}, {"etag", s.etag}, {"sequence", s.written.sequence}};
}

Status SyncEngine::reconcile(const std::string& uid, EventState& s, const Member& m) {
  if (m.etag == s.etag && !m.etag.empty()) return Status::ok();  // our own write
  const std::string observed_at = format_utc(TimePoint{std::chrono::microseconds{host_.now_us()}});
  auto theirs = ical::read_event(m.ics);
  if (!theirs) {
    host_.warn("unreadable server copy of " + uid + " (" + theirs.status().message() + "); restoring it");
    SCHAKEL_TRY(emit("calendar_change", {{"uid", uid}, {"kind", "edited"}, {"restored", true}, {"observed_at", observed_at}}));
    s.etag = m.etag;
    ical::Event again = s.written;
    again.sequence += 1;
    SCHAKEL_TRY(put_version(uid, s, again));
    return save(uid, s);
  }
  const ical::Attendee* was = find_attendee(s.written, settings_.recipient_email);
  const ical::Attendee* now = find_attendee(*theirs, settings_.recipient_email);
  if (now != nullptr && was != nullptr && was->partstat != now->partstat) {
    SCHAKEL_TRY(emit("calendar_reply", {{"uid", uid}, {"attendee", now->email},
                                        {"partstat", ical::partstat_name(now->partstat)}, {"observed_at", observed_at}}));
  }
  s.etag = m.etag;
  if (owned_fields_differ(s.written, *theirs)) {
    // Schakel owns time and agenda: report the edit, then put ours back with the reply kept.
    const bool moved = s.written.start != theirs->start || s.written.end != theirs->end;
    SCHAKEL_TRY(emit("calendar_change", {{"uid", uid}, {"kind", moved ? "moved" : "edited"}, {"restored", true},
                                         {"found_start", ical::format_amsterdam(theirs->start)},
                                         {"found_end", ical::format_amsterdam(theirs->end)},
                                         {"observed_at", observed_at}}));
    SCHAKEL_TRY(put_version(uid, s, resolve(s.written, *theirs, settings_.recipient_email)));
  } else {
    ical::Event kept = s.written;
    if (now != nullptr) kept = resolve(s.written, *theirs, settings_.recipient_email);
    s.written = kept;
  }
  return save(uid, s);
}

Status SyncEngine::reconcile_all(std::vector<Member> changed, const std::vector<std::string>& removed) {
  std::map<std::string, EventState> states;
  std::vector<std::string> to_fetch;
  auto ours = [&](const std::string& href) -> Result<std::optional<std::string>> {
    auto uid = uid_from_href(href);
    if (!uid) return std::optional<std::string>{};
    if (!states.count(*uid)) {
      auto st = load(*uid);
      if (!st) return st.status();
      if (!*st) return std::optional<std::string>{};  // not an event Schakel wrote
      states.emplace(*uid, std::move(**st));
    }
    return std::optional<std::string>{*uid};
  };
  for (const auto& m : changed) {
    auto uid = ours(m.href);
    SCHAKEL_TRY(uid);
    if (*uid && m.ics.empty() && m.etag != states.at(**uid).etag) to_fetch.push_back(dav_->path_of(m.href));
  }
  if (!to_fetch.empty()) {
    auto got = dav_->multiget(collection_, to_fetch);
    SCHAKEL_TRY(got);
    for (const auto& r : got->responses) {
      for (auto& m : changed) {
        if (m.href != dav_->absolute(r.href)) continue;
        if (const auto* d = r.prop(k_calendar_data)) m.ics = d->text;
        if (const auto* e = r.prop(k_getetag)) m.etag = e->text;
      }
    }
  }
  for (const auto& m : changed) {
    auto uid = ours(m.href);
    SCHAKEL_TRY(uid);
    if (!*uid || (m.ics.empty() && m.etag == states.at(**uid).etag)) continue;
    SCHAKEL_TRY(reconcile(**uid, states.at(**uid), m));
  }
  for (const auto& href : removed) {
    auto uid = ours(href);
    SCHAKEL_TRY(uid);
    if (!*uid) continue;
    // Schakel owns the agenda: a meeting deleted by hand is reported and put back.
    EventState& s = states.at(**uid);
    SCHAKEL_TRY(emit("calendar_change", {{"uid", **uid}, {"kind", "deleted"}, {"restored", true},
                                         {"observed_at", format_utc(TimePoint{std::chrono::microseconds{host_.now_us()}})}}));
    s.etag.clear();
    ical::Event again = s.written;
    again.sequence += 1;
    SCHAKEL_TRY(put_version(**uid, s, again));
    SCHAKEL_TRY(save(**uid, s));
  }
  return Status::ok();
}

Status SyncEngine::read_changes() {
  auto col = collection();
  if (!col) return col.status();
  if (host_.state("ctag_unsupported")) return read_all(*col);
  // A cheap look first: an unchanged CS:getctag means no member changed since the last complete
  // read, so the sync-collection REPORT (or ETag listing) is not needed.
  auto ctag = collection_ctag(*dav_, *col);
  SCHAKEL_TRY(ctag);
  if (!*ctag) {
    host_.info("the server names no getctag for " + *col + "; reading changes on every poll");
    if (!host_.put_state("ctag_unsupported", "1")) return state_failure("ctag_unsupported");
    return read_all(*col);
  }
  const json seen = {{"href", *col}, {"ctag", **ctag}};
  if (auto stored = host_.state("ctag"); stored && json::parse(*stored, nullptr, false) == seen) return Status::ok();
  SCHAKEL_TRY(read_all(*col));
  // The tag read before the changes: a change made after it makes the next poll read again.
  // (Schakel's own writes in between do too; those then compare equal by ETag and cost nothing.)
  return host_.put_state("ctag", seen.dump()) ? Status::ok() : state_failure("ctag");
}

Status SyncEngine::read_all(const std::string& col) {
  const bool sync_ok = settings_.use_sync_collection && !host_.state("sync_unsupported");
  if (sync_ok) {
    const std::string token = host_.state("sync_token").value_or("");
    auto answer = sync_collection(*dav_, col, token);
    SCHAKEL_TRY(answer);
    if (answer->kind == SyncAnswer::Kind::token_invalid) {
      host_.info("sync token expired; reading the whole calendar");
      answer = sync_collection(*dav_, col, "");
      SCHAKEL_TRY(answer);
    }
    if (answer->kind == SyncAnswer::Kind::changes) {
      std::vector<Member> changed;
      std::vector<std::string> removed;
      for (const auto& r : answer->changes.responses) {
        if (r.status == 404) {
          removed.push_back(dav_->absolute(r.href));
          continue;
        }
        Member m{dav_->absolute(r.href), {}, {}};
        if (const auto* e = r.prop(k_getetag)) m.etag = e->text;
        if (const auto* d = r.prop(k_calendar_data)) m.ics = d->text;
        changed.push_back(std::move(m));
      }
      SCHAKEL_TRY(reconcile_all(std::move(changed), removed));
      // Only now: a failure above leaves the old token, so the same changes come again.
      if (!host_.put_state("sync_token", answer->changes.sync_token)) return state_failure("sync_token");
      return Status::ok();
    }
    host_.info("the server has no sync-collection report; comparing ETags instead");
    if (!host_.put_state("sync_unsupported", "1")) return state_failure("sync_unsupported");
  }
  // Fallback: every member's ETag against the stored ones; members gone from the listing were deleted.
  auto listing = list_etags(*dav_, col);
  SCHAKEL_TRY(listing);
  std::vector<Member> changed;
  std::vector<std::string> present;
  for (const auto& r : listing->responses) {
    const auto* e = r.prop(k_getetag);
    if (e == nullptr) continue;  // the collection itself
    changed.push_back(Member{dav_->absolute(r.href), e->text, {}});
    if (auto uid = uid_from_href(r.href)) present.push_back(*uid);
  }
  auto uids = known_uids();
  SCHAKEL_TRY(uids);
  std::vector<std::string> removed;
  for (const auto& uid : *uids) {
    if (std::find(present.begin(), present.end(), uid) == present.end()) removed.push_back(col + resource_name(uid));
  }
  return reconcile_all(std::move(changed), removed);
}

}  // namespace schakel::caldav
