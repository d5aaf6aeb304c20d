// Routes from the configuration, checked against the connectors' manifests.
#include <gtest/gtest.h>

#include "config/yaml_json.hpp"
#include "routing/route.hpp"

namespace schakel::routing {
namespace {

constexpr const char* k_yaml = R"(version: 1
routes:
  - id: referral-to-swv
    trigger: referral.queued
    projection: referral
    connector: swv-portal
    recipient: {organisation: SWV PO 27-01, role: education_specialist, name: Loket}
    purpose: swv_request
    processing_activity: Aanvraag arrangement
    denied: redact
  - id: to-a-source
    trigger: meeting.planned
    projection: meeting
    connector: las-import
    recipient: {organisation: School}
    purpose: calendar
    processing_activity: Agenda
    denied: block
  - id: nowhere
    trigger: meeting.changed
    projection: referral
    connector: nobody
    recipient: {organisation: X}
    purpose: gossip
    processing_activity: none
    denied: block
  - id: odd-categories
    trigger: case.stage_reached
    projection: case
    connector: odd
    recipient: {organisation: X}
    purpose: ot_meeting
    processing_activity: OT
    denied: redact
)";

ConnectorLookup manifests() {
  return [](const std::string& id) -> std::optional<ConnectorInfo> {
    if (id == "swv-portal") return ConnectorInfo{true, true, "sink", {"identity", "case"}};
    if (id == "las-import") return ConnectorInfo{false, false, "source", {}};
    if (id == "odd") return ConnectorInfo{true, false, "both", {"identity", "shoe_size"}};
    return std::nullopt;
  };
}

TEST(Routes, EveryErrorNamesFileLineAndField) {
  const auto yaml = config::parse_yaml(k_yaml);
  ASSERT_TRUE(yaml.errors.empty());
  const auto load = load_routes(yaml.json, "schakel.yaml", manifests(),
                                [&](const std::string& p) { return yaml.mark_of(p); });
  EXPECT_TRUE(load.routes.empty());
  std::vector<std::string> messages;
  for (const auto& e : load.errors) messages.push_back(e.to_string());
  auto has = [&](const std::string& text) {
    for (const auto& m : messages) {
      if (m.find(text) != std::string::npos) return true;
    }
    ADD_FAILURE() << "no error containing: " << text;
    return false;
  };
  has("schakel.yaml:14:16: routes[1].connector: connector 'las-import' is not a sink (its plugin is a source)");
  has("schakel.yaml:22:16: routes[2].connector: unknown connector 'nobody'");
  has("schakel.yaml:24:14: routes[2].purpose: unknown purpose 'gossip'");
  has("routes[2].projection: projection 'referral' does not fit trigger 'meeting.changed'");
  has("routes[3]: trigger case.stage_reached needs a stage");
  has("schakel.yaml:30:16: routes[3].connector: connector 'odd' accepts a document with unknown category 'shoe_size'");
  EXPECT_EQ(load.errors.size(), 6U) << ::testing::PrintToString(messages);
}

TEST(Routes, AValidRouteIsRead) {
  auto yaml = config::parse_yaml(k_yaml);
  yaml.json["routes"] = nlohmann::json::array({yaml.json["routes"][0]});
  const auto load = load_routes(yaml.json, "schakel.yaml", manifests(), nullptr);
  ASSERT_TRUE(load.errors.empty()) << load.errors[0].to_string();
  ASSERT_EQ(load.routes.size(), 1U);
  const auto& r = load.routes[0];
  EXPECT_EQ(r.id, "referral-to-swv");
  EXPECT_EQ(r.connector, "swv-portal");
  EXPECT_EQ(r.recipient.name, "Loket");
  EXPECT_EQ(r.denied, outbox::DeniedPolicy::redact);
  EXPECT_EQ(outbox::RouteSpec::from_json(r.to_json()).to_json(), r.to_json());
}

}  // namespace
}  // namespace schakel::routing
