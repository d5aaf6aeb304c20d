// The case side of the schakel CLI against a real schakeld over HTTPS (the demo's self-signed
// certificate): the admin makes an IB's and a privacy officer's token; the IB records a pupil, a
// guardian, a case, its stage and an agreement, a consent, referrals blocked and queued, a
// meeting, and withdraws the consent; the privacy officer searches, exports, verifies and
// reports on the audit log. Each role is refused what is not its job, an expired or revoked
// token is refused, and no secret appears in any output.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "../support/child_process.hpp"
#include "../support/cli_runner.hpp"
#include "../support/temp_dir.hpp"
#include "cli_case_docs.hpp"
#include "hub_common.hpp"
#include "store/store.hpp"

using namespace schakel;
using namespace schakel::cli_case;

namespace {

using test::hub::k_schakel;
using test::hub::k_schakeld;

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// The schools as the LAS import leaves them (no endpoint records a school), and a pupil of the
// other school that the IB must not reach.
void seed_store(const std::filesystem::path& db) {
  auto store = store::open_sqlite({db});
  if (!store) throw std::runtime_error(store.status().message());
  auto entity = [](store::Kind kind, const std::string& id, const std::string& tenant, const json& doc) {
    store::Entity e;
    e.kind = kind;
    e.id = id;
    e.tenant = tenant;
    e.doc = doc;
    e.updated_at = TimePoint{std::chrono::seconds(1'790'000'000)};
    return e;
  };
  const Status st = (*store)->write([&](store::Transaction& tx) -> Status {
    SCHAKEL_TRY(tx.put(entity(store::Kind::school, "sch_12ab", "12AB00", school("sch_12ab", "12AB", "00"))));
    SCHAKEL_TRY(tx.put(entity(store::Kind::school, "sch_34cd", "34CD01", school("sch_34cd", "34CD", "01"))));
    return tx.put(entity(store::Kind::student, "stu_other", "34CD01", student("stu_other", "sch_34cd", "Bram", "2015-05-05")));
  });
  if (!st) throw std::runtime_error(st.message());
}

class CliCase : public ::testing::Test {
 protected:
  void SetUp() override {
    test::write_file(dir_.path() / "schakel.yaml", config_text(std::string(SCHAKEL_BINARY_DIR) + "/plugins"));
    auto admin = cli_.run({"token", "create", "--config", (dir_.path() / "schakel.yaml").string(), "--role", "admin",
                           "--school", "12AB", "--label", "school IT"});
    ASSERT_EQ(admin.code, 0) << admin.err;
    secrets_.push_back(test::CliRunner::secret_of(admin));
    admin_ = cli_.token_file("admin.token", secrets_.back());
    seed_store(dir_.path() / "data" / "schakel.db");

    daemon_ = std::make_unique<test::ChildProcess>(
        std::vector<std::string>{k_schakeld, "--config", (dir_.path() / "schakel.yaml").string()});
    auto ready = daemon_->wait_for("\"msg\":\"ready\"");
    ASSERT_TRUE(ready) << daemon_->all_output();
    cli_.set_api(json::parse(*ready)["api"].get<std::string>(), (dir_.path() / "data" / "tls" / "cert.pem").string());
  }

  void TearDown() override {
    if (!daemon_) return;
    daemon_->signal(SIGTERM);
    EXPECT_TRUE(daemon_->wait_for("\"msg\":\"stopped\"")) << daemon_->all_output();
    EXPECT_EQ(daemon_->wait_exit(), 0);
    // No secret in the daemon's log, and none in any output but token create's own stdout.
    for (const auto& secret : secrets_) {
      ASSERT_FALSE(secret.empty());
      EXPECT_FALSE(has(daemon_->all_output(), secret)) << "the daemon logged a secret";
      EXPECT_EQ(cli_.all_output().find(secret), cli_.all_output().rfind(secret)) << "a secret was printed again";
    }
  }

  // An online token create by the admin: the secret's file, and the token's id in `id`.
  std::string make_token(const std::string& name, const std::vector<std::string>& options, std::string* id = nullptr) {
    std::vector<std::string> args = {"token", "create"};
    args.insert(args.end(), options.begin(), options.end());
    auto c = cli_.live(admin_, args);
    EXPECT_EQ(c.code, 0) << c.err;
    secrets_.push_back(test::CliRunner::secret_of(c));
    EXPECT_FALSE(secrets_.back().empty()) << "stdout holds the secret alone: " << c.out;
    std::smatch m;
    if (id && std::regex_search(c.err, m, std::regex("tok_[0-9a-f]{16}"))) *id = m.str();
    return cli_.token_file(name, secrets_.back());
  }

  // A document for --file.
  std::string doc(const std::string& name, const json& body) {
    const auto p = dir_.path() / (name + ".json");
    test::write_file(p, body.dump(2));
    return p.string();
  }

  test::CliResult as(const std::string& token, const std::vector<std::string>& args) { return cli_.live(token, args); }
  // The same command with --json: exit 0 and the API's JSON.
  json as_json(const std::string& token, std::vector<std::string> args) {
    args.push_back("--json");
    auto c = cli_.live(token, args);
    EXPECT_EQ(c.code, 0) << c.err;
    auto j = json::parse(c.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << c.out;
    return j;
  }
  void expect_refused(const test::CliResult& c, const std::string& status, const std::string& what) {
    EXPECT_EQ(c.code, 1) << what << ": " << c.out << c.err;
    EXPECT_TRUE(has(c.err, status)) << what << ": " << c.err;
    EXPECT_TRUE(c.out.empty()) << what << ": nothing on stdout without --json: " << c.out;
  }

  test::TempDir dir_;
  test::CliRunner cli_{k_schakel, dir_.path()};
  std::unique_ptr<test::ChildProcess> daemon_;
  std::vector<std::string> secrets_;
  std::string admin_;
};

TEST_F(CliCase, AdminIbAndPrivacyOfficerEachDoTheirJobAndNothingMore) {
  // The admin hands out the tokens.
  std::string ib_id;
  const std::string ib = make_token("ib.token", {"--role", "staff", "--school", "12AB", "--label", "IB"}, &ib_id);
  const std::string po = make_token("po.token", {"--role", "privacy_officer", "--school", "12AB"});
  const std::string short_lived = make_token("short.token", {"--role", "staff", "--school", "12AB", "--expires-in-days", "1"});
  ASSERT_FALSE(ib_id.empty());

  // The IB records the pupil; the gate knows her at once (the reason below is "no consent", not
  // "unknown student").
  auto c = as(ib, {"students", "create", "--file", doc("zoe", student("stu_zoe", "sch_12ab", "Zoë", "2016-03-01"))});
  ASSERT_EQ(c.code, 0) << c.err;
  EXPECT_EQ(c.out, "recorded student stu_zoe (Zoë Vries, school sch_12ab)\n");
  EXPECT_EQ(as_json(ib, {"students", "create", "--file", doc("sam", student("stu_sam", "sch_12ab", "Sam", "2015-01-01"))})["id"],
            "stu_sam");
  c = as(ib, {"students", "show", "stu_zoe"});
  ASSERT_EQ(c.code, 0) << c.err;
  EXPECT_TRUE(has(c.out, "naam.roepnaam:")) << c.out;
  EXPECT_TRUE(has(c.out, "Zoë")) << c.out;
  EXPECT_EQ(as_json(ib, {"students", "show", "stu_zoe"})["birth_date"], "2016-03-01");

  c = as(ib, {"cases", "create", "--file", doc("case", case_doc("case_zoe", "stu_zoe", "sch_12ab"))});
  ASSERT_EQ(c.code, 0) << c.err;
  EXPECT_EQ(c.out, "created case case_zoe at stage ot (version 1)\n");
  c = as(ib, {"referrals", "queue", "--file", doc("ref1", referral_doc("ref_1", "case_zoe", "stu_zoe", "sch_12ab"))});
  ASSERT_EQ(c.code, 0) << c.err;
  EXPECT_TRUE(has(c.out, "ROUTE")) << c.out;
  EXPECT_TRUE(has(c.out, "blocked (swv-referral): ")) << c.out;
  EXPECT_TRUE(has(c.out, "no consent for category")) << c.out;
  EXPECT_FALSE(has(c.out, "unknown student")) << c.out;

  c = as(ib, {"cases", "stage", "case_zoe", "arrangement_requested"});
  ASSERT_EQ(c.code, 0) << c.err;
  EXPECT_TRUE(has(c.out, "case case_zoe moved to stage arrangement_requested (version 2)")) << c.out;
  EXPECT_TRUE(has(c.out, "swv-stage")) << c.out;
  c = as(ib, {"cases", "agreement", "case_zoe", "--file", doc("agreement", agreement())});
  ASSERT_EQ(c.code, 0) << c.err;
  EXPECT_EQ(c.out, "case case_zoe: agreement 0 added (version 3)\n");
  c = as(ib, {"cases", "show", "case_zoe"});
  ASSERT_EQ(c.code, 0) << c.err;
  EXPECT_TRUE(has(c.out, "agreements[0].what:")) << c.out;
  EXPECT_TRUE(has(c.out, k_agreement)) << c.out;
  EXPECT_EQ(as_json(ib, {"cases", "show", "case_zoe"})["stage"], "arrangement_requested");

  c = as(ib, {"guardians", "create", "--file", doc("anna", guardian("g_anna", "stu_zoe", "Anna"))});
  ASSERT_EQ(c.code, 0) << c.err;
  EXPECT_EQ(c.out, "recorded guardian g_anna (Anna Vries), children: stu_zoe (gezag yes)\n");
  EXPECT_EQ(as_json(ib, {"guardians", "create", "--file", doc("piet", guardian("g_piet", "stu_zoe", "Piet"))})["id"],
            "g_piet");
  EXPECT_TRUE(has(as(ib, {"guardians", "show", "g_anna"}).out, "children[0].gezag:")) << "flattened";
  EXPECT_EQ(as_json(ib, {"guardians", "show", "g_piet"})["children"].size(), 1u);

  c = as(ib, {"consents", "record", "--file", doc("c1", consent("c1", "stu_zoe", "sch_12ab", "g_anna"))});
  ASSERT_EQ(c.code, 0) << c.err;
  EXPECT_TRUE(has(c.out, "recorded consent c1 for student stu_zoe")) << c.out;
  EXPECT_TRUE(has(c.out, "guardian g_anna")) << c.out;
  c = as(ib, {"consents", "list", "stu_zoe"});
  ASSERT_EQ(c.code, 0) << c.err;
  EXPECT_TRUE(std::regex_search(c.out, std::regex("ID +STATUS +PURPOSES"))) << c.out;
  EXPECT_TRUE(std::regex_search(c.out, std::regex("c1 +active +swv_request"))) << c.out;
  EXPECT_EQ(as_json(ib, {"consents", "list", "stu_zoe"})["consents"].size(), 1u);

  // With consent the referral is queued; the first still shows why it was blocked.
  json ref2 = referral_doc("ref_2", "case_zoe", "stu_zoe", "sch_12ab");
  ref2["consent_ids"] = {"c1"};
  const json queued = as_json(ib, {"referrals", "queue", "--file", doc("ref2", ref2)});
  ASSERT_EQ(queued["routes"].size(), 1u) << queued.dump();
  EXPECT_EQ(queued["routes"][0]["outcome"], "queued") << queued.dump();
  c = as(ib, {"referrals", "show", "ref_1"});
  ASSERT_EQ(c.code, 0) << c.err;
  EXPECT_TRUE(std::regex_search(c.out, std::regex("blocked: +yes"))) << c.out;
  EXPECT_TRUE(has(c.out, "blocked because: ")) << c.out;
  EXPECT_TRUE(has(c.out, "no consent for category")) << c.out;
  c = as(ib, {"referrals", "show", "ref_2"});
  ASSERT_EQ(c.code, 0) << c.err;
  EXPECT_TRUE(std::regex_search(c.out, std::regex("blocked: +no"))) << c.out;
  EXPECT_TRUE(has(c.out, "OUTBOX")) << c.out;
  const json shown = as_json(ib, {"referrals", "show", "ref_2"});
  EXPECT_FALSE(shown["blocked"].get<bool>());
  EXPECT_EQ(shown["decisions"][0]["consent_ids"], json::array({"c1"}));
  c = as(ib, {"referrals", "supplement", "ref_2", "--file", doc("more", {{"text", "Het OPP volgt."}})});
  expect_refused(c, "409 conflict", "the SWV asked for nothing");

  c = as(ib, {"meetings", "plan", "--file", doc("m1", meeting("m1", "sch_12ab", "case_zoe", "stu_zoe"))});
  ASSERT_EQ(c.code, 0) << c.err;
  EXPECT_TRUE(has(c.out, "planned meeting m1 (version 1, sequence 0)")) << c.out;
  EXPECT_TRUE(has(c.out, "ot-calendar")) << c.out;
  c = as(ib, {"meetings", "show", "m1"});
  ASSERT_EQ(c.code, 0) << c.err;
  EXPECT_TRUE(has(c.out, "agenda[0].case_id:")) << c.out;
  EXPECT_EQ(as_json(ib, {"meetings", "show", "m1"})["status"], "planned");

  c = as(ib, {"consents", "withdraw", "c1", "--file", doc("withdraw", withdrawal("g_anna"))});
  ASSERT_EQ(c.code, 0) << c.err;
  EXPECT_TRUE(has(c.out, "withdrew consent c1 of student stu_zoe")) << c.out;
  EXPECT_TRUE(std::regex_search(as(ib, {"consents", "list", "stu_zoe"}).out, std::regex("c1 +withdrawn")));

  // What the IB may not do: another school's pupil, the audit log, a bad document, a missing file.
  expect_refused(as(ib, {"students", "show", "stu_other"}), "403 forbidden", "another school's pupil");
  expect_refused(as(ib, {"consents", "list", "stu_other"}), "403 forbidden", "another school's consents");
  expect_refused(as(ib, {"cases", "create", "--file", doc("other", case_doc("case_x", "stu_other", "sch_34cd"))}),
                 "403 forbidden", "a case at another school");
  expect_refused(as(ib, {"audit", "search", "--student", "stu_zoe"}), "403 forbidden", "the IB searches the audit");
  expect_refused(as(ib, {"cases", "show", "nope"}), "404 not_found", "no such case");
  json bad = case_doc("case_bad", "stu_zoe", "sch_12ab");
  bad["stage"] = "somewhere";
  c = as(ib, {"cases", "create", "--file", doc("bad", bad)});
  expect_refused(c, "422 invalid_document", "a stage outside the schema");
  EXPECT_TRUE(has(c.err, "  /stage: ")) << "the problem's JSON pointer: " << c.err;
  c = as(ib, {"cases", "create", "--json", "--file", doc("bad", bad)});
  EXPECT_EQ(c.code, 1);
  EXPECT_EQ(json::parse(c.out)["problems"][0]["pointer"], "/stage") << c.out;
  c = as(ib, {"cases", "create", "--file", (dir_.path() / "missing.json").string()});
  EXPECT_EQ(c.code, 2) << c.err;
  EXPECT_TRUE(has(c.err, "missing.json: cannot read")) << c.err;
  EXPECT_EQ(cli_.run({"cases", "show", "case_zoe"}).code, 2) << "no URL, no token";

  // The privacy officer: the audit log, and no case content anywhere.
  std::string po_output;
  auto po_run = [&](const std::vector<std::string>& args) {
    auto r = as(po, args);
    po_output += r.out + r.err;
    return r;
  };
  c = po_run({"audit", "search", "--student", "stu_zoe"});
  ASSERT_EQ(c.code, 0) << c.err;
  EXPECT_TRUE(std::regex_search(c.out, std::regex("SEQ +TIME +ACTION +OUTCOME +ACTOR +ROLE"))) << c.out;
  EXPECT_TRUE(std::regex_search(c.out, std::regex("disclose +blocked +" + ib_id + " +staff"))) << c.out;
  EXPECT_TRUE(has(c.out, "consent.withdraw")) << c.out;
  const json found = as_json(po, {"audit", "search", "--student", "stu_zoe", "--action", "disclose"});
  ASSERT_GE(found["entries"].size(), 3u) << found.dump();  // ref_1, the stage, ref_2
  for (const auto& e : found["entries"]) {
    EXPECT_EQ(e["actor"], ib_id) << "the disclosure names who acted: " << e.dump();
    EXPECT_EQ(e["actor_role"], "staff") << e.dump();
  }
  c = po_run({"audit", "export", "--student", "stu_zoe"});
  ASSERT_EQ(c.code, 0) << c.err;
  EXPECT_EQ(c.out.rfind("seq,", 0), 0u) << "CSV with its header: " << c.out.substr(0, 200);
  EXPECT_TRUE(has(c.out, ib_id)) << c.out;
  c = po_run({"audit", "export", "--student", "stu_zoe", "--format", "jsonl", "--action", "consent.record"});
  ASSERT_EQ(c.code, 0) << c.err;
  ASSERT_EQ(std::count(c.out.begin(), c.out.end(), '\n'), 1) << c.out;
  EXPECT_EQ(json::parse(c.out)["consent_ids"], json::array({"c1"}));
  c = po_run({"audit", "verify"});
  EXPECT_EQ(c.code, 0) << c.out << c.err;
  EXPECT_TRUE(has(c.out, "audit log intact: ")) << c.out;
  EXPECT_TRUE(as_json(po, {"audit", "verify"})["ok"].get<bool>());
  c = po_run({"audit", "report", "--student", "stu_zoe"});
  ASSERT_EQ(c.code, 0) << c.err;
  EXPECT_TRUE(has(c.out, "disclosures concerning student stu_zoe (AVG art. 15)")) << c.out;
  EXPECT_TRUE(has(c.out, "Loket (education_specialist, " + std::string(k_swv) + ")")) << c.out;
  const json report = as_json(po, {"audit", "report", "--student", "stu_zoe"});
  EXPECT_GE(report["disclosures"].size(), 1u) << report.dump();
  EXPECT_EQ(po_run({"consents", "list", "stu_zoe"}).code, 0) << "consent records are the privacy officer's";
  expect_refused(po_run({"cases", "show", "case_zoe"}), "403 forbidden", "the privacy officer reads a case");
  expect_refused(po_run({"referrals", "show", "ref_1"}), "403 forbidden", "the privacy officer reads a referral");
  expect_refused(po_run({"students", "show", "stu_zoe"}), "403 forbidden", "the privacy officer reads a pupil");
  expect_refused(po_run({"audit", "search", "--student", "stu_other"}), "403 forbidden", "another school's log");
  for (const char* content : {k_case_question, k_agreement, k_withdrawal_reason, "Zoë", "rekenen"})
    EXPECT_FALSE(has(po_output, content)) << "case content reached the privacy officer: " << content;

  // The admin configures; case content is not the admin's.
  expect_refused(as(admin_, {"cases", "show", "case_zoe"}), "403 forbidden", "the admin reads a case");
  expect_refused(as(admin_, {"students", "show", "stu_zoe"}), "403 forbidden", "the admin reads a pupil");
  expect_refused(as(admin_, {"audit", "search", "--student", "stu_zoe"}), "403 forbidden", "the admin searches");

  // Revoked and expired tokens are refused: 401, exit code 1.
  ASSERT_EQ(as(admin_, {"token", "revoke", ib_id}).code, 0);
  expect_refused(as(ib, {"cases", "show", "case_zoe"}), "401", "a revoked token");
  ASSERT_EQ(as(short_lived, {"consents", "list", "stu_zoe"}).code, 0) << "valid for a day";
  test::write_file(dir_.path() / "data" / "test-clock", "2027-06-01T12:00:00Z\n");
  daemon_->signal(SIGUSR1);
  ASSERT_TRUE(daemon_->wait_for("\"msg\":\"clock set\"")) << daemon_->all_output();
  expect_refused(as(short_lived, {"consents", "list", "stu_zoe"}), "401", "an expired token");
}

// One HTTP exchange on loopback: answers whatever is asked with `response`, then closes.
class OneShotServer {
 public:
  explicit OneShotServer(std::string response) : response_(std::move(response)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&a), len) != 0 || ::listen(fd_, 1) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0)
      throw std::runtime_error("cannot listen on loopback");
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~OneShotServer() {
    ::shutdown(fd_, SHUT_RDWR);  // wakes accept() if no client came
    thread_.join();
    ::close(fd_);
  }
  [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  void serve() {
    const int c = ::accept(fd_, nullptr, nullptr);
    if (c < 0) return;
    std::string request;
    char buf[4096];
    while (request.find("\r\n\r\n") == std::string::npos) {
      const auto n = ::read(c, buf, sizeof(buf));
      if (n <= 0) break;
      request.append(buf, static_cast<std::size_t>(n));
    }
    (void)!::write(c, response_.data(), response_.size());
    ::close(c);
  }

  std::string response_;
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

std::string http_response(int status, const std::string& content_type, const std::string& body) {
  return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: " + content_type +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
}

TEST(CliCaseExitCodes, ServerErrorsAreFourAndUsageTwo) {
  test::TempDir dir;
  test::CliRunner cli(k_schakel, dir.path());
  const std::string token = cli.token_file("t", "skl_" + std::string(43, 'B'));
  {
    OneShotServer server(http_response(500, "application/json", R"({"error":"internal","message":"the store failed"})"));
    auto c = cli.run({"--url", server.url(), "--token-file", token, "cases", "show", "case_1"});
    EXPECT_EQ(c.code, 4) << c.err;
    EXPECT_TRUE(has(c.err, "500 internal: the store failed")) << c.err;
  }
  {
    OneShotServer server(http_response(200, "application/json", "{not json"));
    auto c = cli.run({"--url", server.url(), "--token-file", token, "referrals", "show", "ref_1"});
    EXPECT_EQ(c.code, 4) << c.err;
    EXPECT_TRUE(has(c.err, "malformed JSON")) << c.err;
  }
  EXPECT_EQ(cli.run({"cases", "stage", "case_1"}).code, 2) << "STAGE missing";
  EXPECT_EQ(cli.run({"cases", "frobnicate"}).code, 2);
  EXPECT_FALSE(has(cli.all_output(), "skl_")) << "the token never shows";
}

TEST(CliCaseHelp, DocumentsEveryLiveCaseCommandAndTheExitCodes) {
  test::TempDir dir;
  test::CliRunner cli(k_schakel, dir.path());
  auto help = cli.run({"--help"});
  ASSERT_EQ(help.code, 0) << help.err;
  for (const char* command :
       {"students create --file F | show ID", "guardians create --file F | show ID",
        "cases create --file F | show ID | stage ID STAGE | agreement ID --file F",
        "consents record --file F | withdraw ID --file F | list STUDENT",
        "referrals queue --file F | show ID | supplement ID --file F", "meetings plan --file F | show ID | change ID --file F",
        "audit search --student ID", "audit export [--format csv|jsonl]", "audit verify; audit report --student ID"})
    EXPECT_TRUE(has(help.out, command)) << command << "\n" << help.out;
  for (const char* code : {"0  ok", "1  refused by the API: 401", "403 not allowed", "404 not found", "2  usage",
                           "3  transport or TLS", "4  the API failed"})
    EXPECT_TRUE(has(help.out, code)) << code << "\n" << help.out;
  for (const char* group : {"students", "guardians", "cases", "consents", "referrals", "meetings"}) {
    auto sub = cli.run({group, "--help"});
    EXPECT_EQ(sub.code, 0) << group;
    EXPECT_TRUE(has(sub.out, "(live")) << group << ": " << sub.out;
  }
}

}  // namespace
