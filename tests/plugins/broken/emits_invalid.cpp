// A source that emits, per poll: text that is not JSON, a record that breaks its stream's schema
// in two places, a record on an undeclared stream, and one good record.
#include <string>

#include "schakel/plugin.hpp"

namespace {

using schakel::plugin::Outcome;

class EmitsInvalid final : public schakel::plugin::Plugin {
 public:
  EmitsInvalid(schakel::plugin::Host host, const std::string&) : host_(host) {}
  Outcome poll() override {
    int accepted = 0;
    accepted += host_.emit("pupils", "{\"id\": \"p1\", \"groep\": ") ? 1 : 0;
    accepted += host_.emit("pupils", R"({"id": 7, "groep": 12})") ? 1 : 0;
    accepted += host_.emit("teachers", R"({"id": "t1"})") ? 1 : 0;
    accepted += host_.emit("pupils", R"({"id": "p2", "groep": 4})") ? 1 : 0;
    host_.info(std::to_string(accepted) + " of 4 records accepted");
    return Outcome::ok();
  }

 private:
  schakel::plugin::Host host_;
};

}  // namespace

SCHAKEL_PLUGIN(EmitsInvalid, "emits-invalid", "0.0.1", R"json({
  "kind": "source",
  "streams": {"pupils": {"schema": {
    "type": "object", "required": ["id", "groep"],
    "properties": {"id": {"type": "string"}, "groep": {"type": "integer", "minimum": 1, "maximum": 8}}}}},
  "config_schema": {"type": "object", "properties": {}, "additionalProperties": false}
})json", false)
