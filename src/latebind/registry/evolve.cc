#include "latebind/registry/evolve.h"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "latebind/common/field_path.h"
#include "latebind/profiler/type_lattice.h"
#include "latebind/registry/rename_chain.h"

namespace latebind::registry {
namespace {

// -1, 0, 1 for comparable values (numbers with numbers, strings with strings); nullopt else.
// Integers compare exactly: as doubles, ids and epochs past 2^53 tie with their neighbours.
std::optional<int> Compare(const profiler::ScalarValue& a, const profiler::ScalarValue& b) {
  const auto* ia = std::get_if<int64_t>(&a);
  const auto* ib = std::get_if<int64_t>(&b);
  if (ia != nullptr && ib != nullptr) return *ia < *ib ? -1 : *ia > *ib;
  auto num = [](const profiler::ScalarValue& v) -> std::optional<double> {
    if (const auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
    if (const auto* d = std::get_if<double>(&v)) return *d;
    if (const auto* b = std::get_if<bool>(&v)) return *b ? 1.0 : 0.0;
    return std::nullopt;
  };
  if (const auto* sa = std::get_if<std::string>(&a)) {
    if (const auto* sb = std::get_if<std::string>(&b)) {
      // Dates and timestamps by instant, as the profiler ranges them; other text by bytes.
      const auto ta = profiler::CalendarInstantOf(*sa);
      const auto tb = ta ? profiler::CalendarInstantOf(*sb) : std::nullopt;
      if (ta && tb) return *ta < *tb ? -1 : *ta > *tb;
      return sa->compare(*sb) < 0 ? -1 : *sa > *sb;
    }
    return std::nullopt;
  }
  const auto na = num(a), nb = num(b);
  if (!na || !nb) return std::nullopt;
  return *na < *nb ? -1 : *na > *nb;
}

bool IsDescendant(std::string_view path, std::string_view of) {
  return path.size() > of.size() && IsWithin(path, of);
}

enum class Change { kFits, kTyped, kWidened, kIncompatible };

// What a payload's type does to a field's registered type, and the type afterwards.
std::pair<Change, FieldType> Reconcile(FieldType registered, FieldType seen) {
  using T = FieldType;
  auto text = [](T t) { return t == T::kString || t == T::kDate || t == T::kTimestamp; };
  if (seen == registered || seen == T::kNull) return {Change::kFits, registered};
  if (registered == T::kNull) return {Change::kTyped, seen};
  if (registered == T::kFloat64 && seen == T::kInt64) return {Change::kFits, registered};
  if (registered == T::kInt64 && seen == T::kFloat64) return {Change::kWidened, T::kFloat64};
  if (registered == T::kTimestamp && seen == T::kDate) return {Change::kFits, registered};
  if (registered == T::kDate && seen == T::kTimestamp) return {Change::kWidened, T::kTimestamp};
  // A string column holds any value as text (objects and arrays as their JSON): the mix
  // is already string, and recording string → string again on every payload would raise
  // a BREAKING version and an alert each time.
  if (registered == T::kString) return {Change::kFits, registered};
  // Calendar values turning into free text: one JSON kind, read as string from now on.
  if (text(registered) && seen == T::kString) return {Change::kWidened, T::kString};
  return {Change::kIncompatible, T::kString};
}

FieldSchema FromProfile(const profiler::FieldProfile& p, int64_t version) {
  FieldSchema f;
  f.path = p.path;
  f.type = p.type;
  f.required = p.required;
  f.mixed = p.conflict;
  f.since_version = version;
  f.stats = StatsOf(p);
  return f;
}

}  // namespace

bool TypeContinues(FieldType registered, FieldType seen) {
  return Reconcile(registered, seen).first != Change::kIncompatible;
}

FieldType ContinuedType(FieldType registered, FieldType seen) {
  return Reconcile(registered, seen).second;
}

FieldStats StatsOf(const profiler::FieldProfile& p) {
  FieldStats s;
  s.present = p.present;
  s.nulls = p.nulls;
  s.min = p.min;
  s.max = p.max;
  s.distinct_approx = p.distinct_approx;
  s.distinct_payload_max = p.distinct_approx;
  s.sketch = p.distinct_sketch;
  s.examples = p.examples;
  return s;
}

void MergeStats(FieldStats* into, const FieldStats& more) {
  if (into->present == into->nulls) {  // nothing but nulls so far: take the other's range
    into->min = more.min;
    into->max = more.max;
  } else if (more.present != more.nulls) {
    // Text against anything else: the field's values became text (any mix widens to
    // string), and its range is its text values' from then on.
    auto text_over_other = [](const profiler::ScalarValue& a, const profiler::ScalarValue& b) {
      return std::holds_alternative<std::string>(a) && !std::holds_alternative<std::string>(b);
    };
    if (text_over_other(more.min, into->min)) {
      into->min = more.min;
    } else if (auto c = Compare(more.min, into->min); c && *c < 0) {
      into->min = more.min;
    }
    if (text_over_other(more.max, into->max)) {
      into->max = more.max;
    } else if (auto c = Compare(more.max, into->max); c && *c > 0) {
      into->max = more.max;
    }
  }
  into->present += more.present;
  into->nulls += more.nulls;
  // Registers merge by max, so the union's estimate is at least either side's: the max
  // below only matters for a side without a sketch (a field stored before sketches were
  // kept), whose count — a largest payload estimate, a lower bound of the union — stays.
  // Estimating only when a register rose spares the fields whose values were all seen
  // before, most of them in most payloads.
  into->distinct_approx = std::max(into->distinct_approx, more.distinct_approx);
  if (into->sketch.Merge(more.sketch)) {
    into->distinct_approx = std::max(into->distinct_approx, into->sketch.Estimate());
  }
  into->distinct_payload_max = std::max(into->distinct_payload_max, more.distinct_payload_max);
  for (const auto& e : more.examples) {
    if (into->examples.size() >= 5) break;
    if (std::find(into->examples.begin(), into->examples.end(), e) == into->examples.end()) {
      into->examples.push_back(e);
    }
  }
}

Evolution Evolve(const std::optional<SchemaVersion>& current, std::string_view source_id,
                 const profiler::PayloadProfile& profile, std::string_view object,
                 std::string_view now, const RenameOptions& options) {
  Evolution ev;
  auto fresh = [&](int64_t number) {
    SchemaVersion v;
    v.source_id = source_id;
    v.version = number;
    v.created_at = v.updated_at = now;
    v.sk = fmt::format("version#{}", now);
    v.payloads = 1;
    v.records = profile.records;
    v.first_object = object;
    return v;
  };
  if (!current) {
    ev.new_version = true;
    ev.version = fresh(1);
    for (const auto& p : profile.fields) ev.version.fields.push_back(FromProfile(p, 1));
    ev.version.fingerprint = Fingerprint(ev.version.fields);
    return ev;
  }

  const SchemaVersion& cur = *current;
  const int64_t next = cur.version + 1;
  std::vector<FieldSchema> fields = cur.fields;
  std::unordered_map<std::string, size_t> index;
  for (size_t i = 0; i < fields.size(); ++i) index[fields[i].path] = i;
  std::unordered_map<std::string, const profiler::FieldProfile*> seen;
  for (const auto& p : profile.fields) seen[p.path] = &p;

  FieldDiff diff;
  Compatibility compat = Compatibility::kFull;
  bool breaking = false;
  std::vector<size_t> added;     // indexes into `fields`
  std::vector<size_t> returned;  // of those, fields back after being removed

  // Fields of the payload against the registered ones.
  for (const auto& p : profile.fields) {
    auto it = index.find(p.path);
    if (it == index.end() || fields[it->second].removed) {
      diff.added.push_back(p.path);
      if (it == index.end()) {
        index[p.path] = fields.size();
        fields.push_back(FromProfile(p, next));
        added.push_back(fields.size() - 1);
        continue;
      }
      // Back after being removed: added again, and judged against the type it had, which
      // its column still has (ADR-107); its statistics go on accumulating.
      const FieldSchema before = std::move(fields[it->second]);
      FieldStats stats = before.stats;
      MergeStats(&stats, StatsOf(p));
      fields[it->second] = FromProfile(p, next);
      fields[it->second].type = before.type;
      fields[it->second].mixed |= before.mixed;  // its raw values stay of two kinds
      fields[it->second].stats = std::move(stats);
      returned.push_back(it->second);
      added.push_back(it->second);
    }
    FieldSchema& f = fields[it->second];
    const auto [change, type] = Reconcile(f.type, p.type);
    if (change != Change::kFits) diff.type_changed[f.path] = {f.type, type};
    if (change == Change::kWidened) compat = Weakest(compat, Compatibility::kBackward);
    if (change == Change::kIncompatible) {
      compat = Compatibility::kNone;
      breaking = true;
    }
    // Raw values of two kinds (`schema export` must know: it describes raw records): a
    // conflict, an incompatible change, or a value other than text that a string field
    // took silently (Reconcile lets it fit).
    const bool text_or_null = p.type == FieldType::kString || p.type == FieldType::kDate ||
                              p.type == FieldType::kTimestamp || p.type == FieldType::kNull;
    if (p.conflict || change == Change::kIncompatible ||
        (type == FieldType::kString && !text_or_null)) {
      f.mixed = true;
    }
    f.type = type;
  }

  // Registered fields the payload lacks. Only a required one whose parent the payload has
  // as an object is removed; an optional one missing is normal, and so are the children of
  // a missing parent (the parent itself is judged), of a parent seen only as null or as
  // something else than an object (no object could hold them), and array elements (empty
  // arrays have none).
  std::vector<size_t> removed;
  if (profile.records > 0) {
    for (size_t i = 0; i < cur.fields.size(); ++i) {
      const FieldSchema& f = cur.fields[i];
      if (f.removed || !f.required || seen.count(f.path) || IsElementPath(f.path)) continue;
      const std::string parent(ParentPath(f.path));
      if (!parent.empty()) {
        const auto held = seen.find(parent);
        if (held == seen.end() ||
            held->second->type_counts[static_cast<int>(FieldType::kObject)] == 0) {
          continue;
        }
      }
      removed.push_back(i);
    }
  }

  // A removed field that a confirmed rename binds to one column with an added one is the
  // other side of that rename (an older producer still sends the old name, or a newer one
  // the new): known, so not removed again but optional, like the one back (ADR-111).
  if (!cur.mappings.empty()) {
    const RenameChains chains(cur);
    std::unordered_set<std::string> added_columns;
    for (size_t a : added) added_columns.insert(chains.Follow(fields[a].path).column);
    std::erase_if(removed, [&](size_t i) {
      const bool other_side = added_columns.count(chains.Follow(fields[i].path).column) > 0;
      if (other_side) fields[i].required = false;
      return other_side;
    });
  }

  // Renames: removed fields paired with added ones.
  std::vector<const FieldSchema*> removed_fields, added_fields;
  for (size_t i : removed) removed_fields.push_back(&fields[i]);
  for (size_t i : added) added_fields.push_back(&fields[i]);
  const RenamePairing pairing = PairRenames(removed_fields, added_fields, options);
  // The diff lists every path added or removed, members of objects included. A renamed
  // object's members that it still holds moved with it: listed neither added nor removed;
  // the others are added or removed as anywhere else (ADR-113).
  for (const RenameCandidate& r : pairing.renames) {
    diff.renamed[r.from] = {r.to, r.confidence};
    std::erase_if(diff.added, [&](const std::string& p) {
      return p == r.to ||
             (IsDescendant(p, r.to) && index.count(r.from + p.substr(r.to.size())) > 0);
    });
  }
  diff.rejected_renames = pairing.rejected;
  for (size_t i : removed) {
    const std::string path = fields[i].path;
    const auto renamed = diff.renamed.find(path);
    for (FieldSchema& f : fields) {
      if (f.path != path && !IsDescendant(f.path, path)) continue;
      const bool moved =
          renamed != diff.renamed.end() &&
          (f.path == path || seen.count(renamed->second.to + f.path.substr(path.size())) > 0);
      if (!moved && !f.removed) diff.removed.push_back(f.path);
      f.removed = true, f.required = false;
    }
  }
  if (!diff.removed.empty() || !diff.renamed.empty()) {
    compat = Weakest(compat, Compatibility::kBackward);
    breaking = true;
  }

  const bool is_new = !diff.empty();
  // Statistics and required flags.
  for (FieldSchema& f : fields) {
    auto it = seen.find(f.path);
    const bool just_added = f.since_version == next;
    if (it != seen.end() && !just_added) MergeStats(&f.stats, StatsOf(*it->second));
    if (f.removed) continue;
    if (it == seen.end()) {
      // Missing from the whole payload, yet not removed: already optional, or a child of a
      // parent the payload lacks, or an element of arrays that were all empty. Required is
      // relative to the parent object, as the profiler decides it, so the flag stays:
      // clearing it here made one payload without the optional parent turn every child
      // optional, and a later payload whose parents lacked a child was then not seen to
      // remove it.
      continue;
    }
    // A field seen missing stays optional: a new version holds the fields of the one before
    // with what they observed (their statistics merge on), and an optional field that is
    // missing later is normal (DESIGN §4). Resetting the flag from one payload made a known
    // optional field required again, and its next absence a false BREAKING "removed". Only
    // a field this version adds takes its flag from this payload alone.
    f.required = just_added ? it->second->required : f.required && it->second->required;
  }
  // A field back after being removed is known to come and go (producers on two shapes,
  // a rolling deploy): optional, or every payload of the older shape would remove it
  // again, each time a new BREAKING version and an alert.
  for (size_t i : returned) fields[i].required = false;

  if (!is_new) {
    ev.version = cur;
    ev.version.fields = std::move(fields);
    ev.version.payloads += 1;
    ev.version.records += profile.records;
    ev.version.updated_at = now;
    return ev;
  }
  ev.new_version = true;
  ev.version = fresh(next);
  ev.version.fields = std::move(fields);
  ev.version.field_diff = std::move(diff);
  ev.version.compatibility = compat;
  ev.version.status = breaking ? VersionStatus::kBreaking : VersionStatus::kActive;
  ev.version.mappings = cur.mappings;  // confirmed renames stay confirmed
  ev.version.fingerprint = Fingerprint(ev.version.fields);
  return ev;
}

}  // namespace latebind::registry
