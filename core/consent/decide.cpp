// The decision rules (DESIGN section 4), per category, in this order:
//  1. Unknown student, purpose or category: deny (default deny).
//  2. identifier.eckid never goes to a recipient outside education (is_education_role), whatever
//     the consent says.
//  3. identifier.bsn only where the route names a legal basis; with one, a consent must still
//     cover it (policy rules only ever take away, except own_child).
//  4. own_child: for purpose calendar, a guardian with gezag of THIS student (recipient role
//     parent, person_id the guardian's id) and the student from 16 (role student, person_id the
//     student's id) receive the student's own data, except identifier.* and health, without a
//     consent record.
//  5. Consent. The candidates are the student's consents that name the purpose and the category
//     (health counts only where named, like every category: there is no wildcard) and a recipient
//     matching the route's (organisation and role, each where the consent sets it).
//     - A withdrawn consent never permits. A withdrawal by someone whose consent the student's
//       age requires (a guardian with gezag under 16, the student from 12) withdraws every
//       candidate: with joint gezag one guardian's "no" is enough.
//     - A consent permits only on Amsterdam dates valid_from <= date <= valid_until.
//     - Grants that count: a guardian whose gezag is "yes", or "unknown" and confirmed by staff,
//       at the moment of the decision (not of recording); the student from 12.
//     - Age on the Amsterdam calendar date of `at`: under 12 a guardian's grant; 12-15 a
//       guardian's and the student's (in one consent or two); 16 and over the student's.
#include <algorithm>
#include <mutex>

#include "consent/consent_index.hpp"

namespace schakel::consent {
namespace {

constexpr int k_bsn = 1;    // category_index("identifier.bsn")
constexpr int k_eckid = 2;  // category_index("identifier.eckid")
constexpr int k_health = 6;
constexpr int k_calendar = 4;  // purpose_index("calendar")

bool recipient_matches(const ConsentRecord& c, const Recipient& r) {
  return std::any_of(c.recipients.begin(), c.recipients.end(), [&](const ConsentRecipient& x) {
    return (x.organisation.empty() || x.organisation == r.organisation) && (x.role.empty() || x.role == r.role);
  });
}

const std::string& recipient_label(const Recipient& r) { return r.role.empty() ? r.organisation : r.role; }

std::string withdrawn_reason(const ConsentRecord& c) {
  return "withdrawn by " + describe(c.withdrawal->by) + " on " + format_date(amsterdam_date(c.withdrawal->at));
}

// Whether this withdrawal speaks for everyone: its author's consent is required at `age`.
// `link_of(guardian_id)` is the guardian's link to the student, nullptr when there is none.
template <typename LinkOf>
bool withdrawal_binds_all(const ConsentRecord& c, const LinkOf& link_of, int age) {
  const Grantor& by = c.withdrawal->by;
  if (by.kind == GrantorKind::student) return age >= 12;
  const auto* link = link_of(by.guardian_id);
  return age < 16 && link != nullptr && gezag_counts(*link);
}

std::string permit_reason(const std::vector<std::string>& ids) {
  std::size_t size = 21;
  for (const auto& id : ids) size += id.size() + 2;
  std::string reason;
  reason.reserve(size);
  reason += "permitted by consent ";
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i) reason += ", ";
    reason += ids[i];
  }
  return reason;
}

CategoryDecision deny(const std::string& category, std::string reason) {
  return {category, false, {}, std::move(reason)};
}

template <typename LinkOf>
CategoryDecision decide_by_consent(const std::string& student_id, const LinkOf& link_of,
                                   const std::vector<ConsentIndex::Indexed>& consents, const Recipient& r,
                                   const std::string& purpose, int purpose_bit, const std::string& category,
                                   int category_bit, Date today, int age) {
  auto covers = [&](const ConsentIndex::Indexed& c) {
    return (c.purpose_mask & purpose_bit) && (c.category_mask & category_bit) && recipient_matches(c.record, r);
  };
  // Two passes over the student's few consents rather than a candidate list: no allocation.
  bool any = false;
  for (const auto& c : consents) {
    if (!covers(c)) continue;
    any = true;
    if (c.record.withdrawn && withdrawal_binds_all(c.record, link_of, age)) return deny(category, withdrawn_reason(c.record));
  }
  if (!any)
    return deny(category, "no consent for category " + category + " to " + recipient_label(r) + " for purpose " + purpose);

  const std::string age_text = "student is " + std::to_string(age);
  bool guardian_ok = false, student_ok = false, any_in_force = false;
  std::string first_problem, gezag_issue;
  std::vector<std::string> ids;
  for (const auto& indexed : consents) {
    if (!covers(indexed)) continue;
    const auto& c = indexed.record;
    std::string problem;
    if (c.withdrawn) problem = withdrawn_reason(c);
    else if (today < c.valid_from) problem = "consent " + c.id + " is valid from " + format_date(c.valid_from);
    else if (c.valid_until && today > *c.valid_until)
      problem = "consent " + c.id + " expired on " + format_date(*c.valid_until);
    if (!problem.empty()) {
      if (first_problem.empty()) first_problem = std::move(problem);
      continue;
    }
    any_in_force = true;
    bool counts = false;
    for (const auto& g : c.grantors) {
      if (g.kind == GrantorKind::student) {
        if (age >= 12) student_ok = counts = true;
      } else if (auto issue = gezag_problem(link_of(g.guardian_id), student_id, g.guardian_id); !issue.empty()) {
        if (gezag_issue.empty()) gezag_issue = std::move(issue);
      } else if (age < 16) {
        guardian_ok = counts = true;
      }
    }
    if (counts) ids.push_back(c.id);
  }

  const bool ok = age < 12 ? guardian_ok : age < 16 ? guardian_ok && student_ok : student_ok;
  if (ok) {
    std::string reason = permit_reason(ids);
    return {category, true, std::move(ids), std::move(reason)};
  }
  if (!any_in_force) return deny(category, first_problem);
  if (age >= 16) return deny(category, age_text + ": the student's own consent is needed");
  if (!guardian_ok && !gezag_issue.empty()) return deny(category, gezag_issue);
  if (age < 12) return deny(category, age_text + ": the consent of a guardian with gezag is needed");
  if (!guardian_ok) return deny(category, age_text + ": the consent of a guardian with gezag is needed as well");
  return deny(category, age_text + ": the student's own consent is needed as well");
}

}  // namespace

bool ConsentIndex::fast_permit(const StudentEntry& entry, const Rules* rules, std::uint32_t organisation,
                               std::uint32_t role, int purpose_bit, int category_bit, std::int32_t today, int age,
                               std::vector<std::string>& ids) {
  if (rules == nullptr) return false;  // no consent at all: the full evaluation says why
  bool guardian_ok = false, student_ok = false;
  const Rule* permitting[16];
  std::size_t n = 0;
  const bool complete = rules->each([&](const Rule& r) {
    if (!(r.purpose_mask & purpose_bit) || !(r.category_mask & category_bit)) return true;
    if ((r.organisation != 0 && r.organisation != organisation) || (r.role != 0 && r.role != role)) return true;
    if (r.withdrawn) return !(r.withdrawn_by_student ? age >= 12 : age < 16 && r.withdrawn_by_gezag);
    if (today < r.from_day || today > r.until_day) return true;
    bool counted = false;
    if (r.student_grant && age >= 12) student_ok = counted = true;
    if (r.guardian_grant && age < 16) guardian_ok = counted = true;
    if (counted && (n == 0 || permitting[n - 1]->consent != r.consent)) {
      if (n == std::size(permitting)) return false;  // unusual: let the full evaluation handle it
      permitting[n++] = &r;
    }
    return true;
  });
  if (!complete) return false;
  const bool ok = age < 12 ? guardian_ok : age < 16 ? guardian_ok && student_ok : student_ok;
  if (!ok) return false;
  ids.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const Rule& r = *permitting[i];
    if (r.id_size == k_long_id) ids.push_back(entry.consents[r.consent].record.id);
    else ids.emplace_back(r.id, r.id_size);
  }
  return true;
}

Decision ConsentIndex::decide(const std::string& student_id, const Recipient& recipient, const std::string& purpose,
                              const std::vector<std::string>& categories, TimePoint at,
                              const std::string& legal_basis) const {
  Decision out;
  out.categories.reserve(categories.size());
  std::shared_lock lock(mutex_);
  const StudentEntry* found = find_locked(student_id);
  const Rules* rules = found == nullptr || found->rules_at == k_none ? nullptr : &rules_[found->rules_at];
  const int p = purpose_index(purpose);
  if (found == nullptr || !found->known || p < 0) {
    const std::string reason = p < 0 ? "unknown purpose '" + purpose + "'" : "unknown student " + student_id;
    for (const auto& c : categories) out.categories.push_back(deny(c, reason));
    return out;
  }
  const StudentEntry& entry = *found;
  const Date today = amsterdam_date(at);
  const auto today_day = std::int32_t(std::chrono::sys_days{today}.time_since_epoch().count());
  const int age = age_on(entry.birth_date, today);
  const std::uint32_t organisation = recipient.organisation.empty() ? k_no_name : names_.find(recipient.organisation);
  const std::uint32_t role = recipient.role.empty() ? k_no_name : names_.find(recipient.role);

  for (const auto& category : categories) {
    const int k = category_index(category);
    if (k < 0) {
      out.categories.push_back(deny(category, "unknown category '" + category + "'"));
      continue;
    }
    if (k == k_eckid && !is_education_role(recipient.role)) {
      out.categories.push_back(deny(category, "ECK iD never goes to a recipient outside education"));
      continue;
    }
    if (k == k_bsn && legal_basis.empty()) {
      out.categories.push_back(deny(category, "a BSN only goes where the route names a legal basis"));
      continue;
    }
    if (p == k_calendar && k != k_bsn && k != k_eckid && k != k_health && !recipient.person_id.empty()) {
      if (recipient.role == "parent") {
        const auto* link = link_locked(entry, recipient.person_id);
        if (link != nullptr && gezag_counts(*link)) {
          out.categories.push_back({category, true, {},
                                    "own_child: guardian " + recipient.person_id + " has gezag of this student"});
          continue;
        }
      } else if (recipient.role == "student" && recipient.person_id == student_id && age >= 16) {
        out.categories.push_back({category, true, {}, "own_child: the student is 16 or older"});
        continue;
      }
    }
    CategoryDecision d{category, false, {}, {}};
    if (fast_permit(entry, rules, organisation, role, 1 << p, 1 << k, today_day, age, d.consent_ids)) {
      d.permitted = true;
      d.reason = permit_reason(d.consent_ids);
      out.categories.push_back(std::move(d));
      continue;
    }
    // Denied (or unusual): the full evaluation decides again and says why.
    const auto link_of = [&](const std::string& guardian_id) { return link_locked(entry, guardian_id); };
    out.categories.push_back(decide_by_consent(student_id, link_of, entry.consents, recipient, purpose, 1 << p,
                                               category, 1 << k, today, age));
  }
  return out;
}

}  // namespace schakel::consent
