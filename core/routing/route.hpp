#pragma once
// Routes from the configuration ("routes" in schemas/config.schema.json), checked against the
// connectors' manifests at load: every error names file:line:column and the route's field.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "outbox/seams.hpp"

namespace schakel::routing {

using outbox::RouteSpec;

// What the plugin host knows of a configured connector, from its plugin's manifest.
struct ConnectorInfo {
  bool sink = false;        // manifest kind "sink" or "both"
  bool can_revoke = false;  // capability "revoke"
  std::string kind;         // the manifest's kind, for messages
  // The categories in the schema of the document the sink accepts (its x-schakel-category).
  std::vector<std::string> categories;
};

// nullopt: no connector of that id is configured (or its plugin could not be inspected).
using ConnectorLookup = std::function<std::optional<ConnectorInfo>(const std::string& connector_id)>;
// Where the node at a JSON pointer of the config file starts (config::YamlDocument::mark_of).
using MarkLookup = std::function<config::Mark(const std::string& pointer)>;

// The explicit events a route may fire on; never "any change of an entity".
const std::vector<std::string>& known_triggers();
const std::vector<std::string>& known_purposes();

struct RouteLoad {
  std::vector<RouteSpec> routes;
  std::vector<config::ConfigError> errors;  // all of them; routes is empty when there are any
};

// Reads and checks config_doc["routes"]. `file` is the config file for messages.
RouteLoad load_routes(const nlohmann::json& config_doc, const std::string& file,
                      const ConnectorLookup& connectors, const MarkLookup& where);

}  // namespace schakel::routing
