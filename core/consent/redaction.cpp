#include "consent/redaction.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace schakel::consent {

// The category patterns as a tree of tokens; "*" matches any array index or any object key
// that has no node of its own (additionalProperties).
struct CategoryTree::Node {
  const std::string* category = nullptr;
  std::map<std::string, Node, std::less<>> children;

  [[nodiscard]] const Node* child(const std::string& token, bool array) const {
    if (!array) {
      if (auto it = children.find(token); it != children.end()) return &it->second;
    }
    auto star = children.find("*");
    return star == children.end() ? nullptr : &star->second;
  }
};

namespace {

using nlohmann::json;

using PatternNode = CategoryTree::Node;

std::vector<std::string> split_pointer(const std::string& pointer) {
  std::vector<std::string> out;
  if (pointer.empty()) return out;
  std::size_t pos = 1;
  for (;;) {
    const auto next = pointer.find('/', pos);
    std::string raw = pointer.substr(pos, next == std::string::npos ? std::string::npos : next - pos);
    std::string token;
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '~' && i + 1 < raw.size()) {
        token += raw[i + 1] == '1' ? '/' : '~';
        ++i;
      } else {
        token += raw[i];
      }
    }
    out.push_back(std::move(token));
    if (next == std::string::npos) return out;
    pos = next + 1;
  }
}


const std::string k_case = "case";

// One walk serves both questions: what is present, and (with redact) what to remove.
struct Walker {
  const Decision* decision = nullptr;  // null: only collect categories
  std::set<std::string> present;
  std::vector<std::string> removed;           // actual pointers
  std::vector<std::string> removed_patterns;  // array indices as "*"
  std::vector<std::string> tokens, pattern;

  bool allowed(const std::string* category) const {
    return category == nullptr || decision == nullptr || decision->permitted(*category);
  }

  void note_removed() {
    removed.push_back(schema::to_pointer(tokens));
    removed_patterns.push_back(schema::to_pointer(pattern));
  }

  // Returns false when `node` must go. `attachment` pins the category for a whole subtree.
  bool walk(json& node, const PatternNode* tree, const std::string* inherited, const std::string* attachment) {
    const std::string* category = attachment ? attachment : (tree && tree->category) ? tree->category : inherited;
    const bool container = (node.is_object() || node.is_array()) && !node.empty();
    if (!container) {
      if (category) present.insert(*category);
      return allowed(category);
    }
    const std::size_t mark = removed.size();
    const bool attachments = !attachment && node.is_array() && !tokens.empty() && tokens.back() == "attachments";
    if (node.is_object()) {
      for (auto it = node.begin(); it != node.end();) {
        tokens.push_back(it.key());
        pattern.push_back(it.key());
        const PatternNode* sub = tree ? tree->child(it.key(), false) : nullptr;
        const bool keep = walk(it.value(), sub, category, attachment);
        if (!keep && decision) note_removed();
        tokens.pop_back();
        pattern.pop_back();
        it = keep || !decision ? std::next(it) : node.erase(it);
      }
    } else {
      std::size_t index = 0;
      for (auto it = node.begin(); it != node.end(); ++index) {
        tokens.push_back(std::to_string(index));
        pattern.push_back("*");
        const PatternNode* sub = tree ? tree->child("", true) : nullptr;
        const std::string* own = attachment;
        std::string own_category;  // a copy: the walk may remove the "category" member itself
        if (attachments) {
          own_category = k_case;
          if (it->is_object())
            if (auto c = it->find("category"); c != it->end() && c->is_string()) own_category = c->get<std::string>();
          own = &own_category;
        }
        const bool keep = walk(*it, sub, category, own);
        if (!keep && decision) note_removed();
        tokens.pop_back();
        pattern.pop_back();
        it = keep || !decision ? std::next(it) : node.erase(it);
      }
    }
    if (allowed(category) || !node.empty()) return true;
    // A denied container with nothing permitted left goes as a whole: report it, not its parts.
    removed.resize(mark);
    removed_patterns.resize(mark);
    return false;
  }
};

void collect_required(const json& root, const json& node, const schema::SchemaSet* set, std::string path,
                      std::set<std::string>& out, int depth) {
  if (!node.is_object() || depth > 32) return;  // depth bounds recursive $refs
  if (auto ref = node.find("$ref"); ref != node.end() && ref->is_string()) {
    const std::string text = ref->get<std::string>();
    const auto hash = text.find('#');
    const std::string file = text.substr(0, hash);
    const json* doc = &root;
    if (!file.empty()) doc = set ? set->raw(file) : nullptr;
    if (doc) {
      const std::string fragment = hash == std::string::npos ? "" : text.substr(hash + 1);
      try {
        const json::json_pointer ptr(fragment);
        if (doc->contains(ptr)) collect_required(*doc, doc->at(ptr), set, path, out, depth + 1);
      } catch (const json::exception&) {  // a malformed $ref fragment requires nothing
      }
    }
  }
  if (auto req = node.find("required"); req != node.end() && req->is_array())
    for (const auto& name : *req)
      if (name.is_string()) out.insert(path + schema::to_pointer({name.get<std::string>()}));
  if (auto props = node.find("properties"); props != node.end() && props->is_object())
    for (const auto& [key, sub] : props->items())
      collect_required(root, sub, set, path + schema::to_pointer({key}), out, depth + 1);
  if (auto items = node.find("items"); items != node.end() && items->is_object())
    collect_required(root, *items, set, path + "/*", out, depth + 1);
  if (auto all = node.find("allOf"); all != node.end() && all->is_array())
    for (const auto& sub : *all) collect_required(root, sub, set, path, out, depth + 1);
}

}  // namespace

const char* outcome_name(GateOutcome outcome) {
  switch (outcome) {
    case GateOutcome::permitted: return "permitted";
    case GateOutcome::redacted: return "redacted";
    case GateOutcome::blocked: return "blocked";
  }
  return "blocked";
}

CategoryTree::CategoryTree(std::vector<schema::CategoryPath> paths)
    : paths_(std::move(paths)), root_(std::make_unique<Node>()) {
  for (const auto& p : paths_) {
    Node* n = root_.get();
    for (const auto& t : split_pointer(p.pointer)) n = &n->children[t];
    n->category = &p.category;
  }
}

CategoryTree::~CategoryTree() = default;

std::vector<std::string> categories_present(const json& doc, const std::vector<schema::CategoryPath>& paths) {
  return categories_present(doc, CategoryTree(paths));
}

std::vector<std::string> categories_present(const json& doc, const CategoryTree& tree) {
  Walker w;
  // Without a decision the walk erases nothing: it only reads through the mutable reference, so
  // the document need not be copied.
  w.walk(const_cast<json&>(doc), &tree.root(), nullptr, nullptr);
  return {w.present.begin(), w.present.end()};
}

GateResult apply_gate(const json& doc, const std::vector<schema::CategoryPath>& paths, const Decision& decision,
                      RoutePolicy policy, const std::vector<std::string>& required) {
  return apply_gate(doc, CategoryTree(paths), decision, policy, required);
}

GateResult apply_gate(const json& doc, const CategoryTree& tree, const Decision& decision, RoutePolicy policy,
                      const std::vector<std::string>& required) {
  GateResult out;
  const auto present = categories_present(doc, tree);
  std::set<std::string> ids;
  for (const auto& category : present) {
    const auto* d = decision.find(category);
    if (d && d->permitted) {
      ids.insert(d->consent_ids.begin(), d->consent_ids.end());
    } else {
      out.denied_categories.push_back(category);
      out.reasons.push_back(category + ": " + (d ? d->reason : "not decided, so denied"));
    }
  }
  out.consent_ids.assign(ids.begin(), ids.end());
  if (out.denied_categories.empty()) {
    out.outcome = GateOutcome::permitted;
    out.document = doc;
    return out;
  }
  if (policy == RoutePolicy::block) {
    out.outcome = GateOutcome::blocked;
    out.reasons.insert(out.reasons.begin(), "the route blocks a document with a denied category");
    return out;
  }
  Walker w;
  w.decision = &decision;
  json redacted = doc;
  if (!w.walk(redacted, &tree.root(), nullptr, nullptr)) redacted = json();  // the root itself was denied
  const std::set<std::string> req(required.begin(), required.end());
  std::set<std::string> hits;
  for (const auto& pattern : w.removed_patterns)
    if (req.count(pattern)) hits.insert(pattern);
  if (!hits.empty()) {
    out.outcome = GateOutcome::blocked;
    for (const auto& pattern : hits)
      out.reasons.push_back("the destination requires " + pattern + ", which is denied, so the document is blocked");
    return out;
  }
  // Only what still leaves has a consent to account for.
  ids.clear();
  for (const auto& category : categories_present(redacted, tree))
    if (const auto* d = decision.find(category)) ids.insert(d->consent_ids.begin(), d->consent_ids.end());
  out.consent_ids.assign(ids.begin(), ids.end());
  out.outcome = redacted.is_null() ? GateOutcome::blocked : GateOutcome::redacted;
  out.document = std::move(redacted);
  out.removed = std::move(w.removed);
  return out;
}

std::vector<std::string> required_pointers(const json& schema, const schema::SchemaSet* set) {
  std::set<std::string> out;
  collect_required(schema, schema, set, "", out, 0);
  return {out.begin(), out.end()};
}

}  // namespace schakel::consent
