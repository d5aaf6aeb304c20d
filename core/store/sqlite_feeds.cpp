// Calendar feed capabilities: the SqliteTransaction's calendar_feeds table (migration 4).
#include "store/sqlite_transaction.hpp"

namespace schakel::store::sqlite {
namespace {

constexpr const char* k_feed_columns = "id, token_sha256, tenant, recipient, created_at, revoked_at, created_by";

}  // namespace

Status SqliteTransaction::insert_calendar_feed(const CalendarFeedRow& r) {
  SCHAKEL_TRY(usable(true));
  if (r.id.empty() || r.token_sha256.empty() || r.tenant.empty()) {
    return {ErrorCode::invalid, db_.file() + ": a calendar feed needs an id, a hash and a school"};
  }
  auto stmt = db_.prepare(std::string("INSERT INTO calendar_feeds (") + k_feed_columns + ") VALUES (?,?,?,?,?,NULL,?)");
  if (!stmt) return stmt.status();
  stmt->bind(1, r.id).bind(2, r.token_sha256).bind(3, r.tenant).bind(4, r.recipient.dump());
  stmt->bind(5, to_micros(r.created_at)).bind(6, r.created_by);
  auto st = stmt->run();
  if (!st && st.code() == ErrorCode::conflict) {
    return {ErrorCode::conflict, db_.file() + ": calendar feed " + r.id + " already exists"};
  }
  return st;
}

Result<std::optional<CalendarFeedRow>> SqliteTransaction::read_calendar_feed(const char* column,
                                                                            const std::string& value) {
  SCHAKEL_TRY(usable(false));
  auto stmt = db_.prepare(std::string("SELECT ") + k_feed_columns + " FROM calendar_feeds WHERE " + column + " = ?");
  if (!stmt) return stmt.status();
  stmt->bind(1, value);
  auto row = stmt->step();
  if (!row) return row.status();
  if (!*row) return std::optional<CalendarFeedRow>{};
  CalendarFeedRow r;
  r.id = stmt->text(0);
  r.token_sha256 = stmt->text(1);
  r.tenant = stmt->text(2);
  r.recipient = nlohmann::json::parse(stmt->text_view(3), nullptr, false);
  if (!r.recipient.is_object()) {
    return Status(ErrorCode::corrupt, db_.file() + ": calendar feed " + r.id + ": recipient is not a JSON object");
  }
  r.created_at = from_micros(stmt->integer(4));
  if (!stmt->is_null(5)) r.revoked_at = from_micros(stmt->integer(5));
  r.created_by = stmt->text(6);
  return std::optional<CalendarFeedRow>(std::move(r));
}

Result<std::optional<CalendarFeedRow>> SqliteTransaction::calendar_feed(const std::string& id) {
  return read_calendar_feed("id", id);
}

Result<std::optional<CalendarFeedRow>> SqliteTransaction::calendar_feed_by_hash(const std::string& token_sha256) {
  return read_calendar_feed("token_sha256", token_sha256);
}

Status SqliteTransaction::revoke_calendar_feed(const std::string& id, TimePoint at) {
  SCHAKEL_TRY(usable(true));
  auto stmt = db_.prepare("UPDATE calendar_feeds SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?");
  if (!stmt) return stmt.status();
  stmt->bind(1, to_micros(at)).bind(2, id);
  SCHAKEL_TRY(stmt->run());
  if (db_.changes() == 0) return {ErrorCode::not_found, "calendar feed " + id + " does not exist"};
  return Status::ok();
}

}  // namespace schakel::store::sqlite
