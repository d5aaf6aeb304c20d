// The loader against real shared libraries: every refusal names the file and why.
#include <sys/stat.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "plugin_fixture.hpp"
#include "plugin_host/library.hpp"

namespace schakel::plugin_host::test {
namespace {

using ::testing::HasSubstr;

class LibraryTest : public PluginHostTest {
 protected:
  Status open(const fs::path& path, std::optional<std::string> pin = std::nullopt) {
    auto lib = PluginLibrary::open(path, options().load, pin);
    return lib.status();
  }
};

TEST_F(LibraryTest, LoadsTheDemoPlugins) {
  auto lib = PluginLibrary::open(install("schakel_demo_source"), options().load, std::nullopt);
  ASSERT_TRUE(lib) << lib.status().message();
  EXPECT_EQ((*lib)->name(), "demo-source");
  EXPECT_EQ((*lib)->version(), "0.1.0");
  EXPECT_EQ((*lib)->manifest().kind, PluginKind::source);
  EXPECT_EQ((*lib)->manifest().streams.count("pupils"), 1u);
  auto sink = PluginLibrary::open(install("schakel_noop_sink"), options().load, std::nullopt);
  ASSERT_TRUE(sink) << sink.status().message();
  EXPECT_TRUE((*sink)->manifest().has_capability("revoke"));
}

TEST_F(LibraryTest, MissingSymbol) {
  const auto path = install("broken_missing_symbol");
  const auto st = open(path);
  EXPECT_THAT(st.message(), HasSubstr("plugin " + path.string() + ": does not export schakel_plugin_entry"));
}

TEST_F(LibraryTest, WrongMajor) {
  const auto path = install("broken_wrong_major");
  EXPECT_THAT(open(path).message(), HasSubstr("plugin " + path.string() + ": ABI major 2, host supports 1"));
}

TEST_F(LibraryTest, NewerMinor) {
  const auto path = install("broken_newer_minor");
  EXPECT_THAT(open(path).message(),
              HasSubstr("plugin " + path.string() + ": built for ABI 1.1, newer than this host's 1.0"));
}

TEST_F(LibraryTest, InvalidManifestListsEveryViolation) {
  const auto path = install("broken_invalid_manifest");
  const auto msg = open(path).message();
  EXPECT_THAT(msg, HasSubstr("plugin " + path.string() + ": invalid manifest:"));
  EXPECT_THAT(msg, HasSubstr("manifest/kind:"));
  EXPECT_THAT(msg, HasSubstr("manifest/capabilities/0:"));
  EXPECT_THAT(msg, HasSubstr("manifest: Missing required property 'config_schema'"));
}

TEST_F(LibraryTest, RefusesAFileWritableByOthers) {
  const auto path = install("schakel_noop_sink");
  ::chmod(path.c_str(), 0775);
  EXPECT_THAT(open(path).message(),
              HasSubstr("plugin " + path.string() + ": the file is writable by group or others (mode 0775)"));
}

TEST_F(LibraryTest, RefusesAFileOwnedBySomeoneElse) {
  const auto path = install("schakel_noop_sink");
  auto load = options().load;
  if (::geteuid() == 0) {
    ASSERT_EQ(::chown(path.c_str(), 4242, 4242), 0);
  } else {
    load.daemon_uid = ::geteuid() + 1;  // the file is ours, neither root's nor the daemon's
  }
  const auto st = PluginLibrary::open(path, load, std::nullopt).status();
  EXPECT_THAT(st.message(), HasSubstr("plugin " + path.string() + ": the file is owned by uid"));
}

TEST_F(LibraryTest, RefusesFilesOutsideThePluginDirectories) {
  schakel::test::TempDir elsewhere;
  const auto outside = install_plugin(elsewhere.path(), "schakel_noop_sink");
  EXPECT_THAT(open(outside).message(), HasSubstr("not inside a configured plugin directory"));
  // A symlink in the plugin directory does not make an outside file acceptable.
  const auto link = dir_.path() / "libsneaky.so";
  fs::create_symlink(outside, link);
  EXPECT_THAT(open(link).message(),
              HasSubstr("plugin " + link.string() + ": not inside a configured plugin directory"));
}

TEST_F(LibraryTest, ChecksTheSha256Pin) {
  const auto path = install("schakel_noop_sink");
  auto lib = PluginLibrary::open(path, options().load, std::nullopt);
  ASSERT_TRUE(lib);
  const std::string hash = (*lib)->sha256();
  ASSERT_EQ(hash.size(), 64u);
  std::string upper = hash;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_TRUE(open(path, upper).is_ok());
  const std::string wrong(64, '0');
  EXPECT_THAT(open(path, wrong).message(),
              HasSubstr("plugin " + path.string() + ": SHA-256 is " + hash + " but the configuration pins " + wrong));
}

TEST_F(LibraryTest, NamesAFileThatIsNotThere) {
  EXPECT_THAT(open(dir_.path() / "libnothing.so").message(),
              HasSubstr("plugin " + (dir_.path() / "libnothing.so").string() + ": cannot resolve"));
}

}  // namespace
}  // namespace schakel::plugin_host::test
