// Admin API tokens: the SqliteTransaction's api_tokens table (migration 2).
#include "store/sqlite_transaction.hpp"

namespace schakel::store::sqlite {
namespace {

constexpr const char* k_token_columns =
    "id, token_sha256, role, schools, created_at, expires_at, revoked_at, created_by, label";

}  // namespace

Status SqliteTransaction::insert_api_token(const ApiTokenRow& r) {
  SCHAKEL_TRY(usable(true));
  if (r.id.empty() || r.token_sha256.empty()) {
    return {ErrorCode::invalid, db_.file() + ": an API token needs an id and a hash"};
  }
  auto stmt = db_.prepare(std::string("INSERT INTO api_tokens (") + k_token_columns +
                          ") VALUES (?,?,?,?,?,?,?,?,?)");
  if (!stmt) return stmt.status();
  stmt->bind(1, r.id).bind(2, r.token_sha256).bind(3, r.role);
  stmt->bind(4, nlohmann::json(r.schools).dump());
  stmt->bind(5, to_micros(r.created_at)).bind(6, to_micros(r.expires_at));
  // Column 7 (revoked_at) stays NULL: a new token is not revoked.
  stmt->bind(8, r.created_by).bind(9, r.label);
  auto st = stmt->run();
  if (!st && st.code() == ErrorCode::conflict) {
    return {ErrorCode::conflict, db_.file() + ": API token " + r.id + " already exists"};
  }
  return st;
}

Result<std::optional<ApiTokenRow>> SqliteTransaction::read_api_token(const char* column,
                                                                    const std::string& value) {
  SCHAKEL_TRY(usable(false));
  auto stmt = db_.prepare(std::string("SELECT ") + k_token_columns + " FROM api_tokens WHERE " +
                          column + " = ?");
  if (!stmt) return stmt.status();
  stmt->bind(1, value);
  auto row = stmt->step();
  if (!row) return row.status();
  if (!*row) return std::optional<ApiTokenRow>{};
  ApiTokenRow r;
  r.id = stmt->text(0);
  r.token_sha256 = stmt->text(1);
  r.role = stmt->text(2);
  auto schools = nlohmann::json::parse(stmt->text_view(3), nullptr, false);
  if (!schools.is_array()) {
    return Status(ErrorCode::corrupt, db_.file() + ": API token " + r.id + ": schools is not a JSON array");
  }
  for (const auto& s : schools) {
    if (!s.is_string()) {
      return Status(ErrorCode::corrupt, db_.file() + ": API token " + r.id + ": a school is not a string");
    }
    r.schools.push_back(s.get<std::string>());
  }
  r.created_at = from_micros(stmt->integer(4));
  r.expires_at = from_micros(stmt->integer(5));
  if (!stmt->is_null(6)) r.revoked_at = from_micros(stmt->integer(6));
  r.created_by = stmt->text(7);
  r.label = stmt->text(8);
  return std::optional<ApiTokenRow>(std::move(r));
}

Result<std::optional<ApiTokenRow>> SqliteTransaction::api_token(const std::string& id) {
  return read_api_token("id", id);
}

Result<std::optional<ApiTokenRow>> SqliteTransaction::api_token_by_hash(const std::string& token_sha256) {
  return read_api_token("token_sha256", token_sha256);
}

Status SqliteTransaction::revoke_api_token(const std::string& id, TimePoint at) {
  SCHAKEL_TRY(usable(true));
  auto stmt = db_.prepare("UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?");
  if (!stmt) return stmt.status();
  stmt->bind(1, to_micros(at)).bind(2, id);
  SCHAKEL_TRY(stmt->run());
  if (db_.changes() == 0) return {ErrorCode::not_found, "API token " + id + " does not exist"};
  return Status::ok();
}

}  // namespace schakel::store::sqlite
