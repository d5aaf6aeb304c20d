// poll writes through a wild pointer. Today that kills the whole process (plugins run in the
// daemon's address space); process isolation will later confine it to the connector.
#include <cstdint>
#include <string>

#include "schakel/plugin.hpp"

namespace {

using schakel::plugin::Outcome;

class Segfault final : public schakel::plugin::Plugin {
 public:
  Segfault(schakel::plugin::Host, const std::string&) {}
  Outcome poll() override {
    // The address goes through a volatile so the compiler cannot see (and refuse) the bad write.
    volatile std::uintptr_t address = 16;
    *reinterpret_cast<volatile int*>(address) = 1;
    return Outcome::ok();
  }
};

}  // namespace

SCHAKEL_PLUGIN(Segfault, "segfault", "0.0.1", R"json({
  "kind": "source",
  "streams": {"nothing": {"schema": {"type": "object"}}},
  "config_schema": {"type": "object", "properties": {}, "additionalProperties": false}
})json", false)
