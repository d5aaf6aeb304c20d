#pragma once
// How OneRoster rows become case-schema records (schemas/*.schema.json), as JSON text. Pure
// functions, so the rules (Dutch name parts, roles, gezag, identifiers) are tested on their own.
// A row that cannot be mapped gives an error whose message is the reason; it never holds the
// personal data itself.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/status.hpp"
#include "oneroster/model.hpp"

namespace schakel::sis_oneroster {

struct MappingConfig {
  std::string swv_code;
  // Where a Dutch LAS puts the tussenvoegsel: "voorvoegsel" (middleName holds it, the common
  // export) or "given_names" (middleName holds more given names).
  std::string middle_name_is = "voorvoegsel";
  bool split_family_name = true;          // find a voorvoegsel at the start of familyName
  std::vector<std::string> voorvoegsels;  // longest match wins; lower case
  bool allow_eckid = false;
  bool allow_bsn = false;
  std::string gezag_column;               // e.g. "metadata.nl.gezag"; "" when the LAS has none
  std::string role_column = "metadata.schakel.role";  // an OT role given by the LAS
  std::map<std::string, std::string> staff_roles;     // OneRoster role -> Schakel role
};
MappingConfig default_mapping_config();

struct NameParts {
  std::string voornamen, roepnaam, voorvoegsel, achternaam;
};
// Splits a OneRoster name into Dutch parts; an error if there is no family name.
Result<NameParts> name_parts(const oneroster::User& u, const MappingConfig& c);

// Hub ids: "<kind>-<sourcedId>", refused when the sourcedId does not fit the id pattern.
Result<std::string> hub_id(const std::string& kind, const std::string& sourced_id);

Result<std::string> map_school(const oneroster::Org& o, const MappingConfig& c);

struct StudentExtra {
  const oneroster::Demographics* demographics = nullptr;
  std::string groep;      // the homeroom class title
  std::string school_sourced_id;
  std::optional<int> jaargroep;
};
Result<std::string> map_student(const oneroster::User& u, const StudentExtra& extra, const MappingConfig& c);

Result<std::string> map_guardian(const oneroster::User& u, const std::vector<std::string>& children,
                                 const MappingConfig& c);
Result<std::string> map_staff(const oneroster::User& u, const std::string& role,
                              const std::string& school_sourced_id, const MappingConfig& c);

// The Schakel role of a staff member, or an error naming the unknown role.
Result<std::string> staff_role(const oneroster::User& u, const std::string& oneroster_role,
                               const MappingConfig& c);
// "parent" | "guardian" | "other" from a OneRoster agent role; nullopt if the role is no agent.
std::optional<std::string> guardian_relation(const std::string& oneroster_role);
// "yes" | "no" | "unknown": only an explicit value from the LAS sets yes or no.
std::string gezag_of(const oneroster::User& u, const MappingConfig& c);
std::optional<int> jaargroep_of(const std::vector<std::string>& grades);

}  // namespace schakel::sis_oneroster
