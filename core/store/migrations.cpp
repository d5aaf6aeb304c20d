#include "store/migrations.hpp"

#include <string>

#include "store/sqlite_db.hpp"

namespace schakel::store::sqlite {
namespace {

// One table per entity kind, all of the same shape. Part of migration 1: never change it; a later
// change is a new migration.
#define SCHAKEL_V1_ENTITY_TABLE(t)                                                            \
  "CREATE TABLE " t " ("                                                                      \
  " id TEXT PRIMARY KEY NOT NULL,"                                                            \
  " tenant TEXT NOT NULL DEFAULT '',"                                                         \
  " student_id TEXT NOT NULL DEFAULT '',"                                                     \
  " connector TEXT NOT NULL DEFAULT '',"                                                      \
  " source_key TEXT NOT NULL DEFAULT '',"                                                     \
  " source_version TEXT NOT NULL DEFAULT '',"                                                 \
  " active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),"                              \
  " doc TEXT NOT NULL,"                                                                       \
  " updated_at INTEGER NOT NULL);"                                                            \
  "CREATE UNIQUE INDEX " t "_source ON " t " (connector, source_key) WHERE connector <> '';"  \
  "CREATE INDEX " t "_tenant ON " t " (tenant, id);"                                          \
  "CREATE INDEX " t "_student ON " t " (student_id) WHERE student_id <> '';"

constexpr const char* k_v1 =
    SCHAKEL_V1_ENTITY_TABLE("schools")
    SCHAKEL_V1_ENTITY_TABLE("students")
    SCHAKEL_V1_ENTITY_TABLE("guardians")
    SCHAKEL_V1_ENTITY_TABLE("staff")
    SCHAKEL_V1_ENTITY_TABLE("cases")
    SCHAKEL_V1_ENTITY_TABLE("consents")
    SCHAKEL_V1_ENTITY_TABLE("referrals")
    SCHAKEL_V1_ENTITY_TABLE("meetings")
    R"sql(
CREATE TABLE connector_state (
  connector TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (connector, key)
);

CREATE TABLE audit (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  time INTEGER NOT NULL,
  tenant TEXT NOT NULL,
  action TEXT NOT NULL,
  outcome TEXT NOT NULL,
  actor TEXT NOT NULL,
  actor_role TEXT NOT NULL,
  on_behalf_of TEXT NOT NULL,
  subject TEXT NOT NULL,
  recipient TEXT NOT NULL,
  purpose TEXT NOT NULL,
  processing_activity TEXT NOT NULL,
  categories TEXT NOT NULL,   -- JSON array of strings
  consent_ids TEXT NOT NULL,  -- JSON array of strings
  payload_sha256 TEXT NOT NULL,
  trace_id TEXT NOT NULL,
  reason TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE INDEX audit_subject ON audit (subject, seq);
CREATE INDEX audit_recipient ON audit (recipient, seq);
CREATE INDEX audit_time ON audit (time);
-- Defence in depth: no code path changes the log, and SQL cannot either without dropping these.
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;

CREATE TABLE quarantine (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  connector TEXT NOT NULL,
  stream TEXT NOT NULL,
  source TEXT NOT NULL,
  reason TEXT NOT NULL,
  record TEXT NOT NULL,
  time INTEGER NOT NULL
);
CREATE INDEX quarantine_connector ON quarantine (connector, id);

CREATE TABLE outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  route_id TEXT NOT NULL,
  connector TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('delivery', 'revocation')),
  idempotency_key TEXT NOT NULL UNIQUE,
  tenant TEXT NOT NULL,
  student_id TEXT NOT NULL,
  purpose TEXT NOT NULL,
  recipient TEXT NOT NULL,    -- JSON {organisation, role, name}
  categories TEXT NOT NULL,   -- JSON array of strings
  document BLOB NOT NULL,     -- exactly the bytes that are sent
  state TEXT NOT NULL DEFAULT 'pending'
    CHECK (state IN ('pending', 'in_flight', 'delivered', 'dead', 'dropped')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  receipt TEXT,
  last_error TEXT,
  consent_ids TEXT NOT NULL   -- JSON array of strings
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_connector ON outbox (connector, state);
CREATE INDEX outbox_student ON outbox (student_id);
)sql";

#undef SCHAKEL_V1_ENTITY_TABLE

// Outbox columns for the re-check at delivery and for revocation.
constexpr const char* k_v2 = R"sql(
ALTER TABLE outbox ADD COLUMN schema_name TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN route TEXT NOT NULL DEFAULT '{}';   -- JSON: the route when queued
ALTER TABLE outbox ADD COLUMN trace_id TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN revokes_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN delivered_at INTEGER;
CREATE INDEX outbox_lease ON outbox (connector, state, next_attempt_at);
)sql";

// Admin API bearer tokens (core/api): only the SHA-256 of each secret is kept.
constexpr const char* k_v3 = R"sql(
CREATE TABLE api_tokens (
  id TEXT PRIMARY KEY NOT NULL,
  token_sha256 TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL CHECK (role IN ('admin', 'staff', 'privacy_officer', 'operator')),
  schools TEXT NOT NULL,  -- JSON array of BRIN codes
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  revoked_at INTEGER,
  created_by TEXT NOT NULL,
  label TEXT NOT NULL
);
)sql";

// Per-recipient calendar feeds: only the SHA-256 of each capability secret is kept.
constexpr const char* k_v4 = R"sql(
CREATE TABLE calendar_feeds (
  id TEXT PRIMARY KEY NOT NULL,
  token_sha256 TEXT NOT NULL UNIQUE,
  tenant TEXT NOT NULL,
  recipient TEXT NOT NULL,  -- JSON {organisation, role, name, person_id}
  created_at INTEGER NOT NULL,
  revoked_at INTEGER,
  created_by TEXT NOT NULL
);
)sql";

// Which students each guardian names among its children, so that a student's guardians are found
// without reading every guardian (guardians.student_id holds the first child only). The store's
// writes of guardians keep it in step from the children the old and the new document name
// (SqliteTransaction::relink_children), so it needs no second index: triggers parsing documents in
// SQL cost the import a third of its speed. Existing guardians are filled in here.
constexpr const char* k_v5 = R"sql(
CREATE TABLE guardian_children (
  student_id TEXT NOT NULL,
  guardian_id TEXT NOT NULL,
  PRIMARY KEY (student_id, guardian_id)
) WITHOUT ROWID;

INSERT OR IGNORE INTO guardian_children (student_id, guardian_id)
  SELECT c.value ->> '$.student_id', g.id FROM guardians AS g, json_each(g.doc, '$.children') AS c
  WHERE c.value ->> '$.student_id' IS NOT NULL;
)sql";

}  // namespace

const std::vector<Migration>& migrations() {
  static const std::vector<Migration> all = {
      {1, k_v1},
      {2, k_v2},
      {3, k_v3},
      {4, k_v4},
      {5, k_v5},
  };
  return all;
}

Result<int> file_version(Db& db) {
  auto stmt = db.prepare("PRAGMA user_version");
  if (!stmt) return stmt.status();
  auto row = stmt->step();
  if (!row) return row.status();
  return *row ? static_cast<int>(stmt->integer(0)) : 0;
}

Result<int> migrate(Db& db) {
  const int latest = migrations().back().version;
  auto current = file_version(db);
  if (!current) return current.status();
  auto refuse_newer = [&](int version) {
    return Status(ErrorCode::conflict, db.file() + ": database schema version " +
                                           std::to_string(version) +
                                           " is newer than this binary supports (" +
                                           std::to_string(latest) + ")");
  };
  if (*current > latest) return refuse_newer(*current);
  if (*current == latest) return latest;

  SCHAKEL_TRY(db.exec("BEGIN IMMEDIATE", "starting the schema migration"));
  auto apply = [&]() -> Result<int> {
    // Another process may have migrated between our first look and the lock.
    auto locked_version = file_version(db);
    if (!locked_version) return locked_version.status();
    if (*locked_version > latest) return refuse_newer(*locked_version);
    for (const Migration& m : migrations()) {
      if (m.version <= *locked_version) continue;
      const std::string doing = "applying schema migration " + std::to_string(m.version);
      SCHAKEL_TRY(db.exec(m.sql, doing));
      const std::string set = "PRAGMA user_version=" + std::to_string(m.version);
      SCHAKEL_TRY(db.exec(set.c_str(), doing));
    }
    SCHAKEL_TRY(db.exec("COMMIT", "committing the schema migration"));
    return latest;
  };
  auto result = apply();
  if (!result && db.in_transaction()) (void)db.exec("ROLLBACK", "rolling back the migration");
  return result;
}

}  // namespace schakel::store::sqlite
