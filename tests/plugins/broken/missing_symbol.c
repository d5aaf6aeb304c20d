/* Exports a descriptor under the wrong name: the host finds no schakel_plugin_entry. */
#include "common.h"

static const schakel_plugin_descriptor descriptor =
    BROKEN_DESCRIPTOR(SCHAKEL_PLUGIN_ABI_MAJOR, SCHAKEL_PLUGIN_ABI_MINOR, BROKEN_MANIFEST);

SCHAKEL_PLUGIN_EXPORT const schakel_plugin_descriptor* schakel_plugin_entry_v0(void);
SCHAKEL_PLUGIN_EXPORT const schakel_plugin_descriptor* schakel_plugin_entry_v0(void) {
  return &descriptor;
}
