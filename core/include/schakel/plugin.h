/*
 * The Schakel plugin ABI, version 1.0.
 *
 * A plugin is a shared library that exports exactly one symbol, schakel_plugin_entry, built with
 * -fvisibility=hidden. Only C types cross this boundary; C++ exceptions never do.
 *
 * Versioning: both tables below start with struct_size, abi_major and abi_minor and are
 * append-only. A minor version only ever adds fields at the end, so a plugin built against 1.N
 * sees a prefix of a 1.M host table (M >= N). The host refuses a plugin with a different major or
 * a newer minor than its own. Read a field only if struct_size covers it
 * (SCHAKEL_HAS_FIELD below); never copy a struct of unknown size.
 *
 * Threading: the host calls one instance from one thread at a time (calls on an instance are
 * serialised, but not always on the same thread). Host services may only be called from inside a
 * callback, on the thread that runs it, with the context that instance was created with.
 *
 * String ownership rule (one rule for the whole ABI):
 *   - Strings the host passes in are owned by the host and valid until the callback returns.
 *     Copy what you keep.
 *   - Strings the plugin returns (descriptor strings, receipts) are owned by the plugin. The
 *     descriptor's strings live until the library is unloaded; a string returned by a call on an
 *     instance stays valid until the next call on that same instance (or its destroy). The host
 *     copies it before making that next call.
 *   - Strings a service returns to the plugin (state_get) are owned by the host and valid until
 *     the callback that called the service returns.
 * All strings are UTF-8 and NUL-terminated unless a length is given beside them.
 */
#ifndef SCHAKEL_PLUGIN_H
#define SCHAKEL_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SCHAKEL_PLUGIN_ABI_MAJOR 1
#define SCHAKEL_PLUGIN_ABI_MINOR 0

/* The name of the one exported symbol, for dlsym. */
#define SCHAKEL_PLUGIN_ENTRY_SYMBOL "schakel_plugin_entry"

/* True if a table whose struct_size is `size` contains `field` of struct `type`. */
#define SCHAKEL_HAS_FIELD(type, size, field) \
  ((size_t)(size) >= offsetof(type, field) + sizeof(((type*)0)->field))

/* What the host should do next. A fixed-width integer, not an enum, so its size never varies. */
typedef int32_t schakel_result;
#define SCHAKEL_OK 0     /* done */
#define SCHAKEL_RETRY 1  /* transient failure: the host backs off and tries again */
#define SCHAKEL_REJECT 2 /* permanent failure for this item: dead letter; the connector goes on */
#define SCHAKEL_FATAL 3  /* the connector cannot go on: the host destroys and restarts it */
/* Every result other than SCHAKEL_OK must come with set_error(message); an error without a
 * message is reported as a plugin bug. */

typedef int32_t schakel_log_level;
#define SCHAKEL_LOG_DEBUG 0
#define SCHAKEL_LOG_INFO 1
#define SCHAKEL_LOG_WARN 2
#define SCHAKEL_LOG_ERROR 3

/* The host's per-instance context; opaque to the plugin. */
typedef struct schakel_host_context schakel_host_context;

/* The services the host offers. Passed to create.
 * OWNERSHIP: host; the table and the context stay valid until destroy of that instance returns. */
typedef struct schakel_host_services {
  uint32_t struct_size; /* sizeof the host's table; read only fields it covers */
  uint16_t abi_major;
  uint16_t abi_minor;

  /* Writes a log line under the connector's name. msg: OWNERSHIP caller; copied. Never put
   * secrets in it. */
  void (*log)(schakel_host_context* ctx, schakel_log_level level, const char* msg);

  /* Sets the message of the error the current callback is about to return; the last one wins.
   * msg: OWNERSHIP caller; copied. */
  void (*set_error)(schakel_host_context* ctx, const char* msg);

  /* Emits one record (a JSON object) on a stream the manifest declares. The host copies it,
   * validates it against the stream's schema and stores it; an invalid record is quarantined,
   * counted, and this returns SCHAKEL_REJECT (the plugin may go on with the next record).
   * stream, record: OWNERSHIP caller; copied before return. record need not be NUL-terminated. */
  schakel_result (*emit)(schakel_host_context* ctx, const char* stream, const char* record,
                         size_t record_len);

  /* Reads the plugin's own state (a cursor, a sync token) under key. Returns NULL if absent.
   * key: OWNERSHIP caller. Returned string: OWNERSHIP host, valid until the current callback
   * returns. */
  const char* (*state_get)(schakel_host_context* ctx, const char* key);

  /* Stores the plugin's own state under key (replacing it). Returns SCHAKEL_OK or SCHAKEL_RETRY
   * if the store is unavailable. key, value: OWNERSHIP caller; copied. */
  schakel_result (*state_put)(schakel_host_context* ctx, const char* key, const char* value);

  /* The host's clock (injectable in tests): microseconds since the Unix epoch, UTC. Plugins use
   * this, never the system clock, for anything they compare or store. */
  int64_t (*now_us)(schakel_host_context* ctx);
} schakel_host_services;

/* Extra outputs of poll, deliver and revoke. The host zeroes it and sets struct_size; a plugin
 * writes only the fields struct_size covers.
 * OWNERSHIP: host; valid until the callback returns. */
typedef struct schakel_outcome {
  uint32_t struct_size;
  uint32_t reserved; /* zero */
  /* With SCHAKEL_RETRY: the wait the destination asked for (e.g. Retry-After), in
   * milliseconds; 0 lets the host choose its backoff. */
  int64_t retry_after_ms;
  /* deliver: a small JSON object the destination gave back (its own id), which the core stores
   * with the delivery and hands to revoke later. NULL for none.
   * OWNERSHIP: plugin; valid until the next call on this instance. */
  const char* receipt_json;
} schakel_outcome;

/* The plugin's description of itself, returned by schakel_plugin_entry.
 * OWNERSHIP: plugin; the descriptor and every string in it live until the library is unloaded. */
typedef struct schakel_plugin_descriptor {
  uint32_t struct_size; /* sizeof the plugin's descriptor */
  uint16_t abi_major;   /* SCHAKEL_PLUGIN_ABI_MAJOR the plugin was built with */
  uint16_t abi_minor;   /* SCHAKEL_PLUGIN_ABI_MINOR the plugin was built with */

  const char* name;    /* [a-z][a-z0-9_-]*, OWNERSHIP plugin (static) */
  const char* version; /* semver, e.g. "1.2.0", OWNERSHIP plugin (static) */
  /* JSON, valid against schemas/plugin-manifest.schema.json: kind, streams with their record
   * schemas, the accepted document schema of a sink, the config schema, capabilities.
   * OWNERSHIP plugin (static). */
  const char* manifest_json;

  /* Creates an instance from its settings (a JSON object valid against the config schema).
   * host, ctx: OWNERSHIP host, valid until destroy(*out_instance) returns; keep them.
   * config_json: OWNERSHIP host, valid during the call. *out_instance: OWNERSHIP plugin, freed by
   * destroy. On an error result *out_instance is ignored and destroy is not called. */
  schakel_result (*create)(const schakel_host_services* host, schakel_host_context* ctx,
                           const char* config_json, void** out_instance);

  /* Checks the configured system (reachable, credentials accepted). May be NULL. */
  schakel_result (*check)(void* instance);

  /* Source: fetches what is new and emits it through the services. May be NULL for a sink. */
  schakel_result (*poll)(void* instance, schakel_outcome* out);

  /* Sink: delivers one document. doc: OWNERSHIP host, doc_len bytes, valid during the call.
   * idempotency_key: OWNERSHIP host; send it so the destination deduplicates retries. Sets
   * out->receipt_json on success. May be NULL for a source. */
  schakel_result (*deliver)(void* instance, const char* doc, size_t doc_len,
                            const char* idempotency_key, schakel_outcome* out);

  /* Tells the destination that an earlier disclosure is withdrawn. receipt_json, reason:
   * OWNERSHIP host, valid during the call. NULL unless the manifest lists "revoke". */
  schakel_result (*revoke)(void* instance, const char* receipt_json, const char* reason,
                           schakel_outcome* out);

  /* Frees the instance. instance: OWNERSHIP passes to the plugin. Must not fail. */
  void (*destroy)(void* instance);
} schakel_plugin_descriptor;

/* The one exported symbol. The host passes its own ABI version; the plugin returns its
 * descriptor (or NULL if it cannot work with that host).
 * Returned pointer: OWNERSHIP plugin; valid until the library is unloaded. */
typedef const schakel_plugin_descriptor* (*schakel_plugin_entry_fn)(uint16_t host_abi_major,
                                                                     uint16_t host_abi_minor);

#if defined(__GNUC__) || defined(__clang__)
#define SCHAKEL_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define SCHAKEL_PLUGIN_EXPORT
#endif

SCHAKEL_PLUGIN_EXPORT const schakel_plugin_descriptor* schakel_plugin_entry(uint16_t host_abi_major,
                                                                           uint16_t host_abi_minor);

#ifdef __cplusplus
}
#endif

#endif /* SCHAKEL_PLUGIN_H */
