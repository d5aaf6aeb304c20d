#include "audit/entry.hpp"

#include <charconv>
#include <chrono>
#include <cstring>

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
  // Built field by field: a braced list would copy every value once more, and an audit search
  // answers with a page of these.
  std::string time;
  append_utc_micros(time, row.time);
  nlohmann::json j(nlohmann::json::value_t::object);
  auto& o = j.get_ref<nlohmann::json::object_t&>();
  o.emplace("seq", row.seq);
  o.emplace("time", std::move(time));
  o.emplace("tenant", row.tenant);
  o.emplace("action", row.action);
  o.emplace("outcome", row.outcome);
  o.emplace("actor", row.actor);
  o.emplace("actor_role", row.actor_role);
  o.emplace("on_behalf_of", row.on_behalf_of);
  o.emplace("subject", row.subject);
  o.emplace("recipient", row.recipient);
  o.emplace("purpose", row.purpose);
  o.emplace("processing_activity", row.processing_activity);
  o.emplace("categories", row.categories);
  o.emplace("consent_ids", row.consent_ids);
  o.emplace("payload_sha256", row.payload_sha256);
  o.emplace("trace_id", row.trace_id);
  o.emplace("reason", row.reason);
  o.emplace("prev_hash", row.prev_hash);
  o.emplace("v", kEntryFormat);
  return j;
}

nlohmann::json entry_json(const store::AuditRow& row) {
  auto j = entry_fields(row);
  j["hash"] = row.hash;
  return j;
}

namespace {

char* put(char* p, std::string_view literal) {
  std::memcpy(p, literal.data(), literal.size());
  return p + literal.size();
}

char* put_digits(char* p, long long value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    p[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  return p + width;
}

char* put_array(char* p, const std::vector<std::string>& items) {
  *p++ = '[';
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) *p++ = ',';
    p = write_canonical_string(p, items[i]);
    if (!p) return nullptr;
  }
  *p++ = ']';
  return p;
}

}  // namespace

std::size_t canonical_entry_bound(const store::AuditRow& row) {
  std::size_t n = 400;  // keys, punctuation, seq, time and v
  for (const std::string* f : {&row.action, &row.actor, &row.actor_role, &row.on_behalf_of, &row.outcome,
                               &row.payload_sha256, &row.prev_hash, &row.processing_activity, &row.purpose,
                               &row.reason, &row.recipient, &row.subject, &row.tenant, &row.trace_id}) {
    n += canonical_string_bound(*f);
  }
  for (const auto& c : row.categories) n += canonical_string_bound(c) + 1;
  for (const auto& c : row.consent_ids) n += canonical_string_bound(c) + 1;
  return n;
}

namespace {

// The entry's members in RFC 8785 order (all keys are ASCII, so byte order is UTF-16 order), with
// "hash" among them when `hash` is given.
char* write_entry(const store::AuditRow& row, char* p, const std::string* hash) {
  auto str = [&p](std::string_view key, const std::string& value) {
    p = put(p, key);
    p = write_canonical_string(p, value);
    return p != nullptr;
  };
  if (!str("{\"action\":", row.action) || !str(",\"actor\":", row.actor) ||
      !str(",\"actor_role\":", row.actor_role)) {
    return nullptr;
  }
  p = put(p, ",\"categories\":");
  if (!(p = put_array(p, row.categories))) return nullptr;
  p = put(p, ",\"consent_ids\":");
  if (!(p = put_array(p, row.consent_ids))) return nullptr;
  if (hash && !str(",\"hash\":", *hash)) return nullptr;
  if (!str(",\"on_behalf_of\":", row.on_behalf_of) || !str(",\"outcome\":", row.outcome) ||
      !str(",\"payload_sha256\":", row.payload_sha256) || !str(",\"prev_hash\":", row.prev_hash) ||
      !str(",\"processing_activity\":", row.processing_activity) || !str(",\"purpose\":", row.purpose) ||
      !str(",\"reason\":", row.reason) || !str(",\"recipient\":", row.recipient)) {
    return nullptr;
  }
  p = put(p, ",\"seq\":");
  p = std::to_chars(p, p + 24, row.seq).ptr;
  if (!str(",\"subject\":", row.subject) || !str(",\"tenant\":", row.tenant)) return nullptr;
  p = put(p, ",\"time\":\"");
  {
    using namespace std::chrono;
    const auto day = floor<days>(row.time);
    const year_month_day ymd{day};
    const auto us = (row.time - day).count();
    const int year = int(ymd.year());
    if (year < 0 || year > 9999) return nullptr;  // RFC 3339 has four-digit years only
    p = put_digits(p, year, 4);
    *p++ = '-';
    p = put_digits(p, unsigned(ymd.month()), 2);
    *p++ = '-';
    p = put_digits(p, unsigned(ymd.day()), 2);
    *p++ = 'T';
    p = put_digits(p, us / 3'600'000'000LL, 2);
    *p++ = ':';
    p = put_digits(p, us / 60'000'000LL % 60, 2);
    *p++ = ':';
    p = put_digits(p, us / 1'000'000LL % 60, 2);
    *p++ = '.';
    p = put_digits(p, us % 1'000'000LL, 6);
    p = put(p, "Z\"");
  }
  if (!str(",\"trace_id\":", row.trace_id)) return nullptr;
  p = put(p, ",\"v\":");
  p = std::to_chars(p, p + 24, kEntryFormat).ptr;
  *p++ = '}';
  return p;
}

}  // namespace

char* write_canonical_entry(const store::AuditRow& row, char* p) { return write_entry(row, p, nullptr); }

bool append_entry_json(const store::AuditRow& row, std::string& out) {
  const std::size_t old = out.size();
  out.resize(old + canonical_entry_bound(row) + canonical_string_bound(row.hash) + 16);
  char* end = write_entry(row, out.data() + old, &row.hash);
  if (!end) {
    out.resize(old);
    return false;
  }
  out.resize(static_cast<std::size_t>(end - out.data()));
  return true;
}

bool append_canonical_entry(const store::AuditRow& row, std::string& out) {
  const std::size_t old = out.size();
  out.resize(old + canonical_entry_bound(row));
  char* end = write_canonical_entry(row, out.data() + old);
  if (!end) {
    out.resize(old);
    return false;
  }
  out.resize(static_cast<std::size_t>(end - out.data()));
  return true;
}

std::string compute_entry_hash(const store::AuditRow& row, Sha256& sha, std::string& scratch) {
  scratch.clear();
  scratch += row.prev_hash;
  if (!append_canonical_entry(row, scratch)) return {};
  return to_hex(sha.digest(scratch));
}

std::string compute_entry_hash(const store::AuditRow& row) {
  // Per thread: fetching the digest takes a lock inside OpenSSL, and this runs once per append
  // on the group commit's leader thread.
  thread_local Sha256 sha;
  thread_local std::string scratch;
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
