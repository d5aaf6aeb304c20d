#pragma once
// A C++ layer over the C plugin ABI (plugin.h): a plugin is a class derived from
// schakel::plugin::Plugin with a constructor (Host, config JSON) and the methods it needs, and
// one SCHAKEL_PLUGIN(...) line exports the entry symbol. Every exception is caught here, at the
// boundary, and becomes an error result whose message is the exception's what(); none crosses
// into the host. Header-only and standard library only, so out-of-tree plugins need nothing else.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "schakel/plugin.h"

namespace schakel::plugin {

enum class Code : schakel_result {
  ok = SCHAKEL_OK,
  retry = SCHAKEL_RETRY,
  reject = SCHAKEL_REJECT,
  fatal = SCHAKEL_FATAL,
};

// What a call returns. Give every error a message; an error without one is reported by the
// host as a plugin bug.
struct Outcome {
  Code code = Code::ok;
  std::string message;
  std::string receipt_json;     // deliver: the destination's reference, a JSON object
  std::int64_t retry_after_ms = 0;  // retry: the wait the destination asked for

  static Outcome ok(std::string receipt_json = {}) {
    return {Code::ok, {}, std::move(receipt_json), 0};
  }
  static Outcome retry(std::string message, std::int64_t after_ms = 0) {
    return {Code::retry, std::move(message), {}, after_ms};
  }
  static Outcome reject(std::string message) { return {Code::reject, std::move(message), {}, 0}; }
  static Outcome fatal(std::string message) { return {Code::fatal, std::move(message), {}, 0}; }
};

// The host's services for one instance. Valid for the instance's lifetime; call only from inside
// a callback (plugin.h, "Threading").
class Host {
 public:
  Host(const schakel_host_services* services, schakel_host_context* ctx)
      : services_(services), ctx_(ctx) {}

  void log(schakel_log_level level, const std::string& msg) const {
    services_->log(ctx_, level, msg.c_str());
  }
  void debug(const std::string& msg) const { log(SCHAKEL_LOG_DEBUG, msg); }
  void info(const std::string& msg) const { log(SCHAKEL_LOG_INFO, msg); }
  void warn(const std::string& msg) const { log(SCHAKEL_LOG_WARN, msg); }
  void error(const std::string& msg) const { log(SCHAKEL_LOG_ERROR, msg); }

  // True if the host accepted the record; false if it was quarantined (invalid for the stream).
  bool emit(const std::string& stream, std::string_view record_json) const {
    return services_->emit(ctx_, stream.c_str(), record_json.data(), record_json.size()) ==
           SCHAKEL_OK;
  }
  [[nodiscard]] std::optional<std::string> state(const std::string& key) const {
    const char* v = services_->state_get(ctx_, key.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  }
  bool put_state(const std::string& key, const std::string& value) const {
    return services_->state_put(ctx_, key.c_str(), value.c_str()) == SCHAKEL_OK;
  }
  [[nodiscard]] std::int64_t now_us() const { return services_->now_us(ctx_); }

  void set_error(const std::string& msg) const { services_->set_error(ctx_, msg.c_str()); }

 private:
  const schakel_host_services* services_;
  schakel_host_context* ctx_;
};

// Derive from this; override what the manifest's kind needs. The derived class's constructor
// takes (Host, const std::string& config_json) and may throw to refuse its settings.
class Plugin {
 public:
  virtual ~Plugin() = default;
  virtual Outcome check() { return Outcome::ok(); }
  virtual Outcome poll() { return Outcome::fatal("this plugin is not a source"); }
  virtual Outcome deliver(std::string_view document, const std::string& idempotency_key) {
    (void)document;
    (void)idempotency_key;
    return Outcome::fatal("this plugin is not a sink");
  }
  virtual Outcome revoke(const std::string& receipt_json, const std::string& reason) {
    (void)receipt_json;
    (void)reason;
    return Outcome::reject("this plugin cannot revoke");
  }
};

namespace detail {

template <typename T>
struct Adapter {
  struct Instance {
    Host host;
    std::unique_ptr<T> plugin;
    std::string receipt;  // kept until the next call on the instance (plugin.h ownership rule)
  };

  static schakel_result fail(const Host& host, const char* where, const char* what) {
    host.set_error(std::string(where) + " threw: " + what);
    return SCHAKEL_FATAL;
  }

  static schakel_result finish(Instance* inst, Outcome&& o, schakel_outcome* out) {
    if (o.code != Code::ok && !o.message.empty()) inst->host.set_error(o.message);
    if (out != nullptr) {
      // An older host's outcome may be shorter; write only what its struct_size covers.
      if (out->struct_size >= offsetof(schakel_outcome, retry_after_ms) + sizeof(out->retry_after_ms))
        out->retry_after_ms = o.retry_after_ms;
      if (out->struct_size >= offsetof(schakel_outcome, receipt_json) + sizeof(out->receipt_json)) {
        inst->receipt = std::move(o.receipt_json);
        out->receipt_json = inst->receipt.empty() ? nullptr : inst->receipt.c_str();
      }
    }
    return static_cast<schakel_result>(o.code);
  }

  // Runs one callback with every exception turned into a fatal error with its message.
  template <typename F>
  static schakel_result guarded(void* instance, const char* where, schakel_outcome* out, F&& f) {
    auto* inst = static_cast<Instance*>(instance);
    try {
      return finish(inst, f(*inst->plugin), out);
    } catch (const std::exception& e) {
      return fail(inst->host, where, e.what());
    } catch (...) {
      return fail(inst->host, where, "an exception that is not a std::exception");
    }
  }

  static schakel_result create(const schakel_host_services* services, schakel_host_context* ctx,
                               const char* config_json, void** out_instance) {
    Host host(services, ctx);
    try {
      auto inst = std::make_unique<Instance>(Instance{host, nullptr, {}});
      inst->plugin = std::make_unique<T>(host, std::string(config_json ? config_json : "{}"));
      *out_instance = inst.release();
      return SCHAKEL_OK;
    } catch (const std::exception& e) {
      return fail(host, "create", e.what());
    } catch (...) {
      return fail(host, "create", "an exception that is not a std::exception");
    }
  }
  static schakel_result check(void* instance) {
    return guarded(instance, "check", nullptr, [](T& p) { return p.check(); });
  }
  static schakel_result poll(void* instance, schakel_outcome* out) {
    return guarded(instance, "poll", out, [](T& p) { return p.poll(); });
  }
  static schakel_result deliver(void* instance, const char* doc, size_t doc_len, const char* key,
                                schakel_outcome* out) {
    return guarded(instance, "deliver", out, [&](T& p) {
      return p.deliver(std::string_view(doc, doc_len), std::string(key ? key : ""));
    });
  }
  static schakel_result revoke(void* instance, const char* receipt, const char* reason,
                               schakel_outcome* out) {
    return guarded(instance, "revoke", out, [&](T& p) {
      return p.revoke(std::string(receipt ? receipt : ""), std::string(reason ? reason : ""));
    });
  }
  static void destroy(void* instance) noexcept {
    // A destructor that throws would terminate; there is no caller to report it to.
    delete static_cast<Instance*>(instance);
  }
};

template <typename T>
constexpr schakel_plugin_descriptor make_descriptor(const char* name, const char* version,
                                                    const char* manifest_json, bool can_revoke) {
  return schakel_plugin_descriptor{
      sizeof(schakel_plugin_descriptor),
      SCHAKEL_PLUGIN_ABI_MAJOR,
      SCHAKEL_PLUGIN_ABI_MINOR,
      name,
      version,
      manifest_json,
      &Adapter<T>::create,
      &Adapter<T>::check,
      &Adapter<T>::poll,
      &Adapter<T>::deliver,
      can_revoke ? &Adapter<T>::revoke : nullptr,
      &Adapter<T>::destroy,
  };
}

}  // namespace detail
}  // namespace schakel::plugin

// Exports the entry symbol for plugin class `cls`. `manifest` is the JSON manifest (a string
// literal, e.g. R"json(...)json"); pass can_revoke = true only if it lists "revoke".
#define SCHAKEL_PLUGIN(cls, name, version, manifest, can_revoke)                                 \
  extern "C" SCHAKEL_PLUGIN_EXPORT const schakel_plugin_descriptor* schakel_plugin_entry(        \
      uint16_t, uint16_t) {                                                                     \
    static const schakel_plugin_descriptor descriptor =                                         \
        ::schakel::plugin::detail::make_descriptor<cls>(name, version, manifest, can_revoke);   \
    return &descriptor;                                                                         \
  }
