/* Built for a newer minor than the host's: it may use services the host lacks. */
#include "common.h"

static const schakel_plugin_descriptor descriptor =
    BROKEN_DESCRIPTOR(SCHAKEL_PLUGIN_ABI_MAJOR, SCHAKEL_PLUGIN_ABI_MINOR + 1, BROKEN_MANIFEST);

const schakel_plugin_descriptor* schakel_plugin_entry(uint16_t major, uint16_t minor) {
  (void)major;
  (void)minor;
  return &descriptor;
}
