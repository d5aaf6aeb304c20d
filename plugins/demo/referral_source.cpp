// A demo source for the data path: each poll emits one school and one pupil, then the referrals
// ref_00000 .. ref_<count-1> not emitted before, on stream "queued_referrals" (the daemon stores
// each and fires referral.queued for it). The cursor is saved after every `save_every` records,
// after they were stored, so a crash repeats at most that many records and never skips one.
#include <cstdio>
#include <string>

#include "schakel/plugin.hpp"

namespace {

using schakel::plugin::Host;
using schakel::plugin::Outcome;

// The settings are {"count": n, "save_every": m}; the host has validated them against the config
// schema (integers, no other keys), so a small scan is enough and the demo needs no JSON library.
int setting(const std::string& config, const char* name, int fallback) {
  const auto at = config.find("\"" + std::string(name) + "\"");
  if (at == std::string::npos) return fallback;
  const auto colon = config.find(':', at);
  return colon == std::string::npos ? fallback : std::stoi(config.substr(colon + 1));
}

std::string referral_id(int n) {
  char id[16];
  std::snprintf(id, sizeof id, "ref_%05d", n);
  return id;
}

constexpr const char* k_school =
    R"({"id":"sch_demo","brin":"12AB","vestiging":"00","naam":"OBS De Regenboog","swv_code":"PO2701"})";
constexpr const char* k_student =
    R"({"id":"stu_demo","school_id":"sch_demo","las_key":"0000001","naam":{"roepnaam":"Daan","achternaam":"Jansen"},)"
    R"("birth_date":"2015-03-01","groep":"6","status":"active"})";

class ReferralSource final : public schakel::plugin::Plugin {
 public:
  ReferralSource(Host host, const std::string& config)
      : host_(host), count_(setting(config, "count", 10)), save_every_(setting(config, "save_every", 10)) {}

  Outcome poll() override {
    if (!host_.emit("schools", k_school) || !host_.emit("students", k_student))
      return Outcome::retry("the school or the pupil was not stored");
    int cursor = 0;
    if (auto saved = host_.state("cursor")) cursor = std::stoi(*saved);
    const int start = cursor;
    while (cursor < count_) {
      const std::string id = referral_id(cursor);
      const std::string record = R"({"id":")" + id +
                                 R"(","school_id":"sch_demo","student_id":"stu_demo","case_id":"cas_demo",)"
                                 R"("type":"arrangement","status":"queued","version":1,)"
                                 R"("question":"Arrangement voor leerling )" + id + R"("})";
      // Not stored: stop here without moving the cursor, so the next poll tries it again.
      if (!host_.emit("queued_referrals", record)) return Outcome::retry("referral " + id + " was not stored");
      ++cursor;
      if ((cursor - start) % save_every_ == 0 || cursor == count_) {
        if (!host_.put_state("cursor", std::to_string(cursor))) return Outcome::retry("cannot save the cursor");
      }
    }
    host_.info("referrals emitted up to " + std::to_string(cursor));
    return Outcome::ok();
  }

 private:
  Host host_;
  int count_;
  int save_every_;
};

}  // namespace

SCHAKEL_PLUGIN(ReferralSource, "demo-referrals", "0.1.0", R"json({
  "kind": "source",
  "description": "Emits a school, a pupil and a fixed number of queued referrals for that pupil.",
  "streams": {
    "schools": {
      "description": "The one demo school.",
      "schema": {"type": "object", "required": ["id", "brin", "naam"]}
    },
    "students": {
      "description": "The one demo pupil.",
      "schema": {"type": "object", "required": ["id", "school_id", "birth_date"]}
    },
    "queued_referrals": {
      "description": "Referrals queued for the SWV, one per record.",
      "schema": {
        "type": "object",
        "required": ["id", "school_id", "student_id", "case_id", "type", "status", "version", "question"],
        "properties": {
          "id": {"type": "string"},
          "status": {"const": "queued"},
          "version": {"type": "integer", "minimum": 1}
        }
      }
    }
  },
  "config_schema": {
    "type": "object",
    "properties": {
      "count": {"type": "integer", "minimum": 0, "default": 10, "description": "Referrals in all."},
      "save_every": {"type": "integer", "minimum": 1, "default": 10,
                     "description": "Records between two saves of the cursor."}
    },
    "additionalProperties": false
  }
})json", false)
