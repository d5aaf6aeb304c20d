#pragma once
// The canonical form and hash of one audit entry (DESIGN section 5). The chain is
//   hash = SHA-256(prev_hash || JCS(entry without "hash"))
// with prev_hash as its 64 lowercase hex characters and the first entry's prev_hash all zeros.
// The canonical form is rebuilt from the stored fields every time; no JSON copy is ever kept.
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "audit/crypto.hpp"
#include "store/store.hpp"

namespace schakel::audit {

inline constexpr std::string_view kGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";
inline constexpr int kEntryFormat = 1;  // "v" in the canonical form

// The entry's fields except "hash", as a JSON object (the input of JCS).
nlohmann::json entry_fields(const store::AuditRow& row);
// The whole row including "hash", for exports.
nlohmann::json entry_json(const store::AuditRow& row);

// Appends JCS(entry_fields(row)) to `out` without building a JSON value (the verifier's fast
// path; a unit test holds it equal to canonical_json(entry_fields(row))). False when a field is
// not valid UTF-8.
bool append_canonical_entry(const store::AuditRow& row, std::string& out);
// The same on raw memory with room for canonical_entry_bound(row) bytes; returns the end, or
// nullptr when a field is not valid UTF-8.
std::size_t canonical_entry_bound(const store::AuditRow& row);
char* write_canonical_entry(const store::AuditRow& row, char* dst);

// Appends entry_json(row).dump() without building a JSON value (an audit search answers with a
// page of these; a unit test holds the two equal). False when a field is not valid UTF-8.
bool append_entry_json(const store::AuditRow& row, std::string& out);

// The row's hash over its stored prev_hash and fields; empty when a field is not valid UTF-8.
std::string compute_entry_hash(const store::AuditRow& row, Sha256& sha, std::string& scratch);
std::string compute_entry_hash(const store::AuditRow& row);

// RFC 3339 UTC with microseconds, the form the canonical JSON carries.
void append_utc_micros(std::string& out, TimePoint t);

// The recipient named individually (DOMAIN: {organisation, role, name}), kept in the entry's
// recipient field as canonical JSON so queries can match it exactly.
struct Recipient {
  std::string organisation;
  std::string role;
  std::string name;
};
std::string encode_recipient(const Recipient& r);
// Reads a recipient field back; a plain-text recipient becomes {name: text}.
Recipient decode_recipient(const std::string& field);
// "Name (role, Organisation)" for people to read.
std::string describe_recipient(const std::string& field);

}  // namespace schakel::audit
