/* A valid plugin whose config schema the tests' settings violate (a wrong type, a value out of
 * range, a missing and an unknown key): the host must report each with its JSON pointer. */
#include "common.h"

static const schakel_plugin_descriptor descriptor = BROKEN_DESCRIPTOR(
    SCHAKEL_PLUGIN_ABI_MAJOR, SCHAKEL_PLUGIN_ABI_MINOR,
    "{\"kind\":\"sink\",\"document_schema\":{\"type\":\"object\"},"
    "\"config_schema\":{\"type\":\"object\",\"required\":[\"base_url\",\"timeout_ms\"],"
    "\"additionalProperties\":false,\"properties\":{"
    "\"base_url\":{\"type\":\"string\",\"pattern\":\"^https://\",\"description\":\"Where to send.\"},"
    "\"timeout_ms\":{\"type\":\"integer\",\"minimum\":1,\"default\":5000},"
    "\"retries\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":10}}}}");

const schakel_plugin_descriptor* schakel_plugin_entry(uint16_t major, uint16_t minor) {
  (void)major;
  (void)minor;
  return &descriptor;
}
