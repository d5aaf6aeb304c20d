// The projection → Aanmelding / aanvulling mapping. nlohmann::ordered_json keeps the contract's
// field order, so the bytes depend only on the document.
#include "aanmelding.hpp"

#include <array>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

namespace schakel::referral_portal {
namespace {

using nlohmann::json;
using ojson = nlohmann::ordered_json;

// Reads typed fields and collects every problem instead of stopping at the first.
struct Reader {
  std::vector<std::string> problems;

  const json* object(const json* parent, const char* key, const std::string& at) {
    if (parent == nullptr) return nullptr;
    auto it = parent->find(key);
    if (it == parent->end() || it->is_null()) return nullptr;
    if (!it->is_object()) {
      problems.push_back(at + "/" + key + ": must be an object");
      return nullptr;
    }
    return &*it;
  }
  std::optional<std::string> text(const json* parent, const char* key, const std::string& at) {
    if (parent == nullptr) return std::nullopt;
    auto it = parent->find(key);
    if (it == parent->end() || it->is_null()) return std::nullopt;
    if (!it->is_string()) {
      problems.push_back(at + "/" + key + ": must be a string");
      return std::nullopt;
    }
    if (it->get_ref<const std::string&>().empty()) return std::nullopt;  // redacted to "": absent
    return it->get<std::string>();
  }
  std::optional<long long> integer(const json* parent, const char* key, const std::string& at) {
    if (parent == nullptr) return std::nullopt;
    auto it = parent->find(key);
    if (it == parent->end() || it->is_null()) return std::nullopt;
    if (!it->is_number_integer()) {
      problems.push_back(at + "/" + key + ": must be an integer");
      return std::nullopt;
    }
    return it->get<long long>();
  }
  const json* array(const json* parent, const char* key, const std::string& at) {
    if (parent == nullptr) return nullptr;
    auto it = parent->find(key);
    if (it == parent->end() || it->is_null()) return nullptr;
    if (!it->is_array()) {
      problems.push_back(at + "/" + key + ": must be an array");
      return nullptr;
    }
    return &*it;
  }
  // An array of strings; empty strings are dropped and an empty list is absent.
  std::optional<ojson> strings(const json* parent, const char* key, const std::string& at) {
    const json* a = array(parent, key, at);
    if (a == nullptr) return std::nullopt;
    ojson out = ojson::array();
    for (std::size_t i = 0; i < a->size(); ++i) {
      const json& item = (*a)[i];
      if (!item.is_string()) {
        problems.push_back(at + "/" + key + "/" + std::to_string(i) + ": must be a string");
      } else if (!item.get_ref<const std::string&>().empty()) {
        out.push_back(item.get<std::string>());
      }
    }
    if (out.empty()) return std::nullopt;
    return out;
  }
  template <typename T>
  void require(const std::optional<T>& v, const std::string& pointer, const char* what) {
    if (!v) problems.push_back(pointer + ": missing; the portal needs " + what);
  }
};

template <typename T>
void put(ojson& out, const char* key, const std::optional<T>& v) {
  if (v) out[key] = *v;
}

std::optional<std::string> soort_of(const std::optional<std::string>& type, Reader& r) {
  if (!type) return std::nullopt;
  if (*type == "consultation") return std::string("consultatie");
  if (*type == "arrangement" || *type == "tlv" || *type == "oza") return type;
  r.problems.push_back("/referral/type: '" + *type + "' is not arrangement, tlv, oza or consultation");
  return std::nullopt;
}

std::optional<std::string> geslacht_of(const std::optional<std::string>& gender, Reader& r) {
  if (!gender) return std::nullopt;
  static const std::array<std::pair<const char*, const char*>, 4> k_map{
      {{"male", "M"}, {"female", "V"}, {"x", "X"}, {"unknown", "O"}}};
  for (const auto& [ours, theirs] : k_map) {
    if (*gender == ours) return std::string(theirs);
  }
  r.problems.push_back("/student/gender: '" + *gender + "' is not male, female, x or unknown");
  return std::nullopt;
}

// granted_by, in order: the contract's words as they are, or {kind, relation}. A guardian whose
// relation is "guardian" is a voogd; other guardians are ouder1, then ouder2.
ojson gegeven_door_of(const json* granted_by, Reader& r) {
  ojson out = ojson::array();
  if (granted_by == nullptr) return out;
  bool used1 = false;
  bool used2 = false;
  std::vector<std::string> words;
  for (const auto& g : *granted_by) {
    if (g.is_string()) {
      words.push_back(g.get<std::string>());
      used1 = used1 || words.back() == "ouder1";
      used2 = used2 || words.back() == "ouder2";
    } else {
      words.emplace_back();  // filled in below, once the explicit ouder1/ouder2 are known
    }
  }
  for (std::size_t i = 0; i < granted_by->size(); ++i) {
    const json& g = (*granted_by)[i];
    const std::string at = "/consent/granted_by/" + std::to_string(i);
    std::string word = words[i];
    if (g.is_string()) {
      if (word != "ouder1" && word != "ouder2" && word != "voogd" && word != "leerling")
        r.problems.push_back(at + ": '" + word + "' is not ouder1, ouder2, voogd or leerling");
    } else if (g.is_object() && g.value("kind", "") == "student") {
      word = "leerling";
    } else if (g.is_object() && g.value("kind", "") == "guardian") {
      if (g.value("relation", "") == "guardian") {
        word = "voogd";
      } else if (!used1) {
        word = "ouder1";
        used1 = true;
      } else if (!used2) {
        word = "ouder2";
        used2 = true;
      } else {
        r.problems.push_back(at + ": a third parent; the contract knows ouder1 and ouder2 only");
      }
    } else {
      r.problems.push_back(at + ": must be ouder1|ouder2|voogd|leerling or {kind: guardian|student, relation?}");
    }
    if (!word.empty()) out.push_back(word);
  }
  return out;
}

// Attachments' metadata (common.schema.json#/definitions/attachment) as the contract's Bijlage.
std::optional<ojson> bijlagen_of(const json* list, const std::string& at, Reader& r) {
  if (list == nullptr || list->empty()) return std::nullopt;
  ojson out = ojson::array();
  for (std::size_t i = 0; i < list->size(); ++i) {
    const std::string item_at = at + "/" + std::to_string(i);
    const json& a = (*list)[i];
    if (!a.is_object()) {
      r.problems.push_back(item_at + ": must be an object");
      continue;
    }
    ojson b = ojson::object();
    const auto soort = r.text(&a, "soort", item_at);
    const auto naam = r.text(&a, "naam", item_at);
    const auto sha = r.text(&a, "sha256", item_at);
    r.require(soort, item_at + "/soort", "the kind of document");
    r.require(naam, item_at + "/naam", "the file name");
    r.require(sha, item_at + "/sha256", "the SHA-256 of the content");
    put(b, "soort", soort);
    put(b, "naam", naam);
    put(b, "sha256", sha);
    out.push_back(std::move(b));
  }
  return out;
}

ojson aanmelding(const json& doc, Reader& r) {
  const json* referral = r.object(&doc, "referral", "");
  const json* student = r.object(&doc, "student", "");
  const json* school = r.object(&doc, "school", "");
  const json* consent = r.object(&doc, "consent", "");
  const std::array<std::pair<const json*, const char*>, 4> parts{
      {{referral, "/referral"}, {student, "/student"}, {school, "/school"}, {consent, "/consent"}}};
  for (const auto& [part, name] : parts) {
    if (part == nullptr) r.problems.push_back(std::string(name) + ": missing");
  }
  ojson a = ojson::object();

  ojson s = ojson::object();
  const auto brin = r.text(school, "brin", "/school");
  if (school != nullptr) r.require(brin, "/school/brin", "the school's BRIN");
  put(s, "brin", brin);
  put(s, "vestiging", r.text(school, "vestiging", "/school"));
  put(s, "naam", r.text(school, "naam", "/school"));
  a["school"] = std::move(s);

  ojson l = ojson::object();
  const json* naam = r.object(student, "naam", "/student");
  const auto key = r.text(student, "las_key", "/student");
  const auto voornamen = r.text(naam, "voornamen", "/student/naam");
  const auto achternaam = r.text(naam, "achternaam", "/student/naam");
  const auto birth = r.text(student, "birth_date", "/student");
  const auto groep = r.text(student, "groep", "/student");
  if (student != nullptr) {
    r.require(key, "/student/las_key", "the student's key in the LAS (schoolsleutel)");
    r.require(voornamen, "/student/naam/voornamen", "the given names (voornamen)");
    r.require(achternaam, "/student/naam/achternaam", "the surname (achternaam)");
    r.require(birth, "/student/birth_date", "the birth date (geboortedatum)");
    r.require(groep, "/student/groep", "the class (groep)");
  }
  put(l, "schoolsleutel", key);
  put(l, "bsn", r.text(student, "bsn", "/student"));  // only when the route names a legal basis
  put(l, "voornamen", voornamen);
  put(l, "roepnaam", r.text(naam, "roepnaam", "/student/naam"));
  put(l, "voorvoegsel", r.text(naam, "voorvoegsel", "/student/naam"));
  put(l, "achternaam", achternaam);
  put(l, "geboortedatum", birth);
  put(l, "geslacht", geslacht_of(r.text(student, "gender", "/student"), r));
  put(l, "groep", groep);
  put(l, "jaargroep", r.integer(student, "jaargroep", "/student"));
  a["leerling"] = std::move(l);

  const auto id = r.text(referral, "id", "/referral");
  const auto soort = soort_of(r.text(referral, "type", "/referral"), r);
  const auto hulpvraag = r.text(referral, "question", "/referral");
  if (referral != nullptr) {
    r.require(id, "/referral/id", "Schakel's referral id (referentie)");
    r.require(soort, "/referral/type", "the kind of request (soort)");
    r.require(hulpvraag, "/referral/question", "the hulpvraag");
  }
  put(a, "referentie", id);
  put(a, "soort", soort);
  put(a, "hulpvraag", hulpvraag);
  put(a, "onderwijsbehoeften", r.strings(referral, "education_needs", "/referral"));
  put(a, "belemmerende_factoren", r.strings(referral, "hindering_factors", "/referral"));
  put(a, "bevorderende_factoren", r.strings(referral, "supporting_factors", "/referral"));
  put(a, "gevraagde_ondersteuning", r.text(referral, "requested_support", "/referral"));
  put(a, "zienswijze_ouders", r.text(referral, "parent_view", "/referral"));
  put(a, "zienswijze_leerling", r.text(referral, "child_view", "/referral"));
  put(a, "thuissituatie", r.text(referral, "family", "/referral"));
  put(a, "gezondheid", r.text(referral, "health", "/referral"));

  // The projection may carry the contact person beside the referral or inside it.
  const json* contact = r.object(&doc, "contact_person", "");
  std::string contact_at = "/contact_person";
  if (contact == nullptr) {
    contact = r.object(referral, "contact_person", "/referral");
    contact_at = "/referral/contact_person";
  }
  ojson c = ojson::object();
  put(c, "rol", r.text(contact, "role", contact_at));
  put(c, "naam", r.text(contact, "name", contact_at));
  put(c, "email", r.text(contact, "email", contact_at));
  if (!c.empty()) a["contactpersoon"] = std::move(c);

  ojson t = ojson::object();
  const auto consent_id = r.text(consent, "id", "/consent");
  const auto datum = r.text(consent, "date", "/consent");
  const json* granted_by = r.array(consent, "granted_by", "/consent");
  const json* purposes = r.array(consent, "purposes", "/consent");
  ojson gegeven_door = gegeven_door_of(granted_by, r);
  if (consent != nullptr) {
    r.require(consent_id, "/consent/id", "the consent id (toestemming.referentie)");
    r.require(datum, "/consent/date", "the date of the consent");
    if (gegeven_door.empty()) r.problems.push_back("/consent/granted_by: missing or empty; the portal needs who gave consent");
    if (purposes == nullptr) r.problems.push_back("/consent/purposes: missing; the portal needs the purposes (doelen)");
  }
  if (!gegeven_door.empty()) t["gegeven_door"] = std::move(gegeven_door);
  put(t, "datum", datum);
  ojson doelen = ojson::array();
  if (purposes != nullptr) {
    for (std::size_t i = 0; i < purposes->size(); ++i) {
      if ((*purposes)[i].is_string()) {
        doelen.push_back((*purposes)[i].get<std::string>());
      } else {
        r.problems.push_back("/consent/purposes/" + std::to_string(i) + ": must be a string");
      }
    }
    t["doelen"] = std::move(doelen);
  }
  put(t, "referentie", consent_id);
  a["toestemming"] = std::move(t);

  put(a, "bijlagen", bijlagen_of(r.array(referral, "attachments", "/referral"), "/referral/attachments", r));
  return a;
}

}  // namespace

std::string percent_encode(std::string_view text) {
  static constexpr char k_hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : text) {
    const bool unreserved = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
                            ch == '-' || ch == '.' || ch == '_' || ch == '~';
    if (unreserved) {
      out += static_cast<char>(ch);
    } else {
      out += '%';
      out += k_hex[ch >> 4U];
      out += k_hex[ch & 15U];
    }
  }
  return out;
}

Result<PortalRequest> map_document(std::string_view document) {
  const json doc = json::parse(document, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return error(ErrorCode::invalid, "document: not a JSON object");
  Reader r;
  const auto kind = r.text(&doc, "kind", "");
  const json* referral = r.object(&doc, "referral", "");
  PortalRequest req;
  req.referentie = r.text(referral, "id", "/referral").value_or("");
  if (kind && *kind == "aanmelding") {
    req.kind = *kind;
    req.path = "/api/v1/aanmeldingen";
    req.body = aanmelding(doc, r).dump();
  } else if (kind && *kind == "aanvulling") {
    req.kind = *kind;
    const auto portal_id = r.text(referral, "portal_id", "/referral");
    r.require(portal_id, "/referral/portal_id", "its own id of the aanmelding (from the delivery receipt)");
    const json* supplement = r.object(&doc, "supplement", "");
    const auto toelichting = r.text(supplement, "toelichting", "/supplement");
    r.require(toelichting, "/supplement/toelichting", "the answer (toelichting)");
    ojson body = ojson::object();
    put(body, "toelichting", toelichting);
    put(body, "bijlagen", bijlagen_of(r.array(supplement, "bijlagen", "/supplement"), "/supplement/bijlagen", r));
    req.path = "/api/v1/aanmeldingen/" + percent_encode(portal_id.value_or("")) + "/aanvulling";
    req.body = body.dump();
  } else {
    r.problems.push_back("/kind: must be \"aanmelding\" or \"aanvulling\"");
  }
  if (!r.problems.empty()) {
    std::string msg = "document cannot be sent to the portal:";
    for (const auto& p : r.problems) msg += "\n  " + p;
    return error(ErrorCode::invalid, msg);
  }
  return req;
}

}  // namespace schakel::referral_portal
