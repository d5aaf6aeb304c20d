#include "store/sqlite_transaction.hpp"

#include <array>

#include "base/json_text.hpp"

namespace schakel::store::sqlite {
namespace {

constexpr std::array<const char*, 8> k_tables = {"schools", "students", "guardians", "staff",
                                                 "cases",   "consents", "referrals", "meetings"};

const char* table(Kind kind) { return k_tables.at(static_cast<std::size_t>(kind)); }

constexpr const char* k_columns =
    "id, tenant, student_id, connector, source_key, source_version, active, doc, updated_at";

std::string select_from(Kind kind) {
  return std::string("SELECT ") + k_columns + " FROM " + table(kind);
}

Result<Entity> read_entity(const Db& db, Kind kind, const Stmt& stmt) {
  Entity e;
  e.kind = kind;
  e.id = stmt.text(0);
  e.tenant = stmt.text(1);
  e.student_id = stmt.text(2);
  e.connector = stmt.text(3);
  e.source_key = stmt.text(4);
  e.source_version = stmt.text(5);
  e.active = stmt.integer(6) != 0;
  e.doc = parse_json_text(stmt.text_view(7));
  if (e.doc.is_discarded()) {
    return Status(ErrorCode::corrupt, db.file() + ": " + table(kind) + " row " + e.id +
                                          ": the stored document is not valid JSON");
  }
  e.updated_at = from_micros(stmt.integer(8));
  return e;
}

// Binds an entity to the 9 placeholders of k_columns, in order.
void bind_entity(Stmt& stmt, const Entity& e, const std::string& doc_text) {
  stmt.bind(1, e.id)
      .bind(2, e.tenant)
      .bind(3, e.student_id)
      .bind(4, e.connector)
      .bind(5, e.source_key)
      .bind(6, e.source_version)
      .bind(7, std::int64_t{e.active ? 1 : 0})
      .bind(8, doc_text)
      .bind(9, to_micros(e.updated_at));
}

Result<std::optional<Entity>> fetch_one(Db& db, Kind kind, Stmt& stmt) {
  auto row = stmt.step();
  if (!row) return row.status();
  if (!*row) return std::optional<Entity>{};
  auto e = read_entity(db, kind, stmt);
  if (!e) return e.status();
  return std::optional<Entity>(std::move(*e));
}

Result<std::vector<Entity>> fetch_all(Db& db, Kind kind, Stmt& stmt) {
  std::vector<Entity> out;
  for (;;) {
    auto row = stmt.step();
    if (!row) return row.status();
    if (!*row) return out;
    auto e = read_entity(db, kind, stmt);
    if (!e) return e.status();
    out.push_back(std::move(*e));
  }
}

}  // namespace

void bind_all(Stmt& stmt, const std::vector<Param>& params) {
  int i = 1;
  for (const Param& p : params) {
    if (const auto* s = std::get_if<std::string>(&p)) {
      stmt.bind(i++, *s);
    } else {
      stmt.bind(i++, std::get<std::int64_t>(p));
    }
  }
}

std::int64_t to_micros(TimePoint t) { return t.time_since_epoch().count(); }
TimePoint from_micros(std::int64_t us) { return TimePoint{std::chrono::microseconds{us}}; }

SqliteTransaction::~SqliteTransaction() {
  if (!finished_ && mode_ != Mode::nested && db_.in_transaction()) {
    (void)db_.exec("ROLLBACK", "rolling back");
  }
  end();
}

void SqliteTransaction::end() {
  finished_ = true;
  if (release_) {
    auto release = std::move(release_);
    release_ = nullptr;
    release();
  }
}

Status SqliteTransaction::usable(bool writing) const {
  if (finished_) return {ErrorCode::internal, db_.file() + ": the transaction has already ended"};
  if (writing && mode_ == Mode::read) {
    return {ErrorCode::internal, db_.file() + ": write in a read-only transaction"};
  }
  return Status::ok();
}

Status SqliteTransaction::check_limit(int limit) const {
  if (limit <= 0) return {ErrorCode::invalid, db_.file() + ": a query limit must be positive"};
  return Status::ok();
}

Status SqliteTransaction::commit() {
  SCHAKEL_TRY(usable(false));
  if (mode_ == Mode::nested) return Status::ok();  // the group commit commits for everyone
  Status st = db_.exec("COMMIT", "committing");
  if (!st && db_.in_transaction()) (void)db_.exec("ROLLBACK", "rolling back a failed commit");
  end();
  return st;
}

Result<UpsertOutcome> SqliteTransaction::upsert(const Entity& e) {
  SCHAKEL_TRY(usable(true));
  auto what = [&] { return db_.file() + ": " + kind_name(e.kind) + " " + e.id; };
  if (e.id.empty()) return Status(ErrorCode::invalid, what() + ": the id is empty");
  if (!e.connector.empty() && e.source_key.empty()) {
    return Status(ErrorCode::invalid, what() + ": a record from connector " + e.connector +
                                          " has no source key");
  }
  std::string written;
  const std::string& doc_text = e.doc_text.empty() ? (written = json_text(e.doc)) : e.doc_text;
  const std::string tbl = table(e.kind);

  // Most upserts during an import are new rows: try the insert first and look only on a clash.
  {
    // Built once per kind: this is the hot path of every import.
    static const auto insert_sql = [] {
      std::array<std::string, k_tables.size()> sql;
      for (std::size_t i = 0; i < sql.size(); ++i) {
        sql[i] = std::string("INSERT INTO ") + k_tables[i] + " (" + k_columns +
                 ") VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING";
      }
      return sql;
    }();
    auto ins = db_.prepare(insert_sql.at(static_cast<std::size_t>(e.kind)));
    if (!ins) return ins.status();
    bind_entity(*ins, e, doc_text);
    SCHAKEL_TRY(ins->run());
    if (db_.changes() == 1) {
      SCHAKEL_TRY(relink_children(e.kind, e.id, nullptr, &e.doc));
      return UpsertOutcome::inserted;
    }
  }

  const bool by_source = !e.connector.empty();
  auto sel = db_.prepare(
      by_source ? "SELECT id, source_version, doc, active, tenant, student_id FROM " + tbl +
                      " WHERE connector = ? AND source_key = ? AND connector <> ''"
                : "SELECT id, source_version, doc, active, tenant, student_id FROM " + tbl +
                      " WHERE id = ?");
  if (!sel) return sel.status();
  if (by_source) {
    sel->bind(1, e.connector).bind(2, e.source_key);
  } else {
    sel->bind(1, e.id);
  }
  auto row = sel->step();
  if (!row) return row.status();
  if (!*row) {
    return Status(ErrorCode::conflict, what() + ": the id is already used by another record");
  }
  const std::string stored_id = sel->text(0);
  const std::string stored_version = sel->text(1);
  const bool same_content = sel->text_view(2) == doc_text && (sel->integer(3) != 0) == e.active &&
                            sel->text_view(4) == e.tenant && sel->text_view(5) == e.student_id;
  // Versions are RFC 3339 UTC or zero-padded counters, so byte order is time order.
  const int cmp = e.source_version.compare(stored_version);
  if (cmp < 0) return UpsertOutcome::stale;
  if (cmp == 0) return same_content ? UpsertOutcome::unchanged : UpsertOutcome::stale;

  if (same_content) {
    // A newer version of the same content: remember the version so later ones compare right.
    auto upd = db_.prepare("UPDATE " + tbl + " SET source_version = ? WHERE id = ?");
    if (!upd) return upd.status();
    upd->bind(1, e.source_version).bind(2, stored_id);
    SCHAKEL_TRY(upd->run());
    return UpsertOutcome::unchanged;
  }
  // What the guardian's stored document names, read before the statement goes on.
  const nlohmann::json old_doc = e.kind == Kind::guardian ? parse_json_text(sel->text_view(2)) : nlohmann::json();
  // The hub's id of a source record never changes once given.
  auto upd = db_.prepare("UPDATE " + tbl +
                         " SET tenant = ?, student_id = ?, source_version = ?, active = ?,"
                         " doc = ?, updated_at = ? WHERE id = ?");
  if (!upd) return upd.status();
  upd->bind(1, e.tenant)
      .bind(2, e.student_id)
      .bind(3, e.source_version)
      .bind(4, std::int64_t{e.active ? 1 : 0})
      .bind(5, doc_text)
      .bind(6, to_micros(e.updated_at))
      .bind(7, stored_id);
  SCHAKEL_TRY(upd->run());
  SCHAKEL_TRY(relink_children(e.kind, stored_id, &old_doc, &e.doc));
  return UpsertOutcome::updated;
}

Status SqliteTransaction::relink_children(Kind kind, const std::string& id, const nlohmann::json* before,
                                          const nlohmann::json* after) {
  if (kind != Kind::guardian) return Status::ok();
  auto each_child = [](const nlohmann::json* doc, auto&& f) -> Status {
    if (doc == nullptr || !doc->is_object()) return Status::ok();
    const auto children = doc->find("children");
    if (children == doc->end() || !children->is_array()) return Status::ok();
    for (const auto& child : *children) {
      const auto student = child.is_object() ? child.find("student_id") : child.end();
      if (student != child.end() && student->is_string()) SCHAKEL_TRY(f(student->get_ref<const std::string&>()));
    }
    return Status::ok();
  };
  SCHAKEL_TRY(each_child(before, [&](const std::string& student) -> Status {
    auto del = db_.prepare("DELETE FROM guardian_children WHERE student_id = ? AND guardian_id = ?");
    if (!del) return del.status();
    del->bind(1, student).bind(2, id);
    return del->run();
  }));
  return each_child(after, [&](const std::string& student) -> Status {
    auto ins = db_.prepare("INSERT OR IGNORE INTO guardian_children (student_id, guardian_id) VALUES (?, ?)");
    if (!ins) return ins.status();
    ins->bind(1, student).bind(2, id);
    return ins->run();
  });
}

Result<nlohmann::json> SqliteTransaction::stored_guardian_doc(Kind kind, const std::string& id) {
  if (kind != Kind::guardian) return nlohmann::json();
  auto stored = get(kind, id);
  if (!stored) return stored.status();
  return *stored ? std::move((*stored)->doc) : nlohmann::json();
}

Status SqliteTransaction::put(const Entity& e) {
  SCHAKEL_TRY(usable(true));
  if (e.id.empty()) {
    return {ErrorCode::invalid, db_.file() + ": " + kind_name(e.kind) + ": the id is empty"};
  }
  auto stmt = db_.prepare(std::string("INSERT INTO ") + table(e.kind) + " (" + k_columns +
                          ") VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT (id) DO UPDATE SET"
                          " tenant = excluded.tenant, student_id = excluded.student_id,"
                          " connector = excluded.connector, source_key = excluded.source_key,"
                          " source_version = excluded.source_version, active = excluded.active,"
                          " doc = excluded.doc, updated_at = excluded.updated_at");
  if (!stmt) return stmt.status();
  auto before = stored_guardian_doc(e.kind, e.id);
  if (!before) return before.status();
  bind_entity(*stmt, e, json_text(e.doc));
  SCHAKEL_TRY(stmt->run());
  return relink_children(e.kind, e.id, &*before, &e.doc);
}

Result<std::optional<Entity>> SqliteTransaction::get(Kind kind, const std::string& id) {
  SCHAKEL_TRY(usable(false));
  auto stmt = db_.prepare(select_from(kind) + " WHERE id = ?");
  if (!stmt) return stmt.status();
  stmt->bind(1, id);
  return fetch_one(db_, kind, *stmt);
}

Result<std::optional<std::string>> SqliteTransaction::tenant_of(Kind kind, const std::string& id) {
  SCHAKEL_TRY(usable(false));
  auto stmt = db_.prepare(std::string("SELECT tenant FROM ") + table(kind) + " WHERE id = ?");
  if (!stmt) return stmt.status();
  stmt->bind(1, id);
  auto row = stmt->step();
  if (!row) return row.status();
  if (!*row) return std::optional<std::string>{};
  return std::optional<std::string>(stmt->text(0));
}

Result<std::optional<Entity>> SqliteTransaction::get_by_source(Kind kind,
                                                               const std::string& connector,
                                                               const std::string& source_key) {
  SCHAKEL_TRY(usable(false));
  auto stmt = db_.prepare(select_from(kind) +
                          " WHERE connector = ? AND source_key = ? AND connector <> ''");
  if (!stmt) return stmt.status();
  stmt->bind(1, connector).bind(2, source_key);
  return fetch_one(db_, kind, *stmt);
}

Result<std::vector<Entity>> SqliteTransaction::list(const EntityQuery& q) {
  SCHAKEL_TRY(usable(false));
  SCHAKEL_TRY(check_limit(q.limit));
  std::string sql = select_from(q.kind) + " WHERE id > ?";
  std::vector<Param> params{q.after_id};
  if (q.tenant) {
    sql += " AND tenant = ?";
    params.emplace_back(*q.tenant);
  }
  if (q.student_id) {
    sql += " AND student_id = ? AND student_id <> ''";
    params.emplace_back(*q.student_id);
  }
  if (q.connector) {
    sql += " AND connector = ?";
    params.emplace_back(*q.connector);
  }
  if (!q.include_inactive) sql += " AND active = 1";
  sql += " ORDER BY id LIMIT ?";
  params.emplace_back(std::int64_t{q.limit});

  auto stmt = db_.prepare(sql);
  if (!stmt) return stmt.status();
  bind_all(*stmt, params);
  return fetch_all(db_, q.kind, *stmt);
}

Result<std::vector<Entity>> SqliteTransaction::guardians_of(const std::string& student_id) {
  SCHAKEL_TRY(usable(false));
  auto stmt = db_.prepare(select_from(Kind::guardian) +
                          " WHERE id IN (SELECT guardian_id FROM guardian_children WHERE student_id = ?)"
                          " AND active = 1 ORDER BY id");
  if (!stmt) return stmt.status();
  stmt->bind(1, student_id);
  return fetch_all(db_, Kind::guardian, *stmt);
}

Status SqliteTransaction::remove(Kind kind, const std::string& id) {
  SCHAKEL_TRY(usable(true));
  auto before = stored_guardian_doc(kind, id);
  if (!before) return before.status();
  auto stmt = db_.prepare(std::string("DELETE FROM ") + table(kind) + " WHERE id = ?");
  if (!stmt) return stmt.status();
  stmt->bind(1, id);
  SCHAKEL_TRY(stmt->run());
  if (db_.changes() == 0) {
    return {ErrorCode::not_found, db_.file() + ": " + kind_name(kind) + " " + id + " not found"};
  }
  return relink_children(kind, id, &*before, nullptr);
}

}  // namespace schakel::store::sqlite
