#pragma once
// The calendar end-to-end rig (issue 9): one real Radicale with a calendar for the youth nurse
// and one for the school social worker, and the real schakeld with a calendar-caldav connector
// for each and the routes meeting.planned / .changed / .cancelled -> both, purpose calendar.
// The school is put in the store before the daemon starts (no API makes schools); the first
// admin token is made offline by `schakel token create`, the others through POST /v1/tokens.
// Waits are on events: the daemon's log lines wake a bounded re-check of the API or Radicale.
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "../support/api_test_client.hpp"
#include "../support/child_process.hpp"
#include "../support/radicale.hpp"
#include "../support/temp_dir.hpp"

namespace schakel::test {

inline const std::string k_cal_school_id = "sch-regenboog";
inline const std::string k_cal_tenant = "12AB00";
inline const std::string k_nurse_org = "GGD Hollands Midden";
inline const std::string k_nurse_email = "jvk@ggd.example";
inline const std::string k_smw_org = "Kwadraad";
inline const std::string k_smw_email = "smw@kwadraad.example";
// Radicale accounts; the passwords must never appear in the daemon's output.
inline const std::map<std::string, std::string> k_calendar_users = {{"nurse", "nurse-pw-Jq81xv"},
                                                                     {"smw", "smw-pw-Lk20pe"}};

class CalendarHub {
 public:
  explicit CalendarHub(Radicale& radicale);
  ~CalendarHub();
  CalendarHub(const CalendarHub&) = delete;
  CalendarHub& operator=(const CalendarHub&) = delete;

  // Starts schakeld, waits for "ready" and makes the staff and privacy officer tokens.
  // Empty on success, else what went wrong with the daemon's output.
  std::string start();

  // One API call with a token of `role` (admin, staff, privacy_officer); body as JSON (null: none).
  ClientResponse api(const std::string& role, const std::string& method, const std::string& target,
                     const nlohmann::json& body = nullptr);
  // No bearer token (a calendar client fetching a feed).
  ClientResponse get_public(const std::string& target);
  // POST /v1/connectors/{id}/run as the admin.
  bool run_connector(const std::string& id);

  // Re-checks `done` after each line the daemon logs (or every 200 ms) until it holds or
  // `timeout` passes.
  bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout = std::chrono::seconds(60));

  // The user's calendar "ot" as one VCALENDAR (Radicale answers GET on a collection so).
  std::string calendar_text(const std::string& user);
  Radicale& radicale() { return radicale_; }
  ChildProcess& daemon() { return *daemon_; }

  // `schakel audit --data-dir D verify`.
  RunResult audit_verify() const;

 private:
  void write_config() const;
  void put_school() const;

  Radicale& radicale_;
  TempDir dir_;
  std::filesystem::path data_dir_;
  std::filesystem::path config_;
  std::unique_ptr<ChildProcess> daemon_;
  ClientOptions client_;
  std::map<std::string, std::string> tokens_;
};

// python3-icalendar's reading of an iCalendar text (tests/unit/adapters/ical/ical_dump.py):
// {version, prodid, timezones, events: [{uid, sequence, start {iso, tzid}, end, summary,
// description, status, attendees [{address, partstat}]}]}; null when it cannot be read.
nlohmann::json parse_ics_independently(const std::string& ics);

// RFC 5545 lines unfolded, for searching the raw text.
std::string unfold_ics(const std::string& ics);

}  // namespace schakel::test
