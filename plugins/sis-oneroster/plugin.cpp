// The sis-oneroster source plugin: a OneRoster CSV bundle in, case-schema records out (sync.hpp).
// The cursor (host state "cursor") is the newest dateLastModified stored; a poll skips rows older
// than it, so a delta costs what changed. A failed poll leaves the cursor where it was.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "base/clock.hpp"
#include "schakel/plugin.hpp"
#include "sis_oneroster_manifest.hpp"
#include "sync.hpp"

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

class OneRosterSource final : public plugin::Plugin {
 public:
  OneRosterSource(plugin::Host host, const std::string& config_json) : host_(host) {
    auto s = json::parse(config_json);  // validated by the host against the config schema
    dir_ = s.at("bundle_dir").get<std::string>();
    full_resync_ = s.value("full_resync", false);
    config_ = mapping_from(s);
  }

  plugin::Outcome check() override {
    auto manifest = oneroster::read_manifest(dir_);
    if (!manifest) return plugin::Outcome::reject(manifest.status().message());
    for (const auto& [file, mode] : manifest->files) {
      if (mode == oneroster::FileMode::absent) continue;
      auto t = oneroster::Table::open(dir_ / (file + ".csv"), oneroster::required_columns(file, manifest->version));
      if (!t) return plugin::Outcome::reject(t.status().message());
    }
    return plugin::Outcome::ok();
  }

  plugin::Outcome poll() override {
    SyncOptions options;
    if (!full_resync_) options.cursor = host_.state("cursor").value_or("");
    options.fallback_version = format_utc(TimePoint(std::chrono::microseconds(host_.now_us())));
    std::string oldest_refused;
    SyncOutput out;
    out.emit = [&](const std::string& stream, const json& envelope) {
      bool ok = host_.emit(stream, envelope.dump());
      // A refused record may have been a store failure, not a quarantine: keep the cursor at or
      // below it, so the next poll offers it again (the store ignores what it already has).
      if (!ok && envelope.contains("source_version")) {
        auto v = envelope["source_version"].get<std::string>();
        if (oldest_refused.empty() || v < oldest_refused) oldest_refused = v;
      }
      if (stream == "rejected_rows")
        host_.warn("row not mapped: " + envelope.value("source", std::string()) + ": " +
                   envelope.value("reason", std::string()));
      return ok;
    };
    auto stats = sync_bundle(dir_, config_, options, out);
    if (!stats) return plugin::Outcome::reject(stats.status().message());
    std::string cursor = std::max(options.cursor, stats->max_version);
    if (!oldest_refused.empty()) cursor = std::min(cursor, oldest_refused);
    if (!cursor.empty() && !host_.put_state("cursor", cursor))
      return plugin::Outcome::retry("cannot store the cursor");
    rejected_total_ += stats->rejected;
    host_.put_state("rejected_rows", std::to_string(rejected_total_));
    std::string summary = "oneroster sync:";
    for (const auto& [stream, n] : stats->emitted) summary += " " + stream + "=" + std::to_string(n);
    summary += " rejected=" + std::to_string(stats->rejected) + " refused=" + std::to_string(stats->refused) +
               " skipped=" + std::to_string(stats->skipped);
    host_.info(summary);
    return plugin::Outcome::ok();
  }

 private:
  plugin::Host host_;
  std::filesystem::path dir_;
  bool full_resync_ = false;
  MappingConfig config_;
  std::uint64_t rejected_total_ = 0;
};

}  // namespace
}  // namespace schakel::sis_oneroster

SCHAKEL_PLUGIN(schakel::sis_oneroster::OneRosterSource, "sis-oneroster", "0.1.0",
               schakel::sis_oneroster::k_manifest, false)
