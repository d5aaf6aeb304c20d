#pragma once
// CalDAV (RFC 4791) and WebDAV sync (RFC 6578) requests over the HTTP adapter, with Basic
// authentication. Blocking; one instance per connector.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "http/client.hpp"
#include "multistatus.hpp"

namespace schakel::caldav {

struct DavOptions {
  std::string base_url;  // the server, or the principal or calendar URL
  std::string username;
  std::string password;  // never in a message
  http::ClientOptions http;
};

// A conditional PUT: create only (If-None-Match: *) or replace only this version (If-Match).
struct Precondition {
  bool create_only = false;
  std::string if_match;  // the stored ETag, quotes included
};

struct Stored {
  int status = 0;    // HTTP status
  std::string etag;  // empty when the server sent none
};

struct Fetched {
  int status = 0;
  std::string ics;
  std::string etag;
};

class DavClient {
 public:
  static Result<std::unique_ptr<DavClient>> create(DavOptions options);

  // Any request with the credentials; HTTP statuses are not errors here.
  Result<http::Response> send(const std::string& method, const std::string& url,
                              std::vector<http::Header> headers = {}, std::string body = {});
  // PROPFIND with Depth `depth` for the given <prop> children; a non-207 answer is an error.
  Result<MultiStatus> propfind(const std::string& url, int depth, const std::string& props);
  // current-user-principal -> calendar-home-set -> the calendar: the one whose display name or
  // last path segment is `calendar`, or (empty) the first that holds VEVENTs.
  Result<std::string> discover(const std::string& calendar);

  Result<Stored> put(const std::string& url, const std::string& ics, const Precondition& pre);
  Result<Fetched> get(const std::string& url);
  // calendar-multiget (RFC 4791 7.9) of these hrefs: getetag and calendar-data.
  Result<MultiStatus> multiget(const std::string& collection, const std::vector<std::string>& hrefs);

  // An href from a multistatus made absolute against the base URL's origin.
  [[nodiscard]] std::string absolute(const std::string& href) const;
  // The path of an absolute URL on this server (what hrefs in a multistatus look like).
  [[nodiscard]] std::string path_of(const std::string& url) const;
  [[nodiscard]] const std::string& base_url() const { return options_.base_url; }

 private:
  DavClient(DavOptions options, std::unique_ptr<http::Client> client);
  DavOptions options_;
  std::string origin_;  // scheme://host[:port]
  std::string authorization_;
  std::unique_ptr<http::Client> client_;
};

// Whether a failed request or an odd status is worth a retry (network trouble, 5xx, 429).
bool is_transient_status(int status);

}  // namespace schakel::caldav

namespace schakel::caldav {

// The answer to a sync-collection REPORT (RFC 6578) with getetag and calendar-data.
struct SyncAnswer {
  enum class Kind { changes, token_invalid, unsupported } kind = Kind::changes;
  MultiStatus changes;  // kind changes: the members changed or removed since the token
};
// Asks for the changes since `token` ("" for all members). A 403/409 valid-sync-token error means
// the token expired; a server without the report (400, 403 without that error, 405, 501) is
// "unsupported", so the caller falls back to comparing ETags.
Result<SyncAnswer> sync_collection(DavClient& dav, const std::string& collection, const std::string& token);
// Depth-1 PROPFIND of the members' ETags: the fallback when sync-collection is not there.
Result<MultiStatus> list_etags(DavClient& dav, const std::string& collection);

// The collection's CS:getctag by a Depth-0 PROPFIND: one cheap request that tells whether
// anything in the calendar changed. nullopt when the server has no such property (or refuses the
// PROPFIND for a reason other than credentials or trouble worth a retry).
Result<std::optional<std::string>> collection_ctag(DavClient& dav, const std::string& collection);

}  // namespace schakel::caldav
