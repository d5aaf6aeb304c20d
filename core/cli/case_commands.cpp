// Live case work through the API: students, guardians, cases, consents, referrals, meetings
// (staff), and the audit log (privacy officer: search, and export/verify/report when no
// --data-dir is given). Thin calls: documents are read from a JSON file (or "-" for stdin) and
// the API validates them; answers are shown by case_render.cpp, or as JSON with --json.
#include <fstream>
#include <iostream>
#include <sstream>

#include "base/status.hpp"
#include "cli/case_render.hpp"
#include "cli/commands.hpp"
#include "cli/live.hpp"

namespace schakel::cli {
namespace {

using nlohmann::json;

Result<json> read_json_file(const std::string& path) {
  std::stringstream ss;
  if (path == "-") {
    ss << std::cin.rdbuf();
  } else {
    std::ifstream in(path);
    if (!in) return error(ErrorCode::invalid, "--file " + path + ": cannot read");
    ss << in.rdbuf();
  }
  auto doc = json::parse(ss.str(), nullptr, false);
  if (doc.is_discarded()) return error(ErrorCode::invalid, "--file " + path + ": not valid JSON");
  if (!doc.is_object()) return error(ErrorCode::invalid, "--file " + path + ": must hold one JSON object");
  return doc;
}

// One subcommand that posts or puts a document read with --file.
struct DocCommand {
  CLI::App* app = nullptr;
  std::shared_ptr<std::string> file = std::make_shared<std::string>();
};

DocCommand doc_command(CLI::App& parent, const std::string& name, const std::string& help,
                       const std::string& schema) {
  DocCommand c;
  c.app = parent.add_subcommand(name, help);
  c.app->add_option("--file", *c.file, "the " + schema + " document as JSON (- for stdin)")->required();
  return c;
}

CLI::App* group(CLI::App& app, const std::string& name, const std::string& help) {
  auto* g = app.add_subcommand(name, help);
  g->require_subcommand(1);
  return g;
}

std::string opt(CLI::App* sub, const std::string& name) {
  auto* o = sub->get_option_no_throw(name);
  return o && o->count() > 0 ? o->as<std::string>() : std::string();
}

}  // namespace

Runner add_case_commands(CLI::App& app, const Globals& globals) {
  auto id = std::make_shared<std::string>();
  auto text = std::make_shared<std::string>();

  auto* students = group(app, "students", "leerlingen: record one, show one (live, staff)");
  auto student_create = doc_command(*students, "create", "record a student", "student.schema.json");
  auto* student_show = students->add_subcommand("show", "show a student (the read is audited)");
  student_show->add_option("ID", *id, "student id")->required();

  auto* guardians = group(app, "guardians", "ouders/verzorgers of own-school students (live, staff)");
  auto guardian_create = doc_command(*guardians, "create", "record a guardian", "guardian.schema.json");
  auto* guardian_show = guardians->add_subcommand("show", "show a guardian (only children at your schools)");
  guardian_show->add_option("ID", *id, "guardian id")->required();

  auto* cases = group(app, "cases", "zorgdossiers: create, show, change stage, add agreements (live, staff)");
  auto case_create = doc_command(*cases, "create", "create a case", "case.schema.json");
  auto* case_show = cases->add_subcommand("show", "show a case (the read is audited)");
  case_show->add_option("ID", *id, "case id")->required();
  auto* case_stage = cases->add_subcommand("stage", "move a case to a stage (fires case.stage_reached)");
  case_stage->add_option("ID", *id, "case id")->required();
  case_stage->add_option("STAGE", *text, "the stage")->required();
  auto case_agreement = doc_command(*cases, "agreement", "add one agreement to a case", "agreement (case.schema.json)");
  case_agreement.app->add_option("ID", *id, "case id")->required();

  auto* consents = group(app, "consents", "toestemmingen: record, withdraw, list per student (live)");
  auto consent_record = doc_command(*consents, "record", "record a consent (staff)", "consent.schema.json");
  auto consent_withdraw = doc_command(
      *consents, "withdraw", "withdraw a consent (staff); --file holds {\"by\": {...}, \"reason\": ...}", "withdrawal");
  consent_withdraw.app->add_option("ID", *id, "consent id")->required();
  auto* consent_list = consents->add_subcommand("list", "the consents of one student (staff, privacy officer)");
  consent_list->add_option("STUDENT", *id, "student id")->required();

  auto* referrals = group(app, "referrals", "aanmeldingen bij het samenwerkingsverband (live, staff)");
  auto referral_queue = doc_command(*referrals, "queue", "queue a referral; shows whether it was queued or blocked, and why",
                                    "referral.schema.json");
  auto* referral_show = referrals->add_subcommand("show", "a referral with its status, decision and why it was blocked");
  referral_show->add_option("ID", *id, "referral id")->required();
  auto referral_supplement = doc_command(*referrals, "supplement", "answer the portal's request for more", "supplement");
  referral_supplement.app->add_option("ID", *id, "referral id")->required();

  auto* meetings = group(app, "meetings", "overleggen (live, staff)");
  auto meeting_plan = doc_command(*meetings, "plan", "plan a meeting (fires meeting.planned)", "meeting.schema.json");
  auto* meeting_show = meetings->add_subcommand("show", "show a meeting");
  meeting_show->add_option("ID", *id, "meeting id")->required();
  auto meeting_change = doc_command(*meetings, "change", "change or cancel a meeting (the whole document)",
                                    "meeting.schema.json");
  meeting_change.app->add_option("ID", *id, "meeting id")->required();

  // audit exists (offline commands); search is live only, the others are live without --data-dir.
  auto* audit = app.get_subcommand("audit");
  auto* search = audit->add_subcommand("search", "audit entries of one student (live, privacy officer)");
  auto student = std::make_shared<std::string>();
  auto action = std::make_shared<std::string>();
  auto from = std::make_shared<std::string>();
  auto to = std::make_shared<std::string>();
  auto limit = std::make_shared<std::string>();
  auto after = std::make_shared<std::string>();
  search->add_option("--student", *student, "the student's hub id")->required();
  search->add_option("--action", *action, "only this action, e.g. disclose");
  search->add_option("--from", *from, "from this time (RFC 3339)");
  search->add_option("--to", *to, "until this time (RFC 3339)");
  search->add_option("--limit", *limit, "at most this many entries (1 to 1000)");
  search->add_option("--after", *after, "only entries after this sequence number (paging)");
  auto* a_export = audit->get_subcommand("export");
  auto* a_verify = audit->get_subcommand("verify");
  auto* a_report = audit->get_subcommand("report");

  return [=, &globals]() -> int {
    const auto& live = globals.live;
    auto call = [&](const std::string& name, const std::string& method, const std::string& target,
                    std::optional<json> body, Render show) {
      return run_live(live, {name, method, target, std::move(body), std::move(show)}, std::cout, std::cerr);
    };
    auto post_doc = [&](const DocCommand& c, const std::string& name, const std::string& method,
                        const std::string& target, Render show) -> int {
      auto doc = read_json_file(*c.file);
      if (!doc) {
        std::cerr << "schakel " << name << ": " << doc.status().message() << "\n";
        return k_exit_usage;
      }
      return call(name, method, target, *doc, std::move(show));
    };
    const std::string seg = path_segment(*id);
    if (student_create.app->parsed())
      return post_doc(student_create, "students create", "POST", "/v1/students", render::student_recorded);
    if (student_show->parsed()) return call("students show", "GET", "/v1/students/" + seg, std::nullopt, render::document);
    if (guardian_create.app->parsed())
      return post_doc(guardian_create, "guardians create", "POST", "/v1/guardians", render::guardian_recorded);
    if (guardian_show->parsed())
      return call("guardians show", "GET", "/v1/guardians/" + seg, std::nullopt, render::document);
    if (case_create.app->parsed()) return post_doc(case_create, "cases create", "POST", "/v1/cases", render::case_created);
    if (case_show->parsed()) return call("cases show", "GET", "/v1/cases/" + seg, std::nullopt, render::document);
    if (case_stage->parsed())
      return call("cases stage", "POST", "/v1/cases/" + seg + "/stage", json{{"stage", *text}}, render::stage_changed);
    if (case_agreement.app->parsed())
      return post_doc(case_agreement, "cases agreement", "POST", "/v1/cases/" + seg + "/agreements",
                      render::agreement_added);
    if (consent_record.app->parsed())
      return post_doc(consent_record, "consents record", "POST", "/v1/consents", render::consent_recorded);
    if (consent_withdraw.app->parsed())
      return post_doc(consent_withdraw, "consents withdraw", "POST", "/v1/consents/" + seg + "/withdraw",
                      render::consent_withdrawn);
    if (consent_list->parsed())
      return call("consents list", "GET", "/v1/students/" + seg + "/consents", std::nullopt, render::consent_list);
    if (referral_queue.app->parsed())
      return post_doc(referral_queue, "referrals queue", "POST", "/v1/referrals", render::referral_queued);
    if (referral_show->parsed()) return call("referrals show", "GET", "/v1/referrals/" + seg, std::nullopt, render::referral);
    if (referral_supplement.app->parsed())
      return post_doc(referral_supplement, "referrals supplement", "POST", "/v1/referrals/" + seg + "/supplement",
                      render::supplement_sent);
    if (meeting_plan.app->parsed()) return post_doc(meeting_plan, "meetings plan", "POST", "/v1/meetings", render::meeting_planned);
    if (meeting_show->parsed()) return call("meetings show", "GET", "/v1/meetings/" + seg, std::nullopt, render::document);
    if (meeting_change.app->parsed())
      return post_doc(meeting_change, "meetings change", "PUT", "/v1/meetings/" + seg, render::meeting_changed);
    if (search->parsed()) {
      return call("audit search", "GET",
                  "/v1/audit" + query_string({{"student", *student}, {"action", *action}, {"from", *from}, {"to", *to},
                                              {"limit", *limit}, {"after", *after}}),
                  std::nullopt, render::audit_entries);
    }
    if (a_export && a_export->parsed()) {
      const std::string q = query_string({{"format", opt(a_export, "--format").empty() ? "csv" : opt(a_export, "--format")},
                                          {"tenant", opt(a_export, "--tenant")}, {"student", opt(a_export, "--student")},
                                          {"recipient", opt(a_export, "--recipient")}, {"purpose", opt(a_export, "--purpose")},
                                          {"action", opt(a_export, "--action")}, {"outcome", opt(a_export, "--outcome")},
                                          {"from", opt(a_export, "--from")}, {"to", opt(a_export, "--until")}});
      return call("audit export", "GET", "/v1/audit/export" + q, std::nullopt, {});
    }
    if (a_verify && a_verify->parsed()) {
      LiveCall verify{"audit verify", "POST", "/v1/audit/verify", json::object(), render::audit_verified};
      verify.verdict = [](const json& b) { return b.value("ok", false) ? k_exit_ok : k_exit_refused; };
      return run_live(live, verify, std::cout, std::cerr);
    }
    if (a_report && a_report->parsed()) {
      // The offline --format json means what --json means here.
      LiveOptions report_live = live;
      report_live.json = live.json || opt(a_report, "--format") == "json";
      // The API finds the student's school itself; --tenant is for the offline form.
      return run_live(report_live,
                      {"audit report", "GET", "/v1/students/" + path_segment(opt(a_report, "--student")) + "/access-report",
                       std::nullopt, render::access_report},
                      std::cout, std::cerr);
    }
    return -1;
  };
}

}  // namespace schakel::cli
