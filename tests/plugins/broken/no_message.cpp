// Returns an error without a message (a plugin bug the host must name as such). Settings:
// {"result": "retry" | "reject" | "fatal"}, default "reject".
#include <string>

#include "schakel/plugin.hpp"

namespace {

using schakel::plugin::Code;
using schakel::plugin::Outcome;

class NoMessage final : public schakel::plugin::Plugin {
 public:
  NoMessage(schakel::plugin::Host, const std::string& config) {
    if (config.find("\"retry\"") != std::string::npos) code_ = Code::retry;
    if (config.find("\"fatal\"") != std::string::npos) code_ = Code::fatal;
  }
  Outcome deliver(std::string_view, const std::string&) override { return Outcome{code_, {}, {}, 0}; }

 private:
  Code code_ = Code::reject;
};

}  // namespace

SCHAKEL_PLUGIN(NoMessage, "no-message", "0.0.1", R"json({
  "kind": "sink",
  "document_schema": {"type": "object"},
  "config_schema": {"type": "object", "properties": {"result": {"enum": ["retry", "reject", "fatal"]}},
                    "additionalProperties": false}
})json", false)
