#include "config/config.hpp"

#include <fstream>
#include <map>

#include <gtest/gtest.h>

#include "../../../support/temp_dir.hpp"

using namespace schakel;

namespace {

const schema::SchemaSet& schemas() {
  static const auto set = [] {
    auto s = schema::SchemaSet::load(std::filesystem::path(SCHAKEL_SOURCE_DIR) / "schemas");
    if (!s) throw std::runtime_error(s.status().message());
    return std::move(s.value());
  }();
  return set;
}

config::EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

std::vector<std::string> error_lines(const config::LoadResult& r) {
  std::vector<std::string> out;
  for (const auto& e : r.errors) out.push_back(e.to_string());
  return out;
}

bool contains(const std::vector<std::string>& lines, const std::string& needle) {
  for (const auto& l : lines)
    if (l.find(needle) != std::string::npos) return true;
  return false;
}

const char* k_minimal = R"(version: 1
instance:
  name: t
  data_dir: data
)";

}  // namespace

TEST(Config, MinimalConfigLoadsWithDefaults) {
  auto r = config::load_config_text(k_minimal, "/etc/schakel/schakel.yaml", schemas(), env_of({}));
  ASSERT_TRUE(r.config) << error_lines(r).front();
  EXPECT_EQ(r.config->instance_name(), "t");
  EXPECT_EQ(r.config->data_dir(), "/etc/schakel/data");
  EXPECT_EQ(r.config->log_format(), "text");
  EXPECT_EQ(r.config->store_busy_timeout_ms(), 5000);
}

TEST(Config, EveryErrorNamesFileLineColumnAndPath) {
  const std::string text = R"(version: 1
instance:
  name: t
  data_dir: data
  colour: blue
schools:
  - brin: 12ab
    naam: School
connectors:
  - id: swv
    plugin: referral-portal
    call_timeout_ms: fast
)";
  auto r = config::load_config_text(text, "cfg/s.yaml", schemas(), env_of({}));
  ASSERT_FALSE(r.config);
  const auto lines = error_lines(r);
  EXPECT_TRUE(contains(lines, "cfg/s.yaml:7:11: schools[0].brin:")) << ::testing::PrintToString(lines);
  EXPECT_TRUE(contains(lines, "cfg/s.yaml:12:22: connectors[0].call_timeout_ms:")) << ::testing::PrintToString(lines);
  EXPECT_TRUE(contains(lines, "cfg/s.yaml:5:3: instance.colour: unknown property")) << ::testing::PrintToString(lines);
}

TEST(Config, CrossReferencesAreChecked) {
  const std::string text = std::string(k_minimal) + R"(connectors:
  - {id: a, plugin: webhook}
  - {id: a, plugin: webhook}
routes:
  - id: r1
    trigger: referral.queued
    projection: referral
    connector: nope
    recipient: {organisation: SWV}
    purpose: swv_request
    processing_activity: x
    denied: redact
)";
  auto r = config::load_config_text(text, "s.yaml", schemas(), env_of({}));
  ASSERT_FALSE(r.config);
  const auto lines = error_lines(r);
  EXPECT_TRUE(contains(lines, "s.yaml:7:5: connectors[1]: duplicate connector id 'a'")) << ::testing::PrintToString(lines);
  EXPECT_TRUE(contains(lines, "s.yaml:12:16: routes[0].connector: unknown connector 'nope'")) << ::testing::PrintToString(lines);
}

TEST(Config, YamlSyntaxAndDuplicateKeys) {
  auto r = config::load_config_text("version: 1\ninstance: [unclosed\n", "s.yaml", schemas(), env_of({}));
  ASSERT_FALSE(r.config);
  EXPECT_EQ(r.errors.at(0).file, "s.yaml");
  EXPECT_GE(r.errors.at(0).mark.line, 2);

  r = config::load_config_text(std::string(k_minimal) + "version: 1\n", "s.yaml", schemas(), env_of({}));
  ASSERT_FALSE(r.config);
  EXPECT_TRUE(contains(error_lines(r), "s.yaml:5:1: version: duplicate key 'version'")) << error_lines(r).front();
}

TEST(Config, SecretsResolveAndNeverShow) {
  test::TempDir dir;
  std::ofstream(dir.path() / "secret.txt") << "file-secret-value\n";
  const std::string text = std::string(k_minimal) + R"(connectors:
  - id: swv
    plugin: referral-portal
    settings:
      client_secret: ${env:SWV_SECRET}
      other: "Bearer ${file:secret.txt}"
)";
  auto r = config::load_config_text(text, dir.path() / "s.yaml", schemas(), env_of({{"SWV_SECRET", "env-secret-value"}}));
  ASSERT_TRUE(r.config) << error_lines(r).front();
  const auto& settings = r.config->doc["connectors"][0]["settings"];
  EXPECT_EQ(settings["client_secret"], "env-secret-value");
  EXPECT_EQ(settings["other"], "Bearer file-secret-value");
  const std::string shown = r.config->redacted().dump();
  EXPECT_EQ(shown.find("secret-value"), std::string::npos);
  EXPECT_NE(shown.find("<secret>"), std::string::npos);

  auto missing = config::load_config_text(text, dir.path() / "s.yaml", schemas(), env_of({}));
  ASSERT_FALSE(missing.config);
  EXPECT_TRUE(contains(error_lines(missing), ":9:22: connectors[0].settings.client_secret: environment variable SWV_SECRET is not set"))
      << error_lines(missing).front();
  std::filesystem::remove(dir.path() / "secret.txt");
  auto unreadable = config::load_config_text(text, dir.path() / "s.yaml", schemas(), env_of({{"SWV_SECRET", "env-secret-value"}}));
  ASSERT_FALSE(unreadable.config);
  const auto lines = error_lines(unreadable);
  EXPECT_TRUE(contains(lines, "secret.txt cannot be read"));
  for (const auto& l : lines) EXPECT_EQ(l.find("env-secret-value"), std::string::npos);
}

TEST(Config, ShippedConfigsAreValid) {
  const std::filesystem::path dir = std::filesystem::path(SCHAKEL_SOURCE_DIR) / "config";
  for (const char* name : {"demo.yaml", "production.example.yaml"}) {
    auto r = config::load_config(dir / name, schemas(), env_of({{"SWV_PORTAL_CLIENT_SECRET", "x"}}));
    EXPECT_TRUE(r.config) << name << ": " << (r.errors.empty() ? "" : r.errors.front().to_string());
  }
}
