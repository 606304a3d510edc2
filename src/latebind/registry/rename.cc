#include "latebind/registry/rename.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>
#include <variant>

#include "latebind/common/field_path.h"
#include "latebind/profiler/field_tree.h"
#include "latebind/profiler/profile_json.h"
#include "latebind/profiler/type_lattice.h"

namespace latebind::registry {
namespace {

// The key a field is named by, past its arrays: "b" for "a.b[][]".
std::string Leaf(std::string_view path) {
  while (IsElementPath(path)) path = ParentPath(path);
  return UnescapeKey(LastSegment(path));
}

std::string_view Parent(std::string_view path) {
  while (IsElementPath(path)) path = ParentPath(path);
  return ParentPath(path);
}

// snake_case, kebab-case, camelCase and digit runs → lowercase tokens.
std::vector<std::string> Tokens(std::string_view name) {
  std::vector<std::string> out;
  std::string cur;
  auto flush = [&] {
    if (!cur.empty()) out.push_back(std::move(cur));
    cur.clear();
  };
  for (size_t i = 0; i < name.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(name[i]);
    if (!std::isalnum(c)) {
      flush();
      continue;
    }
    if (!cur.empty()) {
      const unsigned char prev = static_cast<unsigned char>(name[i - 1]);
      const bool case_break = std::isupper(c) && std::islower(prev);
      const bool digit_break = (std::isdigit(c) != 0) != (std::isdigit(prev) != 0);
      if (case_break || digit_break) flush();
    }
    cur.push_back(static_cast<char>(std::tolower(c)));
  }
  flush();
  return out;
}

double JaroWinkler(std::string_view a, std::string_view b) {
  if (a.empty() || b.empty()) return a == b ? 1.0 : 0.0;
  const int window = std::max<int>(0, static_cast<int>(std::max(a.size(), b.size())) / 2 - 1);
  std::vector<bool> ma(a.size()), mb(b.size());
  int matches = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const size_t lo = i > static_cast<size_t>(window) ? i - window : 0;
    const size_t hi = std::min(b.size(), i + window + 1);
    for (size_t j = lo; j < hi; ++j) {
      if (!mb[j] && a[i] == b[j]) {
        ma[i] = mb[j] = true;
        ++matches;
        break;
      }
    }
  }
  if (matches == 0) return 0;
  int transpositions = 0;
  for (size_t i = 0, j = 0; i < a.size(); ++i) {
    if (!ma[i]) continue;
    while (!mb[j]) ++j;
    if (a[i] != b[j]) ++transpositions;
    ++j;
  }
  const double m = matches;
  const double jaro = (m / a.size() + m / b.size() + (m - transpositions / 2.0) / m) / 3.0;
  size_t prefix = 0;
  while (prefix < 4 && prefix < a.size() && prefix < b.size() && a[prefix] == b[prefix]) ++prefix;
  return jaro + prefix * 0.1 * (1 - jaro);
}

// `shorter` abbreviates `longer`: same first letter, and its letters appear in order.
bool Abbreviates(std::string_view shorter, std::string_view longer) {
  if (shorter.size() < 2 || shorter.size() >= longer.size() || shorter[0] != longer[0]) {
    return false;
  }
  size_t j = 0;
  for (char c : longer) {
    if (j < shorter.size() && shorter[j] == c) ++j;
  }
  return j == shorter.size();
}

// By convention a leading `x` (also `tx`, `trx`) abbreviates "trans" — txn, trx, xfer — which
// no subsequence rule finds: `x` is not a letter of "transaction". Returns the token with
// that prefix spelled out, or the token itself.
std::string SpellOutTrans(const std::string& token) {
  for (std::string_view prefix : {"trx", "tx", "x"}) {
    if (token.starts_with(prefix)) return "trans" + token.substr(prefix.size());
  }
  return token;
}

double TokenSimilarity(const std::string& a, const std::string& b) {
  if (a == b) return 1.0;
  const std::string& s = a.size() < b.size() ? a : b;
  const std::string& l = a.size() < b.size() ? b : a;
  if (s.size() >= 2 && l.starts_with(s)) return 0.9;  // qty ↔ qtys, cust ↔ customer
  if (Abbreviates(s, l)) return 0.8;                  // amt ↔ amount, dt ↔ date
  // txn ↔ transaction, xfer ↔ transfer. Without this rule the design's own example,
  // `transaction_date` → `txn_date`, had a name similarity of 0.5 and was never a rename.
  if (const std::string spelled = SpellOutTrans(s); spelled != s && s.size() >= 2) {
    if (spelled == l || l.starts_with(spelled) || Abbreviates(spelled, l)) return 0.8;
  }
  const double jw = JaroWinkler(a, b);
  return jw >= 0.88 ? jw * 0.8 : 0.0;  // typos and plurals; not unrelated words
}

// Numbers, dates and timestamps on one axis (days for calendar values) for range closeness.
std::optional<double> Numeric(const profiler::ScalarValue& v) {
  if (const auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* s = std::get_if<std::string>(&v)) {
    if (const auto t = profiler::CalendarInstantOf(*s)) {  // dates and timestamps, in days
      return (static_cast<double>(t->seconds) + t->nanos * 1e-9) / 86400;
    }
  }
  return std::nullopt;
}

std::string Shape(const profiler::ScalarValue& v) {
  if (std::holds_alternative<bool>(v)) return "bool";
  if (const auto* i = std::get_if<int64_t>(&v)) {
    return "int" + std::to_string(std::to_string(*i < 0 ? -*i : *i).size());
  }
  if (std::holds_alternative<double>(v)) return "float";
  const auto* s = std::get_if<std::string>(&v);
  if (s == nullptr) return "null";
  std::string out;
  for (unsigned char c : *s) {
    const char k = std::isdigit(c) ? '9' : std::isalpha(c) ? 'a' : static_cast<char>(c);
    if (out.empty() || out.back() != k) out.push_back(k);
  }
  return out;
}

std::set<std::string> Shapes(const FieldStats& s) {
  std::set<std::string> out;
  for (const auto& e : s.examples) out.insert(Shape(e));
  return out;
}

// `shared` in [0,1] weighs what overlapping ranges say (see ValueEvidenceWeight): a small
// domain's values overlap whatever they mean.
double RangeSimilarity(const FieldStats& a, const FieldStats& b, double shared) {
  const auto a0 = Numeric(a.min), a1 = Numeric(a.max), b0 = Numeric(b.min), b1 = Numeric(b.max);
  if (a0 && a1 && b0 && b1) {
    const double overlap = std::min(*a1, *b1) - std::max(*a0, *b0);
    const double span = std::max(*a1, *b1) - std::min(*a0, *b0);
    if (span <= 0) return 0.5 + 0.5 * shared;
    if (overlap >= 0) return 0.5 + 0.5 * shared * overlap / span;
    // Disjoint ranges: close ones (this week's dates after last week's) still look alike.
    const double width = std::max({*a1 - *a0, *b1 - *b0, span / 8});
    return 0.5 * std::exp(-(-overlap) / width);
  }
  const auto* as = std::get_if<std::string>(&a.min);
  const auto* az = std::get_if<std::string>(&a.max);
  const auto* bs = std::get_if<std::string>(&b.min);
  const auto* bz = std::get_if<std::string>(&b.max);
  if (as && az && bs && bz) return (*as <= *bz && *bs <= *az) ? 0.5 + 0.2 * shared : 0.3;
  return 0.5;  // nothing to compare
}

double Uniqueness(const FieldStats& s) {
  const double values = static_cast<double>(s.present - std::min(s.present, s.nulls));
  return values <= 0 ? 0 : std::min(1.0, static_cast<double>(s.distinct_approx) / values);
}

double ExampleOverlap(const FieldStats& a, const FieldStats& b) {
  if (a.examples.empty() || b.examples.empty()) return 0;
  size_t shared = 0;
  for (const auto& x : a.examples) {
    for (const auto& y : b.examples) {
      if (x == y) {
        ++shared;
        break;
      }
    }
  }
  return static_cast<double>(shared) / std::min(a.examples.size(), b.examples.size());
}

// Whether one name holds a token and the other its opposite, neither holding both
// (created_at and updated_at): the two ends of one pair are two fields, however alike their
// names and values are.
bool TokensOpposite(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  static constexpr std::pair<std::string_view, std::string_view> kOpposites[] = {
      {"start", "end"},       {"begin", "end"},     {"created", "updated"},  {"from", "to"},
      {"min", "max"},         {"first", "last"},    {"open", "close"},       {"opened", "closed"},
      {"debit", "credit"},    {"in", "out"},        {"buy", "sell"},         {"input", "output"},
      {"src", "dst"},         {"source", "target"}, {"before", "after"},     {"lower", "upper"},
      {"low", "high"},        {"sent", "received"}, {"inbound", "outbound"}, {"pickup", "dropoff"},
      {"sender", "receiver"}, {"prev", "next"},     {"old", "new"},          {"left", "right"},
  };
  auto has = [](const std::vector<std::string>& tokens, std::string_view t) {
    return std::find(tokens.begin(), tokens.end(), t) != tokens.end();
  };
  for (const auto& [x, y] : kOpposites) {
    if ((has(a, x) && has(b, y) && !has(a, y) && !has(b, x)) ||
        (has(a, y) && has(b, x) && !has(a, x) && !has(b, y))) {
      return true;
    }
  }
  return false;
}

}  // namespace

bool OppositeNames(std::string_view old_path, std::string_view new_path) {
  return TokensOpposite(Tokens(Leaf(old_path)), Tokens(Leaf(new_path)));
}

double NameSimilarity(std::string_view old_path, std::string_view new_path) {
  const std::vector<std::string> a = Tokens(Leaf(old_path));
  const std::vector<std::string> b = Tokens(Leaf(new_path));
  if (a.empty() || b.empty()) return 0;
  // Each token of the shorter name takes its best partner in the longer one; tokens the
  // longer name has in excess count as unmatched.
  const auto& s = a.size() <= b.size() ? a : b;
  const auto& l = a.size() <= b.size() ? b : a;
  std::vector<bool> used(l.size());
  double sum = 0;
  for (const std::string& t : s) {
    double best = 0;
    size_t best_j = l.size();
    for (size_t j = 0; j < l.size(); ++j) {
      if (used[j]) continue;
      const double sim = TokenSimilarity(t, l[j]);
      if (sim > best) best = sim, best_j = j;
    }
    if (best_j < l.size()) used[best_j] = true;
    sum += best;
  }
  double score = sum / static_cast<double>(l.size());
  std::string ja, jb;
  for (const auto& t : a) ja += t;
  for (const auto& t : b) jb += t;
  score = std::max(score, 0.8 * JaroWinkler(ja, jb) - 0.1);
  if (Parent(old_path) != Parent(new_path)) score *= 0.8;
  return std::clamp(score, 0.0, 1.0);
}

namespace {

// ValueSimilarity with the evidence of shared values (overlapping ranges, shared examples)
// weighed by `shared`.
double WeighedValueSimilarity(const FieldSchema& old_field, const FieldSchema& new_field,
                              double shared) {
  const FieldStats& a = old_field.stats;
  const FieldStats& b = new_field.stats;
  const std::set<std::string> sa = Shapes(a), sb = Shapes(b);
  double shape = 0.5;
  if (!sa.empty() && !sb.empty()) {
    size_t shared = 0;
    for (const auto& s : sa) shared += sb.count(s);
    shape = static_cast<double>(shared) / (sa.size() + sb.size() - shared);
  }
  if (old_field.type != new_field.type) shape *= 0.8;
  const double range = RangeSimilarity(a, b, shared);
  const double cardinality = 1.0 - std::abs(Uniqueness(a) - Uniqueness(b));
  const double overlap = shared * ExampleOverlap(a, b);
  const double weighted = 0.35 * shape + 0.25 * range + 0.2 * cardinality + 0.2 * overlap;
  // Shared example values are strong evidence on their own (the samples are bottom-k by
  // hash, so equal data yields equal samples).
  return std::clamp(std::max(weighted, overlap > 0 ? 0.5 + 0.5 * overlap : 0.0), 0.0, 1.0);
}

}  // namespace

double ValueSimilarity(const FieldSchema& old_field, const FieldSchema& new_field) {
  return WeighedValueSimilarity(old_field, new_field, 1.0);
}

bool RenameCompatible(FieldType from, FieldType to) {
  auto numeric = [](FieldType t) { return t == FieldType::kInt64 || t == FieldType::kFloat64; };
  auto text = [](FieldType t) {
    return t == FieldType::kString || t == FieldType::kDate || t == FieldType::kTimestamp;
  };
  return from == to || (numeric(from) && numeric(to)) || (text(from) && text(to));
}

double ValueEvidenceWeight(const FieldSchema& old_field, const FieldSchema& new_field) {
  // A field's distinct values, at least as many as its examples show (a count stored
  // before sketches, ADR-066, may be missing).
  auto distinct = [](const FieldStats& s) {
    return std::max<double>(static_cast<double>(s.distinct_approx),
                            static_cast<double>(s.examples.size()));
  };
  const double d = std::min(distinct(old_field.stats), distinct(new_field.stats));
  // From none at the example sample's size (the samples are then whole domains) to full at
  // four times it, on a log scale.
  const double k = profiler::ExampleSample::kSize;
  return d <= k ? 0.0 : std::min(1.0, std::log(d / k) / std::log(4.0));
}

double RenameConfidence(const FieldSchema& old_field, const FieldSchema& new_field) {
  if (!RenameCompatible(old_field.type, new_field.type)) return 0;
  const double name = NameSimilarity(old_field.path, new_field.path);
  // Shared values count only as far as they could not be shared by chance: two booleans,
  // two fields of a few country codes or two constants share their whole domain whatever
  // they mean, so that evidence is weighed by the domain's size. Everything else (shapes,
  // disjoint ranges, cardinality) counts as before.
  const double value =
      WeighedValueSimilarity(old_field, new_field, ValueEvidenceWeight(old_field, new_field));
  // Both must be high: a strong name cannot carry unrelated values, nor the reverse.
  const double blended = 0.5 * name + 0.5 * value;
  return std::round(std::min(blended, std::min(name, value) + 0.35) * 1000) / 1000;
}

RenamePairing PairRenames(const std::vector<const FieldSchema*>& removed,
                          const std::vector<const FieldSchema*>& added,
                          const RenameOptions& options) {
  struct Scored {
    double confidence;
    size_t r, a;
  };
  std::vector<Scored> all;
  if (removed.size() * added.size() > options.max_pairs) return {};
  for (size_t r = 0; r < removed.size(); ++r) {
    for (size_t a = 0; a < added.size(); ++a) {
      const double c = RenameConfidence(*removed[r], *added[a]);
      if (c > 0) all.push_back({c, r, a});
    }
  }
  // Best first; ties by input order, so the outcome never depends on hashing or threads.
  std::stable_sort(all.begin(), all.end(),
                   [](const Scored& x, const Scored& y) { return x.confidence > y.confidence; });
  RenamePairing out;
  std::vector<bool> r_used(removed.size()), a_used(added.size()), r_reported(removed.size());
  for (const Scored& s : all) {
    if (r_used[s.r] || a_used[s.a]) continue;
    // Two ends of one pair (created_at, updated_at) are two fields whatever they score
    // (ADR-115): reported as a rejected candidate, with its score.
    if (s.confidence >= options.threshold && !OppositeNames(removed[s.r]->path, added[s.a]->path)) {
      r_used[s.r] = a_used[s.a] = true;
      out.renames.push_back({removed[s.r]->path, added[s.a]->path, s.confidence});
    } else if (!r_reported[s.r]) {
      r_reported[s.r] = true;
      out.rejected.push_back({removed[s.r]->path, added[s.a]->path, s.confidence});
    }
  }
  return out;
}

}  // namespace latebind::registry
