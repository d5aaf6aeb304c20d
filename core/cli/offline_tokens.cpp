#include "cli/offline_tokens.hpp"

#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>

#include "api/roles.hpp"
#include "api/token_store.hpp"
#include "audit/audit_writer.hpp"
#include "base/clock.hpp"
#include "config/config.hpp"
#include "schema/schema_set.hpp"
#include "store/store.hpp"

namespace schakel::cli {
namespace {

constexpr int k_max_days = 3650;

std::string local_actor() {
  const char* user = std::getenv("USER");
  return std::string("cli:") + (user && *user ? user : "unknown");
}

// The daemon's store and audit log, found through its configuration.
struct DataDir {
  std::unique_ptr<store::Store> store;
  std::unique_ptr<audit::AuditWriter> audit;
};

Result<DataDir> open_data_dir(const std::string& config_file, const std::string& schema_dir, const Clock& clock) {
  auto schemas = schema::SchemaSet::load(schema_dir);
  if (!schemas) return schemas.status();
  auto loaded = config::load_config(config_file, *schemas);
  if (!loaded.config) {
    std::string text = config_file + ": not a valid configuration";
    for (const auto& e : loaded.errors) text += "\n" + e.to_string();
    return error(ErrorCode::invalid, text);
  }
  const auto dir = loaded.config->data_dir();
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) {
    // As the daemon does at its first start: the directory holds keys and personal data.
    std::filesystem::create_directories(dir, ec);
    if (ec || ::chmod(dir.c_str(), 0700) != 0)
      return error(ErrorCode::io, dir.string() + ": cannot create the data directory");
  }
  auto s = store::open_sqlite({dir / "schakel.db", loaded.config->store_busy_timeout_ms(), true});
  if (!s) return s.status().with_context(dir.string() + "/schakel.db");
  audit::AuditWriterOptions o;
  o.key_dir = dir / "keys";
  o.checkpoint_path = dir / "audit.checkpoints";
  o.clock = &clock;
  auto w = audit::AuditWriter::open(o);
  if (!w) return w.status().with_context("cannot open the audit log");
  return DataDir{std::move(*s), std::move(*w)};
}

Status audit_token_change(DataDir& d, const std::string& action, const std::string& reason) {
  audit::AuditEvent e;
  e.tenant = "instance";  // a token is instance configuration, not one school's data
  e.action = action;
  e.outcome = "ok";
  e.actor = local_actor();
  e.actor_role = "local";
  e.reason = reason;
  return d.audit->append_durable(*d.store, e).status();
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

}  // namespace

std::string check_token_request(const TokenRequest& r) {
  if (!api::role_from_name(r.role)) return "--role \"" + r.role + "\": must be admin, staff, privacy_officer or operator";
  if (r.schools.empty()) return "--school: at least one BRIN code is required";
  for (const auto& s : r.schools) {
    if (!api::is_brin(s)) return "--school \"" + s + "\": not a BRIN code (two digits, two capitals, e.g. 27XK)";
  }
  if (r.expires_in_days < 1 || r.expires_in_days > k_max_days)
    return "--expires-in-days " + std::to_string(r.expires_in_days) + ": must be 1 to " + std::to_string(k_max_days);
  if (r.label.size() > 200) return "--label: at most 200 characters";
  return {};
}

int token_create_offline(const std::string& config_file, const std::string& schema_dir, const TokenRequest& request,
                         std::ostream& out, std::ostream& err) {
  if (auto bad = check_token_request(request); !bad.empty()) {
    err << "schakel token create: " << bad << "\n";
    return 2;
  }
  static SystemClock clock;
  auto dir = open_data_dir(config_file, schema_dir, clock);
  if (!dir) {
    err << "schakel token create: " << dir.status().message() << "\n";
    return 2;
  }
  api::NewToken t;
  t.role = *api::role_from_name(request.role);
  t.schools = request.schools;
  t.label = request.label;
  t.created_by = local_actor();
  t.expires_at = clock.now() + std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::hours(24) * request.expires_in_days);
  api::TokenStore tokens(*dir->store, clock);
  auto issued = tokens.create(t);
  if (!issued) {
    err << "schakel token create: " << issued.status().message() << "\n";
    return 2;
  }
  const auto& row = issued->row;
  if (auto st = audit_token_change(*dir, "token.create",
                                   "token " + row.id + " created offline: role " + row.role + ", schools " +
                                       join(row.schools) + ", expires " + format_utc(row.expires_at));
      !st) {
    // The token exists but its creation is not in the log: take it back rather than leave it unaudited.
    (void)tokens.revoke(row.id);
    err << "schakel token create: cannot write the audit log (" << st.message() << "); token not issued\n";
    return 2;
  }
  out << issued->secret << "\n";
  err << "created token " << row.id << " (role " << row.role << ", schools " << join(row.schools)
      << ", expires " << format_utc(row.expires_at) << "); the secret above is shown only once\n";
  return 0;
}

int token_revoke_offline(const std::string& config_file, const std::string& schema_dir, const std::string& id,
                         std::ostream& out, std::ostream& err) {
  static SystemClock clock;
  auto dir = open_data_dir(config_file, schema_dir, clock);
  if (!dir) {
    err << "schakel token revoke: " << dir.status().message() << "\n";
    return 2;
  }
  api::TokenStore tokens(*dir->store, clock);
  auto row = tokens.find(id);
  if (!row) {
    err << "schakel token revoke: " << row.status().message() << "\n";
    return 2;
  }
  if (!*row) {
    err << "schakel token revoke: token " << id << " does not exist\n";
    return 1;
  }
  if (auto st = tokens.revoke(id); !st) {
    err << "schakel token revoke: " << st.message() << "\n";
    return st.code() == ErrorCode::not_found ? 1 : 2;
  }
  if (auto st = audit_token_change(*dir, "token.revoke", "token " + id + " revoked offline"); !st) {
    err << "schakel token revoke: revoked, but cannot write the audit log: " << st.message() << "\n";
    return 2;
  }
  out << "revoked " << id << "\n";
  return 0;
}

}  // namespace schakel::cli
