/* Shared by the C broken plugins: a minimal, valid sink whose pieces each plugin spoils. */
#ifndef SCHAKEL_BROKEN_COMMON_H
#define SCHAKEL_BROKEN_COMMON_H
#include "schakel/plugin.h"

#define BROKEN_MANIFEST \
  "{\"kind\":\"sink\",\"document_schema\":{\"type\":\"object\"}," \
  "\"config_schema\":{\"type\":\"object\",\"properties\":{},\"additionalProperties\":false}}"

static schakel_result broken_create(const schakel_host_services* h, schakel_host_context* c,
                                    const char* config, void** out) {
  (void)h;
  (void)c;
  (void)config;
  *out = (void*)0;
  return SCHAKEL_OK;
}
static schakel_result broken_deliver(void* i, const char* d, size_t n, const char* k,
                                     schakel_outcome* o) {
  (void)i;
  (void)d;
  (void)n;
  (void)k;
  (void)o;
  return SCHAKEL_OK;
}
static void broken_destroy(void* i) { (void)i; }

#define BROKEN_DESCRIPTOR(major, minor, manifest)                                        \
  {sizeof(schakel_plugin_descriptor), (major), (minor), "broken", "0.0.1", (manifest), \
   broken_create, 0, 0, broken_deliver, 0, broken_destroy}
#endif
