#pragma once
// What a poll emits: the meetings that are new or changed since the last poll, and a cancellation
// for a future meeting that left the feed. The meetings last emitted are kept in plugin state
// ("known", id -> record), so an unchanged feed emits nothing and a removal is not silent.
#include <vector>

#include <nlohmann/json.hpp>

#include "base/clock.hpp"

namespace schakel::calendar_ics {

struct ChangePlan {
  std::vector<nlohmann::ordered_json> emit;
  nlohmann::ordered_json known = nlohmann::ordered_json::object();  // the state once every emit is stored
};

// `known`: the state as stored (an object, id -> record). A meeting that left the feed is
// cancelled (SEQUENCE + 1) when it had not started at `now`; one in the past is forgotten, since
// publishers such as Outlook drop past events from a published calendar.
// `offer_all`: emit every current meeting, changed or not (once, when `known` cannot be trusted to
// say what the host stored; see k_known_format).
ChangePlan plan_changes(const nlohmann::ordered_json& known, const std::vector<nlohmann::ordered_json>& current,
                        TimePoint now, bool offer_all = false);

// The version of the "known" state. Before the host imported the stream "meetings" (it took the
// records and stored nothing), "known" listed meetings the store never got; a state without this
// version is therefore not trusted once: the feed is fetched without validators and every meeting
// offered again (the importer keeps an unchanged one as it is).
inline constexpr const char* k_known_format = "2";

}  // namespace schakel::calendar_ics
