#pragma once
// The offline `schakel audit verify|export|report` commands on a data directory:
//   <data_dir>/schakel.db, <data_dir>/keys/, <data_dir>/audit.checkpoints
// Exit codes: 0 ok, 1 verification failed, 2 usage or I/O error.
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>

namespace schakel::audit {

inline constexpr int kExitOk = 0;
inline constexpr int kExitVerifyFailed = 1;
inline constexpr int kExitUsage = 2;

struct ExportCommandOptions {
  std::string format = "csv";  // csv | jsonl
  std::optional<std::string> tenant;
  std::optional<std::string> student;
  std::optional<std::string> recipient;
  std::optional<std::string> purpose;
  std::optional<std::string> action;
  std::optional<std::string> outcome;
  std::optional<std::string> from;   // RFC 3339
  std::optional<std::string> until;  // RFC 3339
  std::string actor;                 // who exports; default $USER
};

struct ReportCommandOptions {
  std::string student;
  std::optional<std::string> tenant;
  std::string format = "text";  // text | json
  std::string actor;
};

int audit_verify_command(const std::filesystem::path& data_dir, std::ostream& out, std::ostream& err);
int audit_export_command(const std::filesystem::path& data_dir, const ExportCommandOptions& options,
                         std::ostream& out, std::ostream& err);
int audit_report_command(const std::filesystem::path& data_dir, const ReportCommandOptions& options,
                         std::ostream& out, std::ostream& err);

}  // namespace schakel::audit
