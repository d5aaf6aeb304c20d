// The calendar-ics source plugin: a school's published ICS feed in, meeting records out on the
// stream "meetings". Each poll is one conditional GET (If-None-Match / If-Modified-Since from the
// validators kept in plugin state); a 304 does nothing. A feed that cannot be read emits nothing,
// keeps no validator (so the next run fetches it again) and returns retry.
#include <chrono>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>

#include <boost/url/parse.hpp>
#include <nlohmann/json.hpp>

#include "calendar_ics_manifest.hpp"
#include "changes.hpp"
#include "feed.hpp"
#include "http/client.hpp"
#include "meetings.hpp"
#include "schakel/plugin.hpp"

namespace schakel::calendar_ics {
namespace {

using nlohmann::json;
using ojson = nlohmann::ordered_json;
using plugin::Outcome;

constexpr const char* k_stream = "meetings";

std::chrono::sys_days date_of(const std::string& text, const char* setting) {
  int y = 0;
  unsigned m = 0;
  unsigned d = 0;
  if (std::sscanf(text.c_str(), "%4d-%2u-%2u", &y, &m, &d) != 3)
    throw std::invalid_argument(std::string("settings/") + setting + ": not a date: " + text);
  const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{m}, std::chrono::day{d}};
  if (!ymd.ok()) throw std::invalid_argument(std::string("settings/") + setting + ": not a date: " + text);
  return std::chrono::sys_days{ymd};
}

class HostClock final : public Clock {
 public:
  explicit HostClock(plugin::Host host) : host_(host) {}
  [[nodiscard]] TimePoint now() const override { return TimePoint{std::chrono::microseconds{host_.now_us()}}; }

 private:
  plugin::Host host_;
};

class IcsFeed final : public plugin::Plugin {
 public:
  IcsFeed(plugin::Host host, const std::string& config_json) : host_(host), clock_(host) {
    const auto s = json::parse(config_json);  // validated by the host against the config schema
    url_ = s.at("url").get<std::string>();
    const auto url = boost::urls::parse_uri(url_);
    if (!url) throw std::invalid_argument("settings/url: not a URL");
    const std::string host_name = url->host_address();
    const bool loopback = host_name == "localhost" || host_name == "::1" || host_name.rfind("127.", 0) == 0;
    rules_ = import_rules_from(s);
    path_ = std::string(url->encoded_path());
    path_and_query_ = url->has_query() ? path_ + "?" + std::string(url->encoded_query()) : path_;
    // The URL's path and query may hold the publisher's secret (a private Google address): errors
    // and logs name the feed by connector and host only.
    name_ = rules_.connector_id.empty() ? "feed of school " + rules_.school_id + " (" + host_name + ")"
                                        : "feed " + rules_.connector_id + " (" + host_name + ")";
    http::ClientOptions o;
    if (url->scheme() == "http") {
      if (!loopback) throw std::invalid_argument("settings/url: must be https (plain http only on a loopback address)");
      o.allow_plain_http = true;
    }
    o.ca_file = s.value("ca_file", "");
    auto ms = [&](const char* k, std::chrono::milliseconds d) {
      return s.contains(k) ? std::chrono::milliseconds{s.at(k).get<long long>()} : d;
    };
    o.connect_timeout = ms("connect_timeout_ms", o.connect_timeout);
    o.read_timeout = ms("read_timeout_ms", o.read_timeout);
    o.total_timeout = ms("total_timeout_ms", o.total_timeout);
    o.max_redirects = 3;
    if (loopback) o.proxy = "";
    o.user_agent = "schakel-calendar-ics/0.1";
    o.clock = &clock_;
    limits_.max_bytes = s.value("max_feed_bytes", std::size_t{10U << 20U});
    o.max_response_bytes = limits_.max_bytes;
    limits_.max_instances = s.value("max_instances", 1000);
    limits_.first_day = date_of(s.at("school_year").at("first_day").get<std::string>(), "school_year/first_day");
    limits_.last_day = date_of(s.at("school_year").at("last_day").get<std::string>(), "school_year/last_day");
    if (limits_.last_day < limits_.first_day)
      throw std::invalid_argument("settings/school_year: last_day is before first_day");
    auto client = http::Client::create(std::move(o));
    if (!client) throw std::runtime_error(client.status().message());
    client_ = std::move(*client);
  }

  // Fetches and reads the feed unconditionally, emitting nothing.
  Outcome check() override {
    auto body = fetch(false);
    if (!body.ok) return Outcome::reject(body.message);
    auto records = meetings_of(body.text);
    if (!records) return Outcome::reject(records.status().message());
    host_.info(name_ + ": readable, " + std::to_string(records->size()) + " meetings in the school year");
    return Outcome::ok();
  }

  Outcome poll() override {
    // A state from before k_known_format is not trusted: fetch unconditionally and offer everything.
    const bool trusted = host_.state("known_format").value_or("") == k_known_format;
    auto body = fetch(trusted);
    if (!body.ok) return Outcome::retry(body.message);
    if (body.not_modified) {
      host_.debug(name_ + ": not modified");
      return Outcome::ok();
    }
    auto records = meetings_of(body.text);
    if (!records) return Outcome::retry(records.status().message() + "; nothing imported, the next run tries again");
    ojson known = ojson::object();
    if (auto k = host_.state("known")) known = ojson::parse(*k, nullptr, false);
    if (!known.is_object()) known = ojson::object();
    ChangePlan plan = plan_changes(known, *records, clock_.now(), !trusted);
    int refused = 0;
    for (const auto& record : plan.emit) {
      if (host_.emit(k_stream, record.dump(-1, ' ', false, ojson::error_handler_t::replace))) continue;
      ++refused;
      // Not stored: keep the old state for it, so the next run offers it again.
      const std::string id = record["id"];
      if (known.contains(id)) {
        plan.known[id] = known[id];
      } else {
        plan.known.erase(id);
      }
    }
    // Written together: from here on the known state lists exactly what the store holds.
    if (!host_.put_state("known", plan.known.dump(-1, ' ', false, ojson::error_handler_t::replace)) ||
        !host_.put_state("known_format", k_known_format))
      return Outcome::retry(name_ + ": cannot store the plugin state");
    if (refused > 0) {
      host_.put_state("etag", "");
      host_.put_state("last_modified", "");
      return Outcome::retry(name_ + ": " + std::to_string(refused) + " of " + std::to_string(plan.emit.size()) +
                            " meeting records were not stored");
    }
    // The validators last: a feed is only "seen" once all it held is stored.
    if (!host_.put_state("etag", body.etag) || !host_.put_state("last_modified", body.last_modified))
      return Outcome::retry(name_ + ": cannot store the plugin state");
    host_.info(name_ + ": " + std::to_string(records->size()) + " meetings in the school year, " +
               std::to_string(plan.emit.size()) + " new, changed or cancelled");
    return Outcome::ok();
  }

 private:
  struct Body {
    bool ok = false;
    bool not_modified = false;
    std::string text;
    std::string etag;
    std::string last_modified;
    std::string message;
  };

  Body fetch(bool conditional) {
    Body b;
    http::Request req;
    req.url = url_;
    req.headers.push_back({"Accept", "text/calendar"});
    if (conditional) {
      if (auto e = host_.state("etag"); e && !e->empty()) req.headers.push_back({"If-None-Match", *e});
      if (auto m = host_.state("last_modified"); m && !m->empty()) req.headers.push_back({"If-Modified-Since", *m});
    }
    auto res = client_->send(req);
    if (!res) {
      const std::string m = scrub(res.status().message());
      if (m.find("exceeds the limit") != std::string::npos) {
        b.message = name_ + ": the feed is larger than max_feed_bytes (" + std::to_string(limits_.max_bytes) +
                    " bytes); nothing imported";
      } else {
        b.message = name_ + ": " + (http::is_transient(res.status()) ? "unreachable: " : "request failed: ") + m;
      }
      return b;
    }
    if (res->status == 304 && conditional) {
      b.ok = b.not_modified = true;
      return b;
    }
    if (res->status != 200) {
      b.message = name_ + ": HTTP " + std::to_string(res->status);
      return b;
    }
    b.ok = true;
    b.text = std::move(res->body);
    b.etag = res->header("ETag").value_or("");
    b.last_modified = res->header("Last-Modified").value_or("");
    return b;
  }

  // The client's messages name the URL; its path and query (and any secret in them) stay out.
  [[nodiscard]] std::string scrub(std::string m) const {
    for (const std::string& secret : {path_and_query_, path_}) {
      if (secret.size() <= 1) continue;
      for (auto at = m.find(secret); at != std::string::npos; at = m.find(secret, at + 4)) m.replace(at, secret.size(), "/...");
    }
    return m;
  }

  Result<std::vector<ojson>> meetings_of(const std::string& text) {
    auto occurrences = read_feed(text, limits_, [this](const EventFacts& f) { return match_rule(rules_, f) != nullptr; });
    if (!occurrences) return occurrences.status().with_context(name_);
    std::vector<ojson> out;
    for (const auto& o : *occurrences) out.push_back(meeting_of(o, *match_rule(rules_, o.series), rules_));
    return out;
  }

  plugin::Host host_;
  HostClock clock_;
  std::string url_;
  std::string name_;
  std::string path_;
  std::string path_and_query_;
  ImportRules rules_;
  FeedLimits limits_;
  std::unique_ptr<http::Client> client_;
};

}  // namespace
}  // namespace schakel::calendar_ics

SCHAKEL_PLUGIN(schakel::calendar_ics::IcsFeed, "calendar-ics", "0.1.0", schakel::calendar_ics::k_manifest, false)
