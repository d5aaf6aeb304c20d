#pragma once
// The OneRoster 1.1/1.2 REST binding: GETs a collection page by page with `limit`/`offset`
// (ordered by sourcedId, so a record changed while we page does not move), optionally with a
// `filter` such as dateLastModified>'…', over an OAuth2 client-credentials client, and flattens
// each JSON object into the columns of the matching CSV bundle file, so the bundle's row parsers
// (model.hpp) read REST and CSV alike.
//
// Paging ends when the offset reaches X-Total-Count, or, without that header, when the Link
// header has no rel="next", or, without either, on a short page. The next offset is always the
// offset plus the objects actually received, so a server that cuts a page short loses nothing.
// 429 and 503 are waited out in the pass when they carry a Retry-After no longer than max_wait;
// anything else that fails ends the pass with a Status (unavailable: worth a retry later).
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/clock.hpp"
#include "base/status.hpp"
#include "oauth2/client_credentials.hpp"
#include "oneroster/model.hpp"
#include "oneroster/table.hpp"

namespace schakel::oneroster {

struct RestOptions {
  std::string base_url;  // e.g. https://las.example/ims/oneroster/rostering/v1p2 (no trailing /)
  Version version = Version::v1_2;
  std::size_t page_size = 100;
  int max_attempts = 5;  // per page, counting 429/503 answers
  std::chrono::milliseconds max_wait{60'000};     // a longer Retry-After ends the pass
  std::chrono::milliseconds default_wait{1'000};  // a 429/503 without Retry-After
  std::size_t max_pages = 1'000'000;              // bounds a server that never says "done"
  // How the pass waits out a Retry-After; tests pass one that records instead of sleeping.
  std::function<void(std::chrono::milliseconds)> sleep;
};

class RestReader {
 public:
  // `client` must outlive the reader.
  RestReader(oauth2::AuthorizedClient& client, RestOptions options);

  // An object whose JSON does not fit the binding: where ("rest:/users:7"), its sourcedId (if
  // any) and the error; the pass goes on.
  using BadObject = std::function<void(const std::string& where, const std::string& key, const Status& error)>;

  // Calls `row` with a table positioned on each object of `collection` (orgs, classes, users,
  // enrollments, demographics), in the columns of `<collection>.csv` for the version. Objects
  // are named "rest:/<collection>:<n>" (n counts from 1 across pages).
  Status each(const std::string& collection, const std::string& filter,
              const std::function<void(const Table&)>& row, const BadObject& bad);

  // The server's Date header on the first response this reader received (the cursor of an
  // incremental sync never goes past it, so changes made while we page are read next time).
  [[nodiscard]] std::optional<TimePoint> first_date() const { return first_date_; }
  // The wait a 429/503 asked for when the pass gave up on it (0 otherwise).
  [[nodiscard]] std::chrono::milliseconds retry_after() const { return retry_after_; }
  [[nodiscard]] std::uint64_t requests() const { return requests_; }

 private:
  Result<nlohmann::json> get_page(const std::string& url, const std::string& what,
                                  std::optional<std::uint64_t>* total, bool* link_next, bool* has_link);

  oauth2::AuthorizedClient& client_;
  RestOptions options_;
  std::optional<TimePoint> first_date_;
  std::chrono::milliseconds retry_after_{0};
  std::uint64_t requests_ = 0;
};

// `dateLastModified>'<instant>'` as the binding writes it.
std::string modified_since_filter(const std::string& instant);
// Percent-encodes a query value (RFC 3986 unreserved characters stay).
std::string url_encode(const std::string& s);

// The objects' JSON flattened into CSV columns; an error names the object and the field.
Result<std::unique_ptr<Table>> rest_row(const std::string& collection, Version version,
                                        const nlohmann::json& object, const std::string& name,
                                        std::uint64_t position);

// Link header rel values: {"next": url, "last": url, ...} (RFC 8288, the subset servers send).
std::vector<std::pair<std::string, std::string>> parse_link_header(const std::string& value);

}  // namespace schakel::oneroster
