#pragma once
// A small OneRoster 1.1 bulk bundle written for the end-to-end tests: one school, its classes,
// the students and guardians a test names (gezag in metadata.nl.gezag), read by the real
// sis-oneroster plugin, so the students and guardians reach the store and the consent index the
// way they do in production.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace schakel::test {

struct BundleStudent {
  std::string sourced_id;  // the hub id becomes "student-<sourced_id>"
  std::string given, middle, family;
  std::string birth_date;  // YYYY-MM-DD
  std::string sex = "female";
  int grade = 5;
  std::vector<std::string> guardians;  // sourced ids
};

struct BundleGuardian {
  std::string sourced_id;  // hub id "guardian-<sourced_id>"
  std::string given, family;
  std::string role = "parent";  // parent | guardian | relative
  std::string gezag = "ja";     // ja | nee | "" (unknown)
  std::vector<std::string> children;
};

struct BundleSchool {
  std::string sourced_id = "org1";  // hub id "school-org1"
  std::string identifier = "12AB00";
  std::string name = "OBS De Regenboog";
};

inline void write_oneroster_bundle(const std::filesystem::path& dir, const BundleSchool& school,
                                   const std::vector<BundleStudent>& students,
                                   const std::vector<BundleGuardian>& guardians) {
  std::filesystem::create_directories(dir);
  const std::string t = "2026-09-01T06:00:00.000Z";
  auto file = [&](const char* name) { return std::ofstream(dir / name, std::ios::binary | std::ios::trunc); };
  auto join = [](const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
    return "\"" + out + "\"";
  };
  {
    auto m = file("manifest.csv");
    m << "propertyName,value\r\nmanifest.version,1.0\r\noneroster.version,1.1\r\n";
    for (const char* f : {"academicSessions", "categories", "classResources", "courseResources", "courses",
                          "lineItems", "resources", "results"})
      m << "file." << f << ",absent\r\n";
    for (const char* f : {"demographics", "enrollments", "orgs", "users", "classes"}) m << "file." << f << ",bulk\r\n";
  }
  file("orgs.csv") << "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId\r\n"
                   << school.sourced_id << ",active," << t << "," << school.name << ",school," << school.identifier
                   << ",\r\n";
  {
    auto c = file("classes.csv");
    c << "sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,classType,location,"
         "schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods\r\n";
    for (int g = 1; g <= 8; ++g)
      c << "cls-" << g << ",active," << t << ",Groep " << g << "A,0" << g << ",,Groep " << g << "A,homeroom,,"
        << school.sourced_id << ",term-2026,,,\r\n";
  }
  {
    auto u = file("users.csv");
    u << "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,givenName,"
         "familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password,"
         "metadata.nl.gezag,metadata.schakel.role\r\n";
    for (const auto& s : students)
      u << s.sourced_id << ",active," << t << ",true," << school.sourced_id << ",student," << s.sourced_id << ",,"
        << s.given << "," << s.family << "," << s.middle << "," << s.sourced_id << ",,,," << join(s.guardians)
        << ",0" << s.grade << ",,,\r\n";
    for (const auto& g : guardians)
      u << g.sourced_id << ",active," << t << ",true," << school.sourced_id << "," << g.role << "," << g.sourced_id
        << ",," << g.given << "," << g.family << ",," << g.sourced_id << "," << g.sourced_id
        << "@ouders.example,,06-12345678," << join(g.children) << ",,," << g.gezag << ",\r\n";
  }
  {
    auto d = file("demographics.csv");
    d << "sourcedId,status,dateLastModified,birthDate,sex,americanIndianOrAlaskaNative,asian,"
         "blackOrAfricanAmerican,nativeHawaiianOrOtherPacificIslander,white,demographicRaceTwoOrMoreRaces,"
         "hispanicOrLatinoEthnicity,countryOfBirthCode,stateOfBirthAbbreviation,cityOfBirth,"
         "publicSchoolResidenceStatus\r\n";
    for (const auto& s : students) d << s.sourced_id << ",active," << t << "," << s.birth_date << "," << s.sex
                                     << ",,,,,,,,,,,\r\n";
  }
  {
    auto e = file("enrollments.csv");
    e << "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary,"
         "beginDate,endDate\r\n";
    for (const auto& s : students)
      e << "enr-" << s.sourced_id << ",active," << t << ",cls-" << s.grade << "," << school.sourced_id << ","
        << s.sourced_id << ",student,false,,\r\n";
  }
}

}  // namespace schakel::test
