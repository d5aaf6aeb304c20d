#pragma once
// Writing a consent change: the consent entity and its audit entry in one transaction, and the
// index updated only once that transaction is durable.
#include <functional>
#include <string>

#include "consent/consent_index.hpp"
#include "store/store.hpp"

namespace schakel::consent {

// Appends the audit entry for a consent change inside `tx`; `action` is "consent.record" or
// "consent.withdraw". The audit module provides it.
using AuditAppend =
    std::function<Status(store::Transaction& tx, const ConsentRecord& consent, const std::string& action)>;

// Writes the consent entity (kind consent, id, tenant = school_id, student_id, the document) and
// calls `audit`; both in `tx`, which the caller commits.
Status persist_consent(store::Transaction& tx, const ConsentRecord& consent, const std::string& action,
                       const AuditAppend& audit, TimePoint at);

// check_record -> store.write(persist_consent) -> index.apply.
Result<ConsentRecord> record_consent(store::Store& store, ConsentIndex& index, const nlohmann::json& consent_doc,
                                     TimePoint at, const AuditAppend& audit);
// check_withdraw -> store.write(persist_consent) -> index.apply.
Result<ConsentRecord> withdraw_consent(store::Store& store, ConsentIndex& index, const std::string& consent_id,
                                       const Grantor& by, TimePoint at, const std::string& reason,
                                       const AuditAppend& audit);

}  // namespace schakel::consent
