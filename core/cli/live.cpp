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

}  // namespace

const char* live_exit_codes_help() {
  return "Exit codes:\n"
         "  0  ok\n"
         "  1  refused by the API: 401 no valid token (missing, expired or revoked), 403 not allowed for this\n"
         "     role or school, 404 not found, 409 conflict, 422 invalid document (each problem with its JSON\n"
         "     pointer); also a check or an audit verification that found a problem\n"
         "  2  usage or configuration: bad options, no --url, no token, an unreadable --file\n"
         "  3  transport or TLS: cannot connect, timeout, certificate not trusted (pass --ca-file)\n"
         "  4  the API failed: a server error (5xx) or an answer that is not valid JSON\n"
         "Live commands reach the API at --url or $SCHAKEL_URL with the token in $SCHAKEL_TOKEN or --token-file; "
         "commands with an offline form (--config, --data-dir) run offline when given it, or when no URL is set.";
}

const char* live_commands_help() {
  return "Live commands (through the API; the token's role and schools decide what is allowed):\n"
         "  admin            token create|revoke; connectors check|pause|resume; config reload\n"
         "  admin, operator  connectors list|status ID|run ID; outbox list|retry ID\n"
         "  staff (IB)       students create --file F | show ID\n"
         "                   guardians create --file F | show ID\n"
         "                   cases create --file F | show ID | stage ID STAGE | agreement ID --file F\n"
         "                   consents record --file F | withdraw ID --file F | list STUDENT\n"
         "                   referrals queue --file F | show ID | supplement ID --file F\n"
         "                   meetings plan --file F | show ID | change ID --file F\n"
         "  privacy officer  audit search --student ID [--action A] [--from T] [--to T] [--limit N] [--after SEQ]\n"
         "                   audit export [--format csv|jsonl] [--student ID] [--tenant T] [--action A] ...\n"
         "                   audit verify; audit report --student ID; consents list STUDENT\n"
         "A --file holds one JSON document as in schemas/<kind>.schema.json (- reads stdin). Output is a table or\n"
         "key: value lines; --json prints the API's JSON instead. Tokens are never printed, except the new secret\n"
         "of token create, alone on stdout.\n";
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

namespace {

// Columns are measured in characters, not bytes (names such as Zoë), and a cell is one line.
std::size_t display_width(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::string one_line(std::string s, std::size_t max_chars) {
  for (char& c : s) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  if (display_width(s) <= max_chars) return s;
  std::size_t chars = 0, i = 0;
  for (; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80 && ++chars > max_chars - 3) break;
  }
  return s.substr(0, i) + "...";
}

// Every column but the last is cut at this many characters, so one long value (a reason, a
// list of categories) does not push the rest off the screen; the last is shown whole.
constexpr std::size_t k_max_cell = 40;

}  // namespace

void print_table(const nlohmann::json& rows, const std::vector<std::pair<std::string, std::string>>& columns,
                 std::ostream& out) {
  if (!rows.is_array() || rows.empty()) {
    out << "(none)\n";
    return;
  }
  std::vector<std::vector<std::string>> cells;
  std::vector<std::size_t> width;
  for (const auto& [header, key] : columns) width.push_back(display_width(header));
  for (const auto& row : rows) {
    std::vector<std::string> line;
    for (std::size_t i = 0; i < columns.size(); ++i) {
      const auto& key = columns[i].second;
      const std::string text = row.is_object() && row.contains(key) ? cell_text(row[key]) : "-";
      line.push_back(one_line(text, i + 1 < columns.size() ? k_max_cell : std::string::npos));
      width[i] = std::max(width[i], display_width(line.back()));
    }
    cells.push_back(std::move(line));
  }
  auto emit = [&](const std::vector<std::string>& line) {
    for (std::size_t i = 0; i < line.size(); ++i) {
      out << line[i];
      if (i + 1 < line.size()) out << std::string(width[i] - display_width(line[i]) + 2, ' ');
    }
    out << "\n";
  };
  std::vector<std::string> headers;
  for (const auto& [header, key] : columns) headers.push_back(header);
  emit(headers);
  for (const auto& line : cells) emit(line);
}

std::string cell_text(const nlohmann::json& v) {
  if (v.is_null()) return "-";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
  if (v.is_array() && std::all_of(v.begin(), v.end(), [](const nlohmann::json& e) { return e.is_string(); })) {
    if (v.empty()) return "-";
    std::string joined;
    for (const auto& e : v) joined += (joined.empty() ? "" : ", ") + e.get<std::string>();
    return joined;
  }
  return v.dump();
}

void print_fields(const nlohmann::json& object, std::ostream& out) {
  if (!object.is_object()) {
    out << cell_text(object) << "\n";
    return;
  }
  std::size_t w = 0;
  for (const auto& [k, v] : object.items()) w = std::max(w, k.size());
  for (const auto& [k, v] : object.items()) out << k << ":" << std::string(w - k.size() + 1, ' ') << cell_text(v) << "\n";
}

namespace {

void flatten(const nlohmann::json& v, const std::string& path, std::vector<std::pair<std::string, std::string>>& lines) {
  const bool plain_list =
      v.is_array() && std::all_of(v.begin(), v.end(), [](const nlohmann::json& e) { return !e.is_structured(); });
  if (v.is_object() && !v.empty()) {
    for (const auto& [k, child] : v.items()) flatten(child, path.empty() ? k : path + "." + k, lines);
  } else if (v.is_array() && !v.empty() && !plain_list) {
    for (std::size_t i = 0; i < v.size(); ++i) flatten(v[i], path + "[" + std::to_string(i) + "]", lines);
  } else {
    lines.emplace_back(path, cell_text(v));
  }
}

}  // namespace

void print_flat(const nlohmann::json& doc, std::ostream& out) {
  std::vector<std::pair<std::string, std::string>> lines;
  flatten(doc, "", lines);
  std::size_t w = 0;
  for (const auto& [k, v] : lines) w = std::max(w, k.size());
  for (const auto& [k, v] : lines) out << k << ":" << std::string(w - k.size() + 1, ' ') << v << "\n";
}

}  // namespace schakel::cli
