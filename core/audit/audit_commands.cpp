#include "audit/audit_commands.hpp"

#include <cstdlib>

#include "audit/queries.hpp"
#include "audit/verifier.hpp"
#include "store/store.hpp"

namespace schakel::audit {
namespace {

struct DataDir {
  std::unique_ptr<store::Store> store;
  std::unique_ptr<AuditWriter> writer;
};

std::filesystem::path db_path(const std::filesystem::path& d) { return d / "schakel.db"; }
std::filesystem::path key_dir(const std::filesystem::path& d) { return d / "keys"; }
std::filesystem::path checkpoint_path(const std::filesystem::path& d) { return d / "audit.checkpoints"; }

// Opens an existing data directory; never creates a database where there was none.
Result<std::unique_ptr<store::Store>> open_store(const std::filesystem::path& data_dir) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(db_path(data_dir), ec)) {
    return error(ErrorCode::not_found, db_path(data_dir).string() + ": no database (is " +
                                           data_dir.string() + " a Schakel data directory?)");
  }
  store::Options o;
  o.path = db_path(data_dir);
  return store::open_sqlite(o);
}

Result<DataDir> open_for_reading_logged(const std::filesystem::path& data_dir) {
  static SystemClock clock;
  auto s = open_store(data_dir);
  SCHAKEL_TRY(s);
  AuditWriterOptions o;
  o.key_dir = key_dir(data_dir);
  o.checkpoint_path = checkpoint_path(data_dir);
  o.clock = &clock;
  auto w = AuditWriter::open(o);
  SCHAKEL_TRY(w);
  return DataDir{std::move(*s), std::move(*w)};
}

std::string default_actor(const std::string& given) {
  if (!given.empty()) return given;
  const char* user = std::getenv("USER");
  return std::string("cli:") + (user ? user : "unknown");
}

bool parse_time(const std::optional<std::string>& text, std::optional<TimePoint>& out, const char* name,
                std::ostream& err) {
  if (!text) return true;
  TimePoint t;
  if (!parse_rfc3339(*text, t)) {
    err << "schakel audit export: --" << name << " \"" << *text << "\": not an RFC 3339 time\n";
    return false;
  }
  out = t;
  return true;
}

}  // namespace

int audit_verify_command(const std::filesystem::path& data_dir, std::ostream& out, std::ostream& err) {
  auto s = open_store(data_dir);
  if (!s) {
    err << "schakel audit verify: " << s.status().message() << "\n";
    return kExitUsage;
  }
  auto txn = (*s)->begin(false);
  if (!txn) {
    err << "schakel audit verify: " << txn.status().message() << "\n";
    return kExitUsage;
  }
  VerifyOptions o;
  o.checkpoint_path = checkpoint_path(data_dir);
  o.key_dir = key_dir(data_dir);
  auto report = verify_audit_log(**txn, o);
  if (!report) {
    err << "schakel audit verify: " << report.status().message() << "\n";
    return kExitUsage;
  }
  out << report->summary() << "\n";
  for (const auto& f : report->findings) {
    out << "  seq " << f.seq << ": " << problem_name(f.problem) << ": " << f.message << "\n";
  }
  return report->ok() ? kExitOk : kExitVerifyFailed;
}

int audit_export_command(const std::filesystem::path& data_dir, const ExportCommandOptions& options,
                         std::ostream& out, std::ostream& err) {
  if (options.format != "csv" && options.format != "jsonl") {
    err << "schakel audit export: --format \"" << options.format << "\": must be csv or jsonl\n";
    return kExitUsage;
  }
  if (options.student && !options.tenant) {
    err << "schakel audit export: --student needs --tenant (pseudonyms are per tenant)\n";
    return kExitUsage;
  }
  AuditFilter f;
  f.tenant = options.tenant;
  f.student_id = options.student;
  f.recipient = options.recipient;
  f.purpose = options.purpose;
  f.action = options.action;
  f.outcome = options.outcome;
  if (!parse_time(options.from, f.from, "from", err) || !parse_time(options.until, f.until, "until", err)) {
    return kExitUsage;
  }
  auto dir = open_for_reading_logged(data_dir);
  if (!dir) {
    err << "schakel audit export: " << dir.status().message() << "\n";
    return kExitUsage;
  }
  AuditQueries queries(*dir->writer, *dir->store);
  const Reader reader{default_actor(options.actor), "privacy_officer", {}, "offline export"};
  auto text = options.format == "csv" ? queries.export_csv(f, reader) : queries.export_jsonl(f, reader);
  if (!text) {
    err << "schakel audit export: " << text.status().message() << "\n";
    return kExitUsage;
  }
  out << *text;
  return kExitOk;
}

int audit_report_command(const std::filesystem::path& data_dir, const ReportCommandOptions& options,
                         std::ostream& out, std::ostream& err) {
  if (options.student.empty()) {
    err << "schakel audit report: --student is required\n";
    return kExitUsage;
  }
  if (options.format != "text" && options.format != "json") {
    err << "schakel audit report: --format \"" << options.format << "\": must be text or json\n";
    return kExitUsage;
  }
  auto dir = open_for_reading_logged(data_dir);
  if (!dir) {
    err << "schakel audit report: " << dir.status().message() << "\n";
    return kExitUsage;
  }
  AuditQueries queries(*dir->writer, *dir->store);
  const Reader reader{default_actor(options.actor), "privacy_officer", {}, "offline report"};
  auto report = queries.art15_report(options.student, options.tenant, reader);
  if (!report) {
    err << "schakel audit report: " << report.status().message() << "\n";
    return kExitUsage;
  }
  out << (options.format == "json" ? report->to_json().dump(2) + "\n" : report->to_text());
  return kExitOk;
}

}  // namespace schakel::audit
