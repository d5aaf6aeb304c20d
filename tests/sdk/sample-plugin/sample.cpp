// An out-of-tree sink: answers each delivery with a receipt carrying its configured prefix and
// the idempotency key, and keeps a delivery counter in the host's state.
#include <string>

#include <schakel/plugin.hpp>

namespace {

using schakel::plugin::Host;
using schakel::plugin::Outcome;

class Sample final : public schakel::plugin::Plugin {
 public:
  Sample(Host host, const std::string& config) : host_(host) {
    const auto at = config.find("\"prefix\":\"");
    if (at != std::string::npos) prefix_ = config.substr(at + 10, config.find('"', at + 10) - at - 10);
  }
  Outcome check() override { return Outcome::ok(); }
  Outcome deliver(std::string_view document, const std::string& key) override {
    if (document.find("\"naam\"") == std::string_view::npos) return Outcome::reject("document has no naam");
    const int count = std::stoi(host_.state("count").value_or("0")) + 1;
    host_.put_state("count", std::to_string(count));
    return Outcome::ok(R"({"id":")" + prefix_ + key + R"(","count":)" + std::to_string(count) + "}");
  }

 private:
  Host host_;
  std::string prefix_ = "sample-";
};

}  // namespace

SCHAKEL_PLUGIN(Sample, "sample", "1.0.0", R"json({
  "kind": "sink",
  "description": "An out-of-tree sample sink.",
  "document_schema": {"type": "object", "required": ["naam"]},
  "config_schema": {
    "type": "object",
    "properties": {"prefix": {"type": "string", "default": "sample-", "description": "Receipt id prefix."}},
    "additionalProperties": false
  },
  "capabilities": ["check"]
})json", false)
