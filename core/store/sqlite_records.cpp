// Connector state, the audit log and the quarantine: the SqliteTransaction's non-entity tables.
#include "store/sqlite_transaction.hpp"

#include <algorithm>

namespace schakel::store::sqlite {
namespace {

constexpr const char* k_audit_columns =
    "seq, time, tenant, action, outcome, actor, actor_role, on_behalf_of, subject, recipient,"
    " purpose, processing_activity, categories, consent_ids, payload_sha256, trace_id, reason,"
    " prev_hash, hash";

// The writer's own shape, ["a","b"] without escapes or spaces, read without a JSON parser (each
// searched entry has two such arrays); anything else goes through the parser.
bool plain_string_array(std::string_view text, std::vector<std::string>& out) {
  if (text.size() < 2 || text.front() != '[' || text.back() != ']') return false;
  std::size_t i = 1;
  const std::size_t end = text.size() - 1;
  while (i < end) {
    if (text[i] != '"') return false;
    const std::size_t close = text.find('"', i + 1);
    if (close == std::string_view::npos || close >= end) return false;
    const std::string_view item = text.substr(i + 1, close - i - 1);
    for (const char c : item) {
      if (c == '\\' || static_cast<unsigned char>(c) < 0x20) return false;
    }
    out.emplace_back(item);
    i = close + 1;
    if (i < end && text[i++] != ',') return false;
    if (i == end && text[i - 1] == ',') return false;
  }
  return true;
}

Result<std::vector<std::string>> string_array(const Db& db, std::int64_t seq,
                                              std::string_view column, std::string_view text) {
  std::vector<std::string> out;
  if (plain_string_array(text, out)) return out;
  out.clear();
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_array()) {
    for (const auto& item : j) {
      if (!item.is_string()) break;
      out.push_back(item.get<std::string>());
    }
    if (out.size() == j.size()) return out;
  }
  return Status(ErrorCode::corrupt, db.file() + ": audit entry " + std::to_string(seq) + ": " +
                                        std::string(column) + " is not a JSON array of strings");
}

Result<AuditRow> read_audit_row(const Db& db, const Stmt& s) {
  AuditRow r;
  r.seq = s.integer(0);
  r.time = from_micros(s.integer(1));
  r.tenant = s.text(2);
  r.action = s.text(3);
  r.outcome = s.text(4);
  r.actor = s.text(5);
  r.actor_role = s.text(6);
  r.on_behalf_of = s.text(7);
  r.subject = s.text(8);
  r.recipient = s.text(9);
  r.purpose = s.text(10);
  r.processing_activity = s.text(11);
  auto categories = string_array(db, r.seq, "categories", s.text_view(12));
  if (!categories) return categories.status();
  r.categories = std::move(*categories);
  auto consent_ids = string_array(db, r.seq, "consent_ids", s.text_view(13));
  if (!consent_ids) return consent_ids.status();
  r.consent_ids = std::move(*consent_ids);
  r.payload_sha256 = s.text(14);
  r.trace_id = s.text(15);
  r.reason = s.text(16);
  r.prev_hash = s.text(17);
  r.hash = s.text(18);
  return r;
}

}  // namespace

Result<std::optional<std::string>> SqliteTransaction::connector_state(const std::string& connector,
                                                                      const std::string& key) {
  SCHAKEL_TRY(usable(false));
  auto stmt = db_.prepare("SELECT value FROM connector_state WHERE connector = ? AND key = ?");
  if (!stmt) return stmt.status();
  stmt->bind(1, connector).bind(2, key);
  auto row = stmt->step();
  if (!row) return row.status();
  if (!*row) return std::optional<std::string>{};
  return std::optional<std::string>(stmt->text(0));
}

Status SqliteTransaction::put_connector_state(const std::string& connector, const std::string& key,
                                              const std::string& value) {
  SCHAKEL_TRY(usable(true));
  auto stmt = db_.prepare(
      "INSERT INTO connector_state (connector, key, value) VALUES (?, ?, ?)"
      " ON CONFLICT (connector, key) DO UPDATE SET value = excluded.value");
  if (!stmt) return stmt.status();
  stmt->bind(1, connector).bind(2, key).bind(3, value);
  return stmt->run();
}

Status SqliteTransaction::append_audit(AuditRow& r) {
  SCHAKEL_TRY(usable(true));
  auto stmt = db_.prepare(
      "INSERT INTO audit (time, tenant, action, outcome, actor, actor_role, on_behalf_of, subject,"
      " recipient, purpose, processing_activity, categories, consent_ids, payload_sha256,"
      " trace_id, reason, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  if (!stmt) return stmt.status();
  stmt->bind(1, to_micros(r.time))
      .bind(2, r.tenant)
      .bind(3, r.action)
      .bind(4, r.outcome)
      .bind(5, r.actor)
      .bind(6, r.actor_role)
      .bind(7, r.on_behalf_of)
      .bind(8, r.subject)
      .bind(9, r.recipient)
      .bind(10, r.purpose)
      .bind(11, r.processing_activity)
      .bind(12, nlohmann::json(r.categories).dump())
      .bind(13, nlohmann::json(r.consent_ids).dump())
      .bind(14, r.payload_sha256)
      .bind(15, r.trace_id)
      .bind(16, r.reason)
      .bind(17, r.prev_hash)
      .bind(18, r.hash);
  SCHAKEL_TRY(stmt->run());
  r.seq = db_.last_insert_rowid();
  return Status::ok();
}

Result<std::vector<AuditRow>> SqliteTransaction::read_audit(const std::string& where,
                                                            const std::vector<Param>& params,
                                                            const std::string& order, int limit) {
  SCHAKEL_TRY(usable(false));
  SCHAKEL_TRY(check_limit(limit));
  auto stmt = db_.prepare(std::string("SELECT ") + k_audit_columns + " FROM audit WHERE " + where +
                          " ORDER BY seq " + order + " LIMIT ?");
  if (!stmt) return stmt.status();
  bind_all(*stmt, params);
  stmt->bind(static_cast<int>(params.size()) + 1, std::int64_t{limit});
  std::vector<AuditRow> out;
  out.reserve(static_cast<std::size_t>(std::min(limit, 64)));
  for (;;) {
    auto row = stmt->step();
    if (!row) return row.status();
    if (!*row) break;
    auto r = read_audit_row(db_, *stmt);
    if (!r) return r.status();
    out.push_back(std::move(*r));
  }
  return out;
}

Result<std::optional<AuditRow>> SqliteTransaction::last_audit() {
  auto rows = read_audit("1", {}, "DESC", 1);
  if (!rows) return rows.status();
  if (rows->empty()) return std::optional<AuditRow>{};
  return std::optional<AuditRow>(std::move(rows->front()));
}

Result<std::optional<AuditHead>> SqliteTransaction::audit_head() {
  SCHAKEL_TRY(usable(false));
  auto stmt = db_.prepare("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1");
  if (!stmt) return stmt.status();
  auto row = stmt->step();
  if (!row) return row.status();
  if (!*row) return std::optional<AuditHead>{};
  return std::optional<AuditHead>(AuditHead{stmt->integer(0), stmt->text(1)});
}

Result<std::vector<AuditRow>> SqliteTransaction::audit_range(std::int64_t from_seq, int limit) {
  return read_audit("seq >= ?", {from_seq}, "ASC", limit);
}

Result<std::vector<AuditRow>> SqliteTransaction::find_audit(const AuditQuery& q) {
  std::string where = "seq > ?";
  std::vector<Param> params{q.after_seq};
  auto add = [&](const char* column, const std::optional<std::string>& value) {
    if (!value) return;
    where += std::string(" AND ") + column + " = ?";
    params.emplace_back(*value);
  };
  add("tenant", q.tenant);
  add("subject", q.subject);
  add("recipient", q.recipient);
  add("purpose", q.purpose);
  add("action", q.action);
  add("outcome", q.outcome);
  // [from, until): consecutive windows neither overlap nor leave a gap.
  if (q.from) {
    where += " AND time >= ?";
    params.emplace_back(to_micros(*q.from));
  }
  if (q.until) {
    where += " AND time < ?";
    params.emplace_back(to_micros(*q.until));
  }
  return read_audit(where, params, "ASC", q.limit);
}

Status SqliteTransaction::quarantine(QuarantineRow& r) {
  SCHAKEL_TRY(usable(true));
  auto stmt = db_.prepare(
      "INSERT INTO quarantine (connector, stream, source, reason, record, time)"
      " VALUES (?, ?, ?, ?, ?, ?)");
  if (!stmt) return stmt.status();
  stmt->bind(1, r.connector)
      .bind(2, r.stream)
      .bind(3, r.source)
      .bind(4, r.reason)
      .bind(5, r.record)
      .bind(6, to_micros(r.time));
  SCHAKEL_TRY(stmt->run());
  r.id = db_.last_insert_rowid();
  return Status::ok();
}

Result<std::vector<QuarantineRow>> SqliteTransaction::quarantined(const std::string& connector,
                                                                  int limit) {
  SCHAKEL_TRY(usable(false));
  SCHAKEL_TRY(check_limit(limit));
  // An empty connector lists every connector's records.
  auto stmt = db_.prepare(
      "SELECT id, connector, stream, source, reason, record, time FROM quarantine"
      " WHERE (? = '' OR connector = ?) ORDER BY id LIMIT ?");
  if (!stmt) return stmt.status();
  stmt->bind(1, connector).bind(2, connector).bind(3, std::int64_t{limit});
  std::vector<QuarantineRow> out;
  for (;;) {
    auto row = stmt->step();
    if (!row) return row.status();
    if (!*row) break;
    QuarantineRow r;
    r.id = stmt->integer(0);
    r.connector = stmt->text(1);
    r.stream = stmt->text(2);
    r.source = stmt->text(3);
    r.reason = stmt->text(4);
    r.record = stmt->text(5);
    r.time = from_micros(stmt->integer(6));
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace schakel::store::sqlite
