/* A source (and sink) whose stream schema refers to itself through a chain of $refs: the host must refuse it
 * with the stream and the place of the cycle (the schema library would recurse until it crashed). */
#include "common.h"

static schakel_result quiet_poll(void* instance, schakel_outcome* out) {
  (void)instance;
  (void)out;
  return SCHAKEL_OK;
}

static const schakel_plugin_descriptor descriptor = {
    sizeof(schakel_plugin_descriptor), SCHAKEL_PLUGIN_ABI_MAJOR, SCHAKEL_PLUGIN_ABI_MINOR, "broken", "0.0.1",
    "{\"kind\":\"both\",\"document_schema\":{\"type\":\"object\"},\"config_schema\":{\"type\":\"object\",\"additionalProperties\":false,\"properties\":{}},"
    "\"streams\":{\"students\":{\"schema\":{\"$ref\":\"student.schema.json\"}},"
    "\"loops\":{\"schema\":{\"$ref\":\"#/definitions/a\","
    "\"definitions\":{\"a\":{\"$ref\":\"#/definitions/b\"},\"b\":{\"$ref\":\"#/definitions/a\"}}}}}}",
    broken_create, 0, quiet_poll, broken_deliver, 0, broken_destroy};

const schakel_plugin_descriptor* schakel_plugin_entry(uint16_t major, uint16_t minor) {
  (void)major;
  (void)minor;
  return &descriptor;
}
