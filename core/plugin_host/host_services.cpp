#include "plugin_host/connector.hpp"

#include <string_view>

#include "base/json_text.hpp"

// The host services a plugin calls back into (plugin.h, schakel_host_services): log, errors,
// emitted records (validated, stored or quarantined), the plugin's own state, and the clock.
namespace schakel::plugin_host {

using nlohmann::json;

namespace {

Connector* of(schakel_host_context* ctx) { return ctx == nullptr ? nullptr : ctx->connector; }

// The services table. Each entry catches everything: nothing may unwind into plugin code.
void svc_log(schakel_host_context* ctx, schakel_log_level level, const char* msg) {
  try {
    if (auto* c = of(ctx); c && msg) c->log(level, msg);
  } catch (...) {
  }
}
void svc_set_error(schakel_host_context* ctx, const char* msg) {
  try {
    if (ctx) ctx->error = msg ? std::string(msg) : std::string();
  } catch (...) {
  }
}
schakel_result svc_emit(schakel_host_context* ctx, const char* stream, const char* record, size_t len) {
  try {
    if (auto* c = of(ctx)) return c->emit(ctx, stream, record, len);
  } catch (...) {
  }
  return SCHAKEL_RETRY;
}
const char* svc_state_get(schakel_host_context* ctx, const char* key) {
  try {
    if (auto* c = of(ctx); c && key) return c->state_get(ctx, key);
  } catch (...) {
  }
  return nullptr;
}
schakel_result svc_state_put(schakel_host_context* ctx, const char* key, const char* value) {
  try {
    if (auto* c = of(ctx); c && key && value) return c->state_put(key, value);
  } catch (...) {
  }
  return SCHAKEL_RETRY;
}
int64_t svc_now_us(schakel_host_context* ctx) {
  auto* c = of(ctx);
  return c ? c->now_us() : 0;
}

}  // namespace

const schakel_host_services& host_services_table() {
  static const schakel_host_services table = [] {
    schakel_host_services t{};
    t.struct_size = sizeof(t);
    t.abi_major = SCHAKEL_PLUGIN_ABI_MAJOR;
    t.abi_minor = SCHAKEL_PLUGIN_ABI_MINOR;
    t.log = &svc_log;
    t.set_error = &svc_set_error;
    t.emit = &svc_emit;
    t.state_get = &svc_state_get;
    t.state_put = &svc_state_put;
    t.now_us = &svc_now_us;
    return t;
  }();
  return table;
}

void Connector::log(int level, const char* msg) { core_->log(id_, level, msg); }

schakel_result Connector::emit(schakel_host_context* ctx, const char* stream, const char* record, size_t len) {
  (void)ctx;
  const std::string stream_name = stream ? stream : "";
  std::string reason;
  // Parsed in place: the text is copied only if the record goes to quarantine.
  std::string_view record_text;  // the envelope's "record", when written as json_text writes it
  json doc = record ? parse_json_text(std::string_view(record, len), "record", &record_text)
                    : json(json::value_t::discarded);
  const auto& streams = lib_->manifest().streams;
  if (streams.find(stream_name) == streams.end()) {
    reason = "stream '" + stream_name + "' is not declared in the manifest";
  } else if (doc.is_discarded()) {
    reason = "record is not valid JSON";
  } else {
    for (const auto& v : schemas_.validate("x-plugin-stream." + stream_name, doc))
      reason += (reason.empty() ? "" : "; ") + (v.pointer.empty() ? std::string("/") : v.pointer) + ": " + v.message;
  }
  if (reason.empty()) {
    if (!core_->options.records) return SCHAKEL_OK;
    auto st = core_->options.records(id_, stream_name, std::move(doc), record_text);
    if (st) return SCHAKEL_OK;
    ctx_.error = "cannot store record: " + st.message();
    return SCHAKEL_RETRY;
  }
  store::QuarantineRow row;
  row.connector = id_;
  row.stream = stream_name;
  row.reason = reason;
  row.record = record ? std::string(record, len) : std::string();
  row.time = core_->clock->now();
  {
    std::lock_guard lock(mu_);
    ++counters_.quarantined;
  }
  if (core_->options.quarantine) {
    if (auto st = core_->options.quarantine(row); !st)
      core_->log(id_, SCHAKEL_LOG_ERROR, "cannot quarantine a record: " + st.message());
  }
  core_->event(HostEvent::Kind::quarantined, id_, "stream '" + stream_name + "': " + reason);
  return SCHAKEL_REJECT;
}

const char* Connector::state_get(schakel_host_context* ctx, const char* key) {
  auto v = core_->state->get(id_, key);
  if (!v || !v->has_value()) return nullptr;
  ctx->state_strings.push_back(std::move(**v));
  return ctx->state_strings.back().c_str();
}

schakel_result Connector::state_put(const char* key, const char* value) {
  // A cursor moves only past records that are stored.
  if (!flush_records()) {
    core_->log(id_, SCHAKEL_LOG_WARN, "plugin state '" + std::string(key) + "' not stored: records were not stored: " + ctx_.unstored);
    return SCHAKEL_RETRY;
  }
  auto st = core_->state->put(id_, key, value);
  if (!st) core_->log(id_, SCHAKEL_LOG_WARN, "cannot store plugin state '" + std::string(key) + "': " + st.message());
  return st ? SCHAKEL_OK : SCHAKEL_RETRY;
}

int64_t Connector::now_us() const { return core_->clock->now().time_since_epoch().count(); }

}  // namespace schakel::plugin_host
