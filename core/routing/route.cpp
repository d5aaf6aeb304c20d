#include "routing/route.hpp"

#include <algorithm>

#include "schema/schema_set.hpp"

namespace schakel::routing {
namespace {

bool contains(const std::vector<std::string>& list, const std::string& v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

// Which projections fit which trigger: a referral event cannot project a meeting.
bool projection_fits(const std::string& trigger, const std::string& projection) {
  if (trigger == "case.stage_reached") return projection == "case";
  if (trigger == "referral.queued") return projection == "referral";
  if (trigger == "referral.supplement_answered") {
    return projection == "referral_supplement" || projection == "referral";
  }
  if (trigger.rfind("meeting.", 0) == 0) return projection == "meeting";
  return false;
}

}  // namespace

const std::vector<std::string>& known_triggers() {
  static const std::vector<std::string> all = {"case.stage_reached",   "referral.queued",
                                               "referral.supplement_answered", "meeting.planned",
                                               "meeting.changed",      "meeting.cancelled"};
  return all;
}

const std::vector<std::string>& known_purposes() {
  static const std::vector<std::string> all = {"ot_meeting", "swv_request", "youth_health",
                                               "wijkteam_referral", "calendar"};
  return all;
}

RouteLoad load_routes(const nlohmann::json& config_doc, const std::string& file,
                      const ConnectorLookup& connectors, const MarkLookup& where) {
  RouteLoad out;
  auto fail = [&](const std::string& pointer, const std::string& message) {
    out.errors.push_back({file, where ? where(pointer) : config::Mark{},
                          config::pointer_to_path(pointer), message});
  };
  if (!config_doc.is_object() || !config_doc.contains("routes")) return out;
  const auto& routes = config_doc["routes"];
  if (!routes.is_array()) {
    fail("/routes", "must be a list of routes");
    return out;
  }
  for (std::size_t i = 0; i < routes.size(); ++i) {
    const std::string at = "/routes/" + std::to_string(i);
    const auto& r = routes[i];
    if (!r.is_object()) {
      fail(at, "a route must be a mapping");
      continue;
    }
    const std::size_t errors_before = out.errors.size();
    RouteSpec spec = RouteSpec::from_json(r);
    if (spec.id.empty()) fail(at + "/id", "a route needs an id");
    if (!contains(known_triggers(), spec.trigger)) {
      fail(at + "/trigger", "unknown trigger '" + spec.trigger + "'");
    } else if (!projection_fits(spec.trigger, spec.projection)) {
      fail(at + "/projection", "projection '" + spec.projection + "' does not fit trigger '" +
                                   spec.trigger + "'");
    }
    if (spec.trigger == "case.stage_reached" && spec.stage.empty()) {
      fail(at, "trigger case.stage_reached needs a stage");
    }
    if (!contains(known_purposes(), spec.purpose)) {
      fail(at + "/purpose", "unknown purpose '" + spec.purpose + "'");
    }
    if (spec.recipient.organisation.empty()) {
      fail(at + "/recipient/organisation", "the recipient needs an organisation");
    }
    const std::string denied = r.value("denied", "");
    if (denied != "redact" && denied != "block") {
      fail(at + "/denied", "denied must be redact or block");
    }
    auto info = connectors ? connectors(spec.connector) : std::nullopt;
    if (!info) {
      fail(at + "/connector", "unknown connector '" + spec.connector + "'");
    } else {
      if (!info->sink) {
        fail(at + "/connector", "connector '" + spec.connector + "' is not a sink (its plugin is a " +
                                    (info->kind.empty() ? "source" : info->kind) +
                                    "), so nothing can be delivered to it");
      }
      for (const auto& c : info->categories) {
        if (!schema::is_known_category(c)) {
          fail(at + "/connector", "connector '" + spec.connector +
                                      "' accepts a document with unknown category '" + c + "'");
        }
      }
    }
    if (out.errors.size() == errors_before) out.routes.push_back(std::move(spec));
  }
  if (!out.errors.empty()) out.routes.clear();
  return out;
}

}  // namespace schakel::routing
