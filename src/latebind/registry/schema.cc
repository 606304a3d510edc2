#include "latebind/registry/schema.h"

#include <fmt/format.h>
#include <xxhash.h>

#include <algorithm>
#include <cctype>

#include "latebind/common/status.h"

namespace latebind::registry {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::toupper(static_cast<unsigned char>(x)) ==
                  std::toupper(static_cast<unsigned char>(y));
         });
}

}  // namespace

const char* StatusName(VersionStatus status) {
  switch (status) {
    case VersionStatus::kActive:
      return "ACTIVE";
    case VersionStatus::kDeprecated:
      return "DEPRECATED";
    case VersionStatus::kBreaking:
      return "BREAKING";
  }
  return "?";
}

std::optional<VersionStatus> ParseStatus(std::string_view name) {
  for (VersionStatus s :
       {VersionStatus::kActive, VersionStatus::kDeprecated, VersionStatus::kBreaking}) {
    if (EqualsIgnoreCase(name, StatusName(s))) return s;
  }
  return std::nullopt;
}

const char* CompatibilityName(Compatibility c) {
  switch (c) {
    case Compatibility::kFull:
      return "FULL";
    case Compatibility::kBackward:
      return "BACKWARD";
    case Compatibility::kForward:
      return "FORWARD";
    case Compatibility::kNone:
      return "NONE";
  }
  return "?";
}

std::optional<Compatibility> ParseCompatibility(std::string_view name) {
  for (Compatibility c : {Compatibility::kFull, Compatibility::kBackward, Compatibility::kForward,
                          Compatibility::kNone}) {
    if (EqualsIgnoreCase(name, CompatibilityName(c))) return c;
  }
  return std::nullopt;
}

Compatibility Weakest(Compatibility a, Compatibility b) {
  if (a == b || b == Compatibility::kFull) return a;
  if (a == Compatibility::kFull) return b;
  return Compatibility::kNone;  // NONE with anything, or BACKWARD with FORWARD
}

const FieldSchema* SchemaVersion::Find(std::string_view path) const {
  for (const FieldSchema& f : fields) {
    if (f.path == path) return &f;
  }
  return nullptr;
}

std::string Fingerprint(const std::vector<FieldSchema>& fields) {
  std::vector<std::string> lines;
  for (const FieldSchema& f : fields) {
    if (!f.removed) lines.push_back(fmt::format("{}\t{}\n", f.path, FieldTypeName(f.type)));
  }
  std::sort(lines.begin(), lines.end());  // field order is not part of a schema's identity
  XXH3_state_t* state = XXH3_createState();
  XXH3_128bits_reset(state);
  for (const std::string& l : lines) XXH3_128bits_update(state, l.data(), l.size());
  const XXH128_hash_t h = XXH3_128bits_digest(state);
  XXH3_freeState(state);
  return fmt::format("{:016x}{:016x}", h.high64, h.low64);
}

arrow::Result<const SchemaVersion*> PickVersion(const std::vector<SchemaVersion>& versions,
                                                int64_t number) {
  for (const auto& v : versions) {
    if (v.version == number) return &v;
  }
  const std::string source = versions.empty() ? "?" : versions.front().source_id;
  const std::string range = versions.size() == 1
                                ? "it has version 1 only"
                                : fmt::format("it has versions {} to {}", versions.front().version,
                                              versions.back().version);
  return MakeError(ErrorKind::kNotFound,
                   fmt::format("source '{}' has no version {} ({})", source, number, range));
}

}  // namespace latebind::registry
