#pragma once
// The question every imported record asks, "is it valid?", answered without valijson. valijson
// walks a generic constraint graph through an adapter and keeps a path for its messages, which
// made validation the largest single cost of a bulk import. A Checker is the schema compiled to a
// tree of plain nodes for that one question. Its answer is exact or "unknown", never a guess:
// only "valid" ends a validation; "invalid" and "unknown" go on to valijson, whose violations and
// messages stay the only ones reported. Exact in both directions, because a sub-answer may be
// negated (not, if, oneOf); where valijson's semantics are not certain (numbers in enum or
// const, a format on a non-string), the answer is unknown.
//
// A schema that uses a keyword the checker does not implement gets no Checker (compile returns
// nullptr) and is validated by valijson alone. checker_test.cpp compares the two on valid and
// mutated documents of every case schema.
#include <functional>
#include <memory>

#include <nlohmann/json.hpp>

namespace schakel::schema {

// Looks a $ref up: the referenced document's root (through new_root) and the node, or nullptr.
using RefLookup = std::function<const nlohmann::json*(const nlohmann::json& root, const std::string& ref,
                                                      const nlohmann::json** new_root)>;

class Checker {
 public:
  ~Checker();
  static std::unique_ptr<Checker> compile(const nlohmann::json& root, const RefLookup& lookup);
  // True only when valijson finds `doc` valid too.
  [[nodiscard]] bool valid(const nlohmann::json& doc) const;

  struct Node;

 private:
  Checker();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace schakel::schema
