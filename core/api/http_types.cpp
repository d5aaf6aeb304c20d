#include "api/http_types.hpp"

#include "base/json_text.hpp"

namespace schakel::api {

std::string ApiRequest::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

ApiResponse json_response(int status, const nlohmann::json& body) {
  ApiResponse r;
  r.status = status;
  r.body = json_text(body);
  return r;
}

ApiResponse error_response(int status, const std::string& code, const std::string& message,
                           const std::vector<Problem>& problems) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& p : problems) list.push_back({{"pointer", p.pointer}, {"message", p.message}});
  return json_response(status, {{"error", code}, {"message", message}, {"problems", list}});
}

}  // namespace schakel::api
