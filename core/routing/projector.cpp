#include "routing/router.hpp"

#include <algorithm>

namespace schakel::routing {
namespace {

using store::Kind;

Result<store::Entity> must_get(store::Transaction& tx, Kind kind, const std::string& id,
                               const std::string& needed_by) {
  auto e = tx.get(kind, id);
  if (!e) return e.status();
  if (!*e) {
    return Status(ErrorCode::not_found, std::string(store::kind_name(kind)) + " " + id +
                                            " not found" +
                                            (needed_by.empty() ? "" : " (needed by " + needed_by + ")"));
  }
  return std::move(**e);
}

// The version that keys the idempotency: the document's own, else the source's, else the time.
std::string version_of(const store::Entity& e) {
  const auto& v = e.doc.contains("version") ? e.doc["version"] : nlohmann::json();
  if (v.is_number_integer()) return std::to_string(v.get<long long>());
  if (v.is_string()) return v.get<std::string>();
  if (!e.source_version.empty()) return e.source_version;
  return format_utc(e.updated_at);
}

}  // namespace

Result<Projection> StoreProjector::project(const RouteSpec& route, const Event& event,
                                           store::Transaction& tx) {
  Kind kind = Kind::referral;
  std::string part = "referral";
  if (route.projection == "case") {
    kind = Kind::case_;
    part = "case";
  } else if (route.projection == "meeting") {
    kind = Kind::meeting;
    part = "meeting";
  } else if (route.projection != "referral" && route.projection != "referral_supplement") {
    return Status(ErrorCode::invalid, "route " + route.id + ": unknown projection '" +
                                          route.projection + "'");
  }
  auto entity = must_get(tx, kind, event.entity_id, "");
  if (!entity) return entity.status();
  const std::string what = part + " " + entity->id;

  Projection p;
  p.schema_name = "projection/" + part;
  p.tenant = entity->tenant;
  p.version = version_of(*entity);
  p.document = nlohmann::json::object();
  p.document[part] = entity->doc;

  const std::string school_id = entity->doc.value("school_id", "");
  if (!school_id.empty()) {
    auto school = must_get(tx, Kind::school, school_id, what);
    if (!school) return school.status();
    p.document["school"] = school->doc;
  }
  if (kind == Kind::meeting) {
    // DTSTAMP of its calendar copies: the version's own time, so a re-check gives the same bytes.
    if (!p.document[part].contains("updated_at")) p.document[part]["updated_at"] = format_utc(entity->updated_at);
    // A calendar copy may name a child where consent allows (the gate decides, per slot): the
    // students of the agenda come along for the gate only, and only on calendar routes.
    if (route.purpose == "calendar") {
      nlohmann::json students = nlohmann::json::object();
      for (const auto& slot : entity->doc.value("agenda", nlohmann::json::array())) {
        const std::string id = slot.value("student_id", "");
        if (id.empty() || students.contains(id)) continue;
        auto student = tx.get(Kind::student, id);
        if (!student) return student.status();
        if (*student) students[id] = (*student)->doc;
      }
      p.document["students"] = std::move(students);
    }
  } else {
    p.student_id = entity->doc.value("student_id", entity->student_id);
    auto student = must_get(tx, Kind::student, p.student_id, what);
    if (!student) return student.status();
    p.document["student"] = student->doc;
  }
  return p;
}

Status complete_referral(const RouteSpec& route, const std::string& student_id,
                         const std::vector<std::string>& consent_ids, nlohmann::json& doc, store::Transaction& tx) {
  using nlohmann::json;
  if (route.projection != "referral" && route.projection != "referral_supplement") return Status::ok();
  doc["kind"] = route.projection == "referral" ? "aanmelding" : "aanvulling";
  // The consent it leaves under: the first permitting consent for this purpose.
  for (const auto& id : consent_ids) {
    auto consent = tx.get(Kind::consent, id);
    if (!consent) return consent.status();
    if (!*consent) continue;  // a gate that permits by policy alone names no stored consent
    const json& c = (*consent)->doc;
    const auto purposes = c.value("purposes", json::array());
    if (std::find(purposes.begin(), purposes.end(), route.purpose) == purposes.end()) continue;
    json granted_by = json::array();
    for (const auto& g : c.value("grantors", json::array())) {
      if (g.value("kind", "") != "guardian") {
        granted_by.push_back({{"kind", "student"}});
        continue;
      }
      // A voogd or a parent, as the guardian's link to this student says.
      std::string relation = "parent";
      auto guardian = tx.get(Kind::guardian, g.value("guardian_id", ""));
      if (!guardian) return guardian.status();
      if (*guardian) {
        for (const auto& link : (*guardian)->doc.value("children", json::array())) {
          if (link.value("student_id", "") == student_id) relation = link.value("relation", relation);
        }
      }
      granted_by.push_back({{"kind", "guardian"}, {"relation", relation}});
    }
    doc["consent"] = {{"id", id}, {"date", c.value("valid_from", "")}, {"granted_by", granted_by},
                      {"purposes", purposes}};
    break;
  }
  // A supplement answers with the last answer the school gave, as it passed the gate (category case).
  if (route.projection == "referral_supplement" && doc.contains("referral")) {
    const auto answers = doc["referral"].value("supplements", json::array());
    if (!answers.empty()) {
      doc["supplement"] = {{"toelichting", answers.back().value("text", "")},
                           {"bijlagen", answers.back().value("attachments", json::array())}};
    }
  }
  return Status::ok();
}

}  // namespace schakel::routing
