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

Status ConsentIndex::load(store::Transaction& tx) {
  std::unique_lock lock(mutex_);
  table_.clear();
  table_used_ = 0;
  entries_.clear();
  rules_.clear();
  names_.clear();
  guardians_.clear();
  consent_student_.clear();
  SCHAKEL_TRY(for_each_entity(tx, store::Kind::student, [&](const store::Entity& e) -> Status {
    auto s = student_from_json(e.doc);
    if (!s) return where(s.status(), e.kind, e.id);
    auto& entry = entry_locked(s->id);
    entry.facts.id = s->id;
    entry.facts.school_id = s->school_id;
    entry.facts.birth_date = s->birth_date;
    entry.known = true;
    return {};
  }));
  SCHAKEL_TRY(for_each_entity(tx, store::Kind::guardian, [&](const store::Entity& e) -> Status {
    auto g = guardian_from_json(e.doc);
    if (!g) return where(g.status(), e.kind, e.id);
    link_guardian_locked(*g);
    return {};
  }));
  return for_each_entity(tx, store::Kind::consent, [&](const store::Entity& e) -> Status {
    auto c = consent_from_json(e.doc);
    if (!c) return where(c.status(), e.kind, e.id);
    apply_locked(*c);
    return {};
  });
}

Status ConsentIndex::apply_student(const json& student_doc) {
  auto s = student_from_json(student_doc);
  if (!s) return s.status().with_context("student");
  std::unique_lock lock(mutex_);
  auto& entry = entry_locked(s->id);
  entry.facts.id = s->id;
  entry.facts.school_id = s->school_id;
  entry.facts.birth_date = s->birth_date;
  entry.known = true;
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
  if (table_.empty()) return;
  const std::size_t h = std::hash<std::string>{}(student_id) | 1;
  for (std::size_t i = h & (table_.size() - 1);; i = (i + 1) & (table_.size() - 1)) {
    Bucket& b = table_[i];
    if (b.hash == 0) return;
    if (b.hash == h && b.slot != k_removed && entries_[b.slot].facts.id == student_id) {
      for (const auto& c : entries_[b.slot].consents) consent_student_.erase(c.record.id);
      if (b.rules != k_no_rules) rules_[b.rules].clear();  // the block stays unused, as the slot
      entries_[b.slot] = StudentEntry{};
      b.slot = k_removed;
      b.rules = k_no_rules;
      return;
    }
  }
}

void ConsentIndex::remove_guardian(const std::string& guardian_id) {
  std::unique_lock lock(mutex_);
  unlink_guardian_locked(guardian_id);
}

void ConsentIndex::link_guardian_locked(const GuardianFacts& guardian) {
  std::vector<std::uint32_t> slots;
  slots.reserve(guardian.children.size());
  for (const auto& [student_id, link] : guardian.children) {
    const std::uint32_t slot = slot_locked(student_id);
    auto& entry = entries_[slot];
    auto& list = entry.facts.guardians;
    list.erase(std::remove_if(list.begin(), list.end(),
                              [&](const GuardianLink& l) { return l.guardian_id == guardian.id; }),
               list.end());
    list.push_back(link);
    rebuild_locked(entry);
    slots.push_back(slot);
  }
  guardians_[guardian.id] = std::move(slots);
}

void ConsentIndex::unlink_guardian_locked(const std::string& guardian_id) {
  auto it = guardians_.find(guardian_id);
  if (it == guardians_.end()) return;
  for (const std::uint32_t slot : it->second) {
    // A removed student's slot is an empty entry: nothing to unlink there.
    auto& entry = entries_[slot];
    auto& list = entry.facts.guardians;
    list.erase(std::remove_if(list.begin(), list.end(),
                              [&](const GuardianLink& l) { return l.guardian_id == guardian_id; }),
               list.end());
    rebuild_locked(entry);
  }
  guardians_.erase(it);
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
  const StudentFacts& student = found->facts;
  if (c.school_id.empty()) c.school_id = student.school_id;
  for (std::size_t i = 0; i < c.grantors.size(); ++i) {
    const auto& g = c.grantors[i];
    if (g.kind != GrantorKind::guardian) continue;
    if (auto problem = gezag_problem(student, g.guardian_id); !problem.empty())
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
    const auto* link = entry.facts.guardian(by.guardian_id);
    if (link == nullptr)
      return error(ErrorCode::invalid, label + ": /withdrawal/by/guardian_id: guardian " + by.guardian_id +
                                           " is not a guardian of student " + entry.facts.id);
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

std::uint32_t ConsentIndex::slot_locked(const std::string& student_id) {
  if (const Bucket* found = bucket_locked(student_id)) return found->slot;
  if ((table_used_ + 1) * 2 > table_.size()) {  // keep the table at most half full
    std::vector<Bucket> old = std::move(table_);
    table_.assign(std::max<std::size_t>(64, old.size() * 2), Bucket{});
    table_used_ = 0;
    for (const auto& b : old)
      if (b.hash != 0 && b.slot != k_removed) insert_slot_locked(b.hash, b.slot);
  }
  StudentEntry& added = entries_.emplace_back();
  added.facts.id = student_id;
  const auto slot = std::uint32_t(entries_.size() - 1);
  insert_slot_locked(std::hash<std::string>{}(student_id) | 1, slot);
  return slot;
}

void ConsentIndex::insert_slot_locked(std::size_t hash, std::uint32_t slot) {
  std::size_t i = hash & (table_.size() - 1);
  while (table_[i].hash != 0) i = (i + 1) & (table_.size() - 1);
  table_[i] = {hash, slot, entries_[slot].rules_at};
  ++table_used_;
}

ConsentIndex::StudentEntry* ConsentIndex::find_locked(const std::string& student_id) {
  // One lookup for both: the const one never changes anything, and *this is not const here.
  return const_cast<StudentEntry*>(std::as_const(*this).find_locked(student_id));
}

const ConsentIndex::StudentEntry* ConsentIndex::find_locked(const std::string& student_id) const {
  const Bucket* b = bucket_locked(student_id);
  return b == nullptr ? nullptr : &entries_[b->slot];
}

const ConsentIndex::Bucket* ConsentIndex::bucket_locked(const std::string& student_id) const {
  if (table_.empty()) return nullptr;
  const std::size_t h = std::hash<std::string>{}(student_id) | 1;
  for (std::size_t i = h & (table_.size() - 1);; i = (i + 1) & (table_.size() - 1)) {
    const Bucket& b = table_[i];
    if (b.hash == 0) return nullptr;
    if (b.hash == h && b.slot != k_removed && entries_[b.slot].facts.id == student_id) return &b;
  }
}

std::uint32_t ConsentIndex::intern_locked(const std::string& name) {
  if (name.empty()) return 0;
  return names_.try_emplace(name, std::uint32_t(names_.size() + 1)).first->second;
}

std::uint32_t ConsentIndex::lookup_locked(const std::string& name) const {
  auto it = names_.find(name);
  return it == names_.end() ? k_no_name : it->second;
}

void ConsentIndex::rebuild_locked(StudentEntry& entry) {
  auto counts = [&](const std::string& guardian_id) {
    const auto* link = entry.facts.guardian(guardian_id);
    return link != nullptr && gezag_counts(*link);
  };
  if (entry.rules_at == k_no_rules) {
    if (entry.consents.empty()) return;
    entry.rules_at = std::uint32_t(rules_.size());
    rules_.emplace_back();
    // The bucket carries the block too (see Bucket); the entry is in the table already.
    const_cast<Bucket*>(bucket_locked(entry.facts.id))->rules = entry.rules_at;
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
  return entry->facts;
}

}  // namespace schakel::consent
