#pragma once
// One pass over a OneRoster CSV bundle: reads the files in an order that lets each record be
// built whole (orgs, roles, demographics, classes, enrollments, then users once: students and
// staff go out as they come, guardians wait in the join store until every link is known),
// streaming every file. What is joined
// onto the users (demographics, placements, roles, agent links) waits in a temporary SQLite
// database (join_store.hpp), so memory stays flat whatever the bundle size; only the classes and
// the LAS keys for the reconcile (KnownKeys) are held in memory.
//
// Every record goes out as an envelope on its stream (schools, students, guardians, staff):
//   {"source_key": sourcedId, "source_version": dateLastModified (RFC 3339 UTC),
//    "source": "<file>:<line>", "active": bool, "record": {... the case schema ...}}
// "record" is absent for a tobedeleted row too thin to map: the importer then marks the stored
// record inactive (a student "left"), never deletes it. A row that does not map goes out on
// "rejected_rows" as {"source", "file", "reason", "source_key"} and the pass goes on. A broken
// file (quoting, a truncated row, a wrong header, invalid UTF-8) ends the pass with an error
// naming file and line; what was emitted before stays. A CSV delta's demographics or enrollment
// row for a student whose users row is not in the same delta goes to "rejected_rows" too: the
// record cannot be built whole without it.
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <memory>
#include <vector>
#include <string>
#include <string_view>

#include "base/status.hpp"
#include "mapping.hpp"

namespace schakel::sis_oneroster {

// One envelope on its way to the host, written as JSON text by the pass.
struct Outgoing {
  std::string stream;
  std::string text;     // the envelope's JSON
  std::string version;  // its source_version, "" if none
  std::string warning;  // for the connector's log (a row that does not map), "" if none
};

struct SyncOutput {
  // Hands one envelope on (to the host, or to the thread that hands it to the host: handoff.hpp).
  // Whether the host accepts it is the deliverer's to count; the pass goes on either way.
  std::function<void(Outgoing)> emit;
};

// The LAS keys the connector has emitted, per stream (students, guardians, staff). The plugin
// keeps them in its state, so that a full (bulk) users file can retire whoever is no longer in it:
// each such key goes out as a thin envelope with "active": false and no record (status "left"
// for a student), never as a deletion. A stream's keys are the state's own text: one key a line,
// sorted, without repeats, about 12 bytes a key where a std::string took 32 and more (a SWV has
// hundreds of thousands).
using KnownKeys = std::map<std::string, std::string>;

// Each line of `text` (one key a line, as in KnownKeys), in order.
template <typename F>
void each_line(std::string_view text, F&& f) {
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t end = std::min(text.find('\n', at), text.size());
    f(text.substr(at, end - at));
    at = end + 1;
  }
}
// The lines of `text` sorted, without repeats and without empty ones; they point into `text`.
std::vector<std::string_view> sorted_lines_of(std::string_view text);

struct SyncStats {
  std::map<std::string, std::uint64_t> emitted;  // per stream
  std::uint64_t rejected = 0;                    // rows that did not map
  std::uint64_t skipped = 0;                     // older than the cursor
  std::string max_version;                       // the newest source_version seen
  std::uint64_t retired = 0;                     // reconciled: absent from a full users file
  KnownKeys known;                               // after this pass (when SyncOptions::known is set)
};

struct SyncOptions {
  std::string cursor;            // skip rows whose version is older; "" = everything
  std::string fallback_version;  // for rows without dateLastModified (now, RFC 3339 UTC)
  const KnownKeys* known = nullptr;  // set: keep track of keys and reconcile a full users file
  // A full users file whose newest row is older than this (the newest change already applied) is
  // a stale export: nobody is retired against it.
  std::string stale_before;
};

// Where the rows come from: a CSV bundle (a directory or a zip) or the REST binding.
class RowSource {
 public:
  using BadRow = std::function<void(const std::string& where, const std::string& key, const Status& error)>;
  virtual ~RowSource() = default;
  virtual Result<oneroster::Manifest> manifest() = 0;
  // Streams the rows of `file` ("users", ...) through `row`. `bad` gets an item that is not a row
  // at all (a REST object of the wrong shape); a broken file ends the stream with an error.
  virtual Status each(const std::string& file, const std::vector<std::string>& required_columns,
                      const std::function<void(const oneroster::Table&)>& row, const BadRow& bad) = 0;

  // Whether two threads may each stream a file of this source at once (a directory: each file
  // is opened on its own; a zip archive and a REST client are not shared between threads).
  [[nodiscard]] virtual bool concurrent_files() const { return false; }

  // An incremental source (REST since a cursor) lists only what changed in each collection. A
  // student whose demographics or enrollments changed, but not the user itself, must still be
  // emitted whole: the pass asks such a source for the rows of `file` whose `field` (a
  // sourcedId or a GUIDRef such as user.sourcedId) is one of `keys`.
  [[nodiscard]] virtual bool incremental() const { return false; }
  virtual Status each_with(const std::string& file, const std::string& field, const std::vector<std::string>& keys,
                           const std::function<void(const oneroster::Table&)>& row, const BadRow& bad) {
    (void)file, (void)field, (void)keys, (void)row, (void)bad;
    return Status(ErrorCode::internal, "this row source cannot look rows up by key");
  }
};

// The CSV bundle in a directory.
std::unique_ptr<RowSource> directory_source(std::filesystem::path dir);

Result<SyncStats> sync_rows(RowSource& source, const MappingConfig& config, const SyncOptions& options,
                            const SyncOutput& out);

Result<SyncStats> sync_bundle(const std::filesystem::path& bundle_dir, const MappingConfig& config,
                              const SyncOptions& options, const SyncOutput& out);

}  // namespace schakel::sis_oneroster
