#include <cstdlib>
#include <iostream>

#include "audit/audit_commands.hpp"
#include "cli/commands.hpp"
#include "cli/live.hpp"

namespace schakel::cli {
namespace {

std::string current_user() {
  const char* user = std::getenv("USER");
  return user && *user ? user : "unknown";
}

}  // namespace

Runner add_audit_commands(CLI::App& app, const Globals& globals) {
  auto* audit_cmd = app.add_subcommand("audit", "the tamper-evident audit log, offline on a data directory");
  audit_cmd->require_subcommand(1);
  auto data_dir = std::make_shared<std::string>("/var/lib/schakel");
  auto* data_dir_opt = audit_cmd->add_option(
      "--data-dir", *data_dir, "offline: the daemon's data directory (else: through the API when --url or $SCHAKEL_URL is set)")
      ->capture_default_str();

  auto* verify = audit_cmd->add_subcommand("verify", "check the whole hash chain and the signed checkpoints; names the first bad entry");

  auto* exp = audit_cmd->add_subcommand("export", "export entries as CSV or JSON lines (the export is itself logged)");
  auto eo = std::make_shared<audit::ExportCommandOptions>();
  exp->add_option("--format", eo->format, "csv or jsonl")->check(CLI::IsMember({"csv", "jsonl"}))->capture_default_str();
  exp->add_option("--tenant", eo->tenant, "school (BRIN + vestiging)");
  exp->add_option("--student", eo->student, "the student's hub id (matched by its pseudonym)");
  exp->add_option("--recipient", eo->recipient, "recipient as recorded");
  exp->add_option("--purpose", eo->purpose, "purpose, e.g. swv_request");
  exp->add_option("--action", eo->action, "action, e.g. disclose");
  exp->add_option("--outcome", eo->outcome, "outcome, e.g. delivered");
  exp->add_option("--from", eo->from, "from this time (RFC 3339, inclusive)");
  exp->add_option("--until", eo->until, "until this time (RFC 3339, exclusive)");
  exp->add_option("--actor", eo->actor, "who exports (default: $USER)");

  auto* report = audit_cmd->add_subcommand("report", "the AVG art. 15 report of one student: every disclosure, to whom, why, under which consent");
  auto ro = std::make_shared<audit::ReportCommandOptions>();
  report->add_option("--student", ro->student, "the student's hub id")->required();
  report->add_option("--tenant", ro->tenant, "school (BRIN + vestiging)");
  report->add_option("--format", ro->format, "text or json")->check(CLI::IsMember({"text", "json"}))->capture_default_str();
  report->add_option("--actor", ro->actor, "who asks (default: $USER)");

  return [=, &globals]() -> int {
    // Without --data-dir and with an API address, the daemon answers (case_commands.cpp).
    if (data_dir_opt->count() == 0 && live_url_given(globals.live)) return -1;
    if (verify->parsed()) return audit::audit_verify_command(*data_dir, std::cout, std::cerr);
    if (exp->parsed()) {
      if (eo->actor.empty()) eo->actor = current_user();
      return audit::audit_export_command(*data_dir, *eo, std::cout, std::cerr);
    }
    if (report->parsed()) {
      if (ro->actor.empty()) ro->actor = current_user();
      return audit::audit_report_command(*data_dir, *ro, std::cout, std::cerr);
    }
    return -1;
  };
}

}  // namespace schakel::cli
