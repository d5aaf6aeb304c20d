// A demo source: each poll emits the next `batch` pupils of a fixed roster on stream "pupils",
// and keeps its place in the host's state, so a restart carries on where it stopped.
#include <string>

#include "schakel/plugin.hpp"

namespace {

using schakel::plugin::Host;
using schakel::plugin::Outcome;

const char* const k_names[] = {"Daan", "Emma", "Sem", "Julia", "Lucas", "Mila", "Finn", "Tess"};
constexpr int k_roster = sizeof(k_names) / sizeof(k_names[0]);

// The settings are {"batch": n}; the host has validated them against the config schema, so a
// tiny scan is enough here and the demo needs no JSON library.
int batch_from(const std::string& config) {
  const auto at = config.find("\"batch\"");
  if (at == std::string::npos) return 2;
  const auto colon = config.find(':', at);
  return colon == std::string::npos ? 2 : std::stoi(config.substr(colon + 1));
}

class DemoSource final : public schakel::plugin::Plugin {
 public:
  DemoSource(Host host, const std::string& config) : host_(host), batch_(batch_from(config)) {}

  Outcome poll() override {
    int cursor = 0;
    if (auto saved = host_.state("cursor")) cursor = std::stoi(*saved);
    for (int i = 0; i < batch_ && cursor < k_roster; ++i, ++cursor) {
      const std::string record = R"({"id":"demo-)" + std::to_string(cursor) + R"(","roepnaam":")" +
                                 k_names[cursor] + R"(","groep":)" + std::to_string(1 + cursor % 8) + "}";
      host_.emit("pupils", record);
    }
    if (!host_.put_state("cursor", std::to_string(cursor))) return Outcome::retry("cannot save the cursor");
    host_.debug("polled up to " + std::to_string(cursor));
    return Outcome::ok();
  }

 private:
  Host host_;
  int batch_;
};

}  // namespace

SCHAKEL_PLUGIN(DemoSource, "demo-source", "0.1.0", R"json({
  "kind": "source",
  "description": "Emits a fixed roster of pupils, a few per poll.",
  "streams": {
    "pupils": {
      "description": "One pupil per record.",
      "schema": {
        "type": "object",
        "required": ["id", "roepnaam", "groep"],
        "additionalProperties": false,
        "properties": {
          "id": {"type": "string"},
          "roepnaam": {"type": "string"},
          "groep": {"type": "integer", "minimum": 1, "maximum": 8}
        }
      }
    }
  },
  "config_schema": {
    "type": "object",
    "properties": {
      "batch": {"type": "integer", "minimum": 1, "default": 2,
                "description": "Pupils emitted per poll."}
    },
    "additionalProperties": false
  }
})json", false)
