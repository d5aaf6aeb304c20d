// The sis-oneroster source plugin: a OneRoster CSV bundle (a directory or a zip) or the REST
// binding in, case-schema records out (sync.hpp). The cursor (host state "cursor") is the newest
// dateLastModified stored; a poll skips rows older than it (REST: asks only for users changed
// since), so a delta costs what changed. A failed poll leaves the cursor where it was. The keys
// emitted so far (state "known.<stream>") let a full users file retire who is gone.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/clock.hpp"
#include "handoff.hpp"
#include "oneroster/rest.hpp"
#include "rest_source.hpp"
#include "schakel/plugin.hpp"
#include "sis_oneroster_manifest.hpp"
#include "sync.hpp"
#include "zip_source.hpp"

namespace schakel::sis_oneroster {
namespace {

using nlohmann::json;

MappingConfig mapping_from(const json& s) {
  MappingConfig c = default_mapping_config();
  c.swv_code = s.at("swv_code").get<std::string>();
  c.middle_name_is = s.value("middle_name_is", c.middle_name_is);
  c.split_family_name = s.value("split_family_name", c.split_family_name);
  if (s.contains("voorvoegsels")) c.voorvoegsels = s["voorvoegsels"].get<std::vector<std::string>>();
  c.allow_eckid = s.value("allow_eckid", false);
  c.allow_bsn = s.value("allow_bsn", false);
  c.gezag_column = s.value("gezag_column", std::string());
  c.role_column = s.value("role_column", c.role_column);
  if (s.contains("staff_roles")) c.staff_roles = s["staff_roles"].get<std::map<std::string, std::string>>();
  return c;
}

// The host's clock, for token expiry: plugins never read the system clock.
class HostClock final : public Clock {
 public:
  explicit HostClock(plugin::Host host) : host_(host) {}
  [[nodiscard]] TimePoint now() const override { return TimePoint{std::chrono::microseconds{host_.now_us()}}; }

 private:
  plugin::Host host_;
};

// The REST endpoint: one HTTPS client and one token for the connector's lifetime.
struct RestEndpoint {
  oneroster::RestOptions options;
  std::unique_ptr<http::Client> client;
  std::unique_ptr<oauth2::AuthorizedClient> authorized;
};

std::unique_ptr<RestEndpoint> rest_endpoint(const json& s, const Clock& clock) {
  auto e = std::make_unique<RestEndpoint>();
  std::string base = s.at("base_url").get<std::string>();
  while (!base.empty() && base.back() == '/') base.pop_back();
  const bool loopback = base.rfind("http://127.", 0) == 0 || base.rfind("http://localhost", 0) == 0 ||
                        base.rfind("http://[::1]", 0) == 0;
  http::ClientOptions o;
  if (base.rfind("http://", 0) == 0) {
    if (!loopback) throw std::runtime_error("settings/base_url: must be https (plain http only on loopback): " + base);
    o.allow_plain_http = true;
  }
  o.ca_file = s.value("ca_file", "");
  auto ms = [&](const char* k, std::chrono::milliseconds d) {
    return s.contains(k) ? std::chrono::milliseconds{s.at(k).get<long long>()} : d;
  };
  o.connect_timeout = ms("connect_timeout_ms", o.connect_timeout);
  o.read_timeout = ms("read_timeout_ms", o.read_timeout);
  o.total_timeout = ms("total_timeout_ms", o.total_timeout);
  o.user_agent = "schakel-sis-oneroster/0.1";
  o.clock = &clock;
  if (base.find("://127.") != std::string::npos || base.find("://localhost") != std::string::npos ||
      base.find("://[::1]") != std::string::npos)
    o.proxy = "";  // a loopback server is never behind the environment's proxy
  auto client = http::Client::create(std::move(o));
  if (!client) throw std::runtime_error(client.status().message());
  e->client = std::move(*client);
  const bool v11 = s.value("oneroster_version", std::string("1.2")) == "1.1";
  oauth2::ClientCredentials c;
  c.token_url = s.at("token_url").get<std::string>();
  c.client_id = s.at("client_id").get<std::string>();
  c.client_secret = s.at("client_secret").get<std::string>();
  c.scope = s.value("scope", std::string(v11 ? "https://purl.imsglobal.org/spec/or/v1p1/scope/roster-core.readonly"
                                             : "https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly"));
  e->authorized = std::make_unique<oauth2::AuthorizedClient>(*e->client, std::move(c), clock);
  e->options.base_url = base;
  e->options.version = v11 ? oneroster::Version::v1_1 : oneroster::Version::v1_2;
  e->options.page_size = s.value("page_size", std::size_t{100});
  e->options.max_wait = ms("max_retry_wait_ms", e->options.max_wait);
  return e;
}

// One key a line, sorted, without repeats, as KnownKeys wants them. The state this plugin wrote is
// that already; anything else is put in order.
std::string sorted_lines(std::string text) {
  if (!text.empty() && text.back() != '\n') text += '\n';
  bool in_order = true;
  std::string_view last;
  each_line(text, [&](std::string_view key) {
    in_order = in_order && !key.empty() && (last.empty() || last < key);
    last = key;
  });
  if (in_order) return text;
  std::string out;
  for (const auto key : sorted_lines_of(text)) (out += key) += '\n';
  return out;
}

class OneRosterSource final : public plugin::Plugin {
 public:
  OneRosterSource(plugin::Host host, const std::string& config_json) : host_(host), clock_(host) {
    auto s = json::parse(config_json);  // validated by the host against the config schema
    if (s.contains("bundle_dir")) dir_ = s["bundle_dir"].get<std::string>();
    if (s.contains("bundle_zip")) zip_ = s["bundle_zip"].get<std::string>();
    if (s.contains("base_url")) rest_ = rest_endpoint(s, clock_);
    full_resync_ = s.value("full_resync", false);
    config_ = mapping_from(s);
  }

  plugin::Outcome check() override {
    if (rest_) {
      oneroster::RestOptions o = rest_->options;
      o.page_size = 1;
      o.max_pages = 1;
      oneroster::RestReader reader(*rest_->authorized, o);
      auto st = reader.each("orgs", "", [](const oneroster::Table&) {}, [](const auto&, const auto&, const auto&) {});
      if (st.is_ok() || st.message().find("more than 1 pages") != std::string::npos) return plugin::Outcome::ok();
      if (st.code() == ErrorCode::unavailable) return plugin::Outcome::retry(st.message());
      return plugin::Outcome::reject(st.message());
    }
    auto source = bundle_source();
    if (!source) return plugin::Outcome::reject(source.status().message());
    auto manifest = (*source)->manifest();
    if (!manifest) return plugin::Outcome::reject(manifest.status().message());
    for (const auto& [file, mode] : manifest->files) {
      if (mode == oneroster::FileMode::absent) continue;
      // Reading each file to its end also proves every row is well-formed CSV.
      auto st = (*source)->each(file, oneroster::required_columns(file, manifest->version),
                                [](const oneroster::Table&) {}, [](const auto&, const auto&, const auto&) {});
      if (!st) return plugin::Outcome::reject(st.message());
    }
    return plugin::Outcome::ok();
  }

  plugin::Outcome poll() override {
    const std::string stored_cursor = host_.state("cursor").value_or("");
    SyncOptions options;
    if (!full_resync_) options.cursor = stored_cursor;
    options.stale_before = stored_cursor;
    options.fallback_version = format_utc(TimePoint(std::chrono::microseconds(host_.now_us())));
    KnownKeys known;
    for (const char* stream : {"students", "guardians", "staff"})
      known[stream] = sorted_lines(host_.state(std::string("known.") + stream).value_or(""));
    options.known = &known;
    std::string oldest_refused;
    std::uint64_t refused = 0;
    auto deliver = [&](Outgoing& o) {
      const bool ok = host_.emit(o.stream, o.text);
      // A refused record may have been a store failure, not a quarantine: keep the cursor at or
      // below it, so the next poll offers it again (the store ignores what it already has).
      if (!ok) {
        ++refused;
        if (!o.version.empty() && o.version != options.fallback_version &&
            (oldest_refused.empty() || o.version < oldest_refused))
          oldest_refused = o.version;
      }
      if (!o.warning.empty()) host_.warn(o.warning);
    };
    std::string cursor_cap;  // REST: never past the server's clock at the start of the pass
    Result<SyncStats> stats = Status(ErrorCode::internal, "no source");
    if (rest_) {
      // Inline: the REST client's token expiry reads the host's clock, a host service, which only
      // the poll's own thread may call.
      SyncOutput out;
      out.emit = [&](Outgoing o) { deliver(o); };
      oneroster::RestReader reader(*rest_->authorized, rest_->options);
      auto source = rest_source(reader, rest_->options.version, options.cursor);
      stats = sync_rows(*source, config_, options, out);
      if (!stats && reader.retry_after().count() > 0)
        return plugin::Outcome::retry(stats.status().message(), reader.retry_after().count());
      if (reader.first_date()) cursor_cap = format_utc(*reader.first_date());
    } else {
      auto source = bundle_source();
      if (!source) return plugin::Outcome::reject(source.status().message());
      // A bundle is read and mapped beside this thread, which hands the records to the host.
      stats = run_beside([&](const SyncOutput& out) { return sync_rows(**source, config_, options, out); }, deliver);
    }
    if (!stats) {
      if (stats.status().code() == ErrorCode::unavailable) return plugin::Outcome::retry(stats.status().message());
      return plugin::Outcome::reject(stats.status().message());
    }
    std::string cursor = std::max(stored_cursor, stats->max_version);
    if (!cursor_cap.empty() && cursor > cursor_cap) cursor = std::max(stored_cursor, cursor_cap);
    if (!oldest_refused.empty()) cursor = std::min(cursor, oldest_refused);
    if (!cursor.empty() && !host_.put_state("cursor", cursor))
      return plugin::Outcome::retry("cannot store the cursor");
    for (const auto& [stream, keys] : stats->known)
      if (!host_.put_state("known." + stream, keys))
        return plugin::Outcome::retry("cannot store the known keys of " + stream);
    rejected_total_ += stats->rejected;
    host_.put_state("rejected_rows", std::to_string(rejected_total_));
    std::string summary = "oneroster sync:";
    for (const auto& [stream, n] : stats->emitted) summary += " " + stream + "=" + std::to_string(n);
    summary += " rejected=" + std::to_string(stats->rejected) + " refused=" + std::to_string(refused) +
               " skipped=" + std::to_string(stats->skipped) + " retired=" + std::to_string(stats->retired);
    host_.info(summary);
    return plugin::Outcome::ok();
  }

 private:
  Result<std::unique_ptr<RowSource>> bundle_source() {
    if (!zip_.empty()) return zip_source(zip_);
    return directory_source(dir_);
  }

  plugin::Host host_;
  HostClock clock_;
  std::filesystem::path dir_;
  std::filesystem::path zip_;
  std::unique_ptr<RestEndpoint> rest_;
  bool full_resync_ = false;
  MappingConfig config_;
  std::uint64_t rejected_total_ = 0;
};

}  // namespace
}  // namespace schakel::sis_oneroster

SCHAKEL_PLUGIN(schakel::sis_oneroster::OneRosterSource, "sis-oneroster", "0.2.0",
               schakel::sis_oneroster::k_manifest, false)
