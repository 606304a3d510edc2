#include "latebind/registry/arrow_schema.h"

#include <arrow/type.h>
#include <arrow/util/key_value_metadata.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "latebind/common/field_path.h"
#include "latebind/registry/evolve.h"
#include "latebind/registry/rename_chain.h"

namespace latebind::registry {
namespace {

// One node of the bound tree.
struct Entry {
  std::string path;                     // where it is bound (after mappings)
  const FieldSchema* field = nullptr;   // typed from; nullptr for an implied parent
  FieldType type = FieldType::kObject;  // the type of `field`, or of the implied parent
  size_t order = 0;                     // position in the version's field list
  // The other registry paths whose values the column takes (a chain of confirmed renames).
  std::vector<std::string> also;
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
      // "" (the empty top-level key before ADR-103) would be its own child: no column.
      if (entries_[i].path.empty()) continue;
      by_path_[entries_[i].path] = i;
      children_[std::string(ParentPath(entries_[i].path))].push_back(i);
    }
    arrow::FieldVector columns;
    for (size_t i : children_[""]) columns.push_back(FieldOf(entries_[i], 1));
    auto meta = arrow::key_value_metadata(
        {"latebind.source_id", "latebind.version", "latebind.fingerprint"},
        {v_.source_id, std::to_string(v_.version), v_.fingerprint});
    return arrow::schema(std::move(columns), std::move(meta));
  }

 private:
  // Every field, removed ones too, at its bound path. A confirmed mapping NEW=OLD moves NEW
  // (and what lies under it) to OLD's column, following chains (rename_chain.h: c=b after
  // b=a binds c, b and a to a), and OLD's own fields give way to it. A mapping keeps binding
  // after NEW is removed in its turn: column OLD stays, as removed fields do. A column the
  // mappings fill from several fields is named after its bound path (where the chain
  // started, a) and takes its path metadata and required flag from the chain's head: the one
  // no mapping continues (c), else a live one, else the one listed first; its type is the
  // widest of theirs (ContinuedType), so that no value already typed leaves its column
  // (ADR-106).
  void CollectEntries() {
    const RenameChains chains(v_);
    std::vector<std::vector<size_t>> groups;  // fields bound to one path, in field order
    std::unordered_map<std::string, size_t> group_of;
    std::vector<std::string> paths;
    for (size_t i = 0; i < v_.fields.size(); ++i) {
      const FieldSchema& f = v_.fields[i];
      RenameChain chain = chains.Follow(f.path);
      if (!chain.mapped && chains.IsReplaced(f.path)) continue;  // the mapped field fills it
      const auto [it, added] = group_of.emplace(chain.column, groups.size());
      if (added) {
        groups.emplace_back();
        paths.push_back(std::move(chain.column));
      }
      groups[it->second].push_back(i);
    }
    for (size_t g = 0; g < groups.size(); ++g) {
      auto rank = [&](size_t i) {
        const FieldSchema& f = v_.fields[i];
        return std::make_tuple(chains.IsContinued(f.path), f.removed, i);
      };
      const size_t head = *std::min_element(groups[g].begin(), groups[g].end(),
                                            [&](size_t a, size_t b) { return rank(a) < rank(b); });
      Entry e{paths[g], &v_.fields[head], v_.fields[head].type, groups[g].front(), {}};
      const size_t old = chains.Position(paths[g]);
      if (old != SIZE_MAX) e.order = old;
      // The column takes the values of every other field bound to it, and of the field it
      // is named after (its bound path) when that one gave way, in field order.
      std::vector<size_t> also = groups[g];
      if (old != SIZE_MAX && std::find(also.begin(), also.end(), old) == also.end()) {
        also.insert(std::upper_bound(also.begin(), also.end(), old), old);
      }
      for (size_t i : also) {
        if (i == head) continue;
        e.also.push_back(v_.fields[i].path);
        e.type = ContinuedType(e.type, v_.fields[i].type);
      }
      entries_.push_back(std::move(e));
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
      entries_.push_back({parent, nullptr, type, entries_[i].order, {}});
    }
  }

  // The type of `e`, a field at `depth` levels of nesting (a top-level column is at 1).
  std::shared_ptr<arrow::DataType> TypeOf(const Entry& e, int depth) {
    const bool nests = e.type == FieldType::kObject || e.type == FieldType::kArray;
    if (nests && depth > kMaxColumnNesting) return arrow::utf8();  // its JSON text
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
          members.push_back(FieldOf(c, depth + 1));
        }
        if (members.empty()) return arrow::utf8();  // never seen with a key: its JSON text
        return arrow::struct_(std::move(members));
      }
      case FieldType::kArray: {
        const auto element = by_path_.find(ElementPath(e.path));
        if (element == by_path_.end()) return arrow::list(arrow::utf8());
        return arrow::list(
            arrow::field("item", TypeOf(entries_[element->second], depth + 1), true));
      }
      case FieldType::kNull:
      case FieldType::kString:
        return arrow::utf8();
    }
    return arrow::utf8();
  }

  // A member's field, named by its key.
  std::shared_ptr<arrow::Field> FieldOf(const Entry& e, int depth) {
    const std::string name = UnescapeKey(LastSegment(e.path));
    // A removed field is missing from the records that removed it: never required.
    const bool required = e.field != nullptr && e.field->required && !e.field->removed;
    auto meta = arrow::key_value_metadata(
        {kArrowPathKey, kArrowRequiredKey},
        {e.field != nullptr ? e.field->path : e.path, required ? "true" : "false"});
    for (size_t i = 0; i < e.also.size(); ++i) {
      meta->Append(fmt::format("{}.{}", kArrowAlsoFromKey, i), e.also[i]);
    }
    return arrow::field(name, TypeOf(e, depth), /*nullable=*/true, std::move(meta));
  }

  const SchemaVersion& v_;
  std::vector<Entry> entries_;
  std::unordered_map<std::string, size_t> by_path_;
  std::unordered_map<std::string, std::vector<size_t>> children_;
};

}  // namespace

std::vector<std::string> FilledFrom(const arrow::Field& field) {
  std::vector<std::string> out;
  const auto& meta = field.metadata();
  if (meta == nullptr) return out;
  const auto path = meta->Get(kArrowPathKey);
  if (path.ok()) out.push_back(*path);
  for (int i = 0;; ++i) {
    const auto also = meta->Get(fmt::format("{}.{}", kArrowAlsoFromKey, i));
    if (!also.ok()) break;
    out.push_back(*also);
  }
  return out;
}

arrow::Result<std::shared_ptr<arrow::Schema>> ToArrowSchema(const SchemaVersion& version) {
  Binder binder(version);
  return binder.Bind();
}

}  // namespace latebind::registry
