#include "consent/consent_index.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <mutex>
#include <utility>

namespace schakel::consent {
namespace {

using nlohmann::json;

ConsentIndex::Indexed index_of(const ConsentRecord& c) {
  ConsentIndex::Indexed out{c, 0, 0};
  for (const auto& cat : c.categories)
    if (int i = category_index(cat); i >= 0) out.category_mask = std::uint16_t(out.category_mask | (1u << i));
  for (const auto& p : c.purposes)
    if (int i = purpose_index(p); i >= 0) out.purpose_mask = std::uint8_t(out.purpose_mask | (1u << i));
  return out;
}

// Pages through every entity of `kind`, handing each to `each`.
template <typename F>
Status for_each_entity(store::Transaction& tx, store::Kind kind, F&& each) {
  store::EntityQuery q;
  q.kind = kind;
  q.limit = 1000;
  for (;;) {
    auto page = tx.list(q);
    if (!page) return page.status();
    for (const auto& e : *page) SCHAKEL_TRY(each(e));
    if (page->size() < std::size_t(q.limit)) return {};
    q.after_id = page->back().id;
  }
}

// Not store::kind_name: this module uses the store interface only, no implementation.
Status where(const Status& st, store::Kind kind, const std::string& id) {
  const char* name = kind == store::Kind::student ? "student" : kind == store::Kind::guardian ? "guardian" : "consent";
  return st.with_context(std::string(name) + " " + id);
}

}  // namespace

void ConsentIndex::clear_locked() {
  names_.clear();
  uses_.clear();
  entries_.clear();
  rules_.clear();
  links_.clear();
  free_links_ = k_none;
  consent_student_.clear();
  admitted_ = 0;
}

Status ConsentIndex::load(store::Transaction& tx) {
  std::unique_lock lock(mutex_);
  clear_locked();
  if (!source_) {
    SCHAKEL_TRY(for_each_entity(tx, store::Kind::student, [&](const store::Entity& e) -> Status {
      auto s = student_from_json(e.doc);
      if (!s) return where(s.status(), e.kind, e.id);
      put_student_locked(*s, true);
      return {};
    }));
    SCHAKEL_TRY(for_each_entity(tx, store::Kind::guardian, [&](const store::Entity& e) -> Status {
      auto g = guardian_from_json(e.doc);
      if (!g) return where(g.status(), e.kind, e.id);
      link_guardian_locked(*g);
      return {};
    }));
  }
  SCHAKEL_TRY(for_each_entity(tx, store::Kind::consent, [&](const store::Entity& e) -> Status {
    auto c = consent_from_json(e.doc);
    if (!c) return where(c.status(), e.kind, e.id);
    apply_locked(*c);
    return {};
  }));
  if (!source_) return {};
  // The students with a consent, from the same transaction as their consents.
  for (std::uint32_t slot = 0; slot < entries_.size(); ++slot) {
    auto facts = read_facts(tx, std::string(names_.view(entries_[slot].id)));
    if (!facts) return facts.status();
    if (*facts) set_facts_locked(**facts, true);
  }
  return {};
}

Result<std::optional<StudentFacts>> ConsentIndex::read_facts(store::Transaction& tx, const std::string& student_id) {
  auto student = tx.get(store::Kind::student, student_id);
  if (!student) return student.status();
  if (!*student || !(*student)->active) return std::optional<StudentFacts>{};
  auto facts = student_from_json((*student)->doc);
  if (!facts) return where(facts.status(), store::Kind::student, student_id);
  auto guardians = tx.guardians_of(student_id);
  if (!guardians) return guardians.status();
  for (const auto& e : *guardians) {
    auto g = guardian_from_json(e.doc);
    if (!g) return where(g.status(), e.kind, e.id);
    // The last mention counts, as when the index links a guardian's document.
    auto mine = std::find_if(g->children.rbegin(), g->children.rend(),
                             [&](const auto& child) { return child.first == student_id; });
    if (mine != g->children.rend()) facts->guardians.push_back(std::move(mine->second));
  }
  return std::optional<StudentFacts>(std::move(*facts));
}

void ConsentIndex::hold_some(Source source, std::size_t other_students) {
  std::unique_lock lock(mutex_);
  source_ = std::move(source);
  other_students_ = other_students;
}

bool ConsentIndex::holds(const std::string& student_id) const {
  if (!source_ || student_id.empty()) return true;  // "" is no student: nothing to read
  std::shared_lock lock(mutex_);
  return held_locked(student_id);
}

bool ConsentIndex::held_locked(const std::string& student_id) const {
  const StudentEntry* entry = find_locked(student_id);
  return entry != nullptr && entry->known;
}

Status ConsentIndex::admit(const std::string& student_id) {
  if (!source_ || student_id.empty()) return {};
  std::unique_lock lock(mutex_);
  if (held_locked(student_id)) return {};
  auto facts = source_(student_id);
  if (!facts) return facts.status();
  if (!*facts) return {};  // no such student: a decision says so
  if (admitted_ >= other_students_) let_go_locked();
  set_facts_locked(**facts, true);
  ++admitted_;
  return {};
}

void ConsentIndex::let_go_locked() {
  struct Kept {
    StudentFacts facts;
    bool known = false;
    std::vector<ConsentRecord> consents;
  };
  std::vector<Kept> kept;
  entries_.each([&](const StudentEntry& e) {
    if (e.consents.empty()) return;
    Kept k{facts_locked(e), e.known, {}};
    for (const auto& c : e.consents) k.consents.push_back(c.record);
    kept.push_back(std::move(k));
  });
  clear_locked();
  for (const auto& k : kept) {
    set_facts_locked(k.facts, k.known);
    for (const auto& c : k.consents) apply_locked(c);
  }
}

std::uint32_t ConsentIndex::put_student_locked(const StudentFacts& facts, bool known) {
  const std::uint32_t slot = slot_locked(facts.id);
  StudentEntry& entry = entries_[slot];
  entry.school = intern_locked(facts.school_id);
  entry.birth_date = facts.birth_date;
  entry.known = known;
  return slot;
}

void ConsentIndex::set_facts_locked(const StudentFacts& facts, bool known) {
  const std::uint32_t slot = put_student_locked(facts, known);
  StudentEntry& entry = entries_[slot];
  unlink_student_locked(entry);
  for (const auto& g : facts.guardians) {
    const std::uint32_t name = names_.intern(g.guardian_id);
    put_link_locked(name, use_locked(name), slot, g);
  }
  rebuild_locked(entry);
}

Status ConsentIndex::apply_student(const json& student_doc) {
  if (source_) {  // a student the index does not hold is the store's alone
    const auto id = student_doc.is_object() ? student_doc.find("id") : student_doc.end();
    if (id != student_doc.end() && id->is_string()) {
      std::shared_lock lock(mutex_);
      if (find_locked(id->get_ref<const std::string&>()) == nullptr) return {};
    }
  }
  auto s = student_from_json(student_doc);
  if (!s) return s.status().with_context("student");
  std::unique_lock lock(mutex_);
  if (source_ && find_locked(s->id) == nullptr) return {};
  put_student_locked(*s, true);
  return {};
}

Status ConsentIndex::apply_guardian(const json& guardian_doc) {
  auto g = guardian_from_json(guardian_doc);
  if (!g) return g.status().with_context("guardian");
  std::unique_lock lock(mutex_);
  unlink_guardian_locked(g->id);
  link_guardian_locked(*g);
  return {};
}

void ConsentIndex::remove_student(const std::string& student_id) {
  std::unique_lock lock(mutex_);
  NameUse* use = use_of_locked(student_id);
  if (use == nullptr || use->student == k_none) return;
  StudentEntry& entry = entries_[use->student];
  for (const auto& c : entry.consents) consent_student_.erase(c.record.id);
  if (entry.rules_at != k_none) rules_[entry.rules_at].clear();  // the block stays unused, as the slot
  unlink_student_locked(entry);
  entry = StudentEntry{};
  use->student = k_none;
}

void ConsentIndex::unlink_student_locked(StudentEntry& entry) {
  // Out of each guardian's children too, so that a guardian's next document finds none of them.
  while (entry.first_link != k_none) {
    const std::uint32_t l = entry.first_link;
    std::uint32_t* at = &uses_[links_[l].guardian - 1].guardian_links;
    while (*at != l) at = &links_[*at].next_of_guardian;
    *at = links_[l].next_of_guardian;
    drop_link_locked(l);
  }
}

void ConsentIndex::remove_guardian(const std::string& guardian_id) {
  std::unique_lock lock(mutex_);
  unlink_guardian_locked(guardian_id);
}

void ConsentIndex::drop_link_locked(std::uint32_t l) {
  StudentEntry& entry = entries_[links_[l].student];
  std::uint32_t* at = &entry.first_link;
  while (*at != l) at = &links_[*at].next_of_student;
  *at = links_[l].next_of_student;
  links_[l].next_of_student = free_links_;
  free_links_ = l;
}

void ConsentIndex::link_guardian_locked(const GuardianFacts& guardian) {
  std::uint32_t name = k_no_name;  // interned with the first child it links: with a source, maybe none
  for (const auto& [student_id, link] : guardian.children) {
    if (source_ && find_locked(student_id) == nullptr) continue;  // not held: the store has the link
    if (name == k_no_name) name = names_.intern(guardian.id);
    const std::uint32_t slot = slot_locked(student_id);
    put_link_locked(name, use_locked(name), slot, link);  // chunks never move: the use outlives growth
    rebuild_locked(entries_[slot]);
  }
}

void ConsentIndex::put_link_locked(std::uint32_t guardian, NameUse& guardian_use, std::uint32_t slot,
                                   const GuardianLink& link) {
  // Appended to the student's guardians (their order is the order of linking), replacing a link
  // of the same guardian that a document names twice.
  std::uint32_t* at = &entries_[slot].first_link;
  while (*at != k_none && links_[*at].guardian != guardian) at = &links_[*at].next_of_student;
  if (*at != k_none) {
    links_[*at].gezag = link.gezag;
    links_[*at].confirmed = link.confirmed;
    return;
  }
  std::uint32_t l = free_links_;
  if (l != k_none) {
    free_links_ = links_[l].next_of_student;
  } else {
    l = std::uint32_t(links_.size());
    links_.emplace_back();
  }
  links_[l] = Link{guardian, slot, k_none, guardian_use.guardian_links, link.gezag, link.confirmed};
  guardian_use.guardian_links = l;
  *at = l;
}

void ConsentIndex::unlink_guardian_locked(const std::string& guardian_id) {
  NameUse* use = use_of_locked(guardian_id);
  if (use == nullptr) return;
  std::uint32_t l = use->guardian_links;
  use->guardian_links = k_none;
  while (l != k_none) {
    const std::uint32_t next = links_[l].next_of_guardian;
    StudentEntry& entry = entries_[links_[l].student];
    drop_link_locked(l);
    rebuild_locked(entry);
    l = next;
  }
}

Result<ConsentRecord> ConsentIndex::check_record(const json& consent_doc, TimePoint at) const {
  json doc = consent_doc;
  if (doc.is_object() && !doc.contains("status")) doc["status"] = "active";
  if (doc.is_object() && doc.contains("evidence") && doc["evidence"].is_object() &&
      !doc["evidence"].contains("recorded_at"))
    doc["evidence"]["recorded_at"] = format_utc(at);
  auto parsed = consent_from_json(doc);
  const std::string label = "consent " + (consent_doc.is_object() && consent_doc.contains("id") &&
                                                  consent_doc["id"].is_string()
                                              ? consent_doc["id"].get<std::string>()
                                              : std::string("(no id)"));
  if (!parsed) return parsed.status().with_context(label);
  ConsentRecord c = std::move(parsed.value());
  auto bad = [&](const std::string& what) { return error(ErrorCode::invalid, label + ": " + what); };
  if (c.withdrawn) return bad("/status: a new consent must be \"active\"");
  if (c.valid_until && *c.valid_until < c.valid_from)
    return bad("/valid_until: the period ends (" + format_date(*c.valid_until) + ") before it starts (" +
               format_date(c.valid_from) + ")");

  std::shared_lock lock(mutex_);
  if (consent_student_.count(c.id)) return error(ErrorCode::conflict, label + ": the id is already in use");
  const StudentEntry* found = find_locked(c.student_id);
  if (found == nullptr || !found->known)
    return error(ErrorCode::not_found, label + ": /student_id: unknown student " + c.student_id);
  if (c.school_id.empty()) c.school_id = std::string(names_.view(found->school));
  for (std::size_t i = 0; i < c.grantors.size(); ++i) {
    const auto& g = c.grantors[i];
    if (g.kind != GrantorKind::guardian) continue;
    if (auto problem = gezag_problem(link_locked(*found, g.guardian_id), c.student_id, g.guardian_id); !problem.empty())
      return bad("/grantors/" + std::to_string(i) + "/guardian_id: " + problem + ", so cannot grant consent");
  }
  return c;
}

Result<ConsentRecord> ConsentIndex::check_withdraw(const std::string& consent_id, const Grantor& by,
                                                   TimePoint at, const std::string& reason) const {
  const std::string label = "consent " + consent_id;
  std::shared_lock lock(mutex_);
  auto sid = consent_student_.find(consent_id);
  if (sid == consent_student_.end()) return error(ErrorCode::not_found, label + ": unknown consent");
  const StudentEntry* found = find_locked(sid->second);
  if (found == nullptr) return error(ErrorCode::not_found, label + ": unknown consent");
  const StudentEntry& entry = *found;
  auto c = std::find_if(entry.consents.begin(), entry.consents.end(),
                        [&](const Indexed& x) { return x.record.id == consent_id; });
  if (c == entry.consents.end()) return error(ErrorCode::not_found, label + ": unknown consent");
  if (c->record.withdrawn)
    return error(ErrorCode::conflict, label + ": already withdrawn by " + describe(c->record.withdrawal->by) +
                                          " on " + format_date(amsterdam_date(c->record.withdrawal->at)));
  if (by.kind == GrantorKind::guardian) {
    // Withdrawing is the safe direction: an unconfirmed "unknown" gezag may withdraw, "no" may not.
    const auto* link = link_locked(entry, by.guardian_id);
    if (link == nullptr)
      return error(ErrorCode::invalid, label + ": /withdrawal/by/guardian_id: guardian " + by.guardian_id +
                                           " is not a guardian of student " + sid->second);
    if (link->gezag == Gezag::no)
      return error(ErrorCode::invalid, label + ": /withdrawal/by/guardian_id: guardian " + by.guardian_id +
                                           " has no gezag, so cannot withdraw consent");
  }
  ConsentRecord out = c->record;
  out.withdrawn = true;
  out.withdrawal = Withdrawal{at, by, reason};
  return out;
}

void ConsentIndex::apply(const ConsentRecord& consent) {
  std::unique_lock lock(mutex_);
  apply_locked(consent);
}

void ConsentIndex::apply_locked(const ConsentRecord& consent) {
  if (auto old = consent_student_.find(consent.id); old != consent_student_.end()) {
    if (StudentEntry* found = find_locked(old->second)) {
      auto& entry = *found;
      auto& list = entry.consents;
      list.erase(std::remove_if(list.begin(), list.end(),
                                [&](const Indexed& x) { return x.record.id == consent.id; }),
                 list.end());
      rebuild_locked(entry);
    }
  }
  auto& entry = entry_locked(consent.student_id);
  entry.consents.push_back(index_of(consent));
  rebuild_locked(entry);
  consent_student_[consent.id] = consent.student_id;
}

Result<ConsentRecord> ConsentIndex::record(const json& consent_doc, TimePoint at) {
  auto c = check_record(consent_doc, at);
  if (c) apply(*c);
  return c;
}

Result<ConsentRecord> ConsentIndex::withdraw(const std::string& consent_id, const Grantor& by, TimePoint at,
                                             const std::string& reason) {
  auto c = check_withdraw(consent_id, by, at, reason);
  if (c) apply(*c);
  return c;
}

std::uint64_t ConsentIndex::Names::hash(std::string_view name) {
  return std::hash<std::string_view>{}(name) & 0xffffffffu;
}

std::uint32_t ConsentIndex::Names::intern(std::string_view name) {
  const std::uint64_t h = hash(name);
  if (const std::uint32_t found = find(name, h); found != k_no_name) return found;
  if ((places_.size() + 1) * 2 > table_.size()) {  // keep the table at most half full
    std::vector<std::uint64_t> old = std::move(table_);
    table_.assign(std::max<std::size_t>(64, old.size() * 2), 0);
    for (const std::uint64_t v : old)
      if (v != 0) insert(v);
  }
  if (block_used_ + name.size() > k_block) {  // a new block; a name longer than one gets its own
    blocks_.push_back(std::make_unique<char[]>(std::max(k_block, name.size())));
    block_used_ = 0;
  }
  Place& place = places_.emplace_back();
  place = {std::uint32_t(blocks_.size() - 1), std::uint32_t(block_used_), std::uint32_t(name.size())};
  std::memcpy(blocks_.back().get() + block_used_, name.data(), name.size());
  block_used_ += name.size();
  const auto number = std::uint32_t(places_.size());
  insert(h << 32 | number);
  return number;
}

void ConsentIndex::Names::insert(std::uint64_t slot_value) {
  const std::size_t mask = table_.size() - 1;
  std::size_t i = std::size_t(slot_value >> 32) & mask;
  while (table_[i] != 0) i = (i + 1) & mask;
  table_[i] = slot_value;
}

std::uint32_t ConsentIndex::Names::find(std::string_view name, std::uint64_t h) const {
  if (table_.empty()) return k_no_name;
  const std::size_t mask = table_.size() - 1;
  for (std::size_t i = std::size_t(h) & mask; table_[i] != 0; i = (i + 1) & mask) {
    const auto number = std::uint32_t(table_[i]);
    if ((table_[i] >> 32) == h && view(number) == name) return number;
  }
  return k_no_name;
}

std::string_view ConsentIndex::Names::view(std::uint32_t number) const {
  if (number == 0) return {};
  const Place& p = places_[number - 1];
  return {blocks_[p.block].get() + p.offset, p.size};
}

void ConsentIndex::Names::clear() {
  blocks_.clear();
  block_used_ = k_block;
  places_.clear();
  table_.clear();
}

ConsentIndex::NameUse& ConsentIndex::use_locked(std::uint32_t name) {
  while (uses_.size() < name) uses_.emplace_back();
  return uses_[name - 1];
}

const ConsentIndex::NameUse* ConsentIndex::use_of_locked(const std::string& id) const {
  const std::uint32_t name = names_.find(id);
  return name == k_no_name || name > uses_.size() ? nullptr : &uses_[name - 1];
}

ConsentIndex::NameUse* ConsentIndex::use_of_locked(const std::string& id) {
  return const_cast<NameUse*>(std::as_const(*this).use_of_locked(id));
}

std::uint32_t ConsentIndex::slot_locked(const std::string& student_id) {
  const std::uint32_t name = names_.intern(student_id);
  NameUse& use = use_locked(name);
  if (use.student != k_none) return use.student;
  use.student = std::uint32_t(entries_.size());
  entries_.emplace_back().id = name;
  return use.student;
}

ConsentIndex::StudentEntry* ConsentIndex::find_locked(const std::string& student_id) {
  // One lookup for both: the const one never changes anything, and *this is not const here.
  return const_cast<StudentEntry*>(std::as_const(*this).find_locked(student_id));
}

const ConsentIndex::StudentEntry* ConsentIndex::find_locked(const std::string& student_id) const {
  const NameUse* use = use_of_locked(student_id);
  return use == nullptr || use->student == k_none ? nullptr : &entries_[use->student];
}

const ConsentIndex::Link* ConsentIndex::link_locked(const StudentEntry& entry, const std::string& guardian_id) const {
  const std::uint32_t name = names_.find(guardian_id);
  if (name == k_no_name) return nullptr;
  for (std::uint32_t l = entry.first_link; l != k_none; l = links_[l].next_of_student)
    if (links_[l].guardian == name) return &links_[l];
  return nullptr;
}

StudentFacts ConsentIndex::facts_locked(const StudentEntry& entry) const {
  StudentFacts f;
  f.id = names_.view(entry.id);
  f.school_id = names_.view(entry.school);
  f.birth_date = entry.birth_date;
  for (std::uint32_t l = entry.first_link; l != k_none; l = links_[l].next_of_student)
    f.guardians.push_back({std::string(names_.view(links_[l].guardian)), links_[l].gezag, links_[l].confirmed});
  return f;
}

std::uint32_t ConsentIndex::intern_locked(const std::string& name) {
  return name.empty() ? 0 : names_.intern(name);
}

void ConsentIndex::rebuild_locked(StudentEntry& entry) {
  auto counts = [&](const std::string& guardian_id) {
    const auto* link = link_locked(entry, guardian_id);
    return link != nullptr && gezag_counts(*link);
  };
  if (entry.rules_at == k_none) {
    if (entry.consents.empty()) return;
    entry.rules_at = std::uint32_t(rules_.size());
    rules_.emplace_back();
  }
  Rules& rules = rules_[entry.rules_at];
  rules.clear();
  for (const auto& indexed : entry.consents) {
    const auto& c = indexed.record;
    Rule rule;
    rule.from_day = std::int32_t(std::chrono::sys_days{c.valid_from}.time_since_epoch().count());
    rule.until_day = c.valid_until ? std::int32_t(std::chrono::sys_days{*c.valid_until}.time_since_epoch().count())
                                   : std::numeric_limits<std::int32_t>::max();
    rule.category_mask = indexed.category_mask;
    rule.purpose_mask = indexed.purpose_mask;
    rule.withdrawn = c.withdrawn;
    if (c.withdrawal) {
      rule.withdrawn_by_student = c.withdrawal->by.kind == GrantorKind::student;
      rule.withdrawn_by_gezag = !rule.withdrawn_by_student && counts(c.withdrawal->by.guardian_id);
    }
    for (const auto& g : c.grantors) {
      if (g.kind == GrantorKind::student) rule.student_grant = true;
      else if (counts(g.guardian_id)) rule.guardian_grant = true;
    }
    rule.consent = std::uint32_t(&indexed - entry.consents.data());
    if (c.id.size() <= sizeof rule.id) {
      rule.id_size = std::uint8_t(c.id.size());
      std::memcpy(rule.id, c.id.data(), c.id.size());
    } else {
      rule.id_size = k_long_id;
    }
    for (const auto& r : c.recipients) {
      rule.organisation = intern_locked(r.organisation);
      rule.role = intern_locked(r.role);
      rules.push_back(rule);
    }
  }
}

std::size_t ConsentIndex::student_count() const {
  std::shared_lock lock(mutex_);
  std::size_t known = 0;
  entries_.each([&](const StudentEntry& e) { known += e.known ? 1 : 0; });
  return known;
}

std::size_t ConsentIndex::consent_count() const {
  std::shared_lock lock(mutex_);
  return consent_student_.size();
}

std::optional<ConsentRecord> ConsentIndex::find_consent(const std::string& consent_id) const {
  std::shared_lock lock(mutex_);
  auto sid = consent_student_.find(consent_id);
  if (sid == consent_student_.end()) return std::nullopt;
  if (const StudentEntry* entry = find_locked(sid->second))
    for (const auto& c : entry->consents)
      if (c.record.id == consent_id) return c.record;
  return std::nullopt;
}

std::optional<StudentFacts> ConsentIndex::find_student(const std::string& student_id) const {
  std::shared_lock lock(mutex_);
  const StudentEntry* entry = find_locked(student_id);
  if (entry == nullptr || !entry->known) return std::nullopt;
  return facts_locked(*entry);
}

}  // namespace schakel::consent
