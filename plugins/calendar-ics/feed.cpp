#include "feed.hpp"

#include <libical/ical.h>

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <set>

#include "outline.hpp"
#include "when.hpp"

namespace schakel::calendar_ics {
namespace {

using std::chrono::seconds;

// libical 3.0 keeps global state (built-in time zones, icalerrno, error settings): one feed at a
// time in the process, whichever connector reads it.
std::mutex& libical_mutex() {
  static std::mutex m;
  return m;
}

struct ComponentFree {
  void operator()(icalcomponent* c) const { icalcomponent_free(c); }
};
struct IteratorFree {
  void operator()(icalrecur_iterator* i) const { icalrecur_iterator_free(i); }
};

// Steps a rule may take from its DTSTART to the end of the window: bounds a rule such as
// FREQ=SECONDLY begun years ago, which gives no instance in the window until it has run.
constexpr long k_max_steps = 200'000;

struct Event {
  icalcomponent* comp = nullptr;
  const EventOutline* outline = nullptr;
  std::string uid;
};

struct Series {
  const Event* master = nullptr;
  std::vector<const Event*> overrides;
};

struct Window {
  TimePoint from;
  TimePoint until;  // exclusive
  [[nodiscard]] bool holds(TimePoint t) const { return t >= from && t < until; }
};

EventFacts facts_of(icalcomponent* c) {
  EventFacts f;
  if (const char* s = icalcomponent_get_summary(c)) f.summary = s;
  for (icalproperty* p = icalcomponent_get_first_property(c, ICAL_CATEGORIES_PROPERTY); p != nullptr;
       p = icalcomponent_get_next_property(c, ICAL_CATEGORIES_PROPERTY)) {
    const char* v = icalproperty_get_categories(p);
    std::string all = v ? v : "";
    std::size_t pos = 0;
    while (pos <= all.size()) {
      std::size_t comma = all.find(',', pos);
      if (comma == std::string::npos) comma = all.size();
      std::string one = all.substr(pos, comma - pos);
      one.erase(0, one.find_first_not_of(" \t"));
      one.erase(one.find_last_not_of(" \t") + 1);
      if (!one.empty()) f.categories.push_back(one);
      pos = comma + 1;
    }
  }
  return f;
}

std::string describe(const Event& e) { return "VEVENT UID " + e.uid; }

// libical keeps what it could not read as X-LIC-ERROR properties; one that concerns the times
// of a wanted event makes the feed unreadable.
Status libical_errors(const Event& e) {
  static const char* k_timing[] = {"DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXDATE", "RECURRENCE-ID"};
  for (icalproperty* p = icalcomponent_get_first_property(e.comp, ICAL_XLICERROR_PROPERTY); p != nullptr;
       p = icalcomponent_get_next_property(e.comp, ICAL_XLICERROR_PROPERTY)) {
    const std::string msg = icalproperty_get_xlicerror(p) ? icalproperty_get_xlicerror(p) : "";
    for (const char* name : k_timing)
      if (msg.find(name) != std::string::npos)
        return at_line(e.outline->line_of(name), describe(e) + ": " + msg);
  }
  return {};
}

icaltimetype value_of(icalproperty* p) {
  icalvalue* v = icalproperty_get_value(p);
  if (v == nullptr) return icaltime_null_time();
  switch (icalvalue_isa(v)) {
    case ICAL_DATE_VALUE: return icalvalue_get_date(v);
    case ICAL_DATETIME_VALUE: return icalvalue_get_datetime(v);
    case ICAL_DATETIMEPERIOD_VALUE: return icalvalue_get_datetimeperiod(v).time;
    default: return icaltime_null_time();
  }
}

Result<When> property_when(const Event& e, icalcomponent* cal, icalproperty_kind kind, const char* name) {
  icalproperty* p = icalcomponent_get_first_property(e.comp, kind);
  if (p == nullptr) return Status{ErrorCode::not_found, name};
  return when_of(p, value_of(p), cal, *e.outline, name);
}

// How long each instance lasts: nominal days for an all-day event, exact seconds otherwise.
struct Length {
  seconds exact{0};
  int days = 0;
};

Result<Length> length_of(const Event& e, icalcomponent* cal, const When& start, const Length* fallback) {
  Length len;
  auto end = property_when(e, cal, ICAL_DTEND_PROPERTY, "DTEND");
  if (end) {
    if (end->utc < start.utc) return at_line(e.outline->line_of("DTEND"), describe(e) + ": DTEND is before DTSTART");
    len.exact = std::chrono::floor<seconds>(end->utc - start.utc);
    len.days = static_cast<int>(len.exact.count() / 86400 + (len.exact.count() % 86400 >= 43200 ? 1 : 0));
    return len;
  }
  if (end.status().code() != ErrorCode::not_found) return end.status();
  if (icalproperty* d = icalcomponent_get_first_property(e.comp, ICAL_DURATION_PROPERTY)) {
    const int s = icaldurationtype_as_int(icalproperty_get_duration(d));
    if (s < 0) return at_line(e.outline->line_of("DURATION"), describe(e) + ": DURATION is negative");
    len.exact = seconds{s};
    len.days = s / 86400;
    return len;
  }
  if (fallback != nullptr) return *fallback;
  if (start.all_day) len.days = 1;  // RFC 5545: a DATE DTSTART alone lasts the day
  return len;
}

TimePoint end_of(const When& start, const Length& len) {
  if (!start.all_day) return start.utc + len.exact;
  icaltimetype d = start.local;
  icaltime_adjust(&d, len.days, 0, 0, 0);
  return amsterdam_midnight(d);
}

Occurrence occurrence_of(const Event& e, const When& start, const Length& len) {
  Occurrence o;
  o.uid = e.uid;
  o.start = start.utc;
  o.end = end_of(start, len);
  o.all_day = start.all_day;
  o.facts = facts_of(e.comp);
  o.series = o.facts;
  if (const char* l = icalcomponent_get_location(e.comp)) o.location = l;
  o.sequence = std::max(0, icalcomponent_get_sequence(e.comp));
  o.cancelled = icalcomponent_get_status(e.comp) == ICAL_STATUS_CANCELLED;
  o.line = e.outline->begin_line;
  return o;
}

Result<When> start_of(const Event& e, icalcomponent* cal) {
  auto s = property_when(e, cal, ICAL_DTSTART_PROPERTY, "DTSTART");
  if (!s && s.status().code() == ErrorCode::not_found)
    return at_line(e.outline->begin_line, describe(e) + " has no DTSTART");
  return s;
}

// The master's instances in the window, keyed by instance_key.
Status expand(const Event& m, icalcomponent* cal, const Window& w, const FeedLimits& limits,
              std::map<std::string, Occurrence>& out, When& start, Length& len) {
  auto s = start_of(m, cal);
  SCHAKEL_TRY(s);
  start = *s;
  auto l = length_of(m, cal, start, nullptr);
  SCHAKEL_TRY(l);
  len = *l;
  const bool recurs = icalcomponent_get_first_property(m.comp, ICAL_RRULE_PROPERTY) != nullptr ||
                      icalcomponent_get_first_property(m.comp, ICAL_RDATE_PROPERTY) != nullptr;
  if (!recurs) {
    if (w.holds(start.utc)) out.emplace("", occurrence_of(m, start, len));
    return {};
  }
  std::set<std::string> excluded;
  for (icalproperty* p = icalcomponent_get_first_property(m.comp, ICAL_EXDATE_PROPERTY); p != nullptr;
       p = icalcomponent_get_next_property(m.comp, ICAL_EXDATE_PROPERTY)) {
    auto x = when_of(p, value_of(p), cal, *m.outline, "EXDATE");
    SCHAKEL_TRY(x);
    excluded.insert(instance_key(*x, start.all_day || x->all_day));
    if (x->all_day && !start.all_day) excluded.insert("date:" + instance_key(*x, true));
  }
  const int rule_line = m.outline->line_of("RRULE");
  auto add = [&](const When& at) -> Status {
    if (!w.holds(at.utc)) return {};
    const std::string key = instance_key(at, start.all_day);
    if (excluded.count(key) || excluded.count("date:" + instance_key(at, true)) || out.count(key)) return {};
    if (static_cast<int>(out.size()) >= limits.max_instances)
      return at_line(rule_line, describe(m) + ": the series gives more than " + std::to_string(limits.max_instances) +
                                    " instances in the school year (max_instances); an RRULE must not expand without bound");
    Occurrence o = occurrence_of(m, at, len);
    o.recurrence_id = key;
    out.emplace(key, std::move(o));
    return {};
  };
  for (icalproperty* p = icalcomponent_get_first_property(m.comp, ICAL_RRULE_PROPERTY); p != nullptr;
       p = icalcomponent_get_next_property(m.comp, ICAL_RRULE_PROPERTY)) {
    const icalrecurrencetype rule = icalproperty_get_rrule(p);
    if (rule.freq == ICAL_NO_RECURRENCE) return at_line(rule_line, describe(m) + ": RRULE cannot be read");
    std::unique_ptr<icalrecur_iterator, IteratorFree> it(icalrecur_iterator_new(rule, start.local));
    if (!it) return at_line(rule_line, describe(m) + ": libical cannot expand this RRULE");
    long steps = 0;
    for (icaltimetype t = icalrecur_iterator_next(it.get()); !icaltime_is_null_time(t);
         t = icalrecur_iterator_next(it.get())) {
      if (++steps > k_max_steps)
        return at_line(rule_line, describe(m) + ": the RRULE repeats more than " + std::to_string(k_max_steps) +
                                      " times before the end of the school year; an RRULE must not expand without bound");
      When at = start;
      at.local = t;
      at.utc = TimePoint{seconds{icaltime_as_timet_with_zone(t, start.zone)}};
      if (at.utc >= w.until) break;
      SCHAKEL_TRY(add(at));
    }
  }
  for (icalproperty* p = icalcomponent_get_first_property(m.comp, ICAL_RDATE_PROPERTY); p != nullptr;
       p = icalcomponent_get_next_property(m.comp, ICAL_RDATE_PROPERTY)) {
    auto r = when_of(p, value_of(p), cal, *m.outline, "RDATE");
    SCHAKEL_TRY(r);
    SCHAKEL_TRY(add(*r));
  }
  return {};
}

// Applies an override (an event with RECURRENCE-ID) to the series' instances.
Status apply_override(const Event& o, icalcomponent* cal, const Window& w, const When* master_start,
                      const Length* master_len, const EventFacts* master_facts, std::map<std::string, Occurrence>& out) {
  auto rid = property_when(o, cal, ICAL_RECURRENCEID_PROPERTY, "RECURRENCE-ID");
  SCHAKEL_TRY(rid);
  const bool all_day = master_start ? master_start->all_day : rid->all_day;
  const std::string key = instance_key(*rid, all_day || rid->all_day);
  auto s = property_when(o, cal, ICAL_DTSTART_PROPERTY, "DTSTART");
  if (!s && s.status().code() != ErrorCode::not_found) return s.status();
  const When start = s ? *s : *rid;  // an override may leave DTSTART out: the instance's own time
  auto len = length_of(o, cal, start, master_len);
  SCHAKEL_TRY(len);
  Occurrence occ = occurrence_of(o, start, *len);
  occ.recurrence_id = key;
  if (master_facts != nullptr) occ.series = *master_facts;
  // A known instance is replaced wherever it moved to; an unknown one counts if it falls inside.
  if (out.count(key) || w.holds(occ.start)) out.insert_or_assign(key, std::move(occ));
  return {};
}

Window window_of(const FeedLimits& limits) {
  auto date = [](std::chrono::sys_days d) {
    const std::chrono::year_month_day ymd{d};
    icaltimetype t = icaltime_null_time();
    t.year = int(ymd.year());
    t.month = static_cast<int>(unsigned(ymd.month()));
    t.day = static_cast<int>(unsigned(ymd.day()));
    t.is_date = 1;
    return amsterdam_midnight(t);
  };
  return {date(limits.first_day), date(limits.last_day + std::chrono::days{1})};
}

}  // namespace

Result<std::vector<Occurrence>> read_feed(std::string_view text, const FeedLimits& limits, const EventFilter& wanted) {
  auto outline = outline_feed(text, limits.max_bytes);
  SCHAKEL_TRY(outline);
  std::lock_guard lock(libical_mutex());
  icalerror_set_errors_are_fatal(0);
  if (amsterdam_zone() == nullptr) return Status{ErrorCode::internal, "libical has no Europe/Amsterdam time zone (tzdata)"};
  const std::string copy(text);  // libical wants a NUL-terminated string
  std::unique_ptr<icalcomponent, ComponentFree> cal(icalparser_parse_string(copy.c_str()));
  if (!cal || icalcomponent_isa(cal.get()) != ICAL_VCALENDAR_COMPONENT)
    return at_line(1, "libical cannot read this as a VCALENDAR");
  std::vector<Event> events;
  for (icalcomponent* c = icalcomponent_get_first_component(cal.get(), ICAL_VEVENT_COMPONENT); c != nullptr;
       c = icalcomponent_get_next_component(cal.get(), ICAL_VEVENT_COMPONENT))
    events.push_back({c, nullptr, icalcomponent_get_uid(c) ? icalcomponent_get_uid(c) : ""});
  if (events.size() != outline->events.size())
    return at_line(1, "libical read " + std::to_string(events.size()) + " VEVENTs where the text has " +
                          std::to_string(outline->events.size()));
  std::map<std::string, Series> series;
  for (std::size_t i = 0; i < events.size(); ++i) {
    Event& e = events[i];
    e.outline = &outline->events[i];
    const bool is_override = icalcomponent_get_first_property(e.comp, ICAL_RECURRENCEID_PROPERTY) != nullptr;
    if (e.uid.empty()) {
      if (wanted(facts_of(e.comp))) return at_line(e.outline->begin_line, "VEVENT has no UID");
      continue;
    }
    Series& s = series[e.uid];
    if (is_override) {
      s.overrides.push_back(&e);
    } else if (s.master != nullptr) {
      if (wanted(facts_of(e.comp)))
        return at_line(e.outline->begin_line, describe(e) + " appears twice (first at line " +
                                                  std::to_string(s.master->outline->begin_line) + ")");
    } else {
      s.master = &e;
    }
  }
  const Window w = window_of(limits);
  std::vector<Occurrence> out;
  for (const auto& [uid, s] : series) {
    std::map<std::string, Occurrence> instances;
    When start;
    Length len;
    EventFacts master_facts;
    const bool with_master = s.master != nullptr;
    if (with_master) {
      master_facts = facts_of(s.master->comp);
      if (!wanted(master_facts)) continue;
      SCHAKEL_TRY(libical_errors(*s.master));
      SCHAKEL_TRY(expand(*s.master, cal.get(), w, limits, instances, start, len));
    }
    for (const Event* o : s.overrides) {
      if (!with_master && !wanted(facts_of(o->comp))) continue;
      SCHAKEL_TRY(libical_errors(*o));
      SCHAKEL_TRY(apply_override(*o, cal.get(), w, with_master ? &start : nullptr, with_master ? &len : nullptr,
                                    with_master ? &master_facts : nullptr, instances));
    }
    for (auto& [key, occ] : instances) out.push_back(std::move(occ));
  }
  std::sort(out.begin(), out.end(), [](const Occurrence& a, const Occurrence& b) {
    return a.start != b.start ? a.start < b.start : std::tie(a.uid, a.recurrence_id) < std::tie(b.uid, b.recurrence_id);
  });
  return out;
}

}  // namespace schakel::calendar_ics
