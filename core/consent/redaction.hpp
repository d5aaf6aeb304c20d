#pragma once
// The gate applied to one document: which categories it carries (from the schema's
// "x-schakel-category" annotations), and what leaves — all of it, the permitted part, or nothing.
//
// Every value in a document has the category of the nearest annotated property at or above it;
// values under no annotation (ids, status) carry no personal data category and always pass. An
// element of an array named "attachments" is an attachment: it and everything in it have the
// category in its own "category" member (default "case"), whatever the schema says beneath it.
// Redaction removes exactly the values whose category is denied; a container of a denied
// category stays only as far as it holds values of a permitted category annotated beneath it.
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "consent/types.hpp"
#include "schema/schema_set.hpp"

namespace schakel::consent {

enum class RoutePolicy { redact, block };
enum class GateOutcome { permitted, redacted, blocked };
const char* outcome_name(GateOutcome outcome);  // "permitted", "redacted", "blocked"

struct GateResult {
  GateOutcome outcome = GateOutcome::blocked;
  nlohmann::json document;                     // what may leave; null when blocked
  std::vector<std::string> denied_categories;  // present in the document and denied, sorted
  std::vector<std::string> reasons;            // "health: no consent for category health to ..."
  std::vector<std::string> consent_ids;        // the consents permitting what leaves, sorted
  std::vector<std::string> removed;            // JSON pointers removed under redact
};

// A schema's category paths made into the tree a document is walked against. Building it costs
// more than walking a small document, so a gate that sees many documents of one schema keeps it
// (immutable once built: safe to share between threads).
class CategoryTree {
 public:
  explicit CategoryTree(std::vector<schema::CategoryPath> paths);
  ~CategoryTree();
  CategoryTree(const CategoryTree&) = delete;
  CategoryTree& operator=(const CategoryTree&) = delete;
  struct Node;
  [[nodiscard]] const Node& root() const { return *root_; }

 private:
  std::vector<schema::CategoryPath> paths_;  // the nodes point at these categories
  std::unique_ptr<Node> root_;
};

// The categories of the values in `doc`, sorted: what decide() must be asked about.
std::vector<std::string> categories_present(const nlohmann::json& doc,
                                            const std::vector<schema::CategoryPath>& paths);
std::vector<std::string> categories_present(const nlohmann::json& doc, const CategoryTree& tree);

// Applies `decision` to `doc`. Under `block` any denied category blocks; under `redact` the denied
// values are removed, unless one sits at a pointer in `required` (the destination's accepted
// schema requires it, see required_pointers), which blocks. A category the decision does not
// mention is denied.
GateResult apply_gate(const nlohmann::json& doc, const std::vector<schema::CategoryPath>& paths,
                      const Decision& decision, RoutePolicy policy,
                      const std::vector<std::string>& required = {});
// The same with the tree built before.
GateResult apply_gate(const nlohmann::json& doc, const CategoryTree& tree, const Decision& decision,
                      RoutePolicy policy, const std::vector<std::string>& required = {});

// The JSON pointers a JSON schema requires, from its "required" lists, recursively through
// "properties", "items" ("*" for any index), "allOf" and "$ref" (local, or into `set` by file
// name). A nested pointer is required when its parent is present: {"/a", "/a/b"}. anyOf/oneOf
// are left out: no branch is required on its own. Sorted, unique.
std::vector<std::string> required_pointers(const nlohmann::json& schema, const schema::SchemaSet* set = nullptr);

}  // namespace schakel::consent
