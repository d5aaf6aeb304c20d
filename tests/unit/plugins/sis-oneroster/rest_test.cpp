// The REST binding: the sis-oneroster plugin in the real plugin host, a real SQLite store, and the
// fake OneRoster server over TLS (tests/fakes/oneroster), faults included.
#include <set>

#include "oneroster_fake.hpp"
#include "sis_fixture.hpp"

namespace schakel::test {
namespace {

constexpr const char* k_secret = "s3cr3t-las-Zoë";

class RestSync : public SisHost, public ::testing::WithParamInterface<std::string> {
 protected:
  static void SetUpTestSuite() {
    fake_dir_ = new TempDir();
    fake_ = new OneRosterFake(fake_dir_->path(), k_secret);
  }
  static void TearDownTestSuite() {
    delete fake_;
    delete fake_dir_;
  }
  void SetUp() override {
    SisHost::SetUp();
    fake_->control("POST", "/reset");
  }
  void TearDown() override {
    SisHost::TearDown();
    // Neither the secret nor a token ever reaches a log line.
    for (const auto& line : logs_) EXPECT_EQ(line.find(k_secret), std::string::npos) << line;
    EXPECT_EQ(fake_->log().find(k_secret), std::string::npos);
  }

  void add_rest(json extra = json::object()) {
    const std::string v = GetParam();
    json s = {{"base_url", fake_->base_url(v)}, {"oneroster_version", v},
              {"token_url", fake_->origin() + "/oauth/token"}, {"client_id", OneRosterFake::k_client_id},
              {"client_secret", k_secret}, {"ca_file", fake_->ca_file()}, {"swv_code", "PO2701"},
              {"page_size", 7}, {"gezag_column", "metadata.nl.gezag"}};
    s.update(extra);
    auto st = host_->add_connector({"sis", plugin_, std::nullopt, s});
    ASSERT_TRUE(st.is_ok()) << st.message();
  }
  // Every student in `expected` is stored with the expected name and status, and nobody else.
  void expect_students(const json& expected) {
    for (const auto& [key, want] : expected["students"].items()) {
      auto e = by_key(store::Kind::student, key);
      ASSERT_TRUE(e.has_value()) << key;
      EXPECT_EQ(e->doc["naam"]["achternaam"], want["achternaam"]) << key;
      EXPECT_EQ(e->doc["naam"].value("voorvoegsel", ""), want["voorvoegsel"]) << key;
      EXPECT_EQ(e->doc["status"], want["status"]) << key;
      EXPECT_EQ(e->active, want["status"] == "active") << key;
    }
    EXPECT_EQ(all(store::Kind::student).size(), expected["students"].size());
  }
  std::vector<json> users_requests() {
    std::vector<json> out;
    for (auto& r : fake_->requests())
      if (r["path"].get<std::string>().find("/users?") != std::string::npos) out.push_back(r);
    return out;
  }
  void bulk_then_poll(int students = 30) {
    generate(bundle_, students, GetParam(), 0, work_.path() / "bulk.json");
    fake_->load(bundle_);
    add_rest();
    auto r = poll();
    ASSERT_EQ(r.code, plugin_host::CallCode::ok) << r.message;
    expect_students(read_json(work_.path() / "bulk.json"));
  }

  static TempDir* fake_dir_;
  static OneRosterFake* fake_;
  friend void fail_then_complete(RestSync& t, const json& fault);
};
TempDir* RestSync::fake_dir_ = nullptr;
OneRosterFake* RestSync::fake_ = nullptr;

TEST_P(RestSync, FullThenIncrementalKeepsTheStoreEqualToTheServer) {
  bulk_then_poll(40);
  auto bulk = read_json(work_.path() / "bulk.json");
  EXPECT_EQ(all(store::Kind::staff).size(), bulk["staff"].get<std::size_t>());
  EXPECT_EQ(all(store::Kind::school).size(), bulk["schools"].get<std::size_t>());
  for (const auto& [key, want] : bulk["guardians"].items()) {
    auto g = by_key(store::Kind::guardian, key);
    ASSERT_TRUE(g.has_value()) << key;
    EXPECT_EQ(g->doc["children"].size(), want["children"].size()) << key;
    const std::string las = want["gezag"];
    EXPECT_EQ(g->doc["children"][0]["gezag"], las == "ja" ? "yes" : las == "nee" ? "no" : "unknown") << key;
  }
  EXPECT_TRUE(quarantined().empty());
  // Paging: more users than one page of 7, every page asked for with limit and a growing offset.
  auto first = users_requests();
  ASSERT_GT(first.size(), 4u);
  EXPECT_NE(first[1]["path"].get<std::string>().find("limit=7&offset=7"), std::string::npos) << first[1]["path"];
  for (const auto& r : first) EXPECT_EQ(r["path"].get<std::string>().find("filter="), std::string::npos);

  // The delta adds, changes and tombstones students; the next poll asks only for what changed.
  const std::size_t before = users_requests().size();
  generate(bundle_, 40, GetParam(), 5, work_.path() / "delta.json");
  fake_->load(bundle_, true);
  auto r = poll();
  ASSERT_EQ(r.code, plugin_host::CallCode::ok) << r.message;
  auto delta = read_json(work_.path() / "delta.json");
  expect_students(delta);
  int left = 0;
  for (const auto& s : all(store::Kind::student)) left += s.doc["status"] == "left";
  EXPECT_EQ(left, 5);
  auto later = users_requests();
  ASSERT_GT(later.size(), before);
  const std::string filtered = later[before]["path"];
  EXPECT_NE(filtered.find("filter=dateLastModified%3E%272026-09-01T06%3A00%3A00"), std::string::npos) << filtered;
  // Only the delta's users came back: far fewer pages than the full listing.
  EXPECT_LT(later.size() - before, first.size());
}

// A change that touches only a student's demographics or only an enrollment has a later
// dateLastModified on that object, not on the user: the incremental poll lists each collection
// since the cursor and emits the students those changes touch, whole (what did not change is
// looked up by key), and nobody else.
TEST_P(RestSync, AnIncrementalPollFoldsInChangedDemographicsAndEnrollments) {
  bulk_then_poll(20);
  auto a = by_key(store::Kind::student, "stu-000001");
  auto b = by_key(store::Kind::student, "stu-000002");
  ASSERT_TRUE(a && b);
  const std::string org_b = b->doc["school_id"].get<std::string>().substr(std::string("school-").size());
  const int grade_b = b->doc["jaargroep"].get<int>();
  const int new_grade = grade_b == 8 ? 1 : grade_b + 1;
  const std::string later = "2026-10-15T08:00:00.000Z";
  auto ref = [](const std::string& type, const std::string& id) {
    return json{{"href", "/" + type + "s/" + id}, {"sourcedId", id}, {"type", type}};
  };
  // a: a corrected birth date, nothing else.
  fake_->control("POST", "/objects/demographics",
                 {{"objects", json::array({{{"sourcedId", "stu-000001"}, {"status", "active"}, {"dateLastModified", later},
                                            {"metadata", json::object()}, {"birthDate", "2015-02-03"}, {"sex", "female"}}})}});
  // b: moved to the next groep (its enrollment changed), nothing else.
  fake_->control("POST", "/objects/enrollments",
                 {{"objects", json::array({{{"sourcedId", "enr-stu-000002"}, {"status", "active"}, {"dateLastModified", later},
                                            {"metadata", json::object()}, {"role", "student"}, {"primary", false},
                                            {"user", ref("user", "stu-000002")},
                                            {"class", ref("class", "cls-" + org_b + "-" + std::to_string(new_grade))},
                                            {"school", ref("org", org_b)}, {"beginDate", nullptr}, {"endDate", nullptr}}})}});
  const auto stored_before = all(store::Kind::student);
  auto r = poll();
  ASSERT_EQ(r.code, plugin_host::CallCode::ok) << r.message;
  auto a2 = by_key(store::Kind::student, "stu-000001");
  auto b2 = by_key(store::Kind::student, "stu-000002");
  ASSERT_TRUE(a2 && b2);
  EXPECT_EQ(a2->doc["birth_date"], "2015-02-03");
  EXPECT_EQ(a2->doc["gender"], "female");
  EXPECT_EQ(a2->doc.value("groep", ""), a->doc.value("groep", "")) << "a's unchanged enrollment was looked up";
  EXPECT_EQ(a2->source_version, "2026-10-15T08:00:00.000000Z");
  EXPECT_EQ(b2->doc["groep"], "Groep " + std::to_string(new_grade) + "A");
  EXPECT_EQ(b2->doc["jaargroep"], new_grade);
  EXPECT_EQ(b2->doc["birth_date"], b->doc["birth_date"]) << "b's unchanged demographics were looked up";
  EXPECT_EQ(b2->doc["naam"], b->doc["naam"]);
  // Everybody else is as before.
  for (const auto& s : stored_before) {
    if (s.source_key == "stu-000001" || s.source_key == "stu-000002") continue;
    auto now = by_key(store::Kind::student, s.source_key);
    ASSERT_TRUE(now) << s.source_key;
    EXPECT_EQ(now->doc, s.doc) << s.source_key;
  }
  EXPECT_TRUE(quarantined().empty());
  // The changed collections were asked for since the cursor, not listed whole.
  int filtered = 0;
  for (auto& req : fake_->requests()) {
    const std::string path = req["path"];
    if ((path.find("/demographics?") != std::string::npos || path.find("/enrollments?") != std::string::npos) &&
        path.find("filter=dateLastModified%3E") != std::string::npos)
      ++filtered;
  }
  EXPECT_GE(filtered, 2);
  // A poll with nothing changed changes nothing.
  r = poll();
  ASSERT_EQ(r.code, plugin_host::CallCode::ok) << r.message;
  EXPECT_EQ(by_key(store::Kind::student, "stu-000002")->doc, b2->doc);
}

TEST_P(RestSync, RetryAfterOn429And503IsWaitedOutWithinThePoll) {
  generate(bundle_, 20, GetParam(), 0, work_.path() / "bulk.json");
  fake_->load(bundle_);
  fake_->faults({{{"pass", true}}, {{"status", 429}, {"retry_after", 0}}, {{"status", 503}}, {{"pass", true}},
                 {{"status", 429}}});
  add_rest();
  auto r = poll();
  ASSERT_EQ(r.code, plugin_host::CallCode::ok) << r.message;
  expect_students(read_json(work_.path() / "bulk.json"));
  int busy = 0;
  for (const auto& q : fake_->requests()) busy += q["status"] == 429 || q["status"] == 503;
  EXPECT_EQ(busy, 3);
}

TEST_P(RestSync, ALongRetryAfterEndsThePollWithThatWaitAndKeepsTheCursor) {
  generate(bundle_, 20, GetParam());
  fake_->load(bundle_);
  fake_->faults({{{"pass", true}}, {{"pass", true}}, {{"status", 503}, {"retry_after", 120}}});
  add_rest();
  auto r = poll();
  ASSERT_EQ(r.code, plugin_host::CallCode::retry) << r.message;
  EXPECT_NE(r.message.find("HTTP 503"), std::string::npos) << r.message;
  EXPECT_EQ(r.retry_after, std::chrono::milliseconds(120'000));
  EXPECT_FALSE(state_->get("sis", "cursor")->has_value());
  ASSERT_EQ(poll().code, plugin_host::CallCode::ok);
  EXPECT_TRUE(state_->get("sis", "cursor")->has_value());
}

// orgs, classes, then `fault` on the first enrollments page: the poll says retry and leaves the
// cursor; the next poll completes the sync.
void fail_then_complete(RestSync& t, const json& fault);

TEST_P(RestSync, A500FailsThePollAndTheNextPollCompletesIt) { fail_then_complete(*this, {{"status", 500}}); }
TEST_P(RestSync, ATruncatedPageFailsThePollAndTheNextPollCompletesIt) {
  fail_then_complete(*this, {{"truncate", true}});
}

TEST_P(RestSync, AShortPageLosesNothing) {
  generate(bundle_, 30, GetParam(), 0, work_.path() / "bulk.json");
  fake_->load(bundle_);
  // A page cut to half while X-Total-Count and Link still promise a full one, on every listing.
  json script = json::array();
  for (int i = 0; i < 12; ++i) script.push_back({{"short_page", true}});
  fake_->faults(script);
  add_rest();
  auto r = poll();
  ASSERT_EQ(r.code, plugin_host::CallCode::ok) << r.message;
  expect_students(read_json(work_.path() / "bulk.json"));
}

TEST_P(RestSync, AnExpiredTokenIsReplacedOnce) {
  bulk_then_poll();
  fake_->control("POST", "/tokens/expire");
  auto r = poll();
  ASSERT_EQ(r.code, plugin_host::CallCode::ok) << r.message;
  int tokens = 0, refused = 0;
  for (const auto& q : fake_->requests()) {
    tokens += q["path"] == "/oauth/token";
    refused += q["status"] == 401;
  }
  EXPECT_EQ(tokens, 2);
  EXPECT_EQ(refused, 1);
}

TEST_P(RestSync, ATimedOutPageFailsThePollAsRetry) {
  generate(bundle_, 10, GetParam());
  fake_->load(bundle_);
  fake_->faults({{{"pass", true}}, {{"delay_ms", 3000}}});
  add_rest({{"read_timeout_ms", 300}});
  auto r = poll();
  EXPECT_EQ(r.code, plugin_host::CallCode::retry) << r.message;
}

TEST_P(RestSync, AFullResyncRetiresStudentsTheServerNoLongerHas) {
  generate(bundle_, 40, GetParam(), 0, work_.path() / "bulk.json");
  fake_->load(bundle_);
  add_rest({{"full_resync", true}});
  ASSERT_EQ(poll().code, plugin_host::CallCode::ok);
  expect_students(read_json(work_.path() / "bulk.json"));
  generate(bundle_, 30, GetParam(), 0, work_.path() / "smaller.json");
  fake_->load(bundle_);
  auto r = poll();
  ASSERT_EQ(r.code, plugin_host::CallCode::ok) << r.message;
  auto smaller = read_json(work_.path() / "smaller.json");
  auto bulk = read_json(work_.path() / "bulk.json");
  int left = 0;
  for (const auto& [key, want] : bulk["students"].items()) {
    auto e = by_key(store::Kind::student, key);
    ASSERT_TRUE(e.has_value()) << key;  // never deleted
    const bool kept = smaller["students"].contains(key);
    EXPECT_EQ(e->doc["status"], kept ? "active" : "left") << key;
    EXPECT_EQ(e->active, kept) << key;
    left += !kept;
  }
  EXPECT_GT(left, 0);
}

TEST_P(RestSync, CheckNamesAWrongSecret) {
  generate(bundle_, 5, GetParam());
  fake_->load(bundle_);
  add_rest({{"client_secret", "wrong"}});
  auto r = host_->check("sis").get();
  EXPECT_EQ(r.code, plugin_host::CallCode::reject) << r.message;
  EXPECT_NE(r.message.find("401"), std::string::npos) << r.message;
}

void fail_then_complete(RestSync& t, const json& fault) {
  generate(t.bundle_, 20, t.GetParam(), 0, t.work_.path() / "bulk.json");
  t.fake_->load(t.bundle_);
  t.fake_->faults({{{"pass", true}}, {{"pass", true}}, {{"pass", true}}, {{"pass", true}}, fault});
  t.add_rest();
  auto r = t.poll();
  EXPECT_EQ(r.code, plugin_host::CallCode::retry) << r.message;
  EXPECT_FALSE(t.state_->get("sis", "cursor")->has_value()) << "a failed pass must not move the cursor";
  r = t.poll();
  ASSERT_EQ(r.code, plugin_host::CallCode::ok) << r.message;
  t.expect_students(read_json(t.work_.path() / "bulk.json"));
}

INSTANTIATE_TEST_SUITE_P(Versions, RestSync, ::testing::Values("1.1", "1.2"),
                         [](const auto& p) { return p.param == "1.1" ? "v1_1" : "v1_2"; });

}  // namespace
}  // namespace schakel::test
