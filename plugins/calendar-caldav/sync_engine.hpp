#pragma once
// The two directions of the CalDAV connector over one calendar collection: write() puts a
// meeting view (create with If-None-Match: *, update with If-Match, a 412 resolved by re-reading
// and applying rules.hpp); read_changes() reads what changed on the server since the stored
// sync token (or, without sync-collection, by comparing ETags), reports replies and edits made
// by hand as records, and puts Schakel's time and agenda back.
//
// State keys: "collection" {url, calendar, href}; "sync_token"; "sync_unsupported"; "ctag"
// {href, ctag} (the collection's CS:getctag before the last complete read); "ctag_unsupported";
// "uids" (the UIDs written, a JSON array); "event/<uid>" (rules.hpp EventState).
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dav_client.hpp"
#include "rules.hpp"
#include "schakel/plugin.hpp"

namespace schakel::caldav {

struct SyncSettings {
  std::string recipient_email;  // whose PARTSTAT the recipient owns
  std::string calendar;         // display name or path segment; empty: the first VEVENT calendar
  bool use_sync_collection = true;
};

class SyncEngine {
 public:
  SyncEngine(plugin::Host host, std::unique_ptr<DavClient> dav, SyncSettings settings);

  // The calendar collection's URL, discovered once and kept in the state.
  Result<std::string> collection();
  // Writes one meeting view (ical/event.hpp JSON); returns the receipt {href, etag, sequence}.
  Result<nlohmann::json> write(const nlohmann::json& event_json);
  // One poll: the server's changes since the last one.
  Status read_changes();

 private:
  struct Member {
    std::string href;
    std::string etag;
    std::string ics;  // empty: not fetched yet
  };
  Result<std::optional<EventState>> load(const std::string& uid);
  // The receipt of the last delivery when `event_json` equals it and the server copy's ETag is
  // known; nullopt when the document has to go through write() in full.
  std::optional<nlohmann::json> unchanged_receipt(const nlohmann::json& event_json);
  Status save(const std::string& uid, const EventState& s);
  Status remember_uid(const std::string& uid);
  Result<std::vector<std::string>> known_uids();

  // Writes `version` at s.href under the stored condition; on 412 (or a resource deleted behind
  // Schakel's back) re-reads the server's copy and writes the resolved version once more.
  Status put_version(const std::string& uid, EventState& s, const ical::Event& version);
  Status fetch_etag(EventState& s);
  // A server copy that differs from the stored ETag: a reply, an edit by hand, or both.
  Status reconcile(const std::string& uid, EventState& s, const Member& m);
  Status reconcile_all(std::vector<Member> changed, const std::vector<std::string>& removed);
  Status emit(const std::string& stream, const nlohmann::json& record);
  // The changes since the stored sync token (or by ETags), whatever the getctag says.
  Status read_all(const std::string& col);

  plugin::Host host_;
  std::unique_ptr<DavClient> dav_;
  SyncSettings settings_;
  std::string collection_;
};

}  // namespace schakel::caldav
