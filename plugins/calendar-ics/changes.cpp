#include "changes.hpp"

#include <string>

namespace schakel::calendar_ics {

ChangePlan plan_changes(const nlohmann::ordered_json& known, const std::vector<nlohmann::ordered_json>& current,
                        TimePoint now, bool offer_all) {
  ChangePlan plan;
  for (const auto& record : current) {
    const std::string id = record.at("id").get<std::string>();
    if (offer_all || !known.contains(id) || known[id] != record) plan.emit.push_back(record);
    plan.known[id] = record;
  }
  for (const auto& [id, record] : known.items()) {
    if (plan.known.contains(id)) continue;
    TimePoint start;
    if (!record.is_object() || !record.contains("start") || !parse_rfc3339(record["start"].get<std::string>(), start) ||
        start <= now)
      continue;
    if (record.value("status", "") == "cancelled") {
      plan.known[id] = record;
      continue;
    }
    auto cancelled = record;
    cancelled["status"] = "cancelled";
    cancelled["sequence"] = record.value("sequence", 0) + 1;
    plan.emit.push_back(cancelled);
    plan.known[id] = cancelled;
  }
  return plan;
}

}  // namespace schakel::calendar_ics
