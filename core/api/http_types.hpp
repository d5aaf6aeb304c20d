#pragma once
// The API's view of an HTTP exchange, free of Beast so handlers and their tests need no sockets.
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.hpp"

namespace schakel::api {

struct ApiRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query as received, e.g. "/v1/students/stu_1?x=y"
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  std::string client_ip;

  [[nodiscard]] std::string header(const std::string& lower_name) const;
};

struct ApiResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // Set by a handler whose answer may leave only once something it started is durable (the
  // audit entry of an audited read), without a thread waiting for it: whoever sends the response
  // calls this after the handler returns, and sends it when the callback reports ok (a store
  // failure otherwise, see ApiService::settle). The callback may run on any thread.
  std::function<void(std::function<void(Status)>)> durable;
};

// One problem in a request: where (a JSON pointer into the body, or "/path/<name>", "/query/<name>")
// and what.
struct Problem {
  std::string pointer;
  std::string message;
};

ApiResponse json_response(int status, const nlohmann::json& body);
// {"error": code, "message": message, "problems": [{"pointer", "message"}]}
ApiResponse error_response(int status, const std::string& code, const std::string& message,
                           const std::vector<Problem>& problems = {});

}  // namespace schakel::api
