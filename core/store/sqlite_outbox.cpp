// The outbox table: the SqliteTransaction's queue operations (DESIGN section 7).
#include "store/sqlite_transaction.hpp"

#include "base/json_text.hpp"

namespace schakel::store::sqlite {
namespace {

constexpr const char* k_outbox_columns =
    "id, route_id, connector, kind, idempotency_key, tenant, student_id, purpose, recipient,"
    " categories, document, state, attempts, next_attempt_at, created_at, receipt, last_error,"
    " consent_ids, schema_name, route, trace_id, revokes_id, delivered_at";

std::string select_outbox() { return std::string("SELECT ") + k_outbox_columns + " FROM outbox"; }

std::vector<std::string> strings_of(const nlohmann::json& j) {
  std::vector<std::string> out;
  if (!j.is_array()) return out;
  for (const auto& v : j) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

Result<OutboxItem> read_item(const Db& db, const Stmt& s) {
  OutboxItem it;
  it.id = s.integer(0);
  auto bad = [&](const char* column) {
    return Status(ErrorCode::corrupt, db.file() + ": outbox item " + std::to_string(it.id) + ": " +
                                          column + " is not valid");
  };
  it.route_id = s.text(1);
  it.connector = s.text(2);
  it.kind = s.text(3);
  it.idempotency_key = s.text(4);
  it.tenant = s.text(5);
  it.student_id = s.text(6);
  it.purpose = s.text(7);
  it.recipient = parse_json_text(s.text_view(8));
  if (it.recipient.is_discarded()) return bad("recipient");
  auto categories = parse_json_text(s.text_view(9));
  if (!categories.is_array()) return bad("categories");
  it.categories = strings_of(categories);
  it.document = s.text(10);  // a BLOB: the column's bytes as stored
  auto state = outbox_state_from_name(s.text(11));
  if (!state) return bad("state");
  it.state = *state;
  it.attempts = static_cast<int>(s.integer(12));
  it.next_attempt_at = from_micros(s.integer(13));
  it.created_at = from_micros(s.integer(14));
  if (!s.is_null(15)) it.receipt = s.text(15);
  if (!s.is_null(16)) it.last_error = s.text(16);
  auto consent_ids = parse_json_text(s.text_view(17));
  if (!consent_ids.is_array()) return bad("consent_ids");
  it.consent_ids = strings_of(consent_ids);
  it.schema_name = s.text(18);
  it.route = parse_json_text(s.text_view(19));
  if (it.route.is_discarded()) return bad("route");
  it.trace_id = s.text(20);
  it.revokes_id = s.integer(21);
  if (!s.is_null(22)) it.delivered_at = from_micros(s.integer(22));
  return it;
}

}  // namespace

Result<std::vector<OutboxItem>> SqliteTransaction::read_outbox(const std::string& sql,
                                                              const std::vector<Param>& params) {
  auto stmt = db_.prepare(sql);
  if (!stmt) return stmt.status();
  bind_all(*stmt, params);
  std::vector<OutboxItem> out;
  for (;;) {
    auto row = stmt->step();
    if (!row) return row.status();
    if (!*row) break;
    auto item = read_item(db_, *stmt);
    if (!item) return item.status();
    out.push_back(std::move(*item));
  }
  return out;
}

// Runs an UPDATE whose WHERE names the id and the state it expects; no change means the item is
// gone or in another state, which the caller must hear about.
Status SqliteTransaction::change_outbox(const std::string& sql, const std::vector<Param>& params,
                                        std::int64_t id, const char* doing) {
  SCHAKEL_TRY(usable(true));
  auto stmt = db_.prepare(sql);
  if (!stmt) return stmt.status();
  bind_all(*stmt, params);
  SCHAKEL_TRY(stmt->run());
  if (db_.changes() == 1) return Status::ok();
  auto existing = get_outbox(id);
  if (!existing) return existing.status();
  const std::string what = db_.file() + ": outbox item " + std::to_string(id);
  if (!*existing) return {ErrorCode::not_found, what + " not found"};
  return {ErrorCode::conflict, what + " is " + outbox_state_name((*existing)->state) +
                                   ", cannot be " + doing};
}

Result<EnqueueOutcome> SqliteTransaction::enqueue_outbox(const OutboxItem& it) {
  SCHAKEL_TRY(usable(true));
  const std::string what = db_.file() + ": outbox item for route " + it.route_id;
  if (it.idempotency_key.empty()) return Status(ErrorCode::invalid, what + ": no idempotency key");
  if (it.kind != "delivery" && it.kind != "revocation") {
    return Status(ErrorCode::invalid, what + ": kind must be delivery or revocation");
  }
  auto ins = db_.prepare(
      "INSERT INTO outbox (route_id, connector, kind, idempotency_key, tenant, student_id, purpose,"
      " recipient, categories, document, state, attempts, next_attempt_at, created_at, consent_ids,"
      " schema_name, route, trace_id, revokes_id)"
      " VALUES (?,?,?,?,?,?,?,?,?,?,'pending',0,?,?,?,?,?,?,?)"
      " ON CONFLICT (idempotency_key) DO NOTHING");
  if (!ins) return ins.status();
  ins->bind(1, it.route_id)
      .bind(2, it.connector)
      .bind(3, it.kind)
      .bind(4, it.idempotency_key)
      .bind(5, it.tenant)
      .bind(6, it.student_id)
      .bind(7, it.purpose)
      .bind(8, json_text(it.recipient))
      .bind(9, nlohmann::json(it.categories).dump())
      .bind_blob(10, it.document)
      .bind(11, to_micros(it.next_attempt_at))
      .bind(12, to_micros(it.created_at))
      .bind(13, nlohmann::json(it.consent_ids).dump())
      .bind(14, it.schema_name)
      .bind(15, json_text(it.route))
      .bind(16, it.trace_id)
      .bind(17, it.revokes_id);
  SCHAKEL_TRY(ins->run());
  if (db_.changes() == 1) {
    // The new row is exactly what was bound: no need to read it back and parse its JSON again.
    OutboxItem stored = it;
    stored.id = db_.last_insert_rowid();
    stored.state = OutboxState::pending;
    stored.attempts = 0;
    stored.receipt.reset();
    stored.last_error.clear();
    stored.delivered_at.reset();
    return EnqueueOutcome{std::move(stored), true};
  }
  const bool inserted = false;
  auto rows = read_outbox(select_outbox() + " WHERE idempotency_key = ?", {it.idempotency_key});
  if (!rows) return rows.status();
  if (rows->empty()) return Status(ErrorCode::internal, what + ": the row vanished after insert");
  return EnqueueOutcome{std::move(rows->front()), inserted};
}

Result<std::vector<OutboxItem>> SqliteTransaction::lease_outbox(const std::string& connector,
                                                               TimePoint now, int limit) {
  SCHAKEL_TRY(usable(true));
  SCHAKEL_TRY(check_limit(limit));
  const std::vector<Param> due{connector, to_micros(now), std::int64_t{limit}};
  auto rows = read_outbox(select_outbox() +
                              " WHERE connector = ? AND state = 'pending' AND next_attempt_at <= ?"
                              " ORDER BY next_attempt_at, id LIMIT ?",
                          due);
  if (!rows) return rows.status();
  for (OutboxItem& it : *rows) {
    // The cached statement is reset when `one` goes out of scope, ready for the next item.
    auto one = db_.prepare("UPDATE outbox SET state = 'in_flight' WHERE id = ? AND state = 'pending'");
    if (!one) return one.status();
    one->bind(1, it.id);
    SCHAKEL_TRY(one->run());
    it.state = OutboxState::in_flight;
  }
  return rows;
}

Status SqliteTransaction::mark_outbox_delivered(std::int64_t id, const std::string& receipt,
                                                TimePoint at) {
  return change_outbox(
      "UPDATE outbox SET state = 'delivered', attempts = attempts + 1, receipt = ?,"
      " delivered_at = ?, last_error = NULL WHERE id = ? AND state = 'in_flight'",
      {receipt, to_micros(at), id}, id, "marked delivered");
}

Status SqliteTransaction::reschedule_outbox(std::int64_t id, TimePoint next_attempt_at,
                                            const std::string& error) {
  return change_outbox(
      "UPDATE outbox SET state = 'pending', attempts = attempts + 1, next_attempt_at = ?,"
      " last_error = ? WHERE id = ? AND state = 'in_flight'",
      {to_micros(next_attempt_at), error, id}, id, "rescheduled");
}

Status SqliteTransaction::mark_outbox_dead(std::int64_t id, const std::string& reason, bool counted) {
  return change_outbox(
      "UPDATE outbox SET state = 'dead', attempts = attempts + ?, last_error = ?"
      " WHERE id = ? AND state = 'in_flight'",
      {std::int64_t{counted ? 1 : 0}, reason, id}, id, "marked dead");
}

Status SqliteTransaction::mark_outbox_dropped(std::int64_t id, const std::string& reason) {
  return change_outbox(
      "UPDATE outbox SET state = 'dropped', last_error = ? WHERE id = ? AND state = 'in_flight'",
      {reason, id}, id, "dropped");
}

Status SqliteTransaction::drop_pending_outbox(std::int64_t id, const std::string& reason) {
  return change_outbox(
      "UPDATE outbox SET state = 'dropped', last_error = ? WHERE id = ? AND state = 'pending'",
      {reason, id}, id, "dropped");
}

Result<std::optional<OutboxItem>> SqliteTransaction::get_outbox(std::int64_t id) {
  SCHAKEL_TRY(usable(false));
  auto rows = read_outbox(select_outbox() + " WHERE id = ?", {id});
  if (!rows) return rows.status();
  if (rows->empty()) return std::optional<OutboxItem>{};
  return std::optional<OutboxItem>(std::move(rows->front()));
}

Result<std::vector<OutboxItem>> SqliteTransaction::list_outbox(const OutboxQuery& q) {
  SCHAKEL_TRY(usable(false));
  SCHAKEL_TRY(check_limit(q.limit));
  std::string sql = select_outbox() + " WHERE id > ?";
  std::vector<Param> params{q.after_id};
  if (q.state) {
    sql += " AND state = ?";
    params.emplace_back(std::string(outbox_state_name(*q.state)));
  }
  if (q.connector) {
    sql += " AND connector = ?";
    params.emplace_back(*q.connector);
  }
  if (q.student_id) {
    sql += " AND student_id = ?";
    params.emplace_back(*q.student_id);
  }
  sql += " ORDER BY id LIMIT ?";
  params.emplace_back(std::int64_t{q.limit});
  return read_outbox(sql, params);
}

Status SqliteTransaction::replay_outbox(std::int64_t id, TimePoint now) {
  return change_outbox(
      "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = ?, created_at = ?"
      " WHERE id = ? AND state = 'dead'",
      {to_micros(now), to_micros(now), id}, id, "replayed (only dead letters are)");
}

Result<int> SqliteTransaction::reset_in_flight_outbox() {
  SCHAKEL_TRY(usable(true));
  SCHAKEL_TRY(db_.exec("UPDATE outbox SET state = 'pending' WHERE state = 'in_flight'",
                       "returning in-flight outbox items to pending"));
  return db_.changes();
}

Result<std::vector<OutboxItem>> SqliteTransaction::delivered_outbox_by_consent(
    const std::string& consent_id) {
  SCHAKEL_TRY(usable(false));
  return read_outbox(select_outbox() +
                         " WHERE kind = 'delivery' AND state = 'delivered'"
                         " AND EXISTS (SELECT 1 FROM json_each(outbox.consent_ids) WHERE value = ?)"
                         " ORDER BY id",
                     {consent_id});
}

Result<std::optional<TimePoint>> SqliteTransaction::next_outbox_due(const std::string& connector) {
  SCHAKEL_TRY(usable(false));
  auto stmt = db_.prepare(
      "SELECT MIN(next_attempt_at) FROM outbox WHERE connector = ? AND state = 'pending'");
  if (!stmt) return stmt.status();
  stmt->bind(1, connector);
  auto row = stmt->step();
  if (!row) return row.status();
  if (!*row || stmt->is_null(0)) return std::optional<TimePoint>{};
  return std::optional<TimePoint>(from_micros(stmt->integer(0)));
}

}  // namespace schakel::store::sqlite
