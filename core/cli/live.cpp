#include "cli/live.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "cli/api_client.hpp"

namespace schakel::cli {
namespace {

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

// The token from --token-file or SCHAKEL_TOKEN. Messages name where it was looked for, never
// what was found.
Result<std::string> read_token(const LiveOptions& live) {
  if (!live.token_file.empty()) {
    std::ifstream in(live.token_file);
    if (!in) return error(ErrorCode::invalid, "--token-file " + live.token_file + ": cannot read");
    std::stringstream ss;
    ss << in.rdbuf();
    auto token = trim(ss.str());
    if (token.empty()) return error(ErrorCode::invalid, "--token-file " + live.token_file + ": empty");
    if (token.find_first_of(" \t\r\n") != std::string::npos)
      return error(ErrorCode::invalid, "--token-file " + live.token_file + ": must hold one token on one line");
    return token;
  }
  const char* env = std::getenv("SCHAKEL_TOKEN");
  if (env && *env) return trim(env);
  return error(ErrorCode::invalid, "no token: set SCHAKEL_TOKEN or pass --token-file FILE");
}

std::string api_url(const LiveOptions& live) {
  if (!live.url.empty()) return live.url;
  const char* env = std::getenv("SCHAKEL_URL");
  return env ? env : "";
}

int exit_code_for(const Status& st) {
  switch (st.code()) {
    case ErrorCode::invalid: return k_exit_usage;
    default: return k_exit_transport;
  }
}

void print_refusal(const LiveCall& call, const ApiReply& reply, std::ostream& err) {
  auto body = nlohmann::json::parse(reply.body, nullptr, false);
  err << "schakel " << call.command << ": " << reply.status;
  if (body.is_object()) {
    err << " " << body.value("error", "") << ": " << body.value("message", "") << "\n";
    for (const auto& p : body.value("problems", nlohmann::json::array())) {
      if (!p.is_object()) continue;
      err << "  " << p.value("pointer", "") << ": " << p.value("message", "") << "\n";
    }
  } else {
    err << "\n";
  }
}

std::string cell(const nlohmann::json& v) {
  if (v.is_null()) return "-";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
  return v.dump();
}

}  // namespace

const char* live_exit_codes_help() {
  return "Exit codes: 0 ok; 1 refused by the API (not allowed, not found, invalid), or an offline check or "
         "verification failed; 2 usage or configuration; 3 transport or TLS (cannot connect, timeout, "
         "certificate not trusted); 4 the API failed (server error).\n"
         "Live commands reach the API at --url or $SCHAKEL_URL with the token in $SCHAKEL_TOKEN or --token-file; "
         "commands with an offline form (--config, --data-dir) run offline when given it, or when no URL is set.";
}

void add_live_options(CLI::App& app, LiveOptions& live) {
  // So `schakel connectors list --json` works as well as `schakel --json connectors list`.
  app.fallthrough();
  app.add_option("--url", live.url, "the daemon's API, e.g. https://127.0.0.1:8443 (default: $SCHAKEL_URL)");
  app.add_option("--token-file", live.token_file, "file holding the bearer token (default: $SCHAKEL_TOKEN)");
  app.add_option("--ca-file", live.ca_file, "verify the API's certificate against this CA (default: system store)");
  app.add_flag("--json", live.json, "print the API's JSON instead of tables");
  app.add_option("--timeout-ms", live.timeout_ms, "timeout of each network step")->capture_default_str()
      ->check(CLI::Range(100, 600'000));
}

bool live_url_given(const LiveOptions& live) { return !api_url(live).empty(); }

int run_live(const LiveOptions& live, const LiveCall& call, std::ostream& out, std::ostream& err) {
  const std::string url = api_url(live);
  if (url.empty()) {
    err << "schakel " << call.command << ": no API address: pass --url or set SCHAKEL_URL\n";
    return k_exit_usage;
  }
  auto endpoint = parse_api_url(url);
  if (!endpoint) {
    err << "schakel " << call.command << ": " << endpoint.status().message() << "\n";
    return k_exit_usage;
  }
  auto token = read_token(live);
  if (!token) {
    err << "schakel " << call.command << ": " << token.status().message() << "\n";
    return k_exit_usage;
  }
  ClientSettings settings{*endpoint, std::move(*token), live.ca_file, std::chrono::milliseconds(live.timeout_ms)};
  auto reply = api_call(settings, call.method, call.target, call.body ? call.body->dump() : std::string());
  if (!reply) {
    err << "schakel " << call.command << ": " << reply.status().message() << "\n";
    return exit_code_for(reply.status());
  }
  const bool is_json = reply->content_type.rfind("application/json", 0) == 0;
  if (reply->status >= 400) {
    print_refusal(call, *reply, err);
    if (live.json && is_json) out << reply->body << (reply->body.empty() || reply->body.back() != '\n' ? "\n" : "");
    return reply->status >= 500 ? k_exit_server : k_exit_refused;
  }
  if (!is_json) {
    out << reply->body;  // CSV, JSON lines: as served
    return k_exit_ok;
  }
  auto body = reply->body.empty() ? nlohmann::json() : nlohmann::json::parse(reply->body, nullptr, false);
  if (body.is_discarded()) {
    err << "schakel " << call.command << ": the API answered " << reply->status << " with malformed JSON\n";
    return k_exit_server;
  }
  const int code = call.verdict ? call.verdict(body) : k_exit_ok;
  if (live.json) {
    out << body.dump(2) << "\n";
  } else if (call.render) {
    call.render(body, out);
  } else if (body.is_null()) {
    out << "ok\n";
  } else {
    out << body.dump(2) << "\n";
  }
  return code;
}

std::string path_segment(const std::string& id) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : id) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string query_string(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string q;
  for (const auto& [k, v] : params) {
    if (v.empty()) continue;
    q += (q.empty() ? "?" : "&") + k + "=" + path_segment(v);
  }
  return q;
}

void print_table(const nlohmann::json& rows, const std::vector<std::pair<std::string, std::string>>& columns,
                 std::ostream& out) {
  if (!rows.is_array() || rows.empty()) {
    out << "(none)\n";
    return;
  }
  std::vector<std::vector<std::string>> cells;
  std::vector<std::size_t> width;
  for (const auto& [header, key] : columns) width.push_back(header.size());
  for (const auto& row : rows) {
    std::vector<std::string> line;
    for (std::size_t i = 0; i < columns.size(); ++i) {
      const auto& key = columns[i].second;
      line.push_back(row.is_object() && row.contains(key) ? cell(row[key]) : "-");
      width[i] = std::max(width[i], line.back().size());
    }
    cells.push_back(std::move(line));
  }
  auto emit = [&](const std::vector<std::string>& line) {
    for (std::size_t i = 0; i < line.size(); ++i) {
      out << line[i];
      if (i + 1 < line.size()) out << std::string(width[i] - line[i].size() + 2, ' ');
    }
    out << "\n";
  };
  std::vector<std::string> headers;
  for (const auto& [header, key] : columns) headers.push_back(header);
  emit(headers);
  for (const auto& line : cells) emit(line);
}

void print_fields(const nlohmann::json& object, std::ostream& out) {
  if (!object.is_object()) {
    out << cell(object) << "\n";
    return;
  }
  std::size_t w = 0;
  for (const auto& [k, v] : object.items()) w = std::max(w, k.size());
  for (const auto& [k, v] : object.items()) out << k << ":" << std::string(w - k.size() + 1, ' ') << cell(v) << "\n";
}

}  // namespace schakel::cli
