// Broken input: a broken file stops the poll with file and line and loses nothing stored; a row
// that does not map is quarantined with file:line and reason while the rest goes on.
#include "sis_fixture.hpp"

namespace schakel::test {
namespace {

class Malformed : public SisHost {
 protected:
  void SetUp() override {
    SisHost::SetUp();
    generate(bundle_, 30, "1.1");
    add();
    auto r = poll();
    ASSERT_EQ(r.code, plugin_host::CallCode::ok) << r.message;
    students_ = all(store::Kind::student).size();
    ASSERT_GT(students_, 0u);
    users_ = read_text(bundle_ / "users.csv");
  }
  // Polls with users.csv replaced by `text`; expects an error naming `where`, and the store as it was.
  void expect_error(const std::string& text, const std::string& where, const std::string& what) {
    write_text(bundle_ / "users.csv", text);
    auto r = poll();
    EXPECT_EQ(r.code, plugin_host::CallCode::reject);
    EXPECT_NE(r.message.find(where), std::string::npos) << r.message;
    EXPECT_NE(r.message.find(what), std::string::npos) << r.message;
    EXPECT_EQ(all(store::Kind::student).size(), students_);
    for (const auto& s : all(store::Kind::student)) EXPECT_EQ(s.doc["status"], "active");
    // The connector goes on: the good file polls again.
    write_text(bundle_ / "users.csv", users_);
    auto again = poll();
    EXPECT_EQ(again.code, plugin_host::CallCode::ok) << again.message;
  }
  std::size_t offset(int line) const {  // byte offset of a 1-based line
    std::size_t pos = 0;
    for (int i = 1; i < line; ++i) pos = users_.find('\n', pos) + 1;
    return pos;
  }

  std::size_t students_ = 0;
  std::string users_;
};

TEST_F(Malformed, BrokenQuotingNamesFileLineAndColumn) {
  std::string text = users_;
  text.insert(offset(4) + 3, "\"");  // a quote inside the unquoted sourcedId
  expect_error(text, "users.csv:4:4: ", "a quote inside an unquoted field");
}

TEST_F(Malformed, TruncatedFileNamesTheLastLine) {
  std::string text = users_.substr(0, offset(6) + 40);  // cut inside line 6
  expect_error(text, "users.csv:6", "");
}

TEST_F(Malformed, WrongHeaderNamesTheMissingColumn) {
  std::string text = users_;
  text.replace(text.find("familyName"), 10, "surname");
  expect_error(text, "users.csv:1: ", "the header has no column 'familyName'");
}

TEST_F(Malformed, FiftyMegabyteFieldIsRefusedWithFileAndLine) {
  std::string text = users_;
  auto at = offset(3);
  text.insert(at, "big," + std::string(50u << 20, 'x') + "\r\n");
  expect_error(text, "users.csv:3:5: ", "a field longer than");
}

TEST_F(Malformed, InvalidUtf8NamesFileAndLine) {
  std::string text = users_;
  text.insert(offset(5) + 2, "\xC3(");
  expect_error(text, "users.csv:5:4: ", "invalid UTF-8 (byte 0x28)");  // 0xC3 may start; '(' may not go on
}

TEST_F(Malformed, RowsThatDoNotMapAreQuarantinedAndTheRestIsStored) {
  // Bad rows among good ones: an unknown role, no family name, an impossible birth date, a guardian
  // without a family name.
  const std::string t = "2026-12-01T06:00:00.000Z";
  std::string users = users_;
  users += "stf-x,active," + t + ",true,org-000,proctor,stf-x,,Piet,Pietersen,,stf-x,,,,,,,,\r\n";
  users += "stu-nofam,active," + t + ",true,org-000,student,stu-nofam,,Anna,,,stu-nofam,,,,,,,,\r\n";
  users += "stu-baddate,active," + t + ",true,org-000,student,stu-baddate,,Zoë,Çelik,,stu-baddate,,,,,,,,\r\n";
  users += "stu-good,active," + t + ",true,org-000,student,stu-good,,Ümit,Yılmaz,,stu-good,,,,,,,,\r\n";
  // A guardian's row is read and mapped after the pass over users; its place is still its own line.
  users += "grd-nofam,active," + t + ",true,org-000,parent,grd-nofam,,Els,,,grd-nofam,,,,stu-good,,,ja,\r\n";
  users += "grd-badids,active," + t + ",true,org-000,parent,grd-badids,{BSN,Els,Bakker,,grd-badids,,,,stu-good,,,ja,\r\n";
  write_text(bundle_ / "users.csv", users);
  std::string demo = read_text(bundle_ / "demographics.csv");
  demo += "stu-nofam,active," + t + ",2016-01-01,female,,,,,,,,,,,\r\n";
  demo += "stu-baddate,active," + t + ",2015-02-30,male,,,,,,,,,,,\r\n";
  demo += "stu-good,active," + t + ",2016-05-05,male,,,,,,,,,,,\r\n";
  write_text(bundle_ / "demographics.csv", demo);
  auto r = poll();
  ASSERT_EQ(r.code, plugin_host::CallCode::ok) << r.message;
  EXPECT_TRUE(by_key(store::Kind::student, "stu-good").has_value());
  EXPECT_EQ(all(store::Kind::student).size(), students_ + 1);

  std::map<std::string, std::string> reasons;  // source -> reason
  for (const auto& q : quarantined()) reasons[q.source] = q.reason;
  const auto lines = std::count(users_.begin(), users_.end(), '\n');
  const auto demo_lines = std::count(demo.begin(), demo.end(), '\n');
  EXPECT_EQ(reasons["users.csv:" + std::to_string(lines + 1)], "role 'proctor' has no Schakel role in staff_roles");
  EXPECT_EQ(reasons["users.csv:" + std::to_string(lines + 2)], "familyName is empty");
  EXPECT_EQ(reasons["demographics.csv:" + std::to_string(demo_lines - 1)],
            "birthDate: '2015-02-30' is not a date YYYY-MM-DD");
  // The student whose demographics row was refused cannot be mapped either.
  EXPECT_EQ(reasons["users.csv:" + std::to_string(lines + 3)], "no birthDate in demographics.csv");
  EXPECT_EQ(reasons["users.csv:" + std::to_string(lines + 5)], "familyName is empty");
  EXPECT_NE(reasons["users.csv:" + std::to_string(lines + 6)].find("userIds"), std::string::npos);
  EXPECT_EQ(reasons.size(), 6u);
  auto count = state_->get("sis", "rejected_rows");
  ASSERT_TRUE(count.is_ok() && count->has_value());
  EXPECT_EQ(**count, "6");
  // The connector's log names each, with its place and reason.
  std::lock_guard lock(mu_);
  EXPECT_EQ(std::count(logs_.begin(), logs_.end(),
                       "row not mapped: users.csv:" + std::to_string(lines + 2) + ": familyName is empty"),
            1);
}

// A 1.2 bundle's roles.csv is read on a thread of its own beside demographics.csv and the rest:
// its errors still stop the poll with file and line, before those of the files read beside it,
// and nothing stored is lost.
TEST_F(SisHost, ABrokenRolesFileReadBesideTheOthersNamesFileAndLine) {
  generate(bundle_, 30, "1.2");
  add();
  ASSERT_EQ(poll().code, plugin_host::CallCode::ok);
  const auto students = all(store::Kind::student).size();
  ASSERT_GT(students, 0u);
  const std::string roles = read_text(bundle_ / "roles.csv");
  const std::string demographics = read_text(bundle_ / "demographics.csv");
  const auto line3 = roles.find('\n', roles.find('\n') + 1) + 1;
  write_text(bundle_ / "roles.csv", roles.substr(0, line3) + "role-x,active,\"2026" + roles.substr(line3));
  auto r = poll();
  EXPECT_EQ(r.code, plugin_host::CallCode::reject);
  EXPECT_NE(r.message.find("roles.csv:3"), std::string::npos) << r.message;
  // Both broken: the roles file's error is the one reported, as when the files were read in turn.
  write_text(bundle_ / "demographics.csv", demographics.substr(0, demographics.size() / 2) + "\"");
  r = poll();
  EXPECT_EQ(r.code, plugin_host::CallCode::reject);
  EXPECT_NE(r.message.find("roles.csv:3"), std::string::npos) << r.message;
  write_text(bundle_ / "roles.csv", roles);
  r = poll();
  EXPECT_EQ(r.code, plugin_host::CallCode::reject);
  EXPECT_NE(r.message.find("demographics.csv:"), std::string::npos) << r.message;
  EXPECT_EQ(all(store::Kind::student).size(), students);
  for (const auto& s : all(store::Kind::student)) EXPECT_EQ(s.doc["status"], "active");
  write_text(bundle_ / "demographics.csv", demographics);
  EXPECT_EQ(poll().code, plugin_host::CallCode::ok);
}

}  // namespace
}  // namespace schakel::test
