// Bundles in a .zip (read in place, with clear errors for a damaged or hostile archive) and the
// reconcile of a full users file: who is no longer in it is marked left, never deleted.
#include "sis_fixture.hpp"

namespace schakel::test {
namespace {

// Zips `dir` with Python's zipfile (an independent writer); `extra` adds entries by name.
void zip_dir(const std::filesystem::path& dir, const std::filesystem::path& zip, const std::string& folder = "",
             const std::string& extra_entry = "", bool drop_manifest = false) {
  std::string py = "import os,sys,zipfile\n"
                   "d,z,folder,extra,drop=sys.argv[1:6]\n"
                   "with zipfile.ZipFile(z,'w',zipfile.ZIP_DEFLATED) as f:\n"
                   "  for n in sorted(os.listdir(d)):\n"
                   "    if drop=='1' and n=='manifest.csv': continue\n"
                   "    f.write(os.path.join(d,n),folder+n)\n"
                   "  if extra: f.writestr(extra,'x')\n";
  write_text(zip.parent_path() / "zip.py", py);
  std::string cmd = "python3 '" + (zip.parent_path() / "zip.py").string() + "' '" + dir.string() + "' '" + zip.string() +
                    "' '" + folder + "' '" + extra_entry + "' " + (drop_manifest ? "1" : "0");
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
}

class ZipBundle : public SisHost {
 protected:
  void add_zip() {
    auto st = host_->add_connector({"sis", plugin_, std::nullopt,
                                    json{{"bundle_zip", zip_.string()}, {"swv_code", "PO2701"}}});
    ASSERT_TRUE(st.is_ok()) << st.message();
  }
  std::filesystem::path zip_ = work_.path() / "export.zip";
};

TEST_F(ZipBundle, AZippedBundleImportsLikeTheDirectory) {
  for (const std::string folder : {"", "export-2026/"}) {
    SCOPED_TRACE(folder);
    generate(bundle_, 30, "1.2", 0, work_.path() / "bulk.json");
    zip_dir(bundle_, zip_, folder);
    if (!host_->status("sis")) add_zip();
    ASSERT_TRUE(state_->put("sis", "cursor", "").is_ok());
    auto r = poll();
    ASSERT_EQ(r.code, plugin_host::CallCode::ok) << r.message;
    auto bulk = read_json(work_.path() / "bulk.json");
    EXPECT_EQ(all(store::Kind::student).size(), bulk["students"].size());
    EXPECT_EQ(all(store::Kind::staff).size(), bulk["staff"].get<std::size_t>());
    EXPECT_TRUE(quarantined().empty());
  }
  EXPECT_EQ(host_->check("sis").get().code, plugin_host::CallCode::ok);
}

TEST_F(ZipBundle, ADamagedOrHostileArchiveIsRefusedWithItsNameAndTheReason) {
  generate(bundle_, 10, "1.1");
  struct Case {
    std::string name, want;
    std::function<void()> make;
  };
  const std::vector<Case> cases = {
      {"not a zip", "not a readable zip archive", [&] { write_text(zip_, "PK\x03\x04 this is no archive"); }},
      {"cut short", "not a readable zip archive",
       [&] {
         zip_dir(bundle_, zip_);
         auto bytes = read_text(zip_);
         write_text(zip_, bytes.substr(0, bytes.size() / 2));
       }},
      {"no manifest", "has no manifest.csv", [&] { zip_dir(bundle_, zip_, "", "", true); }},
      {"zip slip", "'../../etc/cron.d/x' is refused", [&] { zip_dir(bundle_, zip_, "", "../../etc/cron.d/x"); }},
      {"absolute", "'/tmp/x.csv' is refused", [&] { zip_dir(bundle_, zip_, "", "/tmp/x.csv"); }},
      {"damaged data", "users.csv",
       [&] {
         zip_dir(bundle_, zip_);
         // Flip bytes inside users.csv's compressed data: the CRC (or inflate) must catch it.
         auto bytes = read_text(zip_);
         auto at = bytes.find("users.csv");
         ASSERT_NE(at, std::string::npos);
         for (std::size_t i = at + 200; i < at + 260 && i < bytes.size(); ++i) bytes[i] = static_cast<char>(bytes[i] ^ 0x5a);
         write_text(zip_, bytes);
       }},
  };
  add_zip();
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    c.make();
    auto r = poll();
    EXPECT_EQ(r.code, plugin_host::CallCode::reject) << r.message;
    EXPECT_NE(r.message.find(zip_.string()), std::string::npos) << r.message;
    EXPECT_NE(r.message.find(c.want), std::string::npos) << r.message;
    EXPECT_EQ(host_->check("sis").get().code, plugin_host::CallCode::reject);
  }
  EXPECT_TRUE(all(store::Kind::student).empty());
}

TEST_F(SisHost, AFullBulkMarksStudentsNoLongerInItLeftAndNeverDeletesThem) {
  generate(bundle_, 60, "1.2", 0, work_.path() / "bulk.json");
  add();
  ASSERT_EQ(poll().code, plugin_host::CallCode::ok);
  const auto before = read_json(work_.path() / "bulk.json");
  // The known keys are the state's text: one a line, sorted. State in another order (written by
  // hand, or by an older version) is put in order: here reversed, with a repeat and no last newline.
  auto known = state_->get("sis", "known.students");
  ASSERT_TRUE(known.is_ok() && known->has_value());
  std::vector<std::string> keys;
  for (const auto& [key, want] : before["students"].items()) keys.push_back(key);
  std::sort(keys.begin(), keys.end());
  std::string expected;
  for (const auto& k : keys) expected += k + "\n";
  EXPECT_EQ(**known, expected);
  std::string shuffled = keys.front();
  for (const auto& k : keys) shuffled = k + "\n" + shuffled;
  ASSERT_TRUE(state_->put("sis", "known.students", shuffled).is_ok());
  // The next export has fewer families: the rest moved away.
  generate(bundle_, 45, "1.2", 0, work_.path() / "smaller.json");
  ASSERT_EQ(poll().code, plugin_host::CallCode::ok);
  const auto after = read_json(work_.path() / "smaller.json");
  int left = 0;
  for (const auto& [key, want] : before["students"].items()) {
    auto e = by_key(store::Kind::student, key);
    ASSERT_TRUE(e.has_value()) << key << " was deleted";
    const bool kept = after["students"].contains(key);
    EXPECT_EQ(e->doc["status"], kept ? "active" : "left") << key;
    EXPECT_EQ(e->active, kept) << key;
    left += !kept;
  }
  EXPECT_GT(left, 0);
  EXPECT_EQ(all(store::Kind::student).size(), before["students"].size());
  // A delta never retires anyone it does not name.
  generate(bundle_, 45, "1.2", 2, work_.path() / "delta.json");
  ASSERT_EQ(poll().code, plugin_host::CallCode::ok);
  int left_after_delta = 0;
  for (const auto& s : all(store::Kind::student)) left_after_delta += s.doc["status"] == "left";
  EXPECT_EQ(left_after_delta, left + 2);
}

TEST_F(SisHost, AStaleFullBulkRetiresNobody) {
  add({{"full_resync", true}});
  generate(bundle_, 40, "1.1");
  ASSERT_EQ(poll().code, plugin_host::CallCode::ok);
  generate(bundle_, 40, "1.1", 4, work_.path() / "delta.json");  // adds 4 students
  ASSERT_EQ(poll().code, plugin_host::CallCode::ok);
  generate(bundle_, 40, "1.1");  // the old export again: older than what is stored
  ASSERT_EQ(poll().code, plugin_host::CallCode::ok);
  auto delta = read_json(work_.path() / "delta.json");
  for (const auto& [key, want] : delta["students"].items())
    EXPECT_EQ(by_key(store::Kind::student, key)->doc["status"], want["status"]) << key;
}

}  // namespace
}  // namespace schakel::test
