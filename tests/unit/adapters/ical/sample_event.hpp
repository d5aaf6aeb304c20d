#pragma once
// One meeting view with every field the writer handles, text that needs escaping and folding.
#include "ical/event.hpp"

namespace schakel::test {

inline ical::Event sample_event() {
  nlohmann::json j = {
      {"uid", "meeting-7f3a@schakel.invalid"},
      {"sequence", 3},
      {"dtstamp", "2026-11-20T08:00:00Z"},
      {"start", "2026-11-24T09:30:00+01:00"},
      {"end", "2026-11-24T11:00:00+01:00"},
      {"summary", "OT-overleg; casus 1, casus 2 \\ groep 5-8"},
      {"location", "Lokaal 12, De Regenboog — bovenverdieping"},
      {"description",
       "Agenda:\n09:30 casus 1\r\n10:15 casus 2\nNeem het OPP mee; vragen? Bel de IB’er. "
       "Ëën lange regel met veel multi-byte tekens: één, twéé, drieëntwintig €€€ 😀😀😀 zodat het vouwen "
       "tussen de tekens valt."},
      {"status", "planned"},
      {"organizer", {{"email", "ib@regenboog.example"}, {"name", "IB De Regenboog"}}},
      {"attendees",
       {{{"email", "jvk@ggd.example"}, {"name", "Jeugdverpleegkundige, GGD"}, {"partstat", "accepted"}},
        {{"email", "smw@wijkteam.example"}, {"name", "Sam \"SMW\" de Vries"}, {"partstat", "needs_action"},
         {"optional", true}}}},
  };
  auto e = ical::event_from_json(j);
  if (!e) throw std::runtime_error(e.status().message());
  return *e;
}

}  // namespace schakel::test
