#pragma once
// Structured logging on spdlog: text lines for people or JSON lines for log collectors.
// Messages never carry secrets: callers log names and ids, not values from the configuration.
#include <string>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace schakel::log {

enum class Format { text, json };

// Sets the default logger (to stderr) with the format and level ("info", "debug", ...).
void setup(Format format, const std::string& level);

// One event with fields: text format prints "msg key=value ...", JSON format one object.
void event(spdlog::level::level_enum level, const std::string& msg, const nlohmann::json& fields = nlohmann::json::object());
inline void info(const std::string& msg, const nlohmann::json& fields = nlohmann::json::object()) {
  event(spdlog::level::info, msg, fields);
}
inline void warn(const std::string& msg, const nlohmann::json& fields = nlohmann::json::object()) {
  event(spdlog::level::warn, msg, fields);
}
inline void error(const std::string& msg, const nlohmann::json& fields = nlohmann::json::object()) {
  event(spdlog::level::err, msg, fields);
}

}  // namespace schakel::log
