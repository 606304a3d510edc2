// `latebind schema diff SOURCE A B`: the field-level difference between any two versions of
// a source (not only adjacent ones), with the renames recorded by the versions in between.
// Pure functions over registry values; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "latebind/registry/schema.h"
#include "latebind/registry/schema_json.h"

namespace latebind::cli {

struct FieldChange {
  std::string path;
  FieldType type = FieldType::kNull;  // in the version it is in (from for removed)
  bool required = false;
};
struct TypeChangeEntry {
  std::string path;
  FieldType from = FieldType::kNull;
  FieldType to = FieldType::kNull;
};
struct RequiredChange {
  std::string path;
  bool from = false;  // required in A
  bool to = false;    // required in B
};
// A rename a version between A and B recorded (or a candidate it rejected).
struct RenameEntry {
  std::string from;
  std::string to;
  double confidence = 0;
  int64_t version = 0;     // the version that recorded it
  bool confirmed = false;  // the later of A and B holds its mapping (a person confirmed it)
};

struct SchemaDiff {
  std::string source_id;
  int64_t from_version = 0;  // A
  int64_t to_version = 0;    // B
  std::vector<FieldChange> added;
  std::vector<FieldChange> removed;
  std::vector<TypeChangeEntry> type_changed;
  std::vector<RequiredChange> required_changed;
  std::vector<RenameEntry> renamed;
  std::vector<RenameEntry> rejected_renames;
  // The versions after the lower of A and B, up to the higher: status and compatibility.
  std::vector<const registry::SchemaVersion*> between;
  const registry::SchemaVersion* target = nullptr;  // B

  bool empty() const {
    return added.empty() && removed.empty() && type_changed.empty() && required_changed.empty() &&
           renamed.empty();
  }
};

// The diff from version `a` to version `b` of `versions` (a source's, oldest first); both
// must be in it. Fields are compared live against live (removed ones count as absent); a
// field that a recorded rename explains is listed as renamed, not as added plus removed.
// When a > b the renames run backwards (to → from). The pointers point into `versions`.
SchemaDiff DiffVersions(const std::vector<registry::SchemaVersion>& versions, int64_t a, int64_t b);

registry::Json SchemaDiffToJson(const SchemaDiff& diff);
// git-diff style: + added (green), - removed (red), ~ changed (yellow), renames (cyan).
std::string RenderSchemaDiff(const SchemaDiff& diff, bool color);

}  // namespace latebind::cli
