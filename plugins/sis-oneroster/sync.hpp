#pragma once
// One pass over a OneRoster CSV bundle: reads the files in an order that lets each record be
// built whole (orgs, roles, demographics, classes, enrollments, then users twice: once for the
// links between students and their agents, once to emit), streaming every file. Memory grows
// with the number of students (demographics, groups, agent links), never with the file sizes.
//
// Every record goes out as an envelope on its stream (schools, students, guardians, staff):
//   {"source_key": sourcedId, "source_version": dateLastModified (RFC 3339 UTC),
//    "source": "<file>:<line>", "active": bool, "record": {... the case schema ...}}
// "record" is absent for a tobedeleted row too thin to map: the importer then marks the stored
// record inactive (a student "left"), never deletes it. A row that does not map goes out on
// "rejected_rows" as {"source", "file", "reason", "source_key"} and the pass goes on. A broken
// file (quoting, a truncated row, a wrong header, invalid UTF-8) ends the pass with an error
// naming file and line; what was emitted before stays.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "base/status.hpp"
#include "mapping.hpp"

namespace schakel::sis_oneroster {

struct SyncOutput {
  // Returns false if the host refused the record (quarantined it); the pass goes on.
  std::function<bool(const std::string& stream, const nlohmann::json& envelope)> emit;
};

struct SyncStats {
  std::map<std::string, std::uint64_t> emitted;  // per stream
  std::uint64_t refused = 0;                     // emitted but refused by the host
  std::uint64_t rejected = 0;                    // rows that did not map
  std::uint64_t skipped = 0;                     // older than the cursor
  std::string max_version;                       // the newest source_version seen
};

struct SyncOptions {
  std::string cursor;            // skip rows whose version is older; "" = everything
  std::string fallback_version;  // for rows without dateLastModified (now, RFC 3339 UTC)
};

Result<SyncStats> sync_bundle(const std::filesystem::path& bundle_dir, const MappingConfig& config,
                              const SyncOptions& options, const SyncOutput& out);

}  // namespace schakel::sis_oneroster
