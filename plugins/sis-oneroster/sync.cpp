#include "sync.hpp"

#include "base/json_text.hpp"
#include "join_store.hpp"

#include <algorithm>
#include <memory>
#include <set>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

namespace schakel::sis_oneroster {
namespace {

using oneroster::FileMode;
using oneroster::Table;

struct Group {
  std::string title;
  bool homeroom = false;
  std::optional<int> jaargroep;
};

class Pass {
 public:
  Pass(RowSource& source, const MappingConfig& config, const SyncOptions& options, const SyncOutput& out)
      : source_(source), config_(config), options_(options), out_(out) {}

  Result<SyncStats> run() {
    auto joins = JoinStore::open();
    if (!joins) return joins.status();
    joins_ = std::move(*joins);
    auto roles = JoinStore::open(2048);
    if (!roles) return roles.status();
    roles_ = std::move(*roles);
    auto manifest = source_.manifest();
    if (!manifest) return manifest.status();
    manifest_ = *manifest;
    SCHAKEL_TRY(each("orgs", [this](const Table& t) { return org(t); }));
    auto before_users = [&]() -> Status {
      SCHAKEL_TRY(each("demographics", [this](const Table& t) { return demographic(t); }));
      SCHAKEL_TRY(each("classes", [this](const Table& t) { return group(t); }));
      if (source_.incremental()) return Status::ok();
      return each("enrollments", [this](const Table& t) { return enrollment(t); });
    };
    SCHAKEL_TRY(read_beside_roles(before_users));
    if (source_.incremental()) return run_incremental();
    // One pass over users emits students and staff while it links guardians and students (from
    // either side), so the host stores them while the pass reads on. A guardian needs all its
    // children, so its row waits in the join store and is mapped once the pass is through.
    emitting_users_ = true;
    std::unique_ptr<Table> kept;  // the users file's columns, for the rows that waited
    SCHAKEL_TRY(each("users", [&](const Table& t) {
      if (!user(t, Users::link)) return;
      if (!kept) {
        std::vector<std::string> columns(t.columns().size());
        for (const auto& [name, at] : t.columns()) columns[at] = name;
        kept = Table::in_memory(t.file(), columns);
      }
      joins_->defer(t.row());
    }));
    if (kept) {
      joins_->each_deferred([&](csv::Row& row) {
        kept->set_row(std::move(row.fields), row.line);
        user(*kept, Users::guardians);
      });
      SCHAKEL_TRY(joins_->status());
    }
    // A CSV delta carries only what changed. A student whose demographics or enrollment changed
    // but whose users row is not in the delta cannot be emitted whole: quarantined with the row,
    // never dropped in silence.
    for (const auto& [key, row] : awaiting_user_)
      reject(row.first, row.second, key,
             "the student's users row is not in this delta, so the change cannot be applied; it applies with the next "
             "bulk or with a delta that lists the student");
    if (options_.known) reconcile();
    return stats_;
  }

  // Each listing holds only what changed since the cursor. A student is emitted whole when the
  // user, its demographics or one of its enrollments changed: what did not change (the user row,
  // the demographics, the other enrollments) is looked up by key.
  Result<SyncStats> run_incremental() {
    std::set<std::string> touched = std::move(changed_demographics_);  // ... or enrollments changed
    SCHAKEL_TRY(each("enrollments", [&](const Table& t) {
      auto e = oneroster::parse_enrollment(t);
      if (!e) return reject(t, e.status());
      if (e->role == "student") touched.insert(e->user_sourced_id);
    }));
    std::set<std::string> changed_users;
    std::set<std::string> students;
    SCHAKEL_TRY(each("users", [&](const Table& t) {
      changed_users.insert(t.get("sourcedId"));
      link(t, &students);
    }));
    std::vector<std::string> extra;
    for (const auto& key : touched)
      if (!changed_users.contains(key)) extra.push_back(key);
    SCHAKEL_TRY(each_with("users", "sourcedId", extra, [&](const Table& t) { link(t, &students); }));
    std::vector<std::string> no_demographics;
    for (const auto& key : students)
      if (!joins_->demographics(key)) no_demographics.push_back(key);
    SCHAKEL_TRY(each_with("demographics", "sourcedId", no_demographics, [this](const Table& t) { demographic(t); }));
    joins_->clear_placements();
    const std::vector<std::string> all_students(students.begin(), students.end());
    SCHAKEL_TRY(each_with("enrollments", "user.sourcedId", all_students, [this](const Table& t) { enrollment(t); }));
    emitting_users_ = true;
    SCHAKEL_TRY(each("users", [this](const Table& t) { return user(t); }));
    SCHAKEL_TRY(each_with("users", "sourcedId", extra, [this](const Table& t) { user(t); }));
    if (options_.known) reconcile();
    return stats_;
  }

 private:
  // Streams one file of the bundle through `row`; a file the manifest marks absent is skipped.
  template <typename F>
  Status each(const std::string& name, F row) {
    SCHAKEL_TRY(each_reporting(name, row, [&](const std::string& where, const std::string& key, const std::string& reason) {
      reject(where, name, key, reason);
    }));
    return joins_->status();
  }
  template <typename F, typename Bad>
  Status each_reporting(const std::string& name, F row, Bad bad) {
    if (manifest_.mode(name) == FileMode::absent) return Status::ok();
    return source_.each(
        name, oneroster::required_columns(name, manifest_.version), [&](const Table& t) { row(t); },
        [&](const std::string& where, const std::string& key, const Status& st) {
          std::string reason = st.message();
          if (reason.rfind(where + ": ", 0) == 0) reason = reason.substr(where.size() + 2);
          bad(where, key, reason);
        });
  }

  // A 1.2 bundle's roles go into a join store of their own, read on a second thread while
  // `rest` reads the other files when the source allows it: the host has nothing to store
  // before the users, so this is time it would wait. The thread emits nothing (only the pass's
  // thread hands records on): its rejected rows are reported once it is done.
  Status read_beside_roles(const std::function<Status()>& rest) {
    if (manifest_.version != oneroster::Version::v1_2) return rest();
    struct Bad {
      std::string where, key, reason;
    };
    std::vector<Bad> bad;
    Status read = Status::ok();
    auto read_roles = [&] {
      try {
        read = each_reporting("roles", [this](const Table& t) { role(t); },
                              [&](const std::string& where, const std::string& key, const std::string& reason) {
                                bad.push_back({where, key, reason});
                              });
        if (read) read = roles_->status();
      } catch (const std::exception& e) {
        read = Status(ErrorCode::internal, std::string("reading roles failed: ") + e.what());
      }
    };
    Status others = Status::ok();
    if (source_.concurrent_files()) {
      std::thread beside(read_roles);
      try {
        others = rest();
      } catch (...) {
        beside.join();
        throw;
      }
      beside.join();
    } else {
      read_roles();
      if (read) others = rest();
    }
    for (const auto& b : bad) reject(b.where, "roles", b.key, b.reason);
    SCHAKEL_TRY(read);  // roles.csv comes first in a bundle's order, so its error does too
    return others;
  }

  template <typename F>
  Status each_with(const std::string& name, const std::string& field, const std::vector<std::string>& keys, F row) {
    if (keys.empty()) return Status::ok();
    SCHAKEL_TRY(source_.each_with(
        name, field, keys, [&](const Table& t) { row(t); },
        [&](const std::string& where, const std::string& key, const Status& st) { reject(where, name, key, st.message()); }));
    return joins_->status();
  }

  void reject(const std::string& where, const std::string& file, const std::string& key,
              const std::string& reason) {
    // A users row that does not map is still in the LAS: the reconcile must not retire it.
    if (emitting_users_ && options_.known) present_.insert(key);
    ++stats_.rejected;
    Outgoing o;
    o.stream = "rejected_rows";
    JsonWriter(o.text).open_object().member("file", file).member("reason", reason).member("source", where)
        .member("source_key", key).close_object();
    o.warning = "row not mapped: " + where + ": " + reason;
    out_.emit(std::move(o));
  }
  void reject(const Table& t, const Status& st) {
    // A parse error already starts with "<file>:<line>: "; keep only the reason.
    std::string reason = st.message();
    auto prefix = t.where() + ": ";
    if (reason.rfind(prefix, 0) == 0) reason = reason.substr(prefix.size());
    reject(t.where(), t.file(), t.get("sourcedId"), reason);
  }

  std::string version_of(const std::string& v) const { return v.empty() ? options_.fallback_version : v; }
  bool older_than_cursor(const std::string& version) {
    if (options_.cursor.empty() || version >= options_.cursor) return false;
    ++stats_.skipped;
    return true;
  }

  // A users row seen in this pass, whether emitted, skipped by the cursor or not mappable.
  void seen(const std::string& stream, const oneroster::Base& b) {
    if (!options_.known || b.sourced_id.find('\n') != std::string::npos) return;
    newest_user_ = std::max(newest_user_, b.date_last_modified);
    if (b.to_be_deleted) deleted_.insert(b.sourced_id);
    else seen_[stream].add(b.sourced_id);  // sorted once, in reconcile()
  }

  // After a full users file, who was known but is absent is retired; after a delta, the known keys
  // grow by what came and shrink by what was deleted. Both lists are sorted, so one merge writes
  // the next list in order.
  void reconcile() {
    const bool full = manifest_.mode("users") == FileMode::bulk && newest_user_ >= options_.stale_before;
    for (const char* stream : {"students", "guardians", "staff"}) {
      const std::vector<std::string_view> now = seen_[stream].sorted();
      auto known = options_.known->find(stream);
      const std::string_view old = known == options_.known->end() ? std::string_view() : known->second;
      std::string next;
      next.reserve(old.size() + seen_[stream].bytes());
      auto keep = [&](std::string_view key) {
        next += key;
        next += '\n';
      };
      std::size_t i = 0;
      each_line(old, [&](std::string_view key) {
        while (i < now.size() && now[i] < key) keep(now[i++]);
        if (i < now.size() && now[i] == key) return;  // seen: kept in its turn
        if (deleted_.contains(key)) return;
        if (!full || present_.contains(key)) {  // a delta, or a row that did not map this time
          keep(key);
          return;
        }
        oneroster::Base gone;
        gone.sourced_id = key;
        gone.to_be_deleted = true;
        gone.where = "reconcile: not in the full users file";
        send(stream, gone, options_.fallback_version, nullptr);
        ++stats_.retired;
      });
      while (i < now.size()) keep(now[i++]);
      stats_.known[stream] = std::move(next);
    }
  }

  void send(const std::string& stream, const oneroster::Base& b, const std::string& version,
            const std::string* record) {
    Outgoing o;
    o.stream = stream;
    o.version = version;
    JsonWriter w(o.text);
    w.open_object().key("active").boolean(!b.to_be_deleted);
    if (record != nullptr) w.key("record").raw(*record);
    w.member("source", b.where).member("source_key", b.sourced_id).member("source_version", version).close_object();
    // A stand-in version (a row without dateLastModified) must not move the cursor past real ones.
    if (version != options_.fallback_version) stats_.max_version = std::max(stats_.max_version, version);
    out_.emit(std::move(o));
    ++stats_.emitted[stream];
  }

  void org(const Table& t) {
    auto o = oneroster::parse_org(t);
    if (!o) return reject(t, o.status());
    if (o->type != "school") return;
    schools_.insert(o->sourced_id);
    auto version = version_of(o->date_last_modified);
    if (older_than_cursor(version)) return;
    auto school = map_school(*o, config_);
    if (!school) return reject(o->where, t.file(), o->sourced_id, school.status().message());
    send("schools", *o, version, &*school);
  }

  void role(const Table& t) {
    if (t.get("status") == "tobedeleted") return;
    roles_->add_role(t.get("userSourcedId"), t.get("role"), t.get("orgSourcedId"), t.get("roleType") == "primary");
  }

  void demographic(const Table& t) {
    auto d = oneroster::parse_demographics(t);
    if (!d) return reject(t, d.status());
    if (source_.incremental()) changed_demographics_.insert(d->sourced_id);
    else await_user("demographics", d->sourced_id, t);
    joins_->put_demographics(*d);
  }

  void group(const Table& t) {
    auto c = oneroster::parse_class(t);
    if (!c) return reject(t, c.status());
    groups_[c->sourced_id] = Group{c->title, c->class_type == "homeroom", jaargroep_of(c->grades)};
  }

  void enrollment(const Table& t) {
    auto e = oneroster::parse_enrollment(t);
    if (!e) return reject(t, e.status());
    if (e->role != "student") return;
    await_user("enrollments", e->user_sourced_id, t);
    if (e->to_be_deleted) return;
    auto g = groups_.find(e->class_sourced_id);
    bool homeroom = g != groups_.end() && g->second.homeroom;
    joins_->place(e->user_sourced_id, Placement{e->class_sourced_id, e->date_last_modified, homeroom});
  }

  // A 1.2 bundle's roles.csv rows of a user, (role, org), the primary first; none for 1.1.
  using Listed = std::vector<std::pair<std::string, std::string>>;
  Listed listed_roles(const std::string& user) const {
    return manifest_.version == oneroster::Version::v1_1 ? Listed{} : roles_->roles(user);
  }
  std::vector<std::string> roles_of(const oneroster::User& u, std::string* org) const {
    return roles_of(u, listed_roles(u.sourced_id), org);
  }
  std::vector<std::string> roles_of(const oneroster::User& u, const Listed& listed, std::string* org) const {
    if (manifest_.version == oneroster::Version::v1_1) {
      if (org && !u.org_sourced_ids.empty()) *org = first_school(u.org_sourced_ids);
      return u.roles;
    }
    std::vector<std::string> out;
    if (listed.empty() && !u.roles.empty()) {  // the REST binding's flattened primary role
      if (org && !u.org_sourced_ids.empty()) *org = first_school(u.org_sourced_ids);
      return u.roles;
    }
    for (const auto& [r, o] : listed) {
      out.push_back(r);
      if (org && org->empty()) *org = o;
    }
    if (org && org->empty() && !u.org_sourced_ids.empty()) *org = first_school(u.org_sourced_ids);
    return out;
  }
  std::string first_school(const std::vector<std::string>& orgs) const {
    for (const auto& o : orgs)
      if (schools_.contains(o)) return o;
    return orgs.front();
  }

  // An incremental source's first pass over the users it lists: who is whose agent.
  void link(const Table& t, std::set<std::string>* students = nullptr) {
    auto u = oneroster::parse_user(t, manifest_.version);
    if (!u) return;  // reported by the second pass
    auto roles = roles_of(*u, nullptr);
    if (roles.empty()) return;
    if (students && roles.front() == "student") students->insert(u->sourced_id);
    link_agents(*u, roles.front());
  }
  // A student's agents: the links the guardians' rows do not name themselves. A guardian's own
  // agents (its children) come with its row, so they are not stored (guardian()).
  void link_agents(const oneroster::User& u, const std::string& role) {
    if (role == "student")
      for (const auto& a : u.agent_sourced_ids) joins_->add_child(a, u.sourced_id);
  }

  // How a pass over users treats a row: all emits every user (a delta, whose guardians' children
  // are all linked already); link emits students and staff and links agents; guardians emits
  // only guardians.
  enum class Users { all, link, guardians };

  // Returns whether the row is a guardian's (a link pass keeps it for later).
  bool user(const Table& t, Users pass = Users::all) {
    if (pass != Users::guardians) awaiting_user_.erase(t.get("sourcedId"));
    const Listed listed = listed_roles(t.get("sourcedId"));
    // A guardian's row waits whole, so the link pass leaves it unparsed: it is parsed (and a
    // malformed one reported) once, when it is mapped. Its first role is that of roles_of.
    if (pass == Users::link && guardian_relation(listed.empty() ? t.get("role") : listed.front().first)) return true;
    auto u = oneroster::parse_user(t, manifest_.version);
    if (!u) {
      reject(t, u.status());
      return false;
    }
    std::string org;
    auto roles = roles_of(*u, listed, &org);
    if (roles.empty()) {
      if (pass != Users::guardians) reject(u->where, t.file(), u->sourced_id, "the user has no role");
      return false;
    }
    const std::string& role = roles.front();
    if (pass == Users::link) link_agents(*u, role);
    if (guardian_relation(role)) {
      u->roles = std::move(roles);  // looked up once: the mapping reads the relation from them
      guardian(*u, t.file());
      return true;
    }
    if (pass == Users::guardians) return false;
    if (role == "student") {
      student(*u, t.file(), org);
    } else {
      staff(*u, t.file(), role, org);
    }
    return false;
  }

  // A row of a CSV delta file that changes a student: it waits for the student's users row.
  void await_user(const char* file, const std::string& key, const Table& t) {
    if (!source_.incremental() && manifest_.mode(file) == FileMode::delta) awaiting_user_.try_emplace(key, t.where(), t.file());
  }

  void student(const oneroster::User& u, const std::string& file, const std::string& org) {
    seen("students", u);
    StudentExtra extra;
    extra.school_sourced_id = org;
    std::string version = version_of(u.date_last_modified);
    const auto joins = joins_->user(u.sourced_id);
    if (const auto& d = joins.demographics) {
      extra.demographics = &*d;
      version = std::max(version, d->date_last_modified);
    }
    if (const auto& p = joins.placement) {
      version = std::max(version, p->version);
      if (auto g = groups_.find(p->class_id); g != groups_.end()) {
        extra.groep = g->second.title;
        extra.jaargroep = g->second.jaargroep;
      }
    }
    if (older_than_cursor(version)) return;
    auto record = map_student(u, extra, config_);
    if (!record) {
      if (u.to_be_deleted) return send("students", u, version, nullptr);
      return reject(u.where, file, u.sourced_id, record.status().message());
    }
    send("students", u, version, &*record);
  }

  void guardian(const oneroster::User& u, const std::string& file) {
    seen("guardians", u);
    std::string version = version_of(u.date_last_modified);
    if (older_than_cursor(version)) return;
    // The same link, from either side: the guardian's agents, and the students naming it.
    std::vector<std::string> kids = joins_->children(u.sourced_id);
    if (!u.agent_sourced_ids.empty()) {
      kids.insert(kids.end(), u.agent_sourced_ids.begin(), u.agent_sourced_ids.end());
      std::sort(kids.begin(), kids.end());
      kids.erase(std::unique(kids.begin(), kids.end()), kids.end());
    }
    auto record = map_guardian(u, kids, config_);
    if (!record) {
      if (u.to_be_deleted) return send("guardians", u, version, nullptr);
      return reject(u.where, file, u.sourced_id, record.status().message());
    }
    send("guardians", u, version, &*record);
  }

  void staff(const oneroster::User& u, const std::string& file, const std::string& role,
             const std::string& org) {
    seen("staff", u);
    std::string version = version_of(u.date_last_modified);
    if (older_than_cursor(version)) return;
    auto mapped_role = staff_role(u, role, config_);
    Result<std::string> record =
        mapped_role ? map_staff(u, *mapped_role, org, config_) : Result<std::string>(mapped_role.status());
    if (!record) {
      if (u.to_be_deleted) return send("staff", u, version, nullptr);
      return reject(u.where, file, u.sourced_id, record.status().message());
    }
    send("staff", u, version, &*record);
  }

  RowSource& source_;
  const MappingConfig& config_;
  const SyncOptions& options_;
  const SyncOutput& out_;
  oneroster::Manifest manifest_;
  SyncStats stats_;
  std::set<std::string> schools_;
  std::unique_ptr<JoinStore> joins_;  // demographics, placements, children, waiting rows: on disk
  std::unique_ptr<JoinStore> roles_;  // 1.2's roles, apart: they are read on a thread of their own
  std::set<std::string> changed_demographics_;  // an incremental source's changed ones (few)
  std::map<std::string, std::pair<std::string, std::string>> awaiting_user_;  // key -> where, file (a delta's few)
  std::unordered_map<std::string, Group> groups_;  // the classes: a few per school
  // Keys as one run of bytes, each ended by a newline: a third of the memory of strings.
  class KeyList {
   public:
    void add(std::string_view key) {
      bytes_ += key;
      bytes_ += '\n';
    }
    [[nodiscard]] std::size_t bytes() const { return bytes_.size(); }
    // Sorted, without repeats (keys are never empty); the views point into this list.
    [[nodiscard]] std::vector<std::string_view> sorted() const { return sorted_lines_of(bytes_); }

   private:
    std::string bytes_;
  };
  std::map<std::string, KeyList> seen_;  // users rows per stream, in file order
  std::set<std::string, std::less<>> deleted_;
  std::set<std::string, std::less<>> present_;
  std::string newest_user_;
  bool emitting_users_ = false;
};

class DirectorySource final : public RowSource {
 public:
  explicit DirectorySource(std::filesystem::path dir) : dir_(std::move(dir)) {}
  Result<oneroster::Manifest> manifest() override { return oneroster::read_manifest(dir_); }
  [[nodiscard]] bool concurrent_files() const override { return true; }
  Status each(const std::string& file, const std::vector<std::string>& required,
              const std::function<void(const Table&)>& row, const BadRow&) override {
    auto table = Table::open(dir_ / (file + ".csv"), required);
    if (!table) return table.status();
    for (;;) {
      auto more = (*table)->next();
      if (!more) return more.status();
      if (!*more) return Status::ok();
      row(**table);
    }
  }

 private:
  std::filesystem::path dir_;
};

}  // namespace

std::unique_ptr<RowSource> directory_source(std::filesystem::path dir) {
  return std::make_unique<DirectorySource>(std::move(dir));
}

Result<SyncStats> sync_rows(RowSource& source, const MappingConfig& config, const SyncOptions& options,
                            const SyncOutput& out) {
  Pass pass(source, config, options, out);
  return pass.run();
}

Result<SyncStats> sync_bundle(const std::filesystem::path& bundle_dir, const MappingConfig& config,
                              const SyncOptions& options, const SyncOutput& out) {
  auto source = directory_source(bundle_dir);
  return sync_rows(*source, config, options, out);
}

std::vector<std::string_view> sorted_lines_of(std::string_view text) {
  std::vector<std::string_view> out;
  each_line(text, [&](std::string_view line) {
    if (!line.empty()) out.push_back(line);
  });
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace schakel::sis_oneroster
