// Per-path statistics gathered while walking records: step 1 (extract) and step 2 (merge)
// of profiling; step 3 (decide types) is Finalize.
//
// A FieldTree holds one node per field path. Walkers (json_profiler, csv_profiler) look up
// children by key — with a hint that makes the common case, records repeating their key
// order, one string compare — and feed values into the node's FieldStats. Each worker
// thread owns a tree; trees are merged at the end. Not thread-safe.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "latebind/profiler/hyperloglog.h"
#include "latebind/profiler/profile.h"
#include "latebind/profiler/type_lattice.h"

namespace latebind::profiler {

// The first 8 bytes of `s` as a big-endian integer, zero padded: it orders like the strings
// whenever it differs, and equal strings have equal heads. One load for long strings
// (a variable-length memcpy into a local would stall on store forwarding).
inline uint64_t StringHead(std::string_view s) {
  const char* p = s.data();
  const size_t n = s.size();
  if (n >= 8) {
    uint64_t k;
    std::memcpy(&k, p, 8);
    return __builtin_bswap64(k);
  }
  if (n >= 4) {
    // Two overlapping 4-byte loads cover bytes 0..n-1 without a loop.
    uint32_t first, last;
    std::memcpy(&first, p, 4);
    std::memcpy(&last, p + n - 4, 4);
    return uint64_t{__builtin_bswap32(first)} << 32 | uint64_t{__builtin_bswap32(last)}
                                                          << (64 - 8 * n);
  }
  if (n == 0) return 0;
  const auto byte = [&](size_t i) { return uint64_t{static_cast<unsigned char>(p[i])}; };
  return byte(0) << 56 | byte(n / 2) << (56 - 8 * (n / 2)) | byte(n - 1) << (56 - 8 * (n - 1));
}

// The k values with the smallest hashes: a deterministic uniform sample of the distinct
// values, independent of record order and of how work was split between threads.
class ExampleSample {
 public:
  static constexpr size_t kSize = 5;
  // True when a value with this hash would enter the sample (check before rendering it).
  bool Wants(uint64_t hash) const;
  void Add(uint64_t hash, ScalarValue value);
  void Merge(const ExampleSample& other);
  std::vector<ScalarValue> Values() const;

 private:
  std::vector<std::pair<uint64_t, ScalarValue>> items_;  // sorted by hash
};

struct FieldStats {
  uint64_t present = 0;  // occurrences, nulls included
  TypeCounts types{};
  uint64_t int_overflow = 0;  // integers beyond int64, counted as float64
  // JSON numbers beyond float64's range (1e400): counted as float64, outside min/max.
  uint64_t float_overflow = 0;
  uint64_t true_count = 0;
  int64_t min_int = INT64_MAX;
  int64_t max_int = INT64_MIN;
  double min_float = 0;
  double max_float = 0;
  std::string min_str;  // over string, date and timestamp values
  std::string max_str;
  // The first 8 bytes of min_str/max_str as big-endian integers: most comparisons are
  // decided by these without touching the strings.
  uint64_t min_key = 0;
  uint64_t max_key = 0;
  bool str_truncated = false;  // min/max strings are kept to kMaxStatBytes
  // The earliest and latest date or timestamp values, by instant (CalendarBefore): the
  // range of a field typed date or timestamp (min_str/max_str order text).
  std::string min_calendar;
  std::string max_calendar;
  HyperLogLog distinct;
  ExampleSample examples;
  // Occurrences past a key's first in one object (a JSON duplicate key): counted in
  // `present` and the types, but the object holds the field once.
  uint64_t repeated_keys = 0;
  uint64_t last_object = 0;  // the walker's stamp of the last object holding the field

  static constexpr size_t kMaxStatBytes = 64;

  void AddNull() {
    ++present;
    ++types[static_cast<int>(FieldType::kNull)];
  }
  void AddBool(bool v);
  void AddInt(int64_t v);
  void AddFloat(double v, bool int_overflow);
  void AddBeyondFloat64() {
    ++present;
    ++types[static_cast<int>(FieldType::kFloat64)];
    ++float_overflow;
  }
  uint64_t CalendarValues() const {
    return types[static_cast<int>(FieldType::kDate)] +
           types[static_cast<int>(FieldType::kTimestamp)];
  }
  // float64 values with a place in min_float/max_float.
  uint64_t FiniteFloats() const {
    return types[static_cast<int>(FieldType::kFloat64)] - float_overflow;
  }
  // `type` is kString, kDate or kTimestamp (ClassifyString/ClassifyCell decided it).
  void AddString(std::string_view v, FieldType type);
  void AddContainer(FieldType type) {
    ++present;
    ++types[static_cast<int>(type)];
  }
  void Merge(const FieldStats& other);

  // A value equal to the previous one of this field changes only counts — min/max, the
  // sketch and the examples are idempotent — so the walkers skip classifying and hashing
  // it. Runs are common (dates in time-ordered data, status and currency columns). The
  // check is dropped for a field once repeats prove rare, where it would only cost.
  bool TryRepeat(std::string_view raw) {
    if (repeat_off_ || raw.size() != last_raw_.size() ||
        std::memcmp(raw.data(), last_raw_.data(), raw.size()) != 0) {
      return false;
    }
    ++present;
    ++types[static_cast<int>(last_type_)];
    if (last_type_ == FieldType::kBoolean && last_true_) ++true_count;
    if (last_overflow_) ++int_overflow;
    ++repeat_hits_;
    return true;
  }
  // Records `raw` (already added as `type`) as the previous value.
  void RememberLast(std::string_view raw, FieldType type, bool truth, bool overflow) {
    if (repeat_off_) return;
    if (++repeat_misses_ == kRepeatProbe) {
      repeat_off_ = repeat_hits_ < kRepeatProbe / 4;
      repeat_hits_ = repeat_misses_ = 0;
    }
    if (raw.size() > kMaxRepeatBytes) raw = {};  // long values rarely repeat; "" never matches
    last_raw_.assign(raw);
    last_type_ = type;
    last_true_ = truth;
    last_overflow_ = overflow;
  }

 private:
  // A date or timestamp value, into the instant range.
  void AddCalendar(std::string_view v);

  static constexpr uint32_t kRepeatProbe = 256;
  static constexpr size_t kMaxRepeatBytes = 64;
  std::string last_raw_;
  int64_t last_int_ = 0;   // valid once an int64 was added
  double last_float_ = 0;  // valid once a float64 was added
  FieldType last_type_ = FieldType::kNull;
  bool last_true_ = false;
  bool last_overflow_ = false;
  bool repeat_off_ = false;
  uint32_t repeat_hits_ = 0;
  uint32_t repeat_misses_ = 0;
};

// Orders records across blocks: block index, record in block, and 16 low bits left for the
// position of a key within its object.
inline uint64_t RecordOrdinal(uint64_t block, uint64_t record) {
  return block << 40 | std::min<uint64_t>(record, (1 << 24) - 1) << 16;
}
inline uint64_t KeyOrdinal(uint64_t record_ordinal, size_t position) {
  return record_ordinal | std::min<size_t>(position, 0xFFFF);
}

class FieldTree {
 public:
  static constexpr int32_t kRoot = 0;
  static constexpr int32_t kNone = -1;

  // At most `max_fields` paths are tracked; past that, lookups of new paths return kNone
  // and are counted in dropped_lookups() (bounded memory on hostile input).
  explicit FieldTree(size_t max_fields = 10000);

  // The child `key` of `parent`, created on first sight. `ordinal` orders first sightings
  // (RecordOrdinal + the key's position in its object) so that merged output lists paths
  // in the order the data first showed them, whatever the threads did.
  int32_t Child(int32_t parent, std::string_view key, uint64_t ordinal) {
    Node& p = nodes_[parent];
    if (p.hint < p.children.size()) {
      const int32_t c = p.children[p.hint];
      const Node& n = nodes_[c];
      if (n.name.size() == key.size() && n.head == StringHead(key) &&
          (key.size() <= 8 ||
           std::memcmp(n.name.data() + 8, key.data() + 8, key.size() - 8) == 0)) {
        p.hint = p.hint + 1 == p.children.size() ? 0 : p.hint + 1;
        return c;
      }
    }
    return ChildSlow(parent, key, ordinal);
  }
  // The element node `parent[]` of an array.
  int32_t Element(int32_t parent, uint64_t ordinal);

  FieldStats& stats(int32_t node) { return nodes_[node].stats; }
  uint64_t dropped_lookups() const { return dropped_; }

  // Adds `other`'s paths and statistics into this tree.
  void Merge(const FieldTree& other);

  // Step 3: decides each path's type and required flag; parents before children,
  // siblings in order of first sight. The root (the record itself) is not listed.
  std::vector<FieldProfile> Finalize() const;

  uint64_t records() const { return nodes_[kRoot].stats.present; }

 private:
  struct Node {
    std::string name;   // key; "[]" for an array's element node
    uint64_t head = 0;  // StringHead(name)
    int32_t parent = kNone;
    bool element = false;
    uint64_t first_seen = UINT64_MAX;
    std::vector<int32_t> children;
    uint32_t hint = 0;
    std::unique_ptr<std::unordered_map<std::string, int32_t>> index;  // for wide objects
    FieldStats stats;
  };

  int32_t ChildSlow(int32_t parent, std::string_view key, uint64_t ordinal);
  int32_t AddNode(int32_t parent, std::string_view name, bool element, uint64_t ordinal);
  void MergeNode(int32_t into, const FieldTree& other, int32_t from);
  void FinalizeNode(int32_t node, const std::string& path, bool node_required,
                    std::vector<FieldProfile>* out) const;

  std::vector<Node> nodes_;
  size_t max_fields_;
  uint64_t dropped_ = 0;
};

}  // namespace latebind::profiler
