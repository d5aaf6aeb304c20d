#include "consent/persist.hpp"

namespace schakel::consent {
namespace {

Result<ConsentRecord> commit_then_apply(store::Store& store, ConsentIndex& index, Result<ConsentRecord> checked,
                                        const std::string& action, const AuditAppend& audit, TimePoint at) {
  if (!checked) return checked;
  const ConsentRecord& c = *checked;
  SCHAKEL_TRY(store.write([&](store::Transaction& tx) { return persist_consent(tx, c, action, audit, at); }));
  index.apply(c);
  return checked;
}

}  // namespace

Status persist_consent(store::Transaction& tx, const ConsentRecord& consent, const std::string& action,
                       const AuditAppend& audit, TimePoint at) {
  store::Entity e;
  e.kind = store::Kind::consent;
  e.id = consent.id;
  e.tenant = consent.school_id;
  e.student_id = consent.student_id;
  e.active = true;
  e.doc = to_json(consent);
  e.updated_at = at;
  SCHAKEL_TRY(tx.put(e).with_context("consent " + consent.id));
  if (!audit) return error(ErrorCode::internal, "consent " + consent.id + ": no audit sink, so not written");
  return audit(tx, consent, action);
}

Result<ConsentRecord> record_consent(store::Store& store, ConsentIndex& index, const nlohmann::json& consent_doc,
                                     TimePoint at, const AuditAppend& audit) {
  // The student first, when the index does not hold it yet: the check reads its guardians' gezag.
  const auto student = consent_doc.is_object() ? consent_doc.find("student_id") : consent_doc.end();
  if (student != consent_doc.end() && student->is_string())
    SCHAKEL_TRY(index.admit(student->get_ref<const std::string&>()));
  return commit_then_apply(store, index, index.check_record(consent_doc, at), "consent.record", audit, at);
}

Result<ConsentRecord> withdraw_consent(store::Store& store, ConsentIndex& index, const std::string& consent_id,
                                       const Grantor& by, TimePoint at, const std::string& reason,
                                       const AuditAppend& audit) {
  return commit_then_apply(store, index, index.check_withdraw(consent_id, by, at, reason), "consent.withdraw",
                           audit, at);
}

}  // namespace schakel::consent
