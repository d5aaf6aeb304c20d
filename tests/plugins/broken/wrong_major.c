/* Claims ABI 2.0: a different major, which the host refuses. */
#include "common.h"

static const schakel_plugin_descriptor descriptor =
    BROKEN_DESCRIPTOR(SCHAKEL_PLUGIN_ABI_MAJOR + 1, 0, BROKEN_MANIFEST);

const schakel_plugin_descriptor* schakel_plugin_entry(uint16_t major, uint16_t minor) {
  (void)major;
  (void)minor;
  return &descriptor;
}
