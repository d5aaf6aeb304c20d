#pragma once
// The consent index: students' birth dates, guardians and consents in memory, built from the store
// at start and updated on every change, so that a decision on a student it holds never touches
// the disk.
//
// Which students it holds: without a source, every student it is told of. With one (hold_some, as
// the daemon runs it), every student with a consent and a bounded number of others, read through
// the source when a decision or a consent first needs them (admit) and let go together when that
// many more have come in. An import of any size then leaves the index as small as it was: a
// change to a student it does not hold is already in the store, where admit will read it.
//
// Changing consent with a store (the order matters: the index follows what is durable):
//   auto c = index.check_record(doc, now);       // validate, nothing changes yet
//   store.write([&](Transaction& tx) { return persist_consent(tx, *c, "consent.record", audit); });
//   index.apply(*c);                             // only after the commit succeeded
// record_consent()/withdraw_consent() in persist.hpp do exactly that.
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
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
  // Reads every active consent, and the students and guardians the index holds, through `tx`. A
  // malformed document fails the load with the entity kind, id and field, so a broken database is
  // not served half-known.
  Status load(store::Transaction& tx);

  // A student's facts as the store holds them, nullopt when there is no such student.
  using Source = std::function<Result<std::optional<StudentFacts>>(const std::string& student_id)>;
  // Holds only the students with a consent and up to `other_students` more, read through
  // `source` (see the top of this file). Call before load.
  void hold_some(Source source, std::size_t other_students);
  // Whether a decision on this student needs no admit first.
  [[nodiscard]] bool holds(const std::string& student_id) const;
  // Reads the student through the source when the index does not hold it (nothing without a
  // source). The index stays locked meanwhile, so a change committed during the read waits and
  // then finds the student held. Fails only when the source does.
  Status admit(const std::string& student_id);
  // The student document and the documents of its active guardians, read through `tx`; errors
  // name the entity and the field.
  static Result<std::optional<StudentFacts>> read_facts(store::Transaction& tx, const std::string& student_id);

  // Students and guardians change through imports; the importer calls these after its commit.
  // With a source, a student the index does not hold is left to the store, unparsed.
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

  [[nodiscard]] std::size_t student_count() const;  // the students it holds
  [[nodiscard]] std::size_t consent_count() const;
  [[nodiscard]] std::optional<ConsentRecord> find_consent(const std::string& consent_id) const;
  [[nodiscard]] std::optional<StudentFacts> find_student(const std::string& student_id) const;  // when held

  // A consent with its closed lists as bit masks, so that a decision compares integers.
  struct Indexed {
    ConsentRecord record;
    std::uint16_t category_mask = 0;
    std::uint8_t purpose_mask = 0;
  };

 private:
  // Fixed chunks: a growing vector would copy every element and hold both copies (plus up to
  // half its capacity unused) at once, which at 100,000 students was most of an import's peak
  // memory. Chunks never move, so a bulk import grows by one chunk at a time.
  template <typename T>
  class Chunked {
   public:
    static constexpr std::size_t k_chunk = 1024;
    T& operator[](std::size_t i) { return chunks_[i / k_chunk][i % k_chunk]; }
    const T& operator[](std::size_t i) const { return chunks_[i / k_chunk][i % k_chunk]; }
    [[nodiscard]] std::size_t size() const { return size_; }
    T& emplace_back() {
      if (size_ == chunks_.size() * k_chunk) chunks_.push_back(std::make_unique<T[]>(k_chunk));
      return (*this)[size_++];
    }
    void clear() {
      chunks_.clear();
      size_ = 0;
    }
    template <typename F>
    void each(F&& f) const {
      for (std::size_t i = 0; i < size_; ++i) f((*this)[i]);
    }

   private:
    std::vector<std::unique_ptr<T[]>> chunks_;
    std::size_t size_ = 0;
  };

  // Every id the index keeps (students, guardians, schools, organisations, roles) is stored once,
  // and known by a number from 1: a student's guardians are numbers, not copies of their ids.
  // The bytes sit in large blocks, the numbers in an open-addressing table of (hash, number), so a
  // name costs its length and about 40 bytes, where a std::string in a map node cost over 100.
  class Names {
   public:
    std::uint32_t intern(std::string_view name);  // adds it when absent
    // k_no_name when absent
    [[nodiscard]] std::uint32_t find(std::string_view name) const { return find(name, hash(name)); }
    [[nodiscard]] std::string_view view(std::uint32_t number) const;
    void clear();

   private:
    struct Place {
      std::uint32_t block = 0, offset = 0, size = 0;
    };
    static constexpr std::size_t k_block = 64 * 1024;
    static std::uint64_t hash(std::string_view name);  // 32 bits, kept beside the number
    [[nodiscard]] std::uint32_t find(std::string_view name, std::uint64_t h) const;
    void insert(std::uint64_t slot_value);
    std::vector<std::unique_ptr<char[]>> blocks_;
    std::size_t block_used_ = k_block;  // the last block is full: the first name opens one
    Chunked<Place> places_;             // number - 1 -> its bytes
    std::vector<std::uint64_t> table_;  // hash << 32 | number; 0 is an empty slot
  };

  // The hot path reads only these: one rule per (consent, recipient), interned names, dates as
  // day numbers, all in one small contiguous vector per student. The records stay beside them for
  // ids and for the reasons of a denial.
  struct Rule {
    std::uint32_t organisation = 0, role = 0;  // interned; 0 = any
    std::int32_t from_day = 0, until_day = 0;
    std::uint16_t category_mask = 0;
    std::uint8_t purpose_mask = 0;
    bool withdrawn = false;
    bool student_grant = false;          // the student is among the grantors
    bool guardian_grant = false;         // a grantor is a guardian whose gezag counts now
    bool withdrawn_by_student = false;
    bool withdrawn_by_gezag = false;     // withdrawn by a guardian whose gezag counts now
    std::uint32_t consent = 0;           // index into StudentEntry::consents
    // The id, copied here when short (UUIDs are 36) so that a permit reads no other memory.
    std::uint8_t id_size = 0;  // k_long_id: read it from the record instead
    char id[39] = {};
  };
  // The first rules live in the block itself, so a decision reads no further memory for them.
  static constexpr std::size_t k_inline_rules = 4;
  struct Rules {
    std::array<Rule, k_inline_rules> first{};
    std::uint32_t count = 0;
    std::vector<Rule> more;
    void clear() {
      count = 0;
      more.clear();
    }
    void push_back(const Rule& r) {
      if (count < k_inline_rules) first[count] = r;
      else more.push_back(r);
      ++count;
    }
    template <typename F>
    bool each(F&& f) const {  // stops, returning false, when f does
      const std::size_t n = count < k_inline_rules ? count : k_inline_rules;
      for (std::size_t i = 0; i < n; ++i)
        if (!f(first[i])) return false;
      for (const auto& r : more)
        if (!f(r)) return false;
      return true;
    }
  };
  static constexpr std::uint8_t k_long_id = 0xff;
  static constexpr std::uint32_t k_none = 0xffffffffu;  // no slot, no link, no rules
  static constexpr std::uint32_t k_no_name = 0xffffffffu;

  // A guardian's link to one child, in two singly linked lists: the student's guardians and the
  // guardian's children. Most students have one or two guardians, most guardians one to three
  // children, so a walk is short; a removed link goes to a free list.
  struct Link {
    std::uint32_t guardian = 0;  // a name
    std::uint32_t student = 0;   // a slot in entries_
    std::uint32_t next_of_student = k_none, next_of_guardian = k_none;
    Gezag gezag = Gezag::unknown;
    bool confirmed = false;
  };
  // Most students have no consent (an import brings thousands at once), so their rules are not
  // in the entry: a student gets a block in rules_ with its first consent.
  struct StudentEntry {
    std::uint32_t id = 0;      // a name
    std::uint32_t school = 0;  // a name, 0 for none
    Date birth_date{};
    std::uint32_t first_link = k_none;
    std::uint32_t rules_at = k_none;  // its block in rules_
    bool known = false;  // the student document is loaded (consents may arrive first)
    std::vector<Indexed> consents;
  };
  // What a name stands for, beside the name: the student's slot, the guardian's first link.
  struct NameUse {
    std::uint32_t student = k_none;
    std::uint32_t guardian_links = k_none;
  };

  std::uint32_t slot_locked(const std::string& student_id);  // creates the entry when absent
  StudentEntry& entry_locked(const std::string& student_id) { return entries_[slot_locked(student_id)]; }
  [[nodiscard]] const StudentEntry* find_locked(const std::string& student_id) const;
  StudentEntry* find_locked(const std::string& student_id);
  NameUse& use_locked(std::uint32_t name);  // grows uses_ to the name
  // What the id stands for, nullptr when it is unknown or no student's or guardian's.
  [[nodiscard]] const NameUse* use_of_locked(const std::string& id) const;
  NameUse* use_of_locked(const std::string& id);
  std::uint32_t intern_locked(const std::string& name);  // 0 for ""
  // The guardian's link to this student, nullptr when there is none.
  [[nodiscard]] const Link* link_locked(const StudentEntry& entry, const std::string& guardian_id) const;
  [[nodiscard]] StudentFacts facts_locked(const StudentEntry& entry) const;
  void rebuild_locked(StudentEntry& entry);  // the rules, from the consents and the gezag now
  // Permits, filling `ids`, when the fast rules allow; false sends the caller to the full
  // evaluation, which also finds the reason.
  static bool fast_permit(const StudentEntry& entry, const Rules* rules, std::uint32_t organisation,
                          std::uint32_t role, int purpose_bit, int category_bit, std::int32_t today, int age, std::vector<std::string>& ids);

  void apply_locked(const ConsentRecord& consent);
  void clear_locked();
  // The student's school and birth date (its entry made when absent); returns its slot.
  std::uint32_t put_student_locked(const StudentFacts& facts, bool known);
  // The same, and its guardians, replacing the links the entry had.
  void set_facts_locked(const StudentFacts& facts, bool known);
  [[nodiscard]] bool held_locked(const std::string& student_id) const;  // known, not only named
  // Lets every student without a consent go, keeping the others as they are.
  void let_go_locked();
  // Adds the guardian's link to the student in `slot`, or updates the one it has.
  void put_link_locked(std::uint32_t guardian, NameUse& guardian_use, std::uint32_t slot, const GuardianLink& link);
  void unlink_student_locked(StudentEntry& entry);  // out of each guardian's children too
  void link_guardian_locked(const GuardianFacts& guardian);
  void unlink_guardian_locked(const std::string& guardian_id);
  void drop_link_locked(std::uint32_t link);  // out of the student's list, onto the free list

  mutable std::shared_mutex mutex_;
  Names names_;
  Chunked<NameUse> uses_;  // name - 1 -> what it stands for
  // A removed student's slot is emptied, not reused; removals are rare.
  Chunked<StudentEntry> entries_;
  Chunked<Rules> rules_;
  Chunked<Link> links_;
  std::uint32_t free_links_ = k_none;  // through next_of_student
  std::unordered_map<std::string, std::string> consent_student_;  // consent id -> student id
  Source source_;                   // empty: hold every student
  std::size_t other_students_ = 0;  // with a source: how many admits before the others go
  std::size_t admitted_ = 0;        // since the others last went
};

}  // namespace schakel::consent
