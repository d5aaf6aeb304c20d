// `schakel plugins inspect`: the manifest and the config options generated from the schema.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "plugin_fixture.hpp"
#include "plugin_host/inspect.hpp"

namespace schakel::plugin_host::test {
namespace {

using ::testing::HasSubstr;

class InspectTest : public PluginHostTest {};

TEST_F(InspectTest, ListsConfigOptionsFromTheSchema) {
  const auto text = inspect_plugin(install("broken_config_violation"), options().load);
  ASSERT_TRUE(text) << text.status().message();
  EXPECT_THAT(*text, HasSubstr("plugin:       broken 0.0.1"));
  EXPECT_THAT(*text, HasSubstr("kind:         sink"));
  EXPECT_THAT(*text, HasSubstr("base_url  (string, required)\n      Where to send."));
  EXPECT_THAT(*text, HasSubstr("timeout_ms  (integer, required, default 5000)"));
  EXPECT_THAT(*text, HasSubstr("retries  (integer, optional)"));
  EXPECT_THAT(*text, HasSubstr("\"additionalProperties\": false"));
}

TEST_F(InspectTest, FlattensNestedOptions) {
  const auto opts = config_options(nlohmann::json::parse(R"({
    "type": "object", "required": ["tls"],
    "properties": {"tls": {"type": "object", "required": ["ca_file"],
                           "properties": {"ca_file": {"type": "string", "description": "CA bundle"}}},
                   "mode": {"enum": ["a", "b"], "default": "a"}}})"));
  ASSERT_EQ(opts.size(), 3u);
  EXPECT_EQ(opts[0].key, "mode");
  EXPECT_EQ(opts[0].type, "\"a\"|\"b\"");
  EXPECT_EQ(opts[0].default_value, "\"a\"");
  EXPECT_EQ(opts[1].key, "tls");
  EXPECT_TRUE(opts[1].required);
  EXPECT_EQ(opts[2].key, "tls.ca_file");
  EXPECT_TRUE(opts[2].required);
  EXPECT_EQ(opts[2].description, "CA bundle");
}

TEST_F(InspectTest, ARefusedPluginSaysWhy) {
  const auto path = install("broken_wrong_major");
  EXPECT_THAT(inspect_plugin(path, options().load).status().message(), HasSubstr("ABI major 2"));
}

}  // namespace
}  // namespace schakel::plugin_host::test
