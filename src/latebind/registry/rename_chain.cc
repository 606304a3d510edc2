#include "latebind/registry/rename_chain.h"

#include <algorithm>
#include <cstdint>

#include "latebind/common/field_path.h"

namespace latebind::registry {

RenameChains::RenameChains(const SchemaVersion& version,
                           const std::map<std::string, std::string>& mappings) {
  for (size_t i = 0; i < version.fields.size(); ++i) position_.emplace(version.fields[i].path, i);
  for (const auto& [to, from] : mappings) {
    if (to != from && position_.count(to)) mappings_.emplace_back(to, from);
  }
}

size_t RenameChains::Position(std::string_view path) const {
  const auto it = position_.find(std::string(path));
  return it == position_.end() ? SIZE_MAX : it->second;
}

RenameChain RenameChains::Follow(std::string_view path) const {
  RenameChain out;
  std::vector<std::string> walk{std::string(path)};  // walk[i]: where step i starts
  std::vector<size_t> used;                          // the mapping step i applied
  for (;;) {
    const std::string& at = walk.back();
    const auto m = std::find_if(mappings_.begin(), mappings_.end(),
                                [&](const auto& mapping) { return IsWithin(at, mapping.first); });
    if (m == mappings_.end()) {
      out.column = at;
      break;
    }
    const size_t index = static_cast<size_t>(m - mappings_.begin());
    const auto again = std::find(used.begin(), used.end(), index);
    if (again != used.end()) {
      // A cycle: the paths from the step that first applied this mapping on. Its column is
      // the one the version lists first (min_element keeps the earliest of equals, so paths
      // that are no field fall back to walk order).
      out.cycle = true;
      const auto first = walk.begin() + (again - used.begin());
      out.column = *std::min_element(first, walk.end(), [&](const auto& a, const auto& b) {
        return Position(a) < Position(b);
      });
      break;
    }
    used.push_back(index);
    walk.push_back(m->second + at.substr(m->first.size()));
  }
  out.mapped = !used.empty();
  if (out.mapped) {
    // What was passed, up to where the column was first reached.
    const auto end = std::find(walk.begin() + 1, walk.end(), out.column);
    out.through.assign(walk.begin() + 1, end == walk.end() ? end : end + 1);
    if (end == walk.end()) out.through.push_back(out.column);
  }
  return out;
}

bool RenameChains::IsReplaced(std::string_view path) const {
  return std::any_of(mappings_.begin(), mappings_.end(),
                     [&](const auto& m) { return IsWithin(path, m.second); });
}

bool RenameChains::IsContinued(std::string_view path) const {
  return std::any_of(mappings_.begin(), mappings_.end(),
                     [&](const auto& m) { return m.second == path; });
}

}  // namespace latebind::registry
