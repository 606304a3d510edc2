#include "latebind/registry/arrow_schema.h"

#include <arrow/type.h>
#include <arrow/util/key_value_metadata.h>

#include <algorithm>
#include <string>
#include <unordered_map>
#include <vector>

#include "latebind/common/field_path.h"

namespace latebind::registry {
namespace {

// One node of the bound tree.
struct Entry {
  std::string path;                     // where it is bound (after mappings)
  const FieldSchema* field = nullptr;   // typed from; nullptr for an implied parent
  FieldType type = FieldType::kObject;  // the type of `field`, or of the implied parent
  size_t order = 0;                     // position in the version's field list
};

class Binder {
 public:
  explicit Binder(const SchemaVersion& v) : v_(v) {}

  std::shared_ptr<arrow::Schema> Bind() {
    CollectEntries();
    ImplyParents();
    std::stable_sort(entries_.begin(), entries_.end(),
                     [](const Entry& a, const Entry& b) { return a.order < b.order; });
    for (size_t i = 0; i < entries_.size(); ++i) {
      by_path_[entries_[i].path] = i;
      children_[std::string(ParentPath(entries_[i].path))].push_back(i);
    }
    arrow::FieldVector columns;
    for (size_t i : children_[""]) columns.push_back(FieldOf(entries_[i]));
    auto meta = arrow::key_value_metadata(
        {"latebind.source_id", "latebind.version", "latebind.fingerprint"},
        {v_.source_id, std::to_string(v_.version), v_.fingerprint});
    return arrow::schema(std::move(columns), std::move(meta));
  }

 private:
  // Every field, removed ones too, at its bound path; a confirmed mapping NEW=OLD moves NEW
  // (and what lies under it) to OLD, and OLD's own fields give way to it. A mapping keeps
  // binding after NEW is removed in its turn: column OLD stays, as removed fields do.
  void CollectEntries() {
    std::vector<std::pair<std::string, std::string>> mappings;  // new, old
    for (const auto& [to, from] : v_.mappings) {
      if (v_.Find(to) != nullptr && to != from) mappings.emplace_back(to, from);
    }
    std::unordered_map<std::string, size_t> position;
    for (size_t i = 0; i < v_.fields.size(); ++i) position.emplace(v_.fields[i].path, i);
    std::unordered_map<std::string, bool> taken;
    for (size_t i = 0; i < v_.fields.size(); ++i) {
      const FieldSchema& f = v_.fields[i];
      std::string path = f.path;
      bool mapped = false;
      for (const auto& [to, from] : mappings) {
        if (IsWithin(f.path, to)) {
          path = from + f.path.substr(to.size());
          mapped = true;
          break;
        }
      }
      if (!mapped && std::any_of(mappings.begin(), mappings.end(),
                                 [&](const auto& m) { return IsWithin(f.path, m.second); })) {
        continue;  // replaced by the field mapped onto it
      }
      if (!taken.emplace(path, true).second) continue;  // two mappings onto one old path
      const auto old = position.find(path);
      entries_.push_back({path, &f, f.type, old != position.end() ? old->second : i});
    }
  }

  // A parent missing from the bound fields (none in a registry written by evolve, but a
  // mapping may move a field under a path that has none) is implied: an optional object,
  // or an array when the child is its element.
  void ImplyParents() {
    std::unordered_map<std::string, bool> known;
    for (const Entry& e : entries_) known[e.path] = true;
    for (size_t i = 0; i < entries_.size(); ++i) {
      const std::string child = entries_[i].path;
      const std::string parent(ParentPath(child));
      if (parent.empty() || known.count(parent)) continue;
      known[parent] = true;
      const FieldType type = IsElementPath(child) ? FieldType::kArray : FieldType::kObject;
      entries_.push_back({parent, nullptr, type, entries_[i].order});
    }
  }

  std::shared_ptr<arrow::DataType> TypeOf(const Entry& e) {
    switch (e.type) {
      case FieldType::kBoolean:
        return arrow::boolean();
      case FieldType::kInt64:
        return arrow::int64();
      case FieldType::kFloat64:
        return arrow::float64();
      case FieldType::kDate:
        return arrow::date32();
      case FieldType::kTimestamp:
        return arrow::timestamp(arrow::TimeUnit::MICRO, "UTC");
      case FieldType::kObject: {
        arrow::FieldVector members;
        for (size_t i : children_[e.path]) {
          const Entry& c = entries_[i];
          if (IsElementPath(c.path)) continue;
          members.push_back(FieldOf(c));
        }
        if (members.empty()) return arrow::utf8();  // never seen with a key: its JSON text
        return arrow::struct_(std::move(members));
      }
      case FieldType::kArray: {
        const auto element = by_path_.find(ElementPath(e.path));
        if (element == by_path_.end()) return arrow::list(arrow::utf8());
        return arrow::list(arrow::field("item", TypeOf(entries_[element->second]), true));
      }
      case FieldType::kNull:
      case FieldType::kString:
        return arrow::utf8();
    }
    return arrow::utf8();
  }

  // A member's field, named by its key.
  std::shared_ptr<arrow::Field> FieldOf(const Entry& e) {
    const std::string name = UnescapeKey(LastSegment(e.path));
    // A removed field is missing from the records that removed it: never required.
    const bool required = e.field != nullptr && e.field->required && !e.field->removed;
    auto meta = arrow::key_value_metadata(
        {kArrowPathKey, kArrowRequiredKey},
        {e.field != nullptr ? e.field->path : e.path, required ? "true" : "false"});
    return arrow::field(name, TypeOf(e), /*nullable=*/true, std::move(meta));
  }

  const SchemaVersion& v_;
  std::vector<Entry> entries_;
  std::unordered_map<std::string, size_t> by_path_;
  std::unordered_map<std::string, std::vector<size_t>> children_;
};

}  // namespace

arrow::Result<std::shared_ptr<arrow::Schema>> ToArrowSchema(const SchemaVersion& version) {
  Binder binder(version);
  return binder.Bind();
}

}  // namespace latebind::registry
