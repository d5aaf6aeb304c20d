// A sink that accepts every document and answers with a receipt naming the idempotency key; it
// can also "revoke". The plugin-call benchmark delivers to it, so it does as little as possible.
#include <string>

#include "schakel/plugin.hpp"

namespace {

using schakel::plugin::Host;
using schakel::plugin::Outcome;

class NoopSink final : public schakel::plugin::Plugin {
 public:
  NoopSink(Host host, const std::string& config) : host_(host) { (void)config; }

  Outcome deliver(std::string_view document, const std::string& key) override {
    if (document.empty()) return Outcome::reject("empty document");
    return Outcome::ok(R"({"id":")" + key + "\"}");
  }
  Outcome revoke(const std::string& receipt, const std::string& reason) override {
    host_.info("revoked " + receipt + ": " + reason);
    return Outcome::ok();
  }

 private:
  Host host_;
};

}  // namespace

SCHAKEL_PLUGIN(NoopSink, "noop-sink", "0.1.0", R"json({
  "kind": "sink",
  "description": "Accepts every document and does nothing with it.",
  "document_schema": {"type": "object", "required": []},
  "config_schema": {"type": "object", "properties": {}, "additionalProperties": false},
  "capabilities": ["revoke"]
})json", true)
