#include "log/log.hpp"

#include <atomic>

#include <spdlog/sinks/stdout_sinks.h>

#include "base/clock.hpp"

namespace schakel::log {
namespace {

std::atomic<Format> g_format{Format::text};

}  // namespace

void setup(Format format, const std::string& level) {
  g_format = format;
  spdlog::drop("schakel");
  auto logger = spdlog::stderr_logger_mt("schakel");
  // JSON lines carry their own time and level, so their pattern is the bare message.
  logger->set_pattern(format == Format::json ? "%v" : "%Y-%m-%dT%H:%M:%S.%fZ %-5l %v",
                      spdlog::pattern_time_type::utc);
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
}

void event(spdlog::level::level_enum level, const std::string& msg, const nlohmann::json& fields) {
  auto logger = spdlog::default_logger();
  if (!logger->should_log(level)) return;
  if (g_format == Format::json) {
    nlohmann::json line = {{"time", format_utc(SystemClock{}.now())},
                           {"level", std::string(spdlog::level::to_string_view(level).data())},
                           {"msg", msg}};
    for (const auto& [k, v] : fields.items()) line[k] = v;
    logger->log(level, "{}", line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    return;
  }
  std::string text = msg;
  for (const auto& [k, v] : fields.items()) text += " " + k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
  logger->log(level, "{}", text);
}

}  // namespace schakel::log
