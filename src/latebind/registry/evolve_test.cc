// Schema evolution (evolve.h) rule by rule against DESIGN.md §4, on hand-made profiles: the
// first version, payloads that change nothing, union by default, required vs optional,
// removal, additive fields, widening, incompatible changes, nested and array paths, and the
// fingerprint. Also the small value helpers of schema.h.
#include "latebind/registry/evolve.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "latebind/common/byte_source.h"
#include "latebind/common/status.h"
#include "latebind/profiler/profiler.h"
#include "latebind/registry/schema_json.h"

namespace latebind::registry {
namespace {

using profiler::FieldProfile;
using profiler::PayloadProfile;
using profiler::ScalarValue;

constexpr char kT1[] = "2024-05-01T10:00:00Z";
constexpr char kT2[] = "2024-05-01T11:00:00Z";
constexpr char kT3[] = "2024-05-01T12:00:00Z";

// A profiled field seen in every record (or parent object) unless made Optional().
FieldProfile Field(std::string path, FieldType type, uint64_t present,
                   std::vector<ScalarValue> examples = {}) {
  FieldProfile f;
  f.path = std::move(path);
  f.type = type;
  f.required = true;
  f.present = present;
  f.type_counts[static_cast<int>(type)] = present;  // every occurrence of that type
  f.examples = std::move(examples);
  f.distinct_approx = f.examples.size();
  if (!f.examples.empty()) {
    f.min = *std::min_element(f.examples.begin(), f.examples.end());
    f.max = *std::max_element(f.examples.begin(), f.examples.end());
  }
  return f;
}

FieldProfile Optional(FieldProfile f) {
  f.required = false;
  return f;
}

PayloadProfile Payload(uint64_t records, std::vector<FieldProfile> fields) {
  PayloadProfile p;
  p.records = records;
  p.fields = std::move(fields);
  return p;
}

// {id: int64, name: string, amount: float64}, all required, over `records` records.
PayloadProfile Basic(uint64_t records = 3) {
  return Payload(records, {Field("id", FieldType::kInt64, records, {int64_t{1}, int64_t{3}}),
                           Field("name", FieldType::kString, records, {"ann", "bob"}),
                           Field("amount", FieldType::kFloat64, records, {1.5, 7.25})});
}

SchemaVersion First(const PayloadProfile& p) {
  Evolution ev = Evolve(std::nullopt, "src", p, "raw/src/1", kT1, RenameOptions{});
  EXPECT_TRUE(ev.new_version);
  return ev.version;
}

Evolution Apply(const SchemaVersion& current, const PayloadProfile& p,
                const std::string& object = "raw/src/2", const char* now = kT2) {
  return Evolve(current, "src", p, object, now, RenameOptions{});
}

const FieldSchema& Get(const SchemaVersion& v, std::string_view path) {
  const FieldSchema* f = v.Find(path);
  if (f == nullptr) {
    ADD_FAILURE() << "no field " << path;
    static const FieldSchema kNone;
    return kNone;
  }
  return *f;
}

std::vector<std::string> Paths(const std::vector<FieldSchema>& fields) {
  std::vector<std::string> out;
  for (const auto& f : fields) out.push_back(f.path);
  return out;
}

uint64_t SplitMix(uint64_t x) {
  x += 0x9e3779b97f4a7c15;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9;
  x = (x ^ (x >> 27)) * 0x94d049bb133111eb;
  return x ^ (x >> 31);
}

// The ids first … first + n - 1, hashed as the profiler would.
profiler::HyperLogLog Sketch(uint64_t first, uint64_t n) {
  profiler::HyperLogLog h;
  for (uint64_t i = first; i < first + n; ++i) h.Add(SplitMix(i));
  return h;
}

// A payload's `id` field holding those ids, as the profiler reports it.
FieldProfile IdField(uint64_t first, uint64_t n) {
  FieldProfile f = Field("id", FieldType::kInt64, n);
  f.distinct_sketch = Sketch(first, n);
  f.distinct_approx = f.distinct_sketch.Estimate();
  return f;
}

// 4 standard errors of the sketch (1.04 / sqrt(1024)).
double Tolerance(double n) { return 4 * 0.0325 * n; }

// --- The first version -----------------------------------------------------------------------

TEST(EvolveTest, FirstPayloadIsVersionOneActive) {
  const SchemaVersion v = First(Basic());
  EXPECT_EQ(v.source_id, "src");
  EXPECT_EQ(v.version, 1);
  EXPECT_EQ(v.status, VersionStatus::kActive);
  EXPECT_EQ(v.compatibility, Compatibility::kFull);
  EXPECT_EQ(v.created_at, kT1);
  EXPECT_EQ(v.updated_at, kT1);
  EXPECT_EQ(v.sk, std::string("version#") + kT1);
  EXPECT_EQ(v.first_object, "raw/src/1");
  EXPECT_EQ(v.payloads, 1u);
  EXPECT_EQ(v.records, 3u);
  EXPECT_TRUE(v.field_diff.empty());
  EXPECT_EQ(Paths(v.fields), (std::vector<std::string>{"id", "name", "amount"}));
  for (const FieldSchema& f : v.fields) {
    EXPECT_TRUE(f.required) << f.path;
    EXPECT_FALSE(f.removed) << f.path;
    EXPECT_EQ(f.since_version, 1) << f.path;
    EXPECT_EQ(f.stats.present, 3u) << f.path;
  }
  EXPECT_EQ(Get(v, "id").type, FieldType::kInt64);
  EXPECT_EQ(Get(v, "id").stats.min, ScalarValue(int64_t{1}));
  EXPECT_EQ(Get(v, "id").stats.max, ScalarValue(int64_t{3}));
  EXPECT_EQ(v.fingerprint, Fingerprint(v.fields));
  EXPECT_EQ(v.fingerprint.size(), 32u);
}

TEST(EvolveTest, FirstPayloadKeepsOptionalFieldsOptional) {
  const SchemaVersion v =
      First(Payload(4, {Field("id", FieldType::kInt64, 4),
                        Optional(Field("memo", FieldType::kString, 2, {"hi"}))}));
  EXPECT_TRUE(Get(v, "id").required);
  EXPECT_FALSE(Get(v, "memo").required);
}

// --- Payloads that change nothing ------------------------------------------------------------

TEST(EvolveTest, SamePayloadAddsNoVersionButUpdatesCountsAndStats) {
  const SchemaVersion v1 = First(Basic());
  PayloadProfile p = Payload(5, {Field("id", FieldType::kInt64, 5, {int64_t{0}, int64_t{9}}),
                                 Field("name", FieldType::kString, 5, {"cy", "dee", "eve", "ann"}),
                                 Field("amount", FieldType::kFloat64, 5, {-2.0})});
  p.fields[1].nulls = 2;
  p.fields[0].distinct_approx = 40;
  const Evolution ev = Apply(v1, p, "raw/src/2", kT2);
  ASSERT_FALSE(ev.new_version);
  const SchemaVersion& v = ev.version;
  EXPECT_EQ(v.version, 1);
  EXPECT_EQ(v.payloads, 2u);
  EXPECT_EQ(v.records, 8u);
  EXPECT_EQ(v.created_at, kT1);
  EXPECT_EQ(v.updated_at, kT2);
  EXPECT_EQ(v.first_object, "raw/src/1");
  EXPECT_EQ(v.fingerprint, v1.fingerprint);
  EXPECT_TRUE(v.field_diff.empty());
  const FieldSchema& id = Get(v, "id");
  EXPECT_EQ(id.stats.present, 8u);
  EXPECT_EQ(id.stats.min, ScalarValue(int64_t{0}));
  EXPECT_EQ(id.stats.max, ScalarValue(int64_t{9}));
  // Profiles without sketches (as stats stored before they were kept): the larger count.
  EXPECT_EQ(id.stats.distinct_approx, 40u);
  EXPECT_TRUE(id.required);
  const FieldSchema& name = Get(v, "name");
  EXPECT_EQ(name.stats.nulls, 2u);
  // The first five distinct examples: ann, bob from the first payload, then cy, dee, eve.
  EXPECT_EQ(name.stats.examples, (std::vector<ScalarValue>{"ann", "bob", "cy", "dee", "eve"}));
  EXPECT_EQ(Get(v, "amount").stats.min, ScalarValue(-2.0));
  EXPECT_EQ(Get(v, "amount").stats.max, ScalarValue(7.25));
}

TEST(EvolveTest, FieldMissingFromSomeRecordsBecomesOptionalWithoutAVersion) {
  const SchemaVersion v1 = First(Basic());
  PayloadProfile p = Basic(4);
  p.fields[1] = Optional(Field("name", FieldType::kString, 2, {"zed"}));
  const Evolution ev = Apply(v1, p);
  ASSERT_FALSE(ev.new_version);
  EXPECT_FALSE(Get(ev.version, "name").required);
  EXPECT_FALSE(Get(ev.version, "name").removed);
  EXPECT_EQ(ev.version.fingerprint, v1.fingerprint);
  // Required means every record observed under the version: a later complete payload does
  // not make it required again.
  const Evolution again = Apply(ev.version, Basic(2), "raw/src/3", kT3);
  ASSERT_FALSE(again.new_version);
  EXPECT_FALSE(Get(again.version, "name").required);
}

TEST(EvolveTest, OptionalFieldMissingFromAWholePayloadChangesNothing) {
  PayloadProfile first = Basic();
  first.fields.push_back(Optional(Field("memo", FieldType::kString, 1, {"note"})));
  const SchemaVersion v1 = First(first);
  const Evolution ev = Apply(v1, Basic());
  ASSERT_FALSE(ev.new_version);
  EXPECT_TRUE(ev.version.field_diff.empty());
  EXPECT_FALSE(Get(ev.version, "memo").removed);
  EXPECT_FALSE(Get(ev.version, "memo").required);
  EXPECT_EQ(Get(ev.version, "memo").stats.present, 1u);
}

TEST(EvolveTest, EmptyPayloadChangesNothing) {
  const SchemaVersion v1 = First(Basic());
  const Evolution ev = Apply(v1, Payload(0, {}));
  ASSERT_FALSE(ev.new_version);
  EXPECT_EQ(ev.version.version, 1);
  EXPECT_EQ(ev.version.records, v1.records);
  EXPECT_TRUE(ev.version.field_diff.empty());
  ASSERT_EQ(ev.version.fields.size(), v1.fields.size());
  for (size_t i = 0; i < v1.fields.size(); ++i) {
    EXPECT_EQ(ev.version.fields[i].required, v1.fields[i].required) << v1.fields[i].path;
    EXPECT_FALSE(ev.version.fields[i].removed) << v1.fields[i].path;
    EXPECT_EQ(ev.version.fields[i].type, v1.fields[i].type) << v1.fields[i].path;
  }
}

TEST(EvolveTest, IntValuesFitAFloatField) {
  const SchemaVersion v1 = First(Basic());
  PayloadProfile p = Basic();
  p.fields[2] = Field("amount", FieldType::kInt64, 3, {int64_t{100}});
  const Evolution ev = Apply(v1, p);
  ASSERT_FALSE(ev.new_version);
  EXPECT_EQ(Get(ev.version, "amount").type, FieldType::kFloat64);
  EXPECT_EQ(Get(ev.version, "amount").stats.max, ScalarValue(int64_t{100}));
}

TEST(EvolveTest, NullsAndAnyScalarFitAStringField) {
  const SchemaVersion v1 = First(Basic());
  PayloadProfile p = Basic();
  p.fields[1] = Field("name", FieldType::kNull, 3);
  p.fields[1].nulls = 3;
  EXPECT_FALSE(Apply(v1, p).new_version);
  p.fields[1] = Field("name", FieldType::kInt64, 3, {int64_t{7}});
  EXPECT_FALSE(Apply(v1, p).new_version);
  p.fields[1] = Field("name", FieldType::kDate, 3, {"2024-01-01"});
  EXPECT_FALSE(Apply(v1, p).new_version);
  // Objects and arrays too (stored as their JSON text): a field already string must not
  // raise a string → string BREAKING version, and an alert, with every payload.
  p.fields[1] = Field("name", FieldType::kObject, 3);
  EXPECT_FALSE(Apply(v1, p).new_version);
  p.fields[1] = Field("name", FieldType::kArray, 3);
  EXPECT_FALSE(Apply(v1, p).new_version);
}

// --- Removed fields ----------------------------------------------------------------------------

TEST(EvolveTest, RequiredFieldMissingFromEveryRecordIsRemovedAndBreaking) {
  const SchemaVersion v1 = First(Basic());
  PayloadProfile p = Basic();
  p.fields.erase(p.fields.begin() + 1);  // no name
  const Evolution ev = Apply(v1, p);
  ASSERT_TRUE(ev.new_version);
  const SchemaVersion& v = ev.version;
  EXPECT_EQ(v.version, 2);
  EXPECT_EQ(v.field_diff.removed, std::vector<std::string>{"name"});
  EXPECT_TRUE(v.field_diff.added.empty());
  EXPECT_TRUE(v.field_diff.renamed.empty());
  EXPECT_EQ(v.status, VersionStatus::kBreaking);
  EXPECT_EQ(v.compatibility, Compatibility::kBackward);
  // Union by default: the field stays, marked removed, with its statistics.
  EXPECT_EQ(Paths(v.fields), Paths(v1.fields));
  EXPECT_TRUE(Get(v, "name").removed);
  EXPECT_FALSE(Get(v, "name").required);
  EXPECT_EQ(Get(v, "name").stats.present, 3u);
  // A new version starts its own counts.
  EXPECT_EQ(v.payloads, 1u);
  EXPECT_EQ(v.records, 3u);
  EXPECT_EQ(v.created_at, kT2);
  EXPECT_EQ(v.first_object, "raw/src/2");
  EXPECT_NE(v.fingerprint, v1.fingerprint);
  // A payload that keeps lacking it changes nothing more.
  EXPECT_FALSE(Apply(v, p, "raw/src/3", kT3).new_version);
}

TEST(EvolveTest, RemovedFieldThatComesBackIsAddedAgain) {
  const SchemaVersion v1 = First(Basic());
  PayloadProfile without = Basic();
  without.fields.erase(without.fields.begin() + 1);
  const SchemaVersion v2 = Apply(v1, without).version;
  const Evolution ev = Apply(v2, Basic(), "raw/src/3", kT3);
  ASSERT_TRUE(ev.new_version);
  EXPECT_EQ(ev.version.version, 3);
  EXPECT_EQ(ev.version.field_diff.added, std::vector<std::string>{"name"});
  EXPECT_EQ(ev.version.status, VersionStatus::kActive);
  EXPECT_EQ(ev.version.compatibility, Compatibility::kFull);
  EXPECT_FALSE(Get(ev.version, "name").removed);
  EXPECT_EQ(Get(ev.version, "name").since_version, 3);
  EXPECT_EQ(Get(ev.version, "name").stats.present, 6u);  // its statistics go on: 3 + 3
  EXPECT_EQ(ev.version.fingerprint, v1.fingerprint);     // the same live fields and types
  // It is known to come and go (producers on two shapes): optional from now on, so the
  // older shape's next payload is no new removal, no new BREAKING version and no alert.
  EXPECT_FALSE(Get(ev.version, "name").required);
  EXPECT_FALSE(Apply(ev.version, without, "raw/src/4", kT3).new_version);
  EXPECT_FALSE(Apply(ev.version, Basic(), "raw/src/5", kT3).new_version);
}

// Promotion audit 2026-11-24: a removed field back with another type was only "added", so
// FULL and ACTIVE, and its column changed type under the rows promoted before. It is judged
// against the type it had (ADR-107): float64 back as int64 fits, as float64 widens nothing,
// as an object is incompatible (string, NONE, BREAKING).
TEST(EvolveTest, RemovedFieldBackWithAnotherTypeIsJudgedAgainstItsOldType) {
  const SchemaVersion v1 = First(Basic());
  PayloadProfile without = Basic();
  without.fields.erase(without.fields.begin() + 2);  // no amount (float64)
  const SchemaVersion v2 = Apply(v1, without).version;
  ASSERT_TRUE(Get(v2, "amount").removed);

  PayloadProfile ints = Basic();
  ints.fields[2] = Field("amount", FieldType::kInt64, 3, {int64_t{2}});
  const Evolution fits = Apply(v2, ints, "raw/src/3", kT3);
  ASSERT_TRUE(fits.new_version);
  EXPECT_EQ(fits.version.field_diff.added, std::vector<std::string>{"amount"});
  EXPECT_TRUE(fits.version.field_diff.type_changed.empty());
  EXPECT_EQ(Get(fits.version, "amount").type, FieldType::kFloat64);
  EXPECT_EQ(fits.version.status, VersionStatus::kActive);

  PayloadProfile object = Basic();
  object.fields[2] = Field("amount", FieldType::kObject, 3);
  const Evolution breaks = Apply(v2, object, "raw/src/3", kT3);
  ASSERT_TRUE(breaks.new_version);
  EXPECT_EQ(breaks.version.field_diff.added, std::vector<std::string>{"amount"});
  ASSERT_EQ(breaks.version.field_diff.type_changed.count("amount"), 1u);
  EXPECT_EQ(breaks.version.field_diff.type_changed.at("amount").from, FieldType::kFloat64);
  EXPECT_EQ(Get(breaks.version, "amount").type, FieldType::kString);
  EXPECT_TRUE(Get(breaks.version, "amount").mixed);
  // Mixed stays mixed when it comes back of one kind: its raw values are still of two.
  SchemaVersion mixed = v2;
  for (FieldSchema& f : mixed.fields) {
    if (f.path == "amount") f.type = FieldType::kString, f.mixed = true;
  }
  PayloadProfile strings = Basic();
  strings.fields[2] = Field("amount", FieldType::kString, 3, {"x"});
  EXPECT_TRUE(Get(Apply(mixed, strings, "raw/src/3", kT3).version, "amount").mixed);
  EXPECT_EQ(breaks.version.status, VersionStatus::kBreaking);
  EXPECT_EQ(breaks.version.compatibility, Compatibility::kNone);
}

// --- Additive and type changes ------------------------------------------------------------------

TEST(EvolveTest, AdditiveFieldIsANewActiveFullVersionKeepingEveryField) {
  PayloadProfile first = Basic();
  first.fields.push_back(Optional(Field("memo", FieldType::kString, 1)));
  const SchemaVersion v1 = First(first);
  PayloadProfile p = Basic();
  p.fields.push_back(Field("currency", FieldType::kString, 3, {"EUR"}));
  const Evolution ev = Apply(v1, p);
  ASSERT_TRUE(ev.new_version);
  const SchemaVersion& v = ev.version;
  EXPECT_EQ(v.version, 2);
  EXPECT_EQ(v.field_diff.added, std::vector<std::string>{"currency"});
  EXPECT_TRUE(v.field_diff.removed.empty());
  EXPECT_EQ(v.status, VersionStatus::kActive);
  EXPECT_EQ(v.compatibility, Compatibility::kFull);
  EXPECT_EQ(Paths(v.fields),
            (std::vector<std::string>{"id", "name", "amount", "memo", "currency"}));
  EXPECT_EQ(Get(v, "currency").since_version, 2);
  EXPECT_EQ(Get(v, "id").since_version, 1);
  EXPECT_FALSE(Get(v, "memo").removed);  // optional and missing: normal
  EXPECT_NE(v.fingerprint, v1.fingerprint);
}

TEST(EvolveTest, WideningInt64ToFloat64IsBackwardAndActive) {
  const SchemaVersion v1 = First(Basic());
  PayloadProfile p = Basic();
  p.fields[0] = Field("id", FieldType::kFloat64, 3, {2.5});
  const Evolution ev = Apply(v1, p);
  ASSERT_TRUE(ev.new_version);
  const SchemaVersion& v = ev.version;
  ASSERT_EQ(v.field_diff.type_changed.count("id"), 1u);
  EXPECT_EQ(v.field_diff.type_changed.at("id").from, FieldType::kInt64);
  EXPECT_EQ(v.field_diff.type_changed.at("id").to, FieldType::kFloat64);
  EXPECT_EQ(v.compatibility, Compatibility::kBackward);
  EXPECT_EQ(v.status, VersionStatus::kActive);
  EXPECT_EQ(Get(v, "id").type, FieldType::kFloat64);
  EXPECT_NE(v.fingerprint, v1.fingerprint);
  // Integers afterwards fit the widened field.
  EXPECT_FALSE(Apply(v, Basic(), "raw/src/3", kT3).new_version);
}

TEST(EvolveTest, DateToTimestampIsAWidening) {
  const SchemaVersion v1 =
      First(Payload(2, {Field("day", FieldType::kDate, 2, {"2024-01-01", "2024-01-02"})}));
  const Evolution ev =
      Apply(v1, Payload(2, {Field("day", FieldType::kTimestamp, 2, {"2024-01-03T10:00:00Z"})}));
  ASSERT_TRUE(ev.new_version);
  EXPECT_EQ(Get(ev.version, "day").type, FieldType::kTimestamp);
  EXPECT_EQ(ev.version.compatibility, Compatibility::kBackward);
  EXPECT_EQ(ev.version.status, VersionStatus::kActive);
  EXPECT_FALSE(Apply(ev.version, Payload(1, {Field("day", FieldType::kDate, 1, {"2024-02-01"})}))
                   .new_version);
}

TEST(EvolveTest, FieldSeenOnlyAsNullGetsItsTypeAdditively) {
  PayloadProfile first = Basic();
  first.fields.push_back(Field("memo", FieldType::kNull, 3));
  first.fields.back().nulls = 3;
  const SchemaVersion v1 = First(first);
  PayloadProfile p = Basic();
  p.fields.push_back(Field("memo", FieldType::kString, 3, {"hello"}));
  const Evolution ev = Apply(v1, p);
  ASSERT_TRUE(ev.new_version);
  EXPECT_EQ(Get(ev.version, "memo").type, FieldType::kString);
  ASSERT_EQ(ev.version.field_diff.type_changed.count("memo"), 1u);
  EXPECT_EQ(ev.version.field_diff.type_changed.at("memo").from, FieldType::kNull);
  EXPECT_EQ(ev.version.compatibility, Compatibility::kFull);
  EXPECT_EQ(ev.version.status, VersionStatus::kActive);
}

struct IncompatibleCase {
  FieldType from;
  FieldType to;
};

class IncompatibleTypeTest : public ::testing::TestWithParam<IncompatibleCase> {};

TEST_P(IncompatibleTypeTest, BecomesStringNoneBreaking) {
  const auto [from, to] = GetParam();
  const SchemaVersion v1 =
      First(Payload(2, {Field("id", FieldType::kInt64, 2), Field("value", from, 2)}));
  const Evolution ev =
      Apply(v1, Payload(2, {Field("id", FieldType::kInt64, 2), Field("value", to, 2)}));
  ASSERT_TRUE(ev.new_version);
  const SchemaVersion& v = ev.version;
  ASSERT_EQ(v.field_diff.type_changed.count("value"), 1u);
  EXPECT_EQ(v.field_diff.type_changed.at("value").from, from);
  EXPECT_EQ(v.field_diff.type_changed.at("value").to, FieldType::kString);
  EXPECT_EQ(Get(v, "value").type, FieldType::kString);
  EXPECT_EQ(v.compatibility, Compatibility::kNone);
  EXPECT_EQ(v.status, VersionStatus::kBreaking);
  EXPECT_FALSE(Get(v, "value").removed);
  // Scalars of the old type afterwards fit the string field.
  if (from != FieldType::kObject && from != FieldType::kArray) {
    const PayloadProfile old_type =
        Payload(2, {Field("id", FieldType::kInt64, 2), Field("value", from, 2)});
    EXPECT_FALSE(Apply(v, old_type, "raw/src/3", kT3).new_version);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Mixes, IncompatibleTypeTest,
    ::testing::Values(IncompatibleCase{FieldType::kInt64, FieldType::kString},
                      IncompatibleCase{FieldType::kObject, FieldType::kString},
                      IncompatibleCase{FieldType::kBoolean, FieldType::kInt64},
                      IncompatibleCase{FieldType::kFloat64, FieldType::kBoolean},
                      IncompatibleCase{FieldType::kArray, FieldType::kObject}));

TEST(EvolveTest, CompatibilityIsTheWeakestOfTheChanges) {
  const SchemaVersion v1 = First(Basic());
  PayloadProfile widen_and_add = Basic();
  widen_and_add.fields[0] = Field("id", FieldType::kFloat64, 3);
  widen_and_add.fields.push_back(Field("extra", FieldType::kBoolean, 3));
  Evolution ev = Apply(v1, widen_and_add);
  EXPECT_EQ(ev.version.compatibility, Compatibility::kBackward);
  EXPECT_EQ(ev.version.status, VersionStatus::kActive);

  PayloadProfile break_and_add = Basic();
  break_and_add.fields[0] = Field("id", FieldType::kBoolean, 3);
  break_and_add.fields.push_back(Field("extra", FieldType::kBoolean, 3));
  ev = Apply(v1, break_and_add);
  EXPECT_EQ(ev.version.compatibility, Compatibility::kNone);
  EXPECT_EQ(ev.version.status, VersionStatus::kBreaking);
  EXPECT_EQ(ev.version.field_diff.added, std::vector<std::string>{"extra"});

  PayloadProfile remove_and_widen = Basic();
  remove_and_widen.fields[0] = Field("id", FieldType::kFloat64, 3);
  remove_and_widen.fields.pop_back();  // no amount
  ev = Apply(v1, remove_and_widen);
  EXPECT_EQ(ev.version.compatibility, Compatibility::kBackward);
  EXPECT_EQ(ev.version.status, VersionStatus::kBreaking);
}

// Audit 2026-11-24: a new version reset every flag from its first payload, so a field known
// to be optional became required again, and its next absence a false BREAKING removal.
TEST(EvolveTest, ANewVersionKeepsAKnownOptionalFieldOptional) {
  PayloadProfile first = Basic();
  first.fields.push_back(Optional(Field("memo", FieldType::kString, 1)));
  const SchemaVersion v1 = First(first);
  PayloadProfile p = Basic();
  p.fields.push_back(Field("memo", FieldType::kString, 3));  // in every record this time
  p.fields.push_back(Field("extra", FieldType::kInt64, 3));
  const Evolution ev = Apply(v1, p);
  ASSERT_TRUE(ev.new_version);
  EXPECT_FALSE(Get(ev.version, "memo").required);
  EXPECT_TRUE(Get(ev.version, "extra").required);  // added: its flag is this payload's

  PayloadProfile without_memo = Basic();
  without_memo.fields.push_back(Field("extra", FieldType::kInt64, 3));
  const Evolution next = Apply(ev.version, without_memo);
  EXPECT_FALSE(next.new_version);  // an optional field missing changes nothing
  EXPECT_EQ(next.version.status, VersionStatus::kActive);
}

TEST(EvolveTest, ConfirmedMappingsCarryOverToTheNextVersion) {
  SchemaVersion v1 = First(Basic());
  v1.mappings["name"] = "full_name";
  PayloadProfile p = Basic();
  p.fields.push_back(Field("extra", FieldType::kInt64, 3));
  const Evolution ev = Apply(v1, p);
  ASSERT_TRUE(ev.new_version);
  EXPECT_EQ(ev.version.mappings, v1.mappings);
}

// --- Nested and array paths
// -----------------------------------------------------------------------

// {id, acct?: {iban, bic?}} — acct optional, acct.iban required within acct.
PayloadProfile WithAcct(bool iban = true) {
  std::vector<FieldProfile> fields = {Field("id", FieldType::kInt64, 4),
                                      Optional(Field("acct", FieldType::kObject, 2))};
  if (iban) fields.push_back(Field("acct.iban", FieldType::kString, 2, {"DE1", "DE2"}));
  fields.push_back(Optional(Field("acct.bic", FieldType::kString, 1)));
  return Payload(4, fields);
}

TEST(EvolveTest, ChildrenOfAMissingOptionalParentAreNotRemoved) {
  const SchemaVersion v1 = First(WithAcct());
  EXPECT_TRUE(Get(v1, "acct.iban").required);
  const Evolution ev = Apply(v1, Payload(3, {Field("id", FieldType::kInt64, 3)}));
  ASSERT_FALSE(ev.new_version);
  EXPECT_TRUE(ev.version.field_diff.empty());
  EXPECT_FALSE(Get(ev.version, "acct.iban").removed);
  EXPECT_FALSE(Get(ev.version, "acct").removed);
  // Still required within its parent: the payload had no acct to lack it.
  EXPECT_TRUE(Get(ev.version, "acct.iban").required);
  // A payload with acct objects lacking iban does remove it.
  const Evolution later = Apply(ev.version, WithAcct(/*iban=*/false), "raw/src/3", kT3);
  ASSERT_TRUE(later.new_version);
  EXPECT_EQ(later.version.field_diff.removed, std::vector<std::string>{"acct.iban"});
  EXPECT_EQ(later.version.status, VersionStatus::kBreaking);
  EXPECT_FALSE(Get(later.version, "acct").removed);
}

// A registry from before ADR-103 holds the empty top-level key as "", the record's own path:
// when it goes, the "." and "..x" the same payload adds are not taken along as its members
// (code review 2026-11-24: they were added and removed in one version).
TEST(EvolveTest, ALegacyEmptyPathTakesNoNewFieldAlong) {
  const SchemaVersion v1 =
      First(Payload(2, {Field("", FieldType::kObject, 2), Field("x", FieldType::kInt64, 2)}));
  const Evolution ev =
      Apply(v1, Payload(2, {Field(".", FieldType::kObject, 2), Field("..x", FieldType::kInt64, 2),
                            Field("x", FieldType::kInt64, 2)}));
  ASSERT_TRUE(ev.new_version);
  EXPECT_EQ(ev.version.field_diff.removed, std::vector<std::string>{""});
  EXPECT_FALSE(Get(ev.version, ".").removed);
  EXPECT_FALSE(Get(ev.version, "..x").removed);
  EXPECT_FALSE(Get(ev.version, "x").removed);
}

TEST(EvolveTest, RemovedRequiredParentTakesItsChildrenAlong) {
  const SchemaVersion v1 = First(Payload(
      2, {Field("id", FieldType::kInt64, 2), Field("acct", FieldType::kObject, 2),
          Field("acct.iban", FieldType::kString, 2), Field("acct.holder", FieldType::kObject, 2),
          Field("acct.holder.name", FieldType::kString, 2)}));
  const Evolution ev = Apply(v1, Payload(2, {Field("id", FieldType::kInt64, 2)}));
  ASSERT_TRUE(ev.new_version);
  // The parent is judged; its children go with it, listed as added ones are (ADR-113).
  EXPECT_EQ(ev.version.field_diff.removed,
            (std::vector<std::string>{"acct", "acct.iban", "acct.holder", "acct.holder.name"}));
  for (const char* path : {"acct", "acct.iban", "acct.holder", "acct.holder.name"}) {
    EXPECT_TRUE(Get(ev.version, path).removed) << path;
  }
  EXPECT_FALSE(Get(ev.version, "id").removed);
  FieldSchema id;
  id.path = "id";
  id.type = FieldType::kInt64;
  EXPECT_EQ(ev.version.fingerprint, Fingerprint({id}));
}

TEST(EvolveTest, NestedFieldAddedAndTyped) {
  const SchemaVersion v1 = First(WithAcct());
  PayloadProfile p = WithAcct();
  p.fields.push_back(Field("acct.holder", FieldType::kObject, 2));
  p.fields.push_back(Field("acct.holder.name", FieldType::kString, 2));
  const Evolution ev = Apply(v1, p);
  ASSERT_TRUE(ev.new_version);
  EXPECT_EQ(ev.version.field_diff.added,
            (std::vector<std::string>{"acct.holder", "acct.holder.name"}));
  EXPECT_EQ(ev.version.status, VersionStatus::kActive);
}

// {id, items: [{sku, qty?}], tags: [string]}
PayloadProfile WithItems(uint64_t records, bool elements, bool sku = true) {
  std::vector<FieldProfile> f = {Field("id", FieldType::kInt64, records),
                                 Field("items", FieldType::kArray, records),
                                 Field("tags", FieldType::kArray, records)};
  if (elements) {
    f.push_back(Field("items[]", FieldType::kObject, 2 * records));
    if (sku) f.push_back(Field("items[].sku", FieldType::kString, 2 * records, {"SKU-1"}));
    f.push_back(Optional(Field("items[].qty", FieldType::kInt64, records)));
    f.push_back(Field("tags[]", FieldType::kString, 3 * records, {"a", "b"}));
  }
  return Payload(records, f);
}

TEST(EvolveTest, EmptyArraysDoNotRemoveElementPaths) {
  const SchemaVersion v1 = First(WithItems(3, /*elements=*/true));
  EXPECT_TRUE(Get(v1, "items[].sku").required);
  EXPECT_TRUE(Get(v1, "tags[]").required);
  const Evolution ev = Apply(v1, WithItems(2, /*elements=*/false));
  ASSERT_FALSE(ev.new_version);
  EXPECT_TRUE(ev.version.field_diff.empty());
  for (const char* path : {"items[]", "items[].sku", "items[].qty", "tags[]"}) {
    EXPECT_FALSE(Get(ev.version, path).removed) << path;
  }
  // Empty arrays say nothing about their elements' fields.
  EXPECT_TRUE(Get(ev.version, "items[].sku").required);
  // Elements without sku remove it.
  const Evolution later =
      Apply(ev.version, WithItems(2, /*elements=*/true, /*sku=*/false), "raw/src/3", kT3);
  ASSERT_TRUE(later.new_version);
  EXPECT_EQ(later.version.field_diff.removed, std::vector<std::string>{"items[].sku"});
  EXPECT_EQ(later.version.status, VersionStatus::kBreaking);
  EXPECT_FALSE(Get(later.version, "items[]").removed);
}

TEST(EvolveTest, ArrayElementTypeChange) {
  const SchemaVersion v1 = First(WithItems(2, true));
  PayloadProfile p = WithItems(2, true);
  for (auto& f : p.fields) {
    if (f.path == "tags[]") f.type = FieldType::kInt64;
  }
  // int64 values fit a string field: no change.
  EXPECT_FALSE(Apply(v1, p).new_version);
  p = WithItems(2, true);
  for (auto& f : p.fields) {
    if (f.path == "items[]") f.type = FieldType::kString;
  }
  const Evolution broken = Apply(v1, p);
  ASSERT_TRUE(broken.new_version);
  ASSERT_EQ(broken.version.field_diff.type_changed.count("items[]"), 1u);
  EXPECT_EQ(broken.version.status, VersionStatus::kBreaking);
  EXPECT_EQ(broken.version.compatibility, Compatibility::kNone);
}

// --- The same rules on profiles of real NDJSON ------------------------------------------------

PayloadProfile ProfileNdjson(const std::string& text) {
  std::unique_ptr<ByteSource> source = OpenMemorySource(text);
  profiler::ProfileOptions options;
  options.format = profiler::Format::kNdjson;
  options.threads = 1;
  auto r = profiler::ProfileSource(source.get(), "payload.ndjson", options);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r.ok() && r->ok()) << "the test's NDJSON does not parse";
  return r.ValueOr(PayloadProfile{});
}

// Audit 2026-11-24: a parent seen only as null (or a list of null elements) held no object
// that could lack its children, yet they were "removed": a false BREAKING version, an
// alert and a blocked source. An object without them still removes them.
TEST(EvolveRealProfileTest, ChildrenOfAParentSeenOnlyAsNullAreNotRemoved) {
  const SchemaVersion v1 = First(ProfileNdjson(R"({"id":1,"a":{"b":1},"items":[{"sku":"x"}]})"
                                               "\n"
                                               R"({"id":2,"a":null,"items":[{"sku":"y"}]})"
                                               "\n"));
  ASSERT_TRUE(Get(v1, "a.b").required);
  ASSERT_TRUE(Get(v1, "items[].sku").required);
  const Evolution quiet = Apply(v1, ProfileNdjson(R"({"id":3,"a":null,"items":[null]})"
                                                  "\n"));
  EXPECT_FALSE(quiet.new_version) << "removed " << quiet.version.field_diff.removed.size();
  EXPECT_FALSE(Get(quiet.version, "a.b").removed);
  EXPECT_FALSE(Get(quiet.version, "items[].sku").removed);
  const Evolution removed = Apply(quiet.version,
                                  ProfileNdjson(R"({"id":4,"a":{"c":1},"items":[]})"
                                                "\n"),
                                  "raw/src/3", kT3);
  ASSERT_TRUE(removed.new_version);
  EXPECT_EQ(removed.version.field_diff.removed, std::vector<std::string>{"a.b"});
}

// A header-only CSV (or an empty payload) has no record holding its columns: none of them is
// required, so the first real payload does not find them "removed".
TEST(EvolveRealProfileTest, ColumnsOfAPayloadWithoutRecordsAreNotRequired) {
  std::unique_ptr<ByteSource> source = OpenMemorySource(std::string("a,b\n"));
  profiler::ProfileOptions options;
  options.format = profiler::Format::kCsv;
  options.threads = 1;
  auto header_only = profiler::ProfileSource(source.get(), "h.csv", options);
  ASSERT_TRUE(header_only.ok()) << header_only.status().ToString();
  ASSERT_EQ(header_only->records, 0u);
  ASSERT_EQ(header_only->fields.size(), 2u);
  for (const auto& f : header_only->fields) EXPECT_FALSE(f.required) << f.path;
  const SchemaVersion v1 = First(*header_only);
  const Evolution next = Apply(v1, ProfileNdjson(R"({"id":1})"
                                                 "\n"));
  EXPECT_TRUE(next.version.field_diff.removed.empty());
  EXPECT_NE(next.version.status, VersionStatus::kBreaking);
}

TEST(EvolveRealProfileTest, NestedAndArrayPathsThroughTheProfiler) {
  const SchemaVersion v1 = First(ProfileNdjson(
      R"({"id":1,"acct":{"iban":"DE1"},"tags":["a","b"],"items":[{"sku":"A","qty":1}]})"
      "\n"
      R"({"id":2,"tags":["c"],"items":[{"sku":"B"},{"sku":"C","qty":2}]})"
      "\n"));
  EXPECT_FALSE(Get(v1, "acct").required);
  EXPECT_TRUE(Get(v1, "acct.iban").required);
  EXPECT_TRUE(Get(v1, "items[].sku").required);
  EXPECT_FALSE(Get(v1, "items[].qty").required);
  EXPECT_EQ(Get(v1, "tags[]").type, FieldType::kString);

  // No acct at all, empty arrays, qty missing: nothing changes.
  const Evolution quiet = Apply(v1, ProfileNdjson(R"({"id":3,"tags":[],"items":[]})"
                                                  "\n"
                                                  R"({"id":4,"tags":[],"items":[]})"
                                                  "\n"));
  ASSERT_FALSE(quiet.new_version) << "added " << quiet.version.field_diff.added.size()
                                  << ", removed " << quiet.version.field_diff.removed.size();
  EXPECT_EQ(quiet.version.records, 4u);
  EXPECT_TRUE(Get(quiet.version, "acct.iban").required);
  EXPECT_TRUE(Get(quiet.version, "items[].sku").required);

  // Items without sku, and an acct without iban: both removed, one breaking version.
  const Evolution broken = Apply(quiet.version,
                                 ProfileNdjson(R"({"id":5,"acct":{"bic":"X"},"tags":["a"],)"
                                               R"("items":[{"qty":3}]})"
                                               "\n"),
                                 "raw/src/3", kT3);
  ASSERT_TRUE(broken.new_version);
  std::vector<std::string> removed = broken.version.field_diff.removed;
  std::sort(removed.begin(), removed.end());
  EXPECT_EQ(removed, (std::vector<std::string>{"acct.iban", "items[].sku"}));
  EXPECT_EQ(broken.version.field_diff.added, std::vector<std::string>{"acct.bic"});
  EXPECT_EQ(broken.version.status, VersionStatus::kBreaking);
  EXPECT_EQ(broken.version.compatibility, Compatibility::kBackward);
}

TEST(EvolveRealProfileTest, MixedValuesInOnePayload) {
  const SchemaVersion v1 =
      First(ProfileNdjson("{\"n\":1,\"flag\":true}\n{\"n\":2,\"flag\":false}\n"));
  // int and float in one payload are profiled float64: a widening of n.
  const Evolution widened =
      Apply(v1, ProfileNdjson("{\"n\":1.5,\"flag\":true}\n{\"n\":2,\"flag\":false}\n"));
  ASSERT_TRUE(widened.new_version);
  EXPECT_EQ(widened.version.compatibility, Compatibility::kBackward);
  EXPECT_EQ(widened.version.status, VersionStatus::kActive);
  // A boolean field that sees a string: the profiler types the mix string, a conflict.
  const Evolution conflict =
      Apply(v1, ProfileNdjson("{\"n\":1,\"flag\":\"yes\"}\n{\"n\":2,\"flag\":false}\n"));
  ASSERT_TRUE(conflict.new_version);
  ASSERT_EQ(conflict.version.field_diff.type_changed.count("flag"), 1u);
  EXPECT_EQ(conflict.version.field_diff.type_changed.at("flag").from, FieldType::kBoolean);
  EXPECT_EQ(conflict.version.compatibility, Compatibility::kNone);
  EXPECT_EQ(conflict.version.status, VersionStatus::kBreaking);
}

// `schema export --format jsonschema` describes raw records: a field typed string because its
// values mixed kinds must say so, or the records it was learned from fail the schema.
TEST(EvolveRealProfileTest, FieldsWhoseValuesMixKindsAreMarkedMixed) {
  // Within one payload: ints and strings, a conflict typed string.
  const SchemaVersion v1 = First(
      ProfileNdjson("{\"n\":1,\"code\":1,\"s\":\"a\"}\n{\"n\":2,\"code\":\"x\",\"s\":\"b\"}\n"));
  EXPECT_TRUE(Get(v1, "code").mixed);
  EXPECT_FALSE(Get(v1, "n").mixed);
  EXPECT_FALSE(Get(v1, "s").mixed);
  // Across payloads: an incompatible type change (n: int64 → string).
  const Evolution changed = Apply(v1, ProfileNdjson("{\"n\":\"three\",\"code\":1,\"s\":\"c\"}\n"));
  ASSERT_TRUE(changed.new_version);
  EXPECT_TRUE(Get(changed.version, "n").mixed);
  // A number fitting a string field silently (no version) still mixes its values; a date
  // or a null does not.
  const Evolution fits = Apply(v1, ProfileNdjson("{\"n\":3,\"code\":2,\"s\":\"2024-01-01\"}\n"
                                                 "{\"n\":4,\"code\":3,\"s\":null}\n"));
  ASSERT_FALSE(fits.new_version);
  EXPECT_FALSE(Get(fits.version, "s").mixed);
  const Evolution number = Apply(v1, ProfileNdjson("{\"n\":3,\"code\":2,\"s\":5}\n"));
  ASSERT_FALSE(number.new_version);
  EXPECT_TRUE(Get(number.version, "s").mixed);
  // Widenings are no mix: int64 → float64, date → timestamp.
  const Evolution widened = Apply(v1, ProfileNdjson("{\"n\":1.5,\"code\":1,\"s\":\"d\"}\n"));
  EXPECT_FALSE(Get(widened.version, "n").mixed);
}

// --- The JSON form keeps DESIGN.md §4's names ----------------------------------------------------

TEST(SchemaJsonTest, DiffUsesTheDesignNamesAndRoundTrips) {
  FieldDiff d;
  d.added = {"currency"};
  d.removed = {"city"};
  d.renamed["transaction_date"] = {"txn_date", 0.764};
  d.type_changed["id"] = {FieldType::kInt64, FieldType::kFloat64};
  d.rejected_renames = {{"city", "sku", 0.103}};
  const Json j = DiffToJson(d);
  EXPECT_EQ(j["renamed"]["transaction_date"]["to"], "txn_date");
  EXPECT_DOUBLE_EQ(j["renamed"]["transaction_date"]["confidence"].get<double>(), 0.764);
  EXPECT_EQ(j["type_changed"]["id"]["from"], "int64");
  EXPECT_EQ(j["type_changed"]["id"]["to"], "float64");
  EXPECT_EQ(j["added"][0], "currency");
  EXPECT_EQ(j["removed"][0], "city");
  auto back = DiffFromJson(j);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->added, d.added);
  EXPECT_EQ(back->removed, d.removed);
  EXPECT_EQ(back->renamed.at("transaction_date").to, "txn_date");
  EXPECT_EQ(back->type_changed.at("id").to, FieldType::kFloat64);
  ASSERT_EQ(back->rejected_renames.size(), 1u);
  EXPECT_DOUBLE_EQ(back->rejected_renames[0].confidence, 0.103);
}

TEST(SchemaJsonTest, FieldsRoundTripWithTheirStatistics) {
  const SchemaVersion v = First(Basic());
  auto back = FieldsFromJson(FieldsToJson(v.fields));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->size(), v.fields.size());
  for (size_t i = 0; i < v.fields.size(); ++i) {
    EXPECT_EQ((*back)[i].path, v.fields[i].path);
    EXPECT_EQ((*back)[i].type, v.fields[i].type);
    EXPECT_EQ((*back)[i].required, v.fields[i].required);
    EXPECT_EQ((*back)[i].stats.min, v.fields[i].stats.min) << v.fields[i].path;
    EXPECT_EQ((*back)[i].stats.examples, v.fields[i].stats.examples) << v.fields[i].path;
  }
  EXPECT_EQ(Fingerprint(*back), v.fingerprint);
  EXPECT_FALSE(FieldsFromJson(Json::object()).ok());
  EXPECT_FALSE(FieldsFromJson(Json::parse(R"([{"path":"a","type":"decimal"}])")).ok());
}

TEST(SchemaJsonTest, StoredFormKeepsTheSketchesThePublicFormLeavesThemOut) {
  SchemaVersion v = First(Payload(5000, {IdField(0, 5000), IdField(0, 5)}));
  v.fields[1].path = "status";
  v.fields.push_back(v.fields[1]);
  v.fields[2].path = "tags";
  v.fields[2].stats = {};  // no sketch
  const Json stored = FieldsToJson(v.fields, FieldsForm::kStored);
  // Dense: about 2 characters per 3 registers; sparse: 1 + 3 per value.
  EXPECT_EQ(stored[0]["distinct_sketch"].get<std::string>().size(), 686u);
  EXPECT_EQ(stored[1]["distinct_sketch"].get<std::string>().size(), 16u);
  EXPECT_FALSE(stored[2].contains("distinct_sketch"));
  auto back = FieldsFromJson(Json::parse(stored.dump()));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  for (size_t i = 0; i < v.fields.size(); ++i) {
    EXPECT_EQ((*back)[i].stats.sketch, v.fields[i].stats.sketch) << v.fields[i].path;
    EXPECT_EQ((*back)[i].stats.distinct_approx, v.fields[i].stats.distinct_approx);
    EXPECT_EQ((*back)[i].stats.distinct_payload_max, v.fields[i].stats.distinct_payload_max);
  }
  for (const Json& f : FieldsToJson(v.fields)) {
    EXPECT_FALSE(f.contains("distinct_sketch") || f.contains("distinct_payload_max")) << f.dump();
  }
}

TEST(SchemaJsonTest, TheMixedFlagIsStoredOnlyWhenSet) {
  SchemaVersion v = First(Basic());
  v.fields[1].mixed = true;
  const Json stored = FieldsToJson(v.fields, FieldsForm::kStored);
  EXPECT_EQ(stored[1]["mixed"], true);
  EXPECT_FALSE(stored[0].contains("mixed"));
  EXPECT_FALSE(FieldsToJson(v.fields)[1].contains("mixed"));
  auto back = FieldsFromJson(Json::parse(stored.dump()));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE((*back)[1].mixed);
  EXPECT_FALSE((*back)[0].mixed);
}

TEST(SchemaJsonTest, FieldsStoredBeforeSketchesReadTheirCountAsThePayloadMaximum) {
  auto back = FieldsFromJson(
      Json::parse(R"([{"path":"id","type":"int64","present":9000,"distinct_approx":1000}])"));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE((*back)[0].stats.sketch.empty());
  EXPECT_EQ((*back)[0].stats.distinct_approx, 1000u);
  EXPECT_EQ((*back)[0].stats.distinct_payload_max, 1000u);
}

TEST(SchemaJsonTest, ABadSketchIsACorruptRecord) {
  for (const char* sketch : {R"(5)", R"(null)", R"("x")", R"("s")", R"("sAB!")"}) {
    auto back = FieldsFromJson(Json::parse(
        fmt::format(R"([{{"path":"id","type":"int64","distinct_sketch":{}}}])", sketch)));
    ASSERT_FALSE(back.ok()) << sketch;
    EXPECT_EQ(KindOf(back.status()), ErrorKind::kUnavailable);
    EXPECT_NE(back.status().message().find("field id has a bad distinct_sketch"), std::string::npos)
        << back.status().ToString();
  }
}

// --- Fingerprint --------------------------------------------------------------------------------

FieldSchema F(std::string path, FieldType type, bool removed = false, bool required = true) {
  FieldSchema f;
  f.path = std::move(path);
  f.type = type;
  f.removed = removed;
  f.required = required;
  return f;
}

TEST(FingerprintTest, IndependentOfFieldOrder) {
  EXPECT_EQ(Fingerprint({F("a", FieldType::kInt64), F("b", FieldType::kString)}),
            Fingerprint({F("b", FieldType::kString), F("a", FieldType::kInt64)}));
}

TEST(FingerprintTest, DiffersWhenATypeOrPathDiffers) {
  const std::string base = Fingerprint({F("a", FieldType::kInt64), F("b", FieldType::kString)});
  EXPECT_NE(base, Fingerprint({F("a", FieldType::kFloat64), F("b", FieldType::kString)}));
  EXPECT_NE(base, Fingerprint({F("a", FieldType::kInt64), F("c", FieldType::kString)}));
  EXPECT_NE(base, Fingerprint({F("a", FieldType::kInt64)}));
  // Paths and types are not run together: "ab"+int64 is not "a"+"bint64".
  EXPECT_NE(Fingerprint({F("ab", FieldType::kInt64)}), Fingerprint({F("a", FieldType::kInt64)}));
}

TEST(FingerprintTest, IgnoresRemovedFieldsAndStatistics) {
  const std::string base = Fingerprint({F("a", FieldType::kInt64)});
  EXPECT_EQ(base, Fingerprint({F("a", FieldType::kInt64), F("gone", FieldType::kDate, true)}));
  FieldSchema with_stats = F("a", FieldType::kInt64, false, /*required=*/false);
  with_stats.stats.present = 99;
  with_stats.since_version = 7;
  EXPECT_EQ(base, Fingerprint({with_stats}));
  EXPECT_EQ(base.size(), 32u);
  EXPECT_EQ(base.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(base, Fingerprint({}));
}

// --- Statistics ----------------------------------------------------------------------------------

TEST(MergeStatsTest, CountsAddRangesWidenExamplesCapAtFive) {
  FieldStats a;
  a.present = 3;
  a.nulls = 1;
  a.min = int64_t{5};
  a.max = int64_t{10};
  a.distinct_approx = 2;
  a.examples = {int64_t{5}, int64_t{10}};
  FieldStats b;
  b.present = 4;
  b.min = 2.5;
  b.max = int64_t{8};
  b.distinct_approx = 4;
  b.examples = {int64_t{5}, int64_t{1}, int64_t{2}, int64_t{3}, int64_t{4}};
  MergeStats(&a, b);
  EXPECT_EQ(a.present, 7u);
  EXPECT_EQ(a.nulls, 1u);
  EXPECT_EQ(a.min, ScalarValue(2.5));
  EXPECT_EQ(a.max, ScalarValue(int64_t{10}));
  EXPECT_EQ(a.distinct_approx, 4u);
  EXPECT_EQ(a.examples, (std::vector<ScalarValue>{int64_t{5}, int64_t{10}, int64_t{1}, int64_t{2},
                                                  int64_t{3}}));
}

// Payloads' timestamp ranges merge by instant: the text "2024-01-15 11:00" sorts before
// "2024-01-15T10:00:00+02:00" (08:00 UTC), which is the earlier.
TEST(MergeStatsTest, TimestampRangesMergeByInstant) {
  FieldStats a;
  a.present = 2;
  a.min = std::string("2024-01-15 11:00");
  a.max = std::string("2024-01-15 12:00");
  FieldStats b;
  b.present = 2;
  b.min = std::string("2024-01-15T10:00:00+02:00");
  b.max = std::string("2024-01-15T08:00:00-05:00");  // 13:00 UTC
  MergeStats(&a, b);
  EXPECT_EQ(a.min, ScalarValue(std::string("2024-01-15T10:00:00+02:00")));
  EXPECT_EQ(a.max, ScalarValue(std::string("2024-01-15T08:00:00-05:00")));
  FieldStats text;
  text.present = 1;
  text.min = text.max = std::string("2024-01-15 11:00");
  FieldStats later_text;
  later_text.present = 1;
  later_text.min = later_text.max = std::string("n/a");  // free text: by bytes
  MergeStats(&text, later_text);
  EXPECT_EQ(text.min, ScalarValue(std::string("2024-01-15 11:00")));
  EXPECT_EQ(text.max, ScalarValue(std::string("n/a")));
}

// The issue this fixes: 100 payloads of 1,000 unique ids each showed ~1,000 distinct.
TEST(MergeStatsTest, DistinctCountOfDisjointPayloadsIsTheirUnion) {
  FieldStats all = StatsOf(IdField(0, 1000));
  MergeStats(&all, StatsOf(IdField(1000, 1000)));
  EXPECT_NEAR(static_cast<double>(all.distinct_approx), 2000, Tolerance(2000));
  for (uint64_t p = 2; p < 100; ++p) MergeStats(&all, StatsOf(IdField(p * 1000, 1000)));
  // A union of sketches is exactly the sketch of all the values.
  EXPECT_EQ(all.sketch, Sketch(0, 100000));
  EXPECT_EQ(all.distinct_approx, Sketch(0, 100000).Estimate());
  EXPECT_NEAR(static_cast<double>(all.distinct_approx), 100000, Tolerance(100000));
  // The largest payload estimate, kept for promotion's encoding choice, stays per payload.
  EXPECT_NEAR(static_cast<double>(all.distinct_payload_max), 1000, Tolerance(1000));
}

TEST(MergeStatsTest, OverlappingPayloadsAreNotCountedTwice) {
  FieldStats same = StatsOf(IdField(0, 3000));
  MergeStats(&same, StatsOf(IdField(0, 3000)));
  EXPECT_EQ(same.distinct_approx, Sketch(0, 3000).Estimate());
  FieldStats half = StatsOf(IdField(0, 3000));
  MergeStats(&half, StatsOf(IdField(1500, 3000)));
  EXPECT_EQ(half.distinct_approx, Sketch(0, 4500).Estimate());
  EXPECT_NEAR(static_cast<double>(half.distinct_approx), 4500, Tolerance(4500));
}

// A registry written before sketches were kept: its fields have a count (the largest
// payload estimate) and no sketch. The count must not drop; the union takes over once the
// payloads since are more.
TEST(MergeStatsTest, FieldStoredWithoutASketchKeepsItsCount) {
  FieldStats legacy;
  legacy.present = 50000;
  legacy.distinct_approx = 5000;
  legacy.distinct_payload_max = 5000;
  MergeStats(&legacy, StatsOf(IdField(0, 100)));
  EXPECT_EQ(legacy.distinct_approx, 5000u);
  EXPECT_EQ(legacy.distinct_payload_max, 5000u);
  EXPECT_FALSE(legacy.sketch.empty());
  for (uint64_t p = 1; p <= 10; ++p) MergeStats(&legacy, StatsOf(IdField(p * 1000, 1000)));
  EXPECT_EQ(legacy.distinct_approx, legacy.sketch.Estimate());
  EXPECT_NEAR(static_cast<double>(legacy.distinct_approx), 10100, Tolerance(10100));
  // And the other way round: a payload without a sketch counts as its estimate.
  FieldStats sketched = StatsOf(IdField(0, 100));
  FieldStats bare;
  bare.present = 900;
  bare.distinct_approx = 900;
  MergeStats(&sketched, bare);
  EXPECT_EQ(sketched.distinct_approx, 900u);
}

TEST(EvolveTest, DistinctCountIsTheUnionAcrossPayloadsAndIntoANewVersion) {
  SchemaVersion v = First(Payload(1000, {IdField(0, 1000)}));
  v = Apply(v, Payload(1000, {IdField(1000, 1000)}), "raw/src/2", kT2).version;
  EXPECT_NEAR(static_cast<double>(v.Find("id")->stats.distinct_approx), 2000, Tolerance(2000));
  // An added field makes a new version, which carries the union on.
  const Evolution ev =
      Apply(v, Payload(1000, {IdField(2000, 1000), Field("memo", FieldType::kString, 1000)}),
            "raw/src/3", kT3);
  ASSERT_TRUE(ev.new_version);
  EXPECT_EQ(ev.version.Find("id")->stats.sketch, Sketch(0, 3000));
  EXPECT_NEAR(static_cast<double>(ev.version.Find("id")->stats.distinct_approx), 3000,
              Tolerance(3000));
}

TEST(MergeStatsTest, OnlyNullsSoFarTakesTheOtherRange) {
  FieldStats a;
  a.present = 2;
  a.nulls = 2;
  FieldStats b;
  b.present = 1;
  b.min = "x";
  b.max = "y";
  MergeStats(&a, b);
  EXPECT_EQ(a.min, ScalarValue("x"));
  EXPECT_EQ(a.max, ScalarValue("y"));
  // And a payload of only nulls leaves a range alone.
  FieldStats nulls;
  nulls.present = 5;
  nulls.nulls = 5;
  MergeStats(&a, nulls);
  EXPECT_EQ(a.min, ScalarValue("x"));
  EXPECT_EQ(a.present, 8u);
}

TEST(MergeStatsTest, IncomparableRangesAreKept) {
  FieldStats a;
  a.present = 1;
  a.min = "m";
  a.max = "m";
  FieldStats b;
  b.present = 1;
  b.min = int64_t{1};
  b.max = int64_t{2};
  MergeStats(&a, b);  // a string field that saw numbers: nothing to compare
  EXPECT_EQ(a.min, ScalarValue("m"));
  EXPECT_EQ(a.max, ScalarValue("m"));
}

// Audit 2026-11-24: a field whose values became text kept its numeric range for good.
TEST(MergeStatsTest, TextAfterNumbersTakesTheRange) {
  FieldStats a;
  a.present = 1;
  a.min = int64_t{7};
  a.max = int64_t{7};
  FieldStats b;
  b.present = 2;
  b.min = "x";
  b.max = "zzz";
  MergeStats(&a, b);
  EXPECT_EQ(a.min, ScalarValue("x"));
  EXPECT_EQ(a.max, ScalarValue("zzz"));
}

// Audit 2026-11-24: integers were compared as doubles, so 2^53 + 1 did not pass 2^53.
TEST(MergeStatsTest, IntegersPast2To53CompareExactly) {
  FieldStats a;
  a.present = 1;
  a.min = a.max = int64_t{9007199254740992};
  FieldStats b;
  b.present = 1;
  b.min = b.max = int64_t{9007199254740993};
  MergeStats(&a, b);
  EXPECT_EQ(a.min, ScalarValue(int64_t{9007199254740992}));
  EXPECT_EQ(a.max, ScalarValue(int64_t{9007199254740993}));
}

// --- Names and the compatibility order --------------------------------------------------------

TEST(SchemaTest, StatusAndCompatibilityNamesRoundTrip) {
  for (VersionStatus s :
       {VersionStatus::kActive, VersionStatus::kDeprecated, VersionStatus::kBreaking}) {
    EXPECT_EQ(ParseStatus(StatusName(s)), s);
  }
  EXPECT_EQ(ParseStatus("breaking"), VersionStatus::kBreaking);
  EXPECT_EQ(ParseStatus("Active"), VersionStatus::kActive);
  EXPECT_EQ(ParseStatus("ACTIVEX"), std::nullopt);
  EXPECT_EQ(ParseStatus(""), std::nullopt);
  for (Compatibility c : {Compatibility::kFull, Compatibility::kBackward, Compatibility::kForward,
                          Compatibility::kNone}) {
    EXPECT_EQ(ParseCompatibility(CompatibilityName(c)), c);
  }
  EXPECT_EQ(ParseCompatibility("backward"), Compatibility::kBackward);
  EXPECT_EQ(ParseCompatibility("partial"), std::nullopt);
}

TEST(SchemaTest, WeakestCompatibility) {
  using C = Compatibility;
  EXPECT_EQ(Weakest(C::kFull, C::kFull), C::kFull);
  EXPECT_EQ(Weakest(C::kFull, C::kBackward), C::kBackward);
  EXPECT_EQ(Weakest(C::kBackward, C::kFull), C::kBackward);
  EXPECT_EQ(Weakest(C::kForward, C::kFull), C::kForward);
  EXPECT_EQ(Weakest(C::kBackward, C::kBackward), C::kBackward);
  EXPECT_EQ(Weakest(C::kBackward, C::kForward), C::kNone);
  EXPECT_EQ(Weakest(C::kForward, C::kBackward), C::kNone);
  EXPECT_EQ(Weakest(C::kNone, C::kFull), C::kNone);
  EXPECT_EQ(Weakest(C::kFull, C::kNone), C::kNone);
}

// What a confirmed rename mapping may join (SetStatus): the changes Evolve accepts for one
// field, never an incompatible one.
TEST(EvolveTest, TypeContinuesAsAPayloadWould) {
  using T = FieldType;
  EXPECT_TRUE(TypeContinues(T::kDate, T::kDate));
  EXPECT_TRUE(TypeContinues(T::kFloat64, T::kInt64));
  EXPECT_TRUE(TypeContinues(T::kInt64, T::kFloat64));  // widens the column, BACKWARD
  EXPECT_TRUE(TypeContinues(T::kTimestamp, T::kDate));
  EXPECT_TRUE(TypeContinues(T::kDate, T::kString));
  EXPECT_TRUE(TypeContinues(T::kString, T::kInt64));  // a string column holds any value
  EXPECT_TRUE(TypeContinues(T::kNull, T::kBoolean));
  EXPECT_TRUE(TypeContinues(T::kInt64, T::kNull));
  EXPECT_FALSE(TypeContinues(T::kInt64, T::kDate));
  EXPECT_FALSE(TypeContinues(T::kDate, T::kFloat64));
  EXPECT_FALSE(TypeContinues(T::kBoolean, T::kInt64));
  EXPECT_FALSE(TypeContinues(T::kObject, T::kString));
}

}  // namespace
}  // namespace latebind::registry
