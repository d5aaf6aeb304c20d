// Throws from every callback (through plugin.hpp, which must turn each into an error with the
// exception's message). Settings: {"throw_in_create": true} throws from the constructor too.
#include <stdexcept>
#include <string>

#include "schakel/plugin.hpp"

namespace {

using schakel::plugin::Outcome;

class Throws final : public schakel::plugin::Plugin {
 public:
  Throws(schakel::plugin::Host, const std::string& config) {
    if (config.find("\"throw_in_create\":true") != std::string::npos)
      throw std::runtime_error("create exploded");
  }
  Outcome check() override { throw std::runtime_error("check exploded"); }
  Outcome poll() override { throw std::logic_error("poll exploded"); }
  Outcome deliver(std::string_view, const std::string&) override { throw std::runtime_error("deliver exploded"); }
  Outcome revoke(const std::string&, const std::string&) override { throw 42; }
};

}  // namespace

SCHAKEL_PLUGIN(Throws, "throws", "0.0.1", R"json({
  "kind": "both",
  "streams": {"things": {"schema": {"type": "object"}}},
  "document_schema": {"type": "object"},
  "config_schema": {"type": "object", "properties": {"throw_in_create": {"type": "boolean"}},
                    "additionalProperties": false},
  "capabilities": ["revoke", "check"]
})json", true)
