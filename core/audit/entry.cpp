#include "audit/entry.hpp"

#include <chrono>

#include "audit/jcs.hpp"

namespace schakel::audit {
namespace {

void append_digits(std::string& out, long long value, int width) {
  char buf[24];
  int i = width;
  buf[i] = '\0';
  while (i > 0) {
    buf[--i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  out.append(buf, static_cast<std::size_t>(width));
}

bool append_string_array(std::string& out, const std::vector<std::string>& items) {
  out += '[';
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    if (!append_canonical_string(out, items[i])) return false;
  }
  out += ']';
  return true;
}

}  // namespace

void append_utc_micros(std::string& out, TimePoint t) {
  using namespace std::chrono;
  const auto day = floor<days>(t);
  const year_month_day ymd{day};
  const auto us = (t - day).count();
  append_digits(out, int(ymd.year()), 4);
  out += '-';
  append_digits(out, unsigned(ymd.month()), 2);
  out += '-';
  append_digits(out, unsigned(ymd.day()), 2);
  out += 'T';
  append_digits(out, us / 3'600'000'000LL, 2);
  out += ':';
  append_digits(out, us / 60'000'000LL % 60, 2);
  out += ':';
  append_digits(out, us / 1'000'000LL % 60, 2);
  out += '.';
  append_digits(out, us % 1'000'000LL, 6);
  out += 'Z';
}

nlohmann::json entry_fields(const store::AuditRow& row) {
  std::string time;
  append_utc_micros(time, row.time);
  return {{"seq", row.seq},
          {"time", time},
          {"tenant", row.tenant},
          {"action", row.action},
          {"outcome", row.outcome},
          {"actor", row.actor},
          {"actor_role", row.actor_role},
          {"on_behalf_of", row.on_behalf_of},
          {"subject", row.subject},
          {"recipient", row.recipient},
          {"purpose", row.purpose},
          {"processing_activity", row.processing_activity},
          {"categories", row.categories},
          {"consent_ids", row.consent_ids},
          {"payload_sha256", row.payload_sha256},
          {"trace_id", row.trace_id},
          {"reason", row.reason},
          {"prev_hash", row.prev_hash},
          {"v", kEntryFormat}};
}

nlohmann::json entry_json(const store::AuditRow& row) {
  auto j = entry_fields(row);
  j["hash"] = row.hash;
  return j;
}

bool append_canonical_entry(const store::AuditRow& row, std::string& out) {
  // Members in RFC 8785 order (all keys are ASCII, so byte order is UTF-16 order).
  auto str = [&out](std::string_view key, const std::string& value) {
    out += key;
    return append_canonical_string(out, value);
  };
  bool ok = str("{\"action\":", row.action) && str(",\"actor\":", row.actor) &&
            str(",\"actor_role\":", row.actor_role);
  if (!ok) return false;
  out += ",\"categories\":";
  if (!append_string_array(out, row.categories)) return false;
  out += ",\"consent_ids\":";
  if (!append_string_array(out, row.consent_ids)) return false;
  ok = str(",\"on_behalf_of\":", row.on_behalf_of) && str(",\"outcome\":", row.outcome) &&
       str(",\"payload_sha256\":", row.payload_sha256) && str(",\"prev_hash\":", row.prev_hash) &&
       str(",\"processing_activity\":", row.processing_activity) && str(",\"purpose\":", row.purpose) &&
       str(",\"reason\":", row.reason) && str(",\"recipient\":", row.recipient);
  if (!ok) return false;
  out += ",\"seq\":";
  out += std::to_string(row.seq);
  if (!str(",\"subject\":", row.subject) || !str(",\"tenant\":", row.tenant)) return false;
  out += ",\"time\":\"";
  append_utc_micros(out, row.time);
  out += '"';
  if (!str(",\"trace_id\":", row.trace_id)) return false;
  out += ",\"v\":";
  out += std::to_string(kEntryFormat);
  out += '}';
  return true;
}

std::string compute_entry_hash(const store::AuditRow& row, Sha256& sha, std::string& scratch) {
  scratch.clear();
  scratch += row.prev_hash;
  if (!append_canonical_entry(row, scratch)) return {};
  return to_hex(sha.digest(scratch));
}

std::string compute_entry_hash(const store::AuditRow& row) {
  Sha256 sha;
  std::string scratch;
  return compute_entry_hash(row, sha, scratch);
}

std::string encode_recipient(const Recipient& r) {
  nlohmann::json j = {{"organisation", r.organisation}, {"role", r.role}, {"name", r.name}};
  auto c = canonical_json(j);
  return c ? *c : j.dump();
}

Recipient decode_recipient(const std::string& field) {
  Recipient r;
  if (!field.empty() && field.front() == '{') {
    const auto j = nlohmann::json::parse(field, nullptr, false);
    if (j.is_object()) {
      r.organisation = j.value("organisation", "");
      r.role = j.value("role", "");
      r.name = j.value("name", "");
      return r;
    }
  }
  r.name = field;
  return r;
}

std::string describe_recipient(const std::string& field) {
  const Recipient r = decode_recipient(field);
  std::string out = r.name.empty() ? "(unnamed)" : r.name;
  if (!r.role.empty() || !r.organisation.empty()) {
    out += " (";
    out += r.role;
    if (!r.role.empty() && !r.organisation.empty()) out += ", ";
    out += r.organisation;
    out += ")";
  }
  return out;
}

}  // namespace schakel::audit
