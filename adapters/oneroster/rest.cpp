#include "oneroster/rest.hpp"

#include <cctype>
#include <thread>

#include "http/client.hpp"

namespace schakel::oneroster {
namespace {

using nlohmann::json;

Status bad_object(const std::string& where, const std::string& field, const std::string& what) {
  return Status(ErrorCode::invalid, where + ": " + field + ": " + what);
}

// A string field: absent or null is "", a number or boolean is written as the CSV would.
Result<std::string> text(const json& o, const char* field, const std::string& where) {
  auto it = o.find(field);
  if (it == o.end() || it->is_null()) return std::string();
  if (it->is_string()) return it->get<std::string>();
  if (it->is_boolean()) return std::string(it->get<bool>() ? "true" : "false");
  if (it->is_number()) return it->dump();
  return bad_object(where, field, "is not a string");
}

// The sourcedId of a GUIDRef field ({"href", "sourcedId", "type"}).
Result<std::string> ref(const json& o, const char* field, const std::string& where) {
  auto it = o.find(field);
  if (it == o.end() || it->is_null()) return std::string();
  if (!it->is_object()) return bad_object(where, field, "is not a GUIDRef object");
  return text(*it, "sourcedId", where + ": " + field);
}

// A list of GUIDRefs or of strings, joined with "," as the CSV writes it.
Result<std::string> joined(const json& o, const char* field, const std::string& where, bool refs) {
  auto it = o.find(field);
  if (it == o.end() || it->is_null()) return std::string();
  if (!it->is_array()) return bad_object(where, field, "is not an array");
  std::string out;
  for (std::size_t i = 0; i < it->size(); ++i) {
    const json& v = (*it)[i];
    std::string item;
    if (refs && v.is_object() && v.contains("sourcedId") && v["sourcedId"].is_string()) item = v["sourcedId"];
    else if (!refs && v.is_string()) item = v.get<std::string>();
    else return bad_object(where, std::string(field) + "/" + std::to_string(i), refs ? "is not a GUIDRef" : "is not a string");
    if (!out.empty()) out += ',';
    out += item;
  }
  return out;
}

void flatten_metadata(const json& m, const std::string& prefix, std::vector<std::string>& cols,
                      std::vector<std::string>& vals) {
  for (const auto& [k, v] : m.items()) {
    if (v.is_object()) {
      flatten_metadata(v, prefix + k + ".", cols, vals);
    } else {
      cols.push_back(prefix + k);
      vals.push_back(v.is_string() ? v.get<std::string>() : v.dump());
    }
  }
}

// userIds [{type, identifier}] as the CSV's "{type:identifier},..." list.
Result<std::string> user_ids(const json& o, const std::string& where) {
  auto it = o.find("userIds");
  if (it == o.end() || it->is_null()) return std::string();
  if (!it->is_array()) return bad_object(where, "userIds", "is not an array");
  std::string out;
  for (std::size_t i = 0; i < it->size(); ++i) {
    const json& v = (*it)[i];
    if (!v.is_object() || !v.value("type", json()).is_string() || !v.value("identifier", json()).is_string())
      return bad_object(where, "userIds/" + std::to_string(i), "is not {type, identifier}");
    if (!out.empty()) out += ',';
    out += "{" + v["type"].get<std::string>() + ":" + v["identifier"].get<std::string>() + "}";
  }
  return out;
}

// 1.2 puts roles inside the user: the primary role (else the first) becomes the CSV's `role`
// column, and its org leads orgSourcedIds, which is how the bundle path reads roles.csv.
Status roles_of(const json& o, const std::string& where, std::string& role, std::string& orgs) {
  auto it = o.find("roles");
  if (it == o.end() || it->is_null()) return Status::ok();
  if (!it->is_array()) return bad_object(where, "roles", "is not an array");
  std::vector<std::pair<std::string, std::string>> list;
  for (std::size_t i = 0; i < it->size(); ++i) {
    const json& r = (*it)[i];
    const std::string at = where + ": roles/" + std::to_string(i);
    if (!r.is_object()) return Status(ErrorCode::invalid, at + ": is not an object");
    auto name = text(r, "role", at);
    if (!name) return name.status();
    auto org = ref(r, "org", at);
    if (!org) return org.status();
    std::pair<std::string, std::string> entry{*name, *org};
    if (r.value("roleType", std::string()) == "primary") list.insert(list.begin(), entry);
    else list.push_back(entry);
  }
  if (list.empty()) return Status::ok();
  role = list.front().first;
  std::string joined_orgs;
  for (const auto& [r, org] : list) {
    if (org.empty()) continue;
    if (!joined_orgs.empty()) joined_orgs += ',';
    joined_orgs += org;
  }
  if (!joined_orgs.empty()) orgs = joined_orgs + (orgs.empty() ? "" : "," + orgs);
  return Status::ok();
}

}  // namespace

Result<std::unique_ptr<Table>> rest_row(const std::string& collection, Version version, const json& o,
                                        const std::string& name, std::uint64_t position) {
  const std::string where = name + ":" + std::to_string(position);
  if (!o.is_object()) return Status(ErrorCode::invalid, where + ": is not a JSON object");
  std::vector<std::string> cols;
  std::vector<std::string> vals;
  Status failed = Status::ok();
  auto put = [&](const std::string& column, Result<std::string> value) {
    if (!failed) return;
    if (!value) {
      failed = value.status();
      return;
    }
    cols.push_back(column);
    vals.push_back(std::move(*value));
  };
  put("sourcedId", text(o, "sourcedId", where));
  put("status", text(o, "status", where));
  put("dateLastModified", text(o, "dateLastModified", where));
  if (collection == "orgs") {
    put("name", text(o, "name", where));
    put("type", text(o, "type", where));
    put("identifier", text(o, "identifier", where));
    put("parentSourcedId", ref(o, "parent", where));
  } else if (collection == "classes") {
    put("title", text(o, "title", where));
    put("classType", text(o, "classType", where));
    put("classCode", text(o, "classCode", where));
    put("schoolSourcedId", ref(o, "school", where));
    put("courseSourcedId", ref(o, "course", where));
    put("grades", joined(o, "grades", where, false));
  } else if (collection == "enrollments") {
    put("classSourcedId", ref(o, "class", where));
    put("schoolSourcedId", ref(o, "school", where));
    put("userSourcedId", ref(o, "user", where));
    put("role", text(o, "role", where));
    put("primary", text(o, "primary", where));
    put("beginDate", text(o, "beginDate", where));
    put("endDate", text(o, "endDate", where));
  } else if (collection == "demographics") {
    put("birthDate", text(o, "birthDate", where));
    put("sex", text(o, "sex", where));
  } else if (collection == "users") {
    for (const char* f : {"username", "givenName", "familyName", "middleName", "identifier", "email", "sms", "phone",
                          "enabledUser"})
      put(f, text(o, f, where));
    // 1.1 writes preferredGivenName nowhere; 1.2 JSON calls it preferredFirstName.
    put("preferredGivenName", text(o, version == Version::v1_2 ? "preferredFirstName" : "preferredGivenName", where));
    put("userIds", user_ids(o, where));
    put("agentSourcedIds", joined(o, "agents", where, true));
    put("grades", joined(o, "grades", where, false));
    std::string role;
    auto orgs = joined(o, "orgs", where, true);
    if (!orgs) return orgs.status();
    std::string org_list = *orgs;
    if (version == Version::v1_1) {
      auto r = text(o, "role", where);
      if (!r) return r.status();
      role = *r;
    } else {
      auto primary = ref(o, "primaryOrg", where);
      if (!primary) return primary.status();
      org_list = *primary;
      SCHAKEL_TRY(roles_of(o, where, role, org_list));
    }
    put("role", role);
    put("orgSourcedIds", org_list);
  } else {
    return Status(ErrorCode::invalid, where + ": collection '" + collection + "' is not read by this binding");
  }
  if (!failed) return failed;
  if (auto m = o.find("metadata"); m != o.end() && m->is_object()) flatten_metadata(*m, "metadata.", cols, vals);
  auto t = Table::in_memory(name, cols);
  t->set_row(std::move(vals), position);
  return t;
}

std::string url_encode(const std::string& s) {
  static constexpr char k_hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += k_hex[c >> 4U];
      out += k_hex[c & 15U];
    }
  }
  return out;
}

std::string modified_since_filter(const std::string& instant) { return "dateLastModified>'" + instant + "'"; }

std::vector<std::pair<std::string, std::string>> parse_link_header(const std::string& value) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t i = 0;
  while (i < value.size()) {
    auto open = value.find('<', i);
    if (open == std::string::npos) break;
    auto close = value.find('>', open);
    if (close == std::string::npos) break;
    std::string url = value.substr(open + 1, close - open - 1);
    auto end = value.find('<', close);  // the parameters run to the next link
    std::string params = value.substr(close + 1, end == std::string::npos ? std::string::npos : end - close - 1);
    auto rel = params.find("rel=");
    if (rel != std::string::npos) {
      std::size_t b = rel + 4;
      bool quoted = b < params.size() && params[b] == '"';
      if (quoted) ++b;
      std::size_t e = b;
      while (e < params.size() && params[e] != '"' && params[e] != ';' && params[e] != ',' &&
             !(!quoted && params[e] == ' '))
        ++e;
      // rel may list several space-separated relation types.
      std::string rels = params.substr(b, e - b);
      std::size_t p = 0;
      while (p < rels.size()) {
        auto sp = rels.find(' ', p);
        auto r = rels.substr(p, sp == std::string::npos ? std::string::npos : sp - p);
        if (!r.empty()) out.emplace_back(r, url);
        if (sp == std::string::npos) break;
        p = sp + 1;
      }
    }
    if (end == std::string::npos) break;
    i = end;
  }
  return out;
}

RestReader::RestReader(oauth2::AuthorizedClient& client, RestOptions options)
    : client_(client), options_(std::move(options)) {
  if (!options_.sleep) options_.sleep = [](std::chrono::milliseconds ms) { std::this_thread::sleep_for(ms); };
  if (options_.page_size == 0) options_.page_size = 100;
}

Result<json> RestReader::get_page(const std::string& url, const std::string& what,
                                  std::optional<std::uint64_t>* total, bool* link_next, bool* has_link) {
  for (int attempt = 1;; ++attempt) {
    ++requests_;
    auto res = client_.send({"GET", url, {{"Accept", "application/json"}}, {}});
    if (!res) return Status(res.status().code(), what + ": " + client_.tokens().scrub(res.status().message()));
    if (!first_date_) {
      if (auto d = res->header("Date")) {
        // parse_retry_after measures an HTTP-date from `now`; from the epoch it is the instant.
        if (auto since_epoch = http::parse_retry_after(*d, TimePoint{}); since_epoch && since_epoch->count() > 0)
          first_date_ = TimePoint{std::chrono::duration_cast<std::chrono::microseconds>(*since_epoch)};
      }
    }
    if (res->status == 429 || res->status == 503) {
      auto wait = res->retry_after.value_or(options_.default_wait);
      if (wait > options_.max_wait || attempt >= options_.max_attempts) {
        retry_after_ = wait;
        return Status(ErrorCode::unavailable, what + ": HTTP " + std::to_string(res->status) + " after " +
                                                  std::to_string(attempt) + " attempts (Retry-After " +
                                                  std::to_string(wait.count()) + " ms)");
      }
      options_.sleep(wait);
      continue;
    }
    if (res->status != 200) {
      auto st = http::response_status(*res);
      if (st.is_ok()) st = Status(ErrorCode::invalid, "HTTP " + std::to_string(res->status));
      return Status(st.code(), what + ": " + client_.tokens().scrub(st.message()));
    }
    if (auto t = res->header("X-Total-Count")) {
      try {
        *total = std::stoull(*t);
      } catch (const std::exception&) {
        return Status(ErrorCode::invalid, what + ": X-Total-Count '" + *t + "' is not a number");
      }
    }
    if (auto l = res->header("Link")) {
      *has_link = true;
      for (const auto& [rel, u] : parse_link_header(*l)) *link_next = *link_next || rel == "next";
    }
    auto body = json::parse(res->body, nullptr, false);
    // A body that does not parse was most likely cut short on the way: worth another try later.
    if (body.is_discarded()) return Status(ErrorCode::unavailable, what + ": the response is not JSON (cut short?)");
    return body;
  }
}

Status RestReader::each(const std::string& collection, const std::string& filter,
                        const std::function<void(const Table&)>& row, const BadObject& bad) {
  const std::string name = "rest:/" + collection;
  std::uint64_t offset = 0;
  for (std::size_t page = 0; page < options_.max_pages; ++page) {
    std::string query = "?limit=" + std::to_string(options_.page_size) + "&offset=" + std::to_string(offset) +
                        "&sort=sourcedId&orderBy=asc";
    if (!filter.empty()) query += "&filter=" + url_encode(filter);
    const std::string what = "GET /" + collection + " offset " + std::to_string(offset);
    std::optional<std::uint64_t> total;
    bool link_next = false;
    bool has_link = false;
    auto body = get_page(options_.base_url + "/" + collection + query, what, &total, &link_next, &has_link);
    if (!body) return body.status();
    auto items = body->find(collection);
    if (!body->is_object() || items == body->end() || !items->is_array())
      return Status(ErrorCode::invalid, what + ": the response has no '" + collection + "' array");
    for (const auto& o : *items) {
      ++offset;
      auto t = rest_row(collection, options_.version, o, name, offset);
      if (!t) {
        bad(name + ":" + std::to_string(offset), o.is_object() ? o.value("sourcedId", std::string()) : std::string(),
            t.status());
        continue;
      }
      row(**t);
    }
    if (items->empty()) return Status::ok();
    if (total) {
      if (offset >= *total) return Status::ok();
    } else if (has_link) {
      if (!link_next) return Status::ok();
    } else if (items->size() < options_.page_size) {
      return Status::ok();
    }
  }
  return Status(ErrorCode::invalid, "GET /" + collection + ": more than " + std::to_string(options_.max_pages) + " pages");
}

}  // namespace schakel::oneroster
