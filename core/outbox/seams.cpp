#include "outbox/seams.hpp"

namespace schakel::outbox {

nlohmann::json Recipient::to_json() const {
  nlohmann::json j = {{"organisation", organisation}};
  if (!role.empty()) j["role"] = role;
  if (!name.empty()) j["name"] = name;
  return j;
}

Recipient Recipient::from_json(const nlohmann::json& j) {
  Recipient r;
  if (!j.is_object()) return r;
  r.organisation = j.value("organisation", "");
  r.role = j.value("role", "");
  r.name = j.value("name", "");
  return r;
}

nlohmann::json RouteSpec::to_json() const {
  nlohmann::json j = {{"id", id},
                      {"trigger", trigger},
                      {"projection", projection},
                      {"connector", connector},
                      {"recipient", recipient.to_json()},
                      {"purpose", purpose},
                      {"processing_activity", processing_activity},
                      {"denied", denied == DeniedPolicy::redact ? "redact" : "block"}};
  if (!stage.empty()) j["stage"] = stage;
  if (!legal_basis.empty()) j["legal_basis"] = legal_basis;
  return j;
}

RouteSpec RouteSpec::from_json(const nlohmann::json& j) {
  RouteSpec r;
  if (!j.is_object()) return r;
  r.id = j.value("id", "");
  r.trigger = j.value("trigger", "");
  r.stage = j.value("stage", "");
  r.projection = j.value("projection", "");
  r.connector = j.value("connector", "");
  r.recipient = Recipient::from_json(j.value("recipient", nlohmann::json::object()));
  r.purpose = j.value("purpose", "");
  r.processing_activity = j.value("processing_activity", "");
  // Anything but an explicit "redact" is the safe choice.
  r.denied = j.value("denied", "block") == "redact" ? DeniedPolicy::redact : DeniedPolicy::block;
  r.legal_basis = j.value("legal_basis", "");
  return r;
}

const char* gate_outcome_name(GateOutcome outcome) {
  switch (outcome) {
    case GateOutcome::permitted: return "permitted";
    case GateOutcome::redacted: return "redacted";
    case GateOutcome::blocked: return "blocked";
  }
  return "blocked";
}

const char* delivery_outcome_name(DeliveryOutcome outcome) {
  switch (outcome) {
    case DeliveryOutcome::ok: return "ok";
    case DeliveryOutcome::retry: return "retry";
    case DeliveryOutcome::reject: return "reject";
    case DeliveryOutcome::fatal: return "fatal";
  }
  return "fatal";
}

std::string idempotency_key(const std::string& route_id, const std::string& entity_id,
                            const std::string& entity_version) {
  // Length-prefixed parts, so ("a:b", "c") and ("a", "b:c") never collide.
  std::string material = "schakel-outbox-v1";
  for (const std::string* part : {&route_id, &entity_id, &entity_version}) {
    material += '\n' + std::to_string(part->size()) + ':' + *part;
  }
  return route_id + "-" + sha256_hex(material).substr(0, 32);
}

}  // namespace schakel::outbox
