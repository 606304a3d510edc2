// Schema evolution (DESIGN.md §4): what one profiled payload does to a source's schema.
// Pure: no storage, so every rule is unit-tested in isolation; the Registry applies the
// result inside its transaction.
#pragma once

#include <optional>

#include "latebind/profiler/profile.h"
#include "latebind/registry/rename.h"
#include "latebind/registry/schema.h"

namespace latebind::registry {

struct Evolution {
  // True: `version` is a new version to insert (number = current + 1). False: `version` is
  // the current one with this payload's counts and statistics merged in.
  bool new_version = false;
  SchemaVersion version;
};

// Applies `profile` (a payload that parsed) to `current` (nullopt for a new source).
//  - Every field known with a type that fits, no required field missing → no new version;
//    stats, counts and required flags update (a field missing from some records becomes
//    optional; that is not drift).
//  - Otherwise a new version, the union of the current fields and the new ones:
//      added        a path not in the current version (or one marked removed)      FULL
//      removed      a required field missing from every record of the payload      BACKWARD
//      renamed      a removed field paired with an added one (rename.h)            BACKWARD
//      widened      int64 → float64, date → timestamp                              BACKWARD
//      typed        null → any type (a field seen only as null gets its type)      FULL
//      incompatible any other type change; the field becomes string               NONE
//    compatibility is the weakest of its changes; status BREAKING when anything was
//    removed, renamed or changed incompatibly, else ACTIVE.
// `object` and `now` (ISO-8601) are recorded as first_object / created_at.
Evolution Evolve(const std::optional<SchemaVersion>& current, std::string_view source_id,
                 const profiler::PayloadProfile& profile, std::string_view object,
                 std::string_view now, const RenameOptions& options);

// Whether values of type `seen` can go on filling a field registered as `registered`
// without an incompatible change, by the rules Evolve applies to a payload: the same type,
// null on either side, int64 and float64 either way, date, timestamp and string among
// themselves (calendar values widen to string), anything into string.
bool TypeContinues(FieldType registered, FieldType seen);
// The type a field registered as `registered` has after values of type `seen`: the wider of
// the two by the same rules (int64 and float64 → float64, date and timestamp → timestamp),
// string for any other mix.
FieldType ContinuedType(FieldType registered, FieldType seen);

// The registry's FieldStats of one profiled field.
FieldStats StatsOf(const profiler::FieldProfile& field);
// Folds `more` into `into` (counts add, ranges widen, distinct-value sketches unite, examples
// keep the first five distinct).
void MergeStats(FieldStats* into, const FieldStats& more);

}  // namespace latebind::registry
