// Rename detection (DESIGN.md §4, ADR-024): a field removed in a payload and a field added
// in it may be one field renamed (`transaction_date` → `txn_date`). A pair is scored by how
// alike the names are AND how alike the values are; only a confident pair is a rename.
#pragma once

#include <vector>

#include "latebind/registry/schema.h"

namespace latebind::registry {

struct RenameOptions {
  // A pair scoring below this is reported as removed + added (with the score, as a rejected
  // candidate), never as a rename.
  double threshold = 0.65;
  // Past this many removed × added pairs no pair is scored (ADR-109): a payload that removes
  // and adds thousands of fields is a new shape, BREAKING whatever is paired, and scoring
  // every pair took 25 s and 1 GB for 5,000 × 5,000, inside the registry's write lock.
  size_t max_pairs = 250'000;
};

// Name similarity in [0,1]: the leaf names split into tokens (snake, kebab, camel case,
// digits), tokens matched exactly, by prefix or as abbreviations (`txn` ↔ `transaction`:
// same first letter, a subsequence), blended with Jaro-Winkler over the whole leaf.
// Fields under different parents score lower.
double NameSimilarity(std::string_view old_path, std::string_view new_path);

// Whether the leaf names are the two ends of one pair: one holds a token (start, created,
// min, in, ...) and the other its opposite (end, updated, max, out, ...), neither both.
bool OppositeNames(std::string_view old_path, std::string_view new_path);

// Value similarity in [0,1] from the statistics the profiler keeps: the shape of example
// values (`2024-01-05` and `2025-11-30` share `9-9-9`), how close the ranges are, the
// cardinality relative to the field's occurrences, and overlap of the example samples
// (a bottom-k sample by hash: shared values mean shared data).
double ValueSimilarity(const FieldSchema& old_field, const FieldSchema& new_field);

// How much shared values (shared examples, overlapping ranges) count toward a rename, in
// [0,1]: 0 when the smaller of the two fields' distinct counts is at most the profiler's
// example sample (5 values: the samples are then whole domains, and small domains such as
// booleans, a few country codes or a constant share values by chance), 1 from four times that
// (20 distinct values), log-linear between (0.5 at 10).
double ValueEvidenceWeight(const FieldSchema& old_field, const FieldSchema& new_field);

// Whether a value of `from` can be read as `to` without loss of meaning (a rename must not
// also be an incompatible type change): equal, int64 ↔ float64, or among date, timestamp
// and string.
bool RenameCompatible(FieldType from, FieldType to);

// The confidence that `new_field` is `old_field` renamed: 0 for incompatible types, else
// a blend of both similarities that needs both to be high (see ADR-024), the value
// similarity's evidence from shared values weighed by ValueEvidenceWeight: fields of few
// distinct values need a strong name similarity to be a rename.
double RenameConfidence(const FieldSchema& old_field, const FieldSchema& new_field);

// Pairs removed with added fields: every compatible pair is scored (none past
// options.max_pairs), pairs are taken best first, each field at most once. Pairs at or above
// the threshold are renames unless their names are opposite (OppositeNames); the best
// candidate not taken for each removed field is returned as rejected.
struct RenamePairing {
  std::vector<RenameCandidate> renames;
  std::vector<RenameCandidate> rejected;
};
RenamePairing PairRenames(const std::vector<const FieldSchema*>& removed,
                          const std::vector<const FieldSchema*>& added,
                          const RenameOptions& options);

}  // namespace latebind::registry
