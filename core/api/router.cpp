#include "api/router.hpp"

#include <algorithm>
#include <stdexcept>

namespace schakel::api {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_param(const std::string& segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

}  // namespace

const std::string& RequestContext::param(const std::string& name) const {
  static const std::string empty;
  auto it = params_.find(name);
  return it == params_.end() ? empty : it->second;
}

bool RequestContext::may_see(const std::string& tenant) {
  school_checked_ = true;
  return principal_ != nullptr && principal_->sees_school(tenant);
}

bool RequestContext::may_see_all(const std::vector<std::string>& brins) {
  school_checked_ = true;
  return principal_ != nullptr && principal_->sees_all_of(brins);
}

bool is_valid_id(const std::string& id) {
  if (id.empty() || id.size() > 128 || id == "." || id == "..") return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

std::optional<Problem> split_path(const std::string& path, std::vector<std::string>& segments) {
  segments.clear();
  if (path.empty() || path[0] != '/') return Problem{"/path", "the path must start with /"};
  std::size_t pos = 1;
  while (pos <= path.size()) {
    const auto end = std::min(path.find('/', pos), path.size());
    const std::string raw = path.substr(pos, end - pos);
    std::string seg;
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '%') {
        const int hi = i + 2 < raw.size() ? hex_value(raw[i + 1]) : -1;
        const int lo = i + 2 < raw.size() ? hex_value(raw[i + 2]) : -1;
        if (hi < 0 || lo < 0) return Problem{"/path", "malformed percent escape in the path"};
        seg += static_cast<char>(hi * 16 + lo);
        i += 2;
      } else {
        seg += raw[i];
      }
    }
    for (char c : seg) {
      if (c == '/' || c == '\\' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
        return Problem{"/path", "the path holds an encoded slash, backslash or control character"};
      }
    }
    if (seg == "." || seg == "..") return Problem{"/path", "path traversal ('.' or '..') is not allowed"};
    segments.push_back(std::move(seg));
    pos = end + 1;
  }
  return std::nullopt;
}

void Router::add(Route route) {
  std::vector<std::string> segs;
  if (split_path(route.pattern, segs)) throw std::logic_error("route pattern " + route.pattern + " is malformed");
  for (const auto& r : routes_) {
    if (r.method == route.method && r.pattern == route.pattern) {
      throw std::logic_error("route " + route.method + " " + route.pattern + " is registered twice");
    }
  }
  if (!route.handler) throw std::logic_error("route " + route.method + " " + route.pattern + " has no handler");
  routes_.push_back(std::move(route));
  patterns_.push_back(std::move(segs));
}

RouteMatch Router::match(const std::string& method, const std::string& path) const {
  RouteMatch out;
  std::vector<std::string> segs;
  if (auto problem = split_path(path, segs)) {
    out.bad_param = problem;
    return out;
  }
  for (std::size_t r = 0; r < routes_.size(); ++r) {
    const Route& route = routes_[r];
    const std::vector<std::string>& pattern = patterns_[r];
    if (pattern.size() != segs.size()) continue;
    bool fits = true;
    for (std::size_t i = 0; i < segs.size() && fits; ++i) fits = is_param(pattern[i]) || pattern[i] == segs[i];
    if (!fits) continue;
    std::map<std::string, std::string> params;
    std::optional<Problem> bad;
    for (std::size_t i = 0; i < segs.size(); ++i) {
      if (!is_param(pattern[i])) continue;
      const std::string name = pattern[i].substr(1, pattern[i].size() - 2);
      if (!is_valid_id(segs[i]) && !bad) {
        bad = Problem{"/path/" + name, "must be an id of 1 to 128 characters from A-Z a-z 0-9 . _ -"};
      }
      params[name] = segs[i];
    }
    if (route.method != method) {
      out.allowed_methods.push_back(route.method);
      continue;
    }
    out.route = &route;
    out.params = std::move(params);
    out.bad_param = bad;
    return out;
  }
  return out;
}

}  // namespace schakel::api
