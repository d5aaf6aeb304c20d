#pragma once
// What every live command shares: the API's address and token from the global options or the
// environment, one call, its exit code, and the output (readable by default, the API's JSON with
// --json). Exit codes:
//   0 ok; 1 refused by the API (4xx: not allowed, not found, invalid); 2 usage or configuration;
//   3 transport or TLS (cannot connect, timeout, certificate not trusted); 4 server error (5xx).
#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"

namespace schakel::cli {

inline constexpr int k_exit_ok = 0;
inline constexpr int k_exit_refused = 1;
inline constexpr int k_exit_usage = 2;
inline constexpr int k_exit_transport = 3;
inline constexpr int k_exit_server = 4;

// The help text for the exit codes above, for the app's footer.
const char* live_exit_codes_help();
// The live commands with the role each needs, for the app's footer.
const char* live_commands_help();

// Adds --url, --token-file, --ca-file, --json and --timeout-ms to the app.
void add_live_options(CLI::App& app, LiveOptions& live);

// Whether an API address is given (--url or SCHAKEL_URL): commands with an offline form use it
// to choose.
bool live_url_given(const LiveOptions& live);

// How a successful answer is shown without --json.
using Render = std::function<void(const nlohmann::json& body, std::ostream& out)>;

struct LiveCall {
  LiveCall(std::string command_, std::string method_, std::string target_,
           std::optional<nlohmann::json> body_ = std::nullopt, Render render_ = {})
      : command(std::move(command_)), method(std::move(method_)), target(std::move(target_)),
        body(std::move(body_)), render(std::move(render_)) {}

  std::string command;  // "connectors run", for messages
  std::string method;
  std::string target;   // "/v1/...", query included
  std::optional<nlohmann::json> body;
  Render render;        // empty: print the JSON indented
  // The exit code of a successful answer (e.g. 1 for a check that failed); empty: 0.
  std::function<int(const nlohmann::json& body)> verdict;
};

// Runs one call and prints its outcome; returns the exit code.
int run_live(const LiveOptions& live, const LiveCall& call, std::ostream& out, std::ostream& err);

// "?a=1&b=x%20y" from the pairs whose value is not empty ("" when none).
std::string query_string(const std::vector<std::pair<std::string, std::string>>& params);
// Percent-encodes one path segment (an id).
std::string path_segment(const std::string& id);

// A table with one row per object in `rows`, columns (header, key); nested values as compact JSON.
void print_table(const nlohmann::json& rows, const std::vector<std::pair<std::string, std::string>>& columns,
                 std::ostream& out);
// "key: value" lines of an object, in its order.
void print_fields(const nlohmann::json& object, std::ostream& out);
// A document as "path: value" lines, nested objects and arrays flattened ("naam.roepnaam",
// "agreements[0].what"), so a whole case or meeting reads top to bottom without JSON syntax.
void print_flat(const nlohmann::json& doc, std::ostream& out);
// One value as a table cell: "-" for null, yes/no, strings bare, lists of strings joined by ", ".
std::string cell_text(const nlohmann::json& v);

}  // namespace schakel::cli
