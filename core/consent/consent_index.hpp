#pragma once
// The consent index: every student's birth date, guardians and consents in memory, built from the
// store at start and updated on every change, so that a decision never touches the disk.
//
// Changing consent with a store (the order matters: the index follows what is durable):
//   auto c = index.check_record(doc, now);       // validate, nothing changes yet
//   store.write([&](Transaction& tx) { return persist_consent(tx, *c, "consent.record", audit); });
//   index.apply(*c);                             // only after the commit succeeded
// record_consent()/withdraw_consent() in persist.hpp do exactly that.
#include <cstdint>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/clock.hpp"
#include "base/status.hpp"
#include "consent/student_facts.hpp"
#include "consent/types.hpp"
#include "store/store.hpp"

namespace schakel::consent {

class ConsentIndex {
 public:
  // Reads every active student, guardian and consent through `tx`. A malformed document fails
  // the load with the entity kind, id and field, so a broken database is not served half-known.
  Status load(store::Transaction& tx);

  // Students and guardians change through imports; the importer calls these after its commit.
  Status apply_student(const nlohmann::json& student_doc);
  Status apply_guardian(const nlohmann::json& guardian_doc);
  void remove_student(const std::string& student_id);
  void remove_guardian(const std::string& guardian_id);

  // Validates a new consent (unknown student, grantor not a guardian of this student or without
  // gezag, gezag unknown and unconfirmed, period ending before it starts, unknown category,
  // purpose or role, id already used) and returns the document to persist. Nothing changes.
  // `at` fills evidence.recorded_at when the document leaves it out.
  [[nodiscard]] Result<ConsentRecord> check_record(const nlohmann::json& consent_doc, TimePoint at) const;
  // Validates a withdrawal (unknown consent, already withdrawn, `by` neither the student nor a
  // guardian of the student with some claim to gezag) and returns the withdrawn document.
  [[nodiscard]] Result<ConsentRecord> check_withdraw(const std::string& consent_id, const Grantor& by,
                                                     TimePoint at, const std::string& reason) const;
  // Puts a (checked, persisted) consent into the index, replacing one with the same id.
  void apply(const ConsentRecord& consent);

  // check + apply, for callers without a store (and tests).
  Result<ConsentRecord> record(const nlohmann::json& consent_doc, TimePoint at);
  Result<ConsentRecord> withdraw(const std::string& consent_id, const Grantor& by, TimePoint at,
                                 const std::string& reason);

  // Per category: permit or deny, with the permitting consent ids and a reason (DESIGN section 4;
  // the rules are listed in decide.cpp). `legal_basis` is the route's named legal basis, "" for
  // none. Unknown students, purposes and categories are denied, never errors.
  [[nodiscard]] Decision decide(const std::string& student_id, const Recipient& recipient,
                                const std::string& purpose, const std::vector<std::string>& categories,
                                TimePoint at, const std::string& legal_basis = "") const;

  [[nodiscard]] std::size_t student_count() const;
  [[nodiscard]] std::size_t consent_count() const;
  [[nodiscard]] std::optional<ConsentRecord> find_consent(const std::string& consent_id) const;
  [[nodiscard]] std::optional<StudentFacts> find_student(const std::string& student_id) const;

  // A consent with its closed lists as bit masks, so that a decision compares integers.
  struct Indexed {
    ConsentRecord record;
    std::uint16_t category_mask = 0;
    std::uint8_t purpose_mask = 0;
  };

 private:
  struct StudentEntry {
    StudentFacts facts;
    bool known = false;  // the student document is loaded (consents may arrive first)
    std::vector<Indexed> consents;
  };

  void apply_locked(const ConsentRecord& consent);
  void link_guardian_locked(const GuardianFacts& guardian);
  void unlink_guardian_locked(const std::string& guardian_id);

  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, StudentEntry> students_;
  std::unordered_map<std::string, GuardianFacts> guardians_;
  std::unordered_map<std::string, std::string> consent_student_;  // consent id -> student id
};

}  // namespace schakel::consent
