// POST /v1/config/validate (admin): checks a posted YAML configuration and returns every error
// with line, column and path. Nothing is applied; no secret is resolved.
#include <regex>

#include "api/endpoints.hpp"
#include "config/config.hpp"

namespace schakel::api {
namespace {

// "connectors[2].settings" → "/connectors/2/settings"
std::string path_to_pointer(const std::string& path) {
  if (path.empty()) return "";
  std::string out = "/";
  for (char c : path) {
    if (c == '.' || c == '[') {
      if (out.back() != '/') out += '/';
    } else if (c == ']') {
      continue;
    } else if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

ApiResponse validate_config(ApiService& service, RequestContext& ctx) {
  const std::string& text = ctx.request().body;
  if (text.empty()) {
    return error_response(400, "bad_request", "post the YAML configuration as the request body", {{"", "empty body"}});
  }
  // A posted config must not read the daemon's environment or files: every reference resolves to
  // a placeholder, and ${file:...} is checked as if it were ${env:...}.
  static const std::regex file_ref(R"(\$\{file:[^}]*\})");
  const std::string neutral = std::regex_replace(text, file_ref, "${env:SCHAKEL_POSTED_FILE_REF}");
  const config::EnvLookup placeholder = [](const std::string&) { return std::optional<std::string>("placeholder"); };
  const auto result = config::load_config_text(neutral, "posted-config.yaml", service.schemas(), placeholder);
  if (result.errors.empty()) return json_response(200, {{"valid", true}});
  nlohmann::json problems = nlohmann::json::array();
  for (const auto& e : result.errors) {
    problems.push_back({{"pointer", path_to_pointer(e.path)},
                        {"path", e.path},
                        {"line", e.mark.line},
                        {"column", e.mark.column},
                        {"message", e.message}});
  }
  return json_response(422, {{"error", "invalid_config"},
                             {"message", std::to_string(result.errors.size()) + " error(s) in the configuration"},
                             {"valid", false},
                             {"problems", problems}});
}

}  // namespace

void register_config_endpoints(ApiService& service) {
  service.add_route({"POST", "/v1/config/validate", {Role::admin}, SchoolScope::none,
                     [&service](RequestContext& ctx) { return validate_config(service, ctx); },
                     "validate a posted configuration"});
}

}  // namespace schakel::api
