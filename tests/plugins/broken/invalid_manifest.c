/* A manifest with an unknown kind, no config schema and an unknown capability. */
#include "common.h"

static const schakel_plugin_descriptor descriptor = BROKEN_DESCRIPTOR(
    SCHAKEL_PLUGIN_ABI_MAJOR, SCHAKEL_PLUGIN_ABI_MINOR,
    "{\"kind\":\"teleporter\",\"capabilities\":[\"time_travel\"]}");

const schakel_plugin_descriptor* schakel_plugin_entry(uint16_t major, uint16_t minor) {
  (void)major;
  (void)minor;
  return &descriptor;
}
