#include "latebind/profiler/field_tree.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
// Inlined: most values are short, where call overhead would rival the hash itself.
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "latebind/common/field_path.h"

namespace latebind::profiler {
namespace {

// Distinct seeds keep equal bytes of different kinds (the int 1, the string "1") apart.
enum HashSeed : uint64_t { kSeedString = 0, kSeedInt = 1, kSeedFloat = 2, kSeedBool = 3 };

uint64_t HashBytes(const void* data, size_t n, uint64_t seed) {
  return XXH3_64bits_withSeed(data, n, seed);
}

constexpr size_t kMaxExampleBytes = 100;

// The first `n` bytes of `v` at most, not cutting a UTF-8 sequence: a half character would
// become U+FFFD wherever the text is shown.
std::string_view Utf8Prefix(std::string_view v, size_t n) {
  if (n >= v.size()) return v;
  while (n > 0 && (static_cast<unsigned char>(v[n]) & 0xC0) == 0x80) --n;
  return v.substr(0, n);
}

// Objects wider than this get a hash index for key lookups.
constexpr size_t kIndexThreshold = 16;

}  // namespace

bool ExampleSample::Wants(uint64_t hash) const {
  if (items_.size() < kSize) {
    for (const auto& item : items_) {
      if (item.first == hash) return false;
    }
    return true;
  }
  if (hash >= items_.back().first) return false;
  for (const auto& item : items_) {
    if (item.first == hash) return false;
  }
  return true;
}

void ExampleSample::Add(uint64_t hash, ScalarValue value) {
  if (!Wants(hash)) return;
  auto pos = std::lower_bound(items_.begin(), items_.end(), hash,
                              [](const auto& item, uint64_t h) { return item.first < h; });
  items_.insert(pos, {hash, std::move(value)});
  if (items_.size() > kSize) items_.pop_back();
}

void ExampleSample::Merge(const ExampleSample& other) {
  for (const auto& [hash, value] : other.items_) Add(hash, value);
}

std::vector<ScalarValue> ExampleSample::Values() const {
  std::vector<ScalarValue> out;
  for (const auto& item : items_) out.push_back(item.second);
  return out;
}

void FieldStats::AddBool(bool v) {
  ++present;
  ++types[static_cast<int>(FieldType::kBoolean)];
  if (v) ++true_count;
  const uint64_t h = HashBytes(&v, 1, kSeedBool);
  distinct.Add(h);
  if (examples.Wants(h)) examples.Add(h, v);
}

void FieldStats::AddInt(int64_t v) {
  ++present;
  // A repeat of the previous integer changes only the counts (see TryRepeat).
  if (types[static_cast<int>(FieldType::kInt64)]++ > 0 && v == last_int_) return;
  last_int_ = v;
  min_int = std::min(min_int, v);
  max_int = std::max(max_int, v);
  const uint64_t h = HashBytes(&v, sizeof v, kSeedInt);
  distinct.Add(h);
  if (examples.Wants(h)) examples.Add(h, v);
}

void FieldStats::AddFloat(double v, bool overflow) {
  ++present;
  if (overflow) ++int_overflow;
  const bool first = FiniteFloats() == 0;
  ++types[static_cast<int>(FieldType::kFloat64)];
  if (first) {
    min_float = max_float = v;
  } else if (std::memcmp(&v, &last_float_, sizeof v) == 0) {
    return;  // a repeat: only the counts change
  } else {
    min_float = std::min(min_float, v);
    max_float = std::max(max_float, v);
  }
  last_float_ = v;
  const uint64_t h = HashBytes(&v, sizeof v, kSeedFloat);
  distinct.Add(h);
  if (examples.Wants(h)) examples.Add(h, v);
}

void FieldStats::AddString(std::string_view v, FieldType type) {
  const uint64_t h = HashBytes(v.data(), v.size(), kSeedString);
  ++present;
  const bool first = types[static_cast<int>(FieldType::kString)] +
                         types[static_cast<int>(FieldType::kDate)] +
                         types[static_cast<int>(FieldType::kTimestamp)] ==
                     0;
  if (type != FieldType::kString) AddCalendar(v);
  ++types[static_cast<int>(type)];
  // A prefix is a lower bound of the value: exact for min, an underestimate for max.
  const std::string_view bounded = Utf8Prefix(v, kMaxStatBytes);
  const uint64_t key = StringHead(v);
  if (first || key < min_key || (key == min_key && v < min_str)) {
    min_str.assign(bounded);
    min_key = key;
  }
  if (first || key > max_key || (key == max_key && v > max_str)) {
    max_str.assign(bounded);
    max_key = key;
    if (bounded.size() < v.size()) str_truncated = true;
  }
  distinct.Add(h);
  if (examples.Wants(h)) {
    std::string example(Utf8Prefix(v, kMaxExampleBytes));
    if (example.size() < v.size()) example += "...";
    examples.Add(h, std::move(example));
  }
}

void FieldStats::AddCalendar(std::string_view v) {
  const bool first = CalendarValues() == 0;
  if (first || CalendarBefore(v, min_calendar)) min_calendar.assign(v);
  if (first || CalendarBefore(max_calendar, v)) max_calendar.assign(v);
}

void FieldStats::Merge(const FieldStats& o) {
  const auto count = [](const TypeCounts& t, FieldType f) { return t[static_cast<int>(f)]; };
  const auto strings = [&](const TypeCounts& t) {
    return count(t, FieldType::kString) + count(t, FieldType::kDate) +
           count(t, FieldType::kTimestamp);
  };
  if (strings(o.types) > 0) {
    if (strings(types) == 0 || o.min_str < min_str) {
      min_str = o.min_str;
      min_key = o.min_key;
    }
    if (strings(types) == 0 || o.max_str > max_str) {
      max_str = o.max_str;
      max_key = o.max_key;
    }
  }
  if (o.CalendarValues() > 0) {
    if (CalendarValues() == 0 || CalendarBefore(o.min_calendar, min_calendar)) {
      min_calendar = o.min_calendar;
    }
    if (CalendarValues() == 0 || CalendarBefore(max_calendar, o.max_calendar)) {
      max_calendar = o.max_calendar;
    }
  }
  if (o.FiniteFloats() > 0) {
    if (FiniteFloats() == 0) {
      min_float = o.min_float;
      max_float = o.max_float;
    } else {
      min_float = std::min(min_float, o.min_float);
      max_float = std::max(max_float, o.max_float);
    }
  }
  present += o.present;
  repeated_keys += o.repeated_keys;
  for (int i = 0; i < kFieldTypeCount; ++i) types[i] += o.types[i];
  int_overflow += o.int_overflow;
  float_overflow += o.float_overflow;
  true_count += o.true_count;
  min_int = std::min(min_int, o.min_int);
  max_int = std::max(max_int, o.max_int);
  str_truncated = str_truncated || o.str_truncated;
  distinct.Merge(o.distinct);
  examples.Merge(o.examples);
}

FieldTree::FieldTree(size_t max_fields) : max_fields_(max_fields) {
  nodes_.emplace_back();
  nodes_[kRoot].first_seen = 0;
}

int32_t FieldTree::AddNode(int32_t parent, std::string_view name, bool element, uint64_t ordinal) {
  if (nodes_.size() > max_fields_) {
    ++dropped_;
    return kNone;
  }
  const int32_t id = static_cast<int32_t>(nodes_.size());
  Node& n = nodes_.emplace_back();
  n.name.assign(name);
  n.head = StringHead(n.name);
  n.parent = parent;
  n.element = element;
  n.first_seen = ordinal;
  Node& p = nodes_[parent];
  p.children.push_back(id);
  if (p.index) {
    p.index->emplace(n.name, id);
  } else if (p.children.size() > kIndexThreshold) {
    p.index = std::make_unique<std::unordered_map<std::string, int32_t>>();
    for (int32_t c : p.children) p.index->emplace(nodes_[c].name, c);
  }
  return id;
}

int32_t FieldTree::ChildSlow(int32_t parent, std::string_view key, uint64_t ordinal) {
  Node& p = nodes_[parent];
  if (p.index) {
    auto it = p.index->find(std::string(key));
    if (it != p.index->end()) {
      // Keep the hint on the sequence: the next key likely follows this one.
      auto pos = std::find(p.children.begin(), p.children.end(), it->second);
      p.hint = static_cast<uint32_t>((pos - p.children.begin() + 1) % p.children.size());
      return it->second;
    }
  } else {
    for (size_t i = 0; i < p.children.size(); ++i) {
      const Node& c = nodes_[p.children[i]];
      if (!c.element && c.name == key) {
        p.hint = static_cast<uint32_t>((i + 1) % p.children.size());
        return p.children[i];
      }
    }
  }
  const int32_t id = AddNode(parent, key, /*element=*/false, ordinal);
  if (id != kNone) nodes_[parent].hint = 0;
  return id;
}

int32_t FieldTree::Element(int32_t parent, uint64_t ordinal) {
  for (int32_t c : nodes_[parent].children) {
    if (nodes_[c].element) return c;
  }
  return AddNode(parent, "[]", /*element=*/true, ordinal);
}

void FieldTree::Merge(const FieldTree& other) {
  MergeNode(kRoot, other, kRoot);
  dropped_ += other.dropped_;
}

void FieldTree::MergeNode(int32_t into, const FieldTree& other, int32_t from) {
  const Node& src = other.nodes_[from];
  nodes_[into].stats.Merge(src.stats);
  nodes_[into].first_seen = std::min(nodes_[into].first_seen, src.first_seen);
  for (int32_t child : src.children) {
    const Node& c = other.nodes_[child];
    const int32_t target =
        c.element ? Element(into, c.first_seen) : Child(into, c.name, c.first_seen);
    if (target == kNone) continue;  // counted in dropped_
    MergeNode(target, other, child);
  }
}

std::vector<FieldProfile> FieldTree::Finalize() const {
  std::vector<FieldProfile> out;
  FinalizeNode(kRoot, "", /*node_required=*/true, &out);
  return out;
}

void FieldTree::FinalizeNode(int32_t node, const std::string& path, bool node_required,
                             std::vector<FieldProfile>* out) const {
  std::vector<int32_t> children = nodes_[node].children;
  std::sort(children.begin(), children.end(), [&](int32_t a, int32_t b) {
    if (nodes_[a].first_seen != nodes_[b].first_seen) {
      return nodes_[a].first_seen < nodes_[b].first_seen;
    }
    return nodes_[a].name < nodes_[b].name;
  });
  for (int32_t child : children) {
    const Node& c = nodes_[child];
    const Node& parent = nodes_[node];
    const FieldStats& s = c.stats;
    FieldProfile f;
    f.path = c.element ? ElementPath(path) : MemberPath(path, c.name);
    const TypeDecision d = DecideType(s.types);
    f.type = d.type;
    f.conflict = d.conflict;
    f.widened = d.widened;
    f.present = s.present - s.repeated_keys;  // objects holding it (elements: occurrences)
    f.nulls = s.types[static_cast<int>(FieldType::kNull)];
    f.type_counts = s.types;
    // Required: present in every object that could hold it, and in one at least (a
    // header-only CSV names columns no record holds). An element path mirrors its array,
    // since "present in every element" is always true.
    if (c.element) {
      f.required = node_required;
    } else {
      f.required =
          f.present > 0 && f.present == parent.stats.types[static_cast<int>(FieldType::kObject)];
    }
    f.distinct_approx = s.distinct.Estimate();
    f.distinct_sketch = s.distinct;
    f.examples = s.examples.Values();
    const uint64_t floats = s.FiniteFloats();
    const uint64_t ints = s.types[static_cast<int>(FieldType::kInt64)];
    const uint64_t bools = s.types[static_cast<int>(FieldType::kBoolean)];
    switch (d.type) {
      case FieldType::kInt64:
        f.min = s.min_int;
        f.max = s.max_int;
        break;
      case FieldType::kFloat64: {
        if (floats + ints == 0) break;  // only numbers beyond float64: no range
        double lo = floats ? s.min_float : static_cast<double>(s.min_int);
        double hi = floats ? s.max_float : static_cast<double>(s.max_int);
        if (ints) {
          lo = std::min(lo, static_cast<double>(s.min_int));
          hi = std::max(hi, static_cast<double>(s.max_int));
        }
        f.min = lo;
        f.max = hi;
        break;
      }
      case FieldType::kBoolean:
        f.min = s.true_count == bools;
        f.max = s.true_count > 0;
        break;
      case FieldType::kDate:
      case FieldType::kTimestamp:
        // Every text value is a date or timestamp here (with plain strings the type is
        // string): the range is by instant.
        if (s.CalendarValues() > 0) {
          f.min = s.min_calendar;
          f.max = s.max_calendar;
        }
        break;
      case FieldType::kString:
        if (s.types[static_cast<int>(FieldType::kString)] +
                s.types[static_cast<int>(FieldType::kDate)] +
                s.types[static_cast<int>(FieldType::kTimestamp)] >
            0) {
          f.min = s.min_str;
          f.max = s.max_str;
        }
        break;
      default:
        break;
    }
    if (s.float_overflow > 0) {
      f.notes.push_back(fmt::format(
          "{} number(s) beyond the float64 range (about ±1.8e308), outside min/max: promotion "
          "keeps their JSON text {}",
          s.float_overflow, d.type == FieldType::kString ? "as the string" : "in _rescued_data"));
    }
    if (s.int_overflow > 0) {
      f.notes.push_back(fmt::format("{} integer(s) beyond the int64 range were counted as float64",
                                    s.int_overflow));
    }
    if (d.conflict) {
      std::string mix;
      for (int i = 1; i < kFieldTypeCount; ++i) {
        if (s.types[i] == 0) continue;
        if (!mix.empty()) mix += ", ";
        mix += fmt::format("{} ({})", FieldTypeName(static_cast<FieldType>(i)), s.types[i]);
      }
      f.notes.push_back("type conflict, profiled as string: " + mix);
    }
    if (s.str_truncated) {
      f.notes.push_back(
          fmt::format("max compares only the first {} bytes", FieldStats::kMaxStatBytes));
    }
    if (s.repeated_keys > 0) {
      f.notes.push_back(fmt::format(
          "key repeated within one object {} time(s): promotion binds the first value and "
          "keeps the others in _rescued_data",
          s.repeated_keys));
    }
    // Copies: `out` may reallocate while the children are appended.
    const std::string child_path = f.path;
    const bool child_required = f.required;
    out->push_back(std::move(f));
    FinalizeNode(child, child_path, child_required, out);
  }
}

}  // namespace latebind::profiler
