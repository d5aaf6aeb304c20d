#include "school_fixture.hpp"

#include <stdexcept>

#include "api/token_store.hpp"

namespace schakel::test {

using nlohmann::json;

json school_doc(const std::string& id, const std::string& brin, const std::string& vestiging,
                const std::string& naam) {
  return {{"id", id}, {"brin", brin}, {"vestiging", vestiging}, {"naam", naam}, {"swv_code", "PO2401"}};
}

json student_doc(const std::string& id, const std::string& school_id) {
  return {{"id", id},
          {"school_id", school_id},
          {"las_key", "L-" + id},
          {"naam", {{"voornamen", "Zoë Anna"}, {"roepnaam", "Zoë"}, {"achternaam", "Vries"}}},
          {"birth_date", "2016-03-01"},
          {"groep", "5"},
          {"status", "active"}};
}

json guardian_doc(const std::string& id, const std::string& student_id) {
  return {{"id", id},
          {"naam", {{"roepnaam", "Anna"}, {"achternaam", "Vries"}}},
          {"children", {{{"student_id", student_id}, {"relation", "parent"}, {"gezag", "yes"}}}}};
}

json consent_doc(const std::string& id, const std::string& student_id, const std::string& school_id,
                 const std::string& guardian, const std::vector<std::string>& categories) {
  return {{"id", id},
          {"student_id", student_id},
          {"school_id", school_id},
          {"grantors", {{{"kind", "guardian"}, {"guardian_id", guardian}}}},
          {"recipients", {{{"organisation", k_swv}}}},
          {"purposes", {"swv_request"}},
          {"categories", categories},
          {"valid_from", "2026-01-01"},
          {"legal_basis", "consent"},
          {"evidence", {{"form_version", "toestemming-2026.1"}, {"recorded_by", "staff_ib"}}}};
}

json case_doc(const std::string& id, const std::string& student_id, const std::string& school_id) {
  return {{"id", id},
          {"school_id", school_id},
          {"student_id", student_id},
          {"stage", "ot"},
          {"opened_on", "2026-09-01"},
          {"questions", {{{"asked_by", "teacher"}, {"question", "Hoe helpen we Zoë bij rekenen?"}}}}};
}

json referral_doc(const std::string& id, const std::string& case_id, const std::string& student_id,
                  const std::string& school_id) {
  return {{"id", id},
          {"school_id", school_id},
          {"student_id", student_id},
          {"case_id", case_id},
          {"type", "arrangement"},
          {"question", "Ondersteuning bij rekenen in de klas"},
          {"education_needs", {"instructie in kleine stappen"}}};
}

void put_entity(store::Store& store, store::Kind kind, const std::string& id, const std::string& tenant,
                const json& doc, TimePoint now) {
  store::Entity e;
  e.kind = kind;
  e.id = id;
  e.tenant = tenant;
  e.doc = doc;
  e.student_id = doc.value("student_id", "");
  e.updated_at = now;
  const Status st = store.write([&](store::Transaction& tx) { return tx.put(e); });
  if (!st) throw std::runtime_error("put " + id + ": " + st.message());
}

void put_two_schools(store::Store& store, TimePoint now) {
  put_entity(store, store::Kind::school, "sch_own", k_own_tenant,
             school_doc("sch_own", k_own_brin, "01", "CBS Het Kompas"), now);
  put_entity(store, store::Kind::school, "sch_other", k_other_tenant,
             school_doc("sch_other", k_other_brin, "00", "OBS De Regenboog"), now);
  put_entity(store, store::Kind::student, "stu_own", k_own_tenant, student_doc("stu_own", "sch_own"), now);
  put_entity(store, store::Kind::student, "stu_other", k_other_tenant, student_doc("stu_other", "sch_other"), now);
}

std::string issue_token(api::TokenStore& tokens, api::Role role, const std::string& brin, TimePoint now,
                        std::string* id, std::chrono::seconds valid) {
  auto issued = tokens.create({role, {brin}, now + valid, "test", "test token"});
  if (!issued) throw std::runtime_error(issued.status().message());
  if (id) *id = issued->row.id;
  return issued->secret;
}

api::ApiRequest request(const std::string& method, const std::string& target, const std::string& token,
                        const std::string& body, std::map<std::string, std::string> headers) {
  api::ApiRequest r;
  r.method = method;
  r.target = target;
  r.headers = std::move(headers);
  if (!token.empty()) r.headers["authorization"] = "Bearer " + token;
  r.body = body;
  r.client_ip = "127.0.0.1";
  return r;
}

json body_of(const api::ApiResponse& r) { return json::parse(r.body, nullptr, false); }

}  // namespace schakel::test
