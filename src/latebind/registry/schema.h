// The registry's model (DESIGN.md §4): one SchemaVersion per (source, version), each holding
// the union of fields seen so far with their types, required flags and statistics, the diff
// against the version before it, its status and compatibility. Plain values; JSON forms in
// schema_json.h. Field names follow the seed's DynamoDB design.
#pragma once

#include <arrow/result.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "latebind/common/field_type.h"
#include "latebind/profiler/profile.h"

namespace latebind::registry {

enum class VersionStatus { kActive, kDeprecated, kBreaking };
// In Confluent Schema Registry's sense, against the version before (DESIGN.md §4 table).
enum class Compatibility { kFull, kBackward, kForward, kNone };

const char* StatusName(VersionStatus status);
std::optional<VersionStatus> ParseStatus(std::string_view name);  // "ACTIVE", case-insensitive
const char* CompatibilityName(Compatibility c);
std::optional<Compatibility> ParseCompatibility(std::string_view name);
// The weaker of two: FULL > BACKWARD, FORWARD > NONE; BACKWARD with FORWARD is NONE.
Compatibility Weakest(Compatibility a, Compatibility b);

// Statistics of a field over every payload observed under a version.
struct FieldStats {
  uint64_t present = 0;  // occurrences, nulls included
  uint64_t nulls = 0;
  profiler::ScalarValue min;
  profiler::ScalarValue max;
  // Distinct non-null values over all the payloads: the estimate of `sketch`, the union of
  // their HyperLogLog sketches (~3.3 % standard error, a value repeated across payloads
  // counts once). A field stored before sketches were kept started from its largest
  // payload estimate, and its count never drops below that (ADR-066).
  uint64_t distinct_approx = 0;
  // The largest single-payload estimate: how unique values are within a payload, which
  // promotion's choice of Parquet encoding is about (ADR-033). Internal, like `sketch`:
  // stored, not in the `--json` or HTTP forms.
  uint64_t distinct_payload_max = 0;
  profiler::HyperLogLog sketch;  // empty for objects, arrays, nulls only, and older fields
  std::vector<profiler::ScalarValue> examples;  // up to 5
};

struct FieldSchema {
  std::string path;  // a.b.c, a[], a[].b
  FieldType type = FieldType::kNull;
  bool required = false;  // present in every record observed under this version
  bool removed = false;   // required once, then missing from a whole payload; kept (union)
  // Values of incompatible JSON kinds seen (ints and strings, say: a type conflict within a
  // payload, an incompatible type change, or a non-text value fitting a string field): its
  // raw values are of any kind, though it binds as string. Kept in the stored form only.
  bool mixed = false;
  int64_t since_version = 1;
  FieldStats stats;
};

struct Rename {
  std::string to;
  double confidence = 0;
};
struct TypeChange {
  FieldType from = FieldType::kNull;
  FieldType to = FieldType::kNull;
};
// A removed/added pairing that was scored but fell below the threshold: reported, never
// applied, so a person sees why it was not called a rename.
struct RenameCandidate {
  std::string from;
  std::string to;
  double confidence = 0;
};

struct FieldDiff {
  std::vector<std::string> added;
  std::vector<std::string> removed;
  std::map<std::string, Rename> renamed;  // old path → new path
  std::map<std::string, TypeChange> type_changed;
  std::vector<RenameCandidate> rejected_renames;

  bool empty() const {
    return added.empty() && removed.empty() && renamed.empty() && type_changed.empty();
  }
};

struct SchemaVersion {
  std::string source_id;
  int64_t version = 0;
  std::string sk;  // "version#<created_at>"
  std::vector<FieldSchema> fields;
  FieldDiff field_diff;
  VersionStatus status = VersionStatus::kActive;
  Compatibility compatibility = Compatibility::kFull;
  std::string created_at;
  std::optional<std::string> promoted_at;
  std::string note;
  std::string fingerprint;
  // Confirmed rename mappings, new path → old path: the curated column keeps the old name.
  std::map<std::string, std::string> mappings;
  uint64_t payloads = 0;  // payloads observed under this version
  uint64_t records = 0;
  std::string first_object;  // the payload that created it
  std::string updated_at;    // last stats update

  const FieldSchema* Find(std::string_view path) const;
};

// Who changed a version's status, when and why (DESIGN.md §4: nothing is deleted).
struct StatusChange {
  std::string source_id;
  int64_t version = 0;
  std::optional<VersionStatus> from;  // nullopt: the version's creation
  VersionStatus to = VersionStatus::kActive;
  std::string who;
  std::string at;
  std::string note;
};

struct SourceSummary {
  std::string source_id;
  int64_t versions = 0;
  int64_t latest_version = 0;
  std::optional<VersionStatus> latest_status;
  int64_t active_version = 0;  // 0 when none
  // Versions still BREAKING (not resolved), oldest first: promotion is blocked while any is
  // in its window, also when a later additive version made a newer one ACTIVE.
  std::vector<int64_t> breaking_versions;
  uint64_t payloads = 0;
  uint64_t records = 0;
  uint64_t dead_letters = 0;
  std::string created_at;
  std::string last_payload_at;
};

// A hash of a version's live fields and their types (removed fields excluded), so equal
// schemas are recognised across sources and time: 32 hex digits of XXH3-128.
std::string Fingerprint(const std::vector<FieldSchema>& fields);

// The version numbered `number` in `versions` (one source's, oldest first). kNotFound
// "source 'S' has no version N (it has versions 1 to M)" when absent.
arrow::Result<const SchemaVersion*> PickVersion(const std::vector<SchemaVersion>& versions,
                                                int64_t number);

}  // namespace latebind::registry
