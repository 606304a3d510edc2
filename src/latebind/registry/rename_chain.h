// Confirmed rename mappings composed into chains (ADR-087): `b=a` confirmed, then `c=b` when b
// is renamed in its turn, binds a, b and c to one column, the one the chain started from
// (a). The mappings are stored as a person confirmed them (NEW → OLD, one step each); this
// is the one place that follows them, for the bound schema (arrow_schema.h) and for the
// registry's checks of a new mapping (SetStatus).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "latebind/registry/schema.h"

namespace latebind::registry {

// Where a field path is bound under a version's mappings.
struct RenameChain {
  std::string column;  // the bound path: `path` itself when no mapping applies
  // The paths passed on the way, `path` excluded, `column` last when a mapping applied:
  // "b", "a" for c under {b=a, c=b}.
  std::vector<std::string> through;
  bool mapped = false;  // at least one mapping applied
  bool cycle = false;   // the mappings lead back to a path passed (b=a, then a=b)
};

// The mappings of one version, ready to follow. Copies what it needs from the version and
// the mappings given; immutable, so thread-safe once built.
class RenameChains {
 public:
  // Applies `mappings` (new → old) to the fields of `version`; only a mapping whose NEW is a
  // field of the version (removed or not) and differs from its OLD applies.
  RenameChains(const SchemaVersion& version, const std::map<std::string, std::string>& mappings);
  explicit RenameChains(const SchemaVersion& version) : RenameChains(version, version.mappings) {}

  // Follows the mappings from `path`: at each step the first mapping (in NEW order) whose
  // NEW is the path or holds it moves it under its OLD (so an object's mapping wins over one
  // of its members'), until none applies. A chain that uses a mapping a second time is a
  // cycle (b=a then a=b; a→b then b→a is a rename undone): it ends at the path of the cycle
  // that the version lists first, the column that existed first, so every member of a cycle
  // binds to one column and the walk always ends (at most one step per mapping).
  RenameChain Follow(std::string_view path) const;

  // Whether `path` is the OLD of an applying mapping or lies under one: a field the column
  // of a mapped field replaces (arrow_schema.h), unless a mapping applies to it too.
  bool IsReplaced(std::string_view path) const;
  // Whether `path` is exactly the OLD of an applying mapping: another field continues it.
  bool IsContinued(std::string_view path) const;

  // The position of `path` in the version's field list, or SIZE_MAX.
  size_t Position(std::string_view path) const;

 private:
  std::vector<std::pair<std::string, std::string>> mappings_;  // applying ones, in NEW order
  std::unordered_map<std::string, size_t> position_;
};

}  // namespace latebind::registry
