// Rename detection (rename.h): name and value similarity, the blended confidence, pairing,
// and Evolve's verdicts on payloads profiled by the real profiler — so the scores are tested
// on the statistics the registry actually receives, not on hand-picked ones.
#include "latebind/registry/rename.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <functional>

#include "latebind/common/byte_source.h"
#include "latebind/profiler/profiler.h"
#include "latebind/registry/evolve.h"

namespace latebind::registry {
namespace {

using profiler::PayloadProfile;
using profiler::ScalarValue;

// A profile of NDJSON text, by the real profiler (one thread: the answer is the same with
// more, but one keeps the test cheap).
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

// `n` lines, line i from `line(i)`.
std::string Lines(int n, const std::function<std::string(int)>& line) {
  std::string out;
  for (int i = 0; i < n; ++i) out += line(i) + "\n";
  return out;
}

// 2024-01-01 plus `days` (days < 366), as the seed writes transaction_date.
std::string Day(int days) {
  static const int kMonthDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int month = 0;
  while (days >= kMonthDays[month]) days -= kMonthDays[month++];
  return fmt::format("2024-{:02d}-{:02d}", month + 1, days + 1);
}

const std::vector<std::string> kCities = {"Paris",  "Berlin", "Madrid", "Lisbon", "Vienna",
                                          "Prague", "Warsaw", "Dublin", "Oslo",   "Rome"};
const std::vector<std::string> kCurrencies = {"EUR", "EUR", "EUR", "USD", "GBP"};

// A bank transaction of the seed's shape; `date_key` names its date field and `extra` is
// appended inside the object (",\"k\":v" or "").
std::string Txn(int i, const std::string& date_key, int first_day, const std::string& extra) {
  return fmt::format(
      R"({{"transaction_id":"T{:06d}","amount":{}.{:02d},"currency":"{}","{}":"{}"{}}})", i,
      (i * 37) % 900 - 300, (i * 13) % 100, kCurrencies[i % kCurrencies.size()], date_key,
      Day(first_day + (i * 7) % 28), extra);
}

std::optional<SchemaVersion> FirstVersion(const PayloadProfile& profile) {
  Evolution ev = Evolve(std::nullopt, "bank", profile, "raw/bank/1.ndjson", "2024-03-01T00:00:00Z",
                        RenameOptions{});
  EXPECT_TRUE(ev.new_version);
  return ev.version;
}

Evolution Next(const std::optional<SchemaVersion>& current, const PayloadProfile& profile) {
  return Evolve(current, "bank", profile, "raw/bank/2.ndjson", "2024-03-02T00:00:00Z",
                RenameOptions{});
}

// A hand-made field for the scoring functions.
FieldSchema Field(std::string path, FieldType type, std::vector<ScalarValue> examples,
                  ScalarValue min, ScalarValue max, uint64_t present, uint64_t distinct) {
  FieldSchema f;
  f.path = std::move(path);
  f.type = type;
  f.required = true;
  f.stats.present = present;
  f.stats.examples = std::move(examples);
  f.stats.min = std::move(min);
  f.stats.max = std::move(max);
  f.stats.distinct_approx = distinct;
  return f;
}

FieldSchema DateField(std::string path, int first_day, int last_day) {
  return Field(std::move(path), FieldType::kDate,
               {Day(first_day), Day((first_day + last_day) / 2), Day(last_day)}, Day(first_day),
               Day(last_day), 100, static_cast<uint64_t>(last_day - first_day + 1));
}

// --- Name similarity ----------------------------------------------------------------------

TEST(NameSimilarityTest, AbbreviationScoresHigh) {
  const double s = NameSimilarity("transaction_date", "txn_date");
  EXPECT_GE(s, 0.8);  // 0.9: `txn` abbreviates `transaction`, `date` is equal
  EXPECT_DOUBLE_EQ(s, NameSimilarity("txn_date", "transaction_date"));  // symmetric
}

TEST(NameSimilarityTest, ConventionalAbbreviations) {
  for (const auto& [a, b] :
       std::vector<std::pair<std::string, std::string>>{{"trx_id", "transaction_id"},
                                                        {"xfer_amount", "transfer_amount"},
                                                        {"amt", "amount"},
                                                        {"cust_name", "customer_name"},
                                                        {"booking_dt", "booking_date"}}) {
    const double s = NameSimilarity(a, b);
    EXPECT_GE(s, 0.8) << a << " vs " << b << ": " << s;
  }
  // `x` spells out "trans" only as a prefix: these stay unrelated.
  EXPECT_LT(NameSimilarity("tax", "transaction"), 0.5);
  EXPECT_LT(NameSimilarity("xml", "transmission"), 0.5);
  EXPECT_LT(NameSimilarity("tax_rate", "transaction_rate"), 0.65);
}

TEST(NameSimilarityTest, CaseStylesAreTheSameName) {
  EXPECT_NEAR(NameSimilarity("customerId", "customer_id"), 1.0, 1e-9);
  EXPECT_NEAR(NameSimilarity("customer-id", "CustomerID"), 1.0, 0.15);
  EXPECT_NEAR(NameSimilarity("amount", "amount"), 1.0, 1e-9);
}

TEST(NameSimilarityTest, UnrelatedNamesScoreLow) {
  for (const auto& [a, b] :
       std::vector<std::pair<std::string, std::string>>{{"city", "sku"},
                                                        {"price", "customer_email"},
                                                        {"transaction_date", "city"},
                                                        {"amount", "currency"}}) {
    const double s = NameSimilarity(a, b);
    EXPECT_LT(s, 0.4) << a << " vs " << b << ": " << s;
  }
}

TEST(NameSimilarityTest, DifferentParentsScoreLower) {
  const double same = NameSimilarity("account.iban", "account.iban_code");
  const double moved = NameSimilarity("account.iban", "counterparty.iban_code");
  EXPECT_GT(same, moved);
  EXPECT_GT(moved, 0.0);
  // Only the leaf is compared for the name itself: a[] and a[].b have leaves a and b.
  EXPECT_NEAR(NameSimilarity("tags[]", "tags[]"), 1.0, 1e-9);
}

TEST(NameSimilarityTest, EmptyOrSymbolOnlyNamesScoreZero) {
  EXPECT_EQ(NameSimilarity("", "amount"), 0.0);
  EXPECT_EQ(NameSimilarity("__", "amount"), 0.0);
}

// --- Value similarity and confidence -------------------------------------------------------

TEST(ValueSimilarityTest, NearDateRangesLookAlike) {
  const FieldSchema jan = DateField("transaction_date", 0, 30);
  const FieldSchema feb = DateField("txn_date", 31, 58);
  const FieldSchema far = DateField("txn_date", 300, 330);
  const double near_score = ValueSimilarity(jan, feb);
  const double far_score = ValueSimilarity(jan, far);
  EXPECT_GE(near_score, 0.6);  // 0.665; 0.550 for November
  EXPECT_GT(near_score, far_score);
}

TEST(ValueSimilarityTest, SharedExamplesAreStrongEvidence) {
  const FieldSchema a = Field("a", FieldType::kString, {"x1", "x2", "x3"}, "x1", "x3", 10, 3);
  const FieldSchema b = Field("b", FieldType::kString, {"x1", "x2", "x3"}, "x1", "x3", 10, 3);
  EXPECT_GE(ValueSimilarity(a, b), 0.99);
}

TEST(ValueSimilarityTest, UnrelatedStringsLookDifferent) {
  const FieldSchema city =
      Field("city", FieldType::kString, {"Paris", "Berlin", "Oslo"}, "Berlin", "Paris", 100, 10);
  const FieldSchema sku = Field("sku", FieldType::kString, {"SKU-00123", "SKU-00456", "SKU-00789"},
                                "SKU-00001", "SKU-00999", 100, 100);
  const double s = ValueSimilarity(city, sku);
  EXPECT_LT(s, 0.5) << s;  // 0.095
}

TEST(RenameCompatibleTest, Matrix) {
  EXPECT_TRUE(RenameCompatible(FieldType::kInt64, FieldType::kInt64));
  EXPECT_TRUE(RenameCompatible(FieldType::kInt64, FieldType::kFloat64));
  EXPECT_TRUE(RenameCompatible(FieldType::kFloat64, FieldType::kInt64));
  EXPECT_TRUE(RenameCompatible(FieldType::kDate, FieldType::kTimestamp));
  EXPECT_TRUE(RenameCompatible(FieldType::kDate, FieldType::kString));
  EXPECT_TRUE(RenameCompatible(FieldType::kObject, FieldType::kObject));
  EXPECT_FALSE(RenameCompatible(FieldType::kFloat64, FieldType::kString));
  EXPECT_FALSE(RenameCompatible(FieldType::kBoolean, FieldType::kInt64));
  EXPECT_FALSE(RenameCompatible(FieldType::kObject, FieldType::kString));
  EXPECT_FALSE(RenameCompatible(FieldType::kArray, FieldType::kObject));
}

TEST(RenameConfidenceTest, IncompatibleTypesScoreZero) {
  const FieldSchema price =
      Field("price", FieldType::kFloat64, {9.99, 19.5, 4.25}, 1.0, 99.0, 100, 80);
  const FieldSchema email = Field("price_email", FieldType::kString, {"a@example.com"},
                                  "a@example.com", "z@example.com", 100, 100);
  EXPECT_EQ(RenameConfidence(price, email), 0.0);
}

TEST(RenameConfidenceTest, NeedsBothNameAndValues) {
  const FieldSchema jan = DateField("transaction_date", 0, 30);
  // A perfect name with unrelated values, and perfect values under an unrelated name.
  const FieldSchema same_name_other_values = Field(
      "transaction_date", FieldType::kString, {"pending", "booked"}, "booked", "pending", 100, 2);
  const FieldSchema other_name_same_values = DateField("weather", 0, 30);
  const double a = RenameConfidence(jan, same_name_other_values);
  const double b = RenameConfidence(jan, other_name_same_values);
  EXPECT_LT(a, RenameOptions{}.threshold);  // 0.567
  EXPECT_LT(b, RenameOptions{}.threshold);  // 0.551
  EXPECT_GE(RenameConfidence(jan, DateField("txn_date", 31, 58)), RenameOptions{}.threshold);
}

TEST(RenameConfidenceTest, RoundedToThousandthsAndBounded) {
  const FieldSchema jan = DateField("transaction_date", 0, 30);
  const double c = RenameConfidence(jan, DateField("txn_date", 31, 58));
  EXPECT_DOUBLE_EQ(c, std::round(c * 1000) / 1000);
  EXPECT_LE(c, 1.0);
  EXPECT_DOUBLE_EQ(RenameConfidence(jan, jan), 1.0);
}

// Registry audit 2026-11-24: created_at → updated_at and start_date → end_date, with
// overlapping values, scored 0.75 and were called renames, and the alert suggested mapping
// one into the other's column. Names that differ by the two ends of a pair are two fields
// (ADR-115); a name that only shares a token with its replacement is not affected.
TEST(PairRenamesTest, OppositeNamesAreNotARename) {
  // Code review 2026-11-24: halving their name score still let alike values carry longer
  // names past the threshold; pairing refuses them whatever they score.
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"created_at", "updated_at"},
           {"start_date", "end_date"},
           {"order_start_date_utc", "order_end_date_utc"},
           {"check_in_date", "check_out_date"},
           {"min_order_date", "max_order_date"}}) {
    const FieldSchema a = DateField(from, 0, 30), b = DateField(to, 0, 30);
    EXPECT_TRUE(OppositeNames(from, to)) << from;
    const RenamePairing p = PairRenames({&a}, {&b}, RenameOptions{});
    EXPECT_TRUE(p.renames.empty()) << from << " → " << to;
    ASSERT_EQ(p.rejected.size(), 1u) << from;
    EXPECT_DOUBLE_EQ(p.rejected[0].confidence, RenameConfidence(a, b));
  }
  // A name holding both ends, or only sharing a token, is not opposite.
  EXPECT_FALSE(OppositeNames("start_date", "start_dt"));
  EXPECT_FALSE(OppositeNames("in_out_flag", "out_flag"));
  const FieldSchema start = DateField("start_date", 0, 30), dt = DateField("start_dt", 31, 58);
  EXPECT_EQ(PairRenames({&start}, {&dt}, RenameOptions{}).renames.size(), 1u);
}

// --- Pairing --------------------------------------------------------------------------------

TEST(PairRenamesTest, BestFirstEachFieldAtMostOnce) {
  const FieldSchema transaction_date = DateField("transaction_date", 0, 30);
  const FieldSchema booking_date = DateField("booking_date", 0, 30);
  const FieldSchema txn_date = DateField("txn_date", 31, 58);
  const FieldSchema booked_on = DateField("booking_dt", 31, 58);
  const RenamePairing p =
      PairRenames({&transaction_date, &booking_date}, {&txn_date, &booked_on}, RenameOptions{});
  ASSERT_EQ(p.renames.size(), 2u);
  std::map<std::string, std::string> pairs;
  for (const auto& r : p.renames) {
    EXPECT_TRUE(pairs.emplace(r.from, r.to).second);
  }
  EXPECT_EQ(pairs["transaction_date"], "txn_date");
  EXPECT_EQ(pairs["booking_date"], "booking_dt");
  EXPECT_GE(p.renames[0].confidence, p.renames[1].confidence);  // best first
  EXPECT_TRUE(p.rejected.empty());
}

TEST(PairRenamesTest, OneAddedFieldTakenOnceTheOtherRemovedIsRejected) {
  const FieldSchema transaction_date = DateField("transaction_date", 0, 30);
  const FieldSchema trans_date = DateField("trans_date", 0, 30);
  const FieldSchema txn_date = DateField("txn_date", 31, 58);
  const RenamePairing p =
      PairRenames({&transaction_date, &trans_date}, {&txn_date}, RenameOptions{});
  ASSERT_EQ(p.renames.size(), 1u);
  EXPECT_EQ(p.renames[0].to, "txn_date");
  // The loser is not reported as rejected: its only candidate was taken by a better pair.
  for (const auto& r : p.rejected) EXPECT_NE(r.from, p.renames[0].from);
}

TEST(PairRenamesTest, TiesAreBrokenByInputOrder) {
  // Two removed fields that score exactly alike against the one added field.
  const FieldSchema a = DateField("a.day", 0, 30);
  const FieldSchema b = DateField("b.day", 0, 30);
  const FieldSchema to = DateField("c.day", 0, 30);
  ASSERT_EQ(RenameConfidence(a, to), RenameConfidence(b, to));
  for (int run = 0; run < 3; ++run) {
    const RenamePairing p = PairRenames({&a, &b}, {&to}, RenameOptions{});
    ASSERT_EQ(p.renames.size(), 1u);
    EXPECT_EQ(p.renames[0].from, "a.day");
    // The other one's only candidate went to the first: not a rejection.
    EXPECT_TRUE(p.rejected.empty());
  }
  const RenamePairing reversed = PairRenames({&b, &a}, {&to}, RenameOptions{});
  ASSERT_EQ(reversed.renames.size(), 1u);
  EXPECT_EQ(reversed.renames[0].from, "b.day");
  // And for two added fields alike to one removed: the first added.
  const FieldSchema to2 = DateField("d.day", 0, 30);
  const RenamePairing p = PairRenames({&a}, {&to, &to2}, RenameOptions{});
  ASSERT_EQ(p.renames.size(), 1u);
  EXPECT_EQ(p.renames[0].to, "c.day");
}

TEST(PairRenamesTest, BelowThresholdIsRejectedWithItsScore) {
  const FieldSchema jan = DateField("transaction_date", 0, 30);
  const FieldSchema txn = DateField("txn_date", 31, 58);
  RenameOptions strict;
  strict.threshold = 0.999;
  const RenamePairing p = PairRenames({&jan}, {&txn}, strict);
  EXPECT_TRUE(p.renames.empty());
  ASSERT_EQ(p.rejected.size(), 1u);
  EXPECT_EQ(p.rejected[0].from, "transaction_date");
  EXPECT_EQ(p.rejected[0].to, "txn_date");
  EXPECT_DOUBLE_EQ(p.rejected[0].confidence, RenameConfidence(jan, txn));
}

TEST(PairRenamesTest, NothingToPair) {
  const FieldSchema jan = DateField("transaction_date", 0, 30);
  EXPECT_TRUE(PairRenames({}, {&jan}, RenameOptions{}).renames.empty());
  EXPECT_TRUE(PairRenames({&jan}, {}, RenameOptions{}).rejected.empty());
}

// Registry audit 2026-11-24: 5,000 removed and 5,000 added fields took 25 s and 1 GB to
// pair, inside the registry's write lock. Past max_pairs nothing is scored (ADR-109).
TEST(PairRenamesTest, TooManyPairsAreNotScored) {
  const FieldSchema jan = DateField("transaction_date", 0, 30);
  const FieldSchema txn = DateField("txn_date", 31, 58);
  const std::vector<const FieldSchema*> removed(600, &jan), added(600, &txn);
  const RenamePairing p = PairRenames(removed, added, RenameOptions{});
  EXPECT_TRUE(p.renames.empty() && p.rejected.empty());
  RenameOptions few;
  few.max_pairs = 1;
  EXPECT_TRUE(PairRenames({&jan}, {&txn, &txn}, few).renames.empty());
  ASSERT_EQ(PairRenames({&jan}, {&txn}, few).renames.size(), 1u);  // at the limit: scored
}

// --- Evolve on profiles of real payloads ----------------------------------------------------

// Registry audit 2026-11-24: a renamed object's members were listed added (usr_info.email)
// though they moved with it, and a removed object's members were not listed at all, so
// the alert, `schema history` and `schema diff` counted differently (ADR-113).
TEST(RenameEvolveTest, ARenamedObjectsMembersMoveWithIt) {
  // The renamed object keeps email, loses age and gains phone (code review 2026-11-24:
  // those two were listed nowhere).
  auto rows = [](const char* key, const char* other, int first) {
    return Lines(60, [=](int i) {
      return fmt::format(R"({{"id":{},"{}":{{"email":"u{}@example.com","{}":{}}}}})", first + i,
                         key, i, other, i);
    });
  };
  const auto v1 = FirstVersion(ProfileNdjson(rows("user_info", "age", 0)));
  const Evolution ev = Next(v1, ProfileNdjson(rows("usr_info", "phone", 1000)));
  ASSERT_TRUE(ev.new_version);
  const FieldDiff& d = ev.version.field_diff;
  ASSERT_EQ(d.renamed.count("user_info"), 1u) << "not paired";
  EXPECT_EQ(d.renamed.at("user_info").to, "usr_info");
  EXPECT_EQ(d.added, std::vector<std::string>{"usr_info.phone"});
  EXPECT_EQ(d.removed, std::vector<std::string>{"user_info.age"});
  EXPECT_TRUE(ev.version.Find("user_info.email")->removed);
}

TEST(RenameEvolveTest, TransactionDateRenamedToTxnDate) {
  const auto v1 = FirstVersion(
      ProfileNdjson(Lines(60, [](int i) { return Txn(i, "transaction_date", 0, ""); })));
  const Evolution ev =
      Next(v1, ProfileNdjson(Lines(60, [](int i) { return Txn(1000 + i, "txn_date", 31, ""); })));
  ASSERT_TRUE(ev.new_version);
  const FieldDiff& d = ev.version.field_diff;
  ASSERT_EQ(d.renamed.count("transaction_date"), 1u) << "not paired";
  const Rename& r = d.renamed.at("transaction_date");
  EXPECT_EQ(r.to, "txn_date");
  // 0.764 (name 0.9, values 0.63); 0.564 before `txn` was known to abbreviate `transaction`.
  EXPECT_GE(r.confidence, RenameOptions{}.threshold);
  EXPECT_TRUE(d.added.empty());
  EXPECT_TRUE(d.removed.empty());
  EXPECT_TRUE(d.rejected_renames.empty());
  EXPECT_EQ(ev.version.status, VersionStatus::kBreaking);
  EXPECT_EQ(ev.version.compatibility, Compatibility::kBackward);
  // Union by default: the old field stays, marked removed; the new one is live.
  ASSERT_NE(ev.version.Find("transaction_date"), nullptr);
  EXPECT_TRUE(ev.version.Find("transaction_date")->removed);
  ASSERT_NE(ev.version.Find("txn_date"), nullptr);
  EXPECT_FALSE(ev.version.Find("txn_date")->removed);
  EXPECT_EQ(ev.version.Find("txn_date")->since_version, 2);
}

TEST(RenameEvolveTest, FloatPriceAndStringEmailAreNotARename) {
  const auto v1 = FirstVersion(ProfileNdjson(Lines(60, [](int i) {
    return Txn(i, "transaction_date", 0, fmt::format(",\"price\":{}.{:02d}", 5 + i % 40, i % 97));
  })));
  const Evolution ev = Next(v1, ProfileNdjson(Lines(60, [](int i) {
                              return Txn(i, "transaction_date", 0,
                                         fmt::format(",\"customer_email\":\"c{}@example.com\"", i));
                            })));
  ASSERT_TRUE(ev.new_version);
  const FieldDiff& d = ev.version.field_diff;
  EXPECT_TRUE(d.renamed.empty());
  EXPECT_EQ(d.removed, std::vector<std::string>{"price"});
  EXPECT_EQ(d.added, std::vector<std::string>{"customer_email"});
  // Incompatible types are never even candidates.
  EXPECT_TRUE(d.rejected_renames.empty());
  EXPECT_EQ(ev.version.status, VersionStatus::kBreaking);
  EXPECT_EQ(ev.version.compatibility, Compatibility::kBackward);
}

TEST(RenameEvolveTest, UnrelatedStringsAreRemovedAndAddedWithTheCandidateRejected) {
  const auto v1 = FirstVersion(ProfileNdjson(Lines(80, [](int i) {
    return Txn(i, "transaction_date", 0,
               fmt::format(",\"city\":\"{}\"", kCities[(i * 3) % kCities.size()]));
  })));
  const Evolution ev = Next(v1, ProfileNdjson(Lines(80, [](int i) {
                              return Txn(i, "transaction_date", 0,
                                         fmt::format(",\"sku\":\"SKU-{:05d}\"", (i * 37) % 1000));
                            })));
  ASSERT_TRUE(ev.new_version);
  const FieldDiff& d = ev.version.field_diff;
  EXPECT_TRUE(d.renamed.empty());
  EXPECT_EQ(d.removed, std::vector<std::string>{"city"});
  EXPECT_EQ(d.added, std::vector<std::string>{"sku"});
  ASSERT_EQ(d.rejected_renames.size(), 1u);
  EXPECT_EQ(d.rejected_renames[0].from, "city");
  EXPECT_EQ(d.rejected_renames[0].to, "sku");
  EXPECT_GT(d.rejected_renames[0].confidence, 0.0);
  EXPECT_LT(d.rejected_renames[0].confidence, RenameOptions{}.threshold);  // 0.103
  EXPECT_EQ(ev.version.status, VersionStatus::kBreaking);
}

TEST(RenameEvolveTest, SeveralRenamesAtOncePairBestFirst) {
  const auto v1 = FirstVersion(ProfileNdjson(Lines(60, [](int i) {
    return Txn(i, "transaction_date", 0,
               fmt::format(",\"customerId\":\"C{:05d}\",\"city\":\"{}\"", i % 20,
                           kCities[i % kCities.size()]));
  })));
  const Evolution ev = Next(v1, ProfileNdjson(Lines(60, [](int i) {
                              return Txn(i, "txn_date", 31,
                                         fmt::format(",\"customer_id\":\"C{:05d}\",\"sku\":\"SKU-{:"
                                                     "05d}\"",
                                                     i % 20, i));
                            })));
  ASSERT_TRUE(ev.new_version);
  const FieldDiff& d = ev.version.field_diff;
  ASSERT_EQ(d.renamed.size(), 2u);
  EXPECT_EQ(d.renamed.at("transaction_date").to, "txn_date");
  EXPECT_EQ(d.renamed.at("customerId").to, "customer_id");
  EXPECT_EQ(d.removed, std::vector<std::string>{"city"});
  EXPECT_EQ(d.added, std::vector<std::string>{"sku"});
}

// Audit 2026-11-24: fields of few distinct values share their examples by chance (two
// booleans share {true, false}), and shared examples lifted the value similarity to 1.0, so a
// name similarity of 0.5 (`is_active` / `is_deleted`) made a rename of 0.75. Their likeness
// counts by the size of their domain now: such pairs are removed + added.
Evolution LowCardinalityPair(const std::string& old_key, const std::string& new_key,
                             const std::function<std::string(int)>& value) {
  const auto v1 = FirstVersion(ProfileNdjson(Lines(
      40, [&](int i) { return fmt::format(R"({{"id":{},"{}":{}}})", i, old_key, value(i)); })));
  return Next(v1, ProfileNdjson(Lines(40, [&](int i) {
                return fmt::format(R"({{"id":{},"{}":{}}})", 100 + i, new_key, value(i + 1));
              })));
}

void ExpectNotARename(const Evolution& ev, const std::string& from, const std::string& to) {
  ASSERT_TRUE(ev.new_version);
  const FieldDiff& d = ev.version.field_diff;
  EXPECT_TRUE(d.renamed.empty()) << from << " taken for a rename of " << to;
  EXPECT_EQ(d.removed, std::vector<std::string>{from});
  EXPECT_EQ(d.added, std::vector<std::string>{to});
  ASSERT_EQ(d.rejected_renames.size(), 1u);
  EXPECT_LT(d.rejected_renames[0].confidence, RenameOptions{}.threshold);
}

TEST(RenameEvolveTest, BooleansSharingTrueAndFalseAreNotARename) {
  // The audit's two records a side.
  const auto v1 = FirstVersion(
      ProfileNdjson("{\"id\":1,\"is_active\":true}\n{\"id\":2,\"is_active\":false}\n"));
  const Evolution ev =
      Next(v1, ProfileNdjson("{\"id\":3,\"is_deleted\":false}\n{\"id\":4,\"is_deleted\":true}\n"));
  ExpectNotARename(ev, "is_active", "is_deleted");  // 0.588; 0.75 before
  ExpectNotARename(
      LowCardinalityPair("is_active", "is_deleted", [](int i) { return i % 3 ? "true" : "false"; }),
      "is_active", "is_deleted");
}

TEST(RenameEvolveTest, FieldsOfAFewCountryCodesAreNotARename) {
  const std::vector<std::string> codes = {"US", "DE", "FR", "GB"};
  ExpectNotARename(LowCardinalityPair("billing_country", "shipping_country",
                                      [&](int i) { return "\"" + codes[i % codes.size()] + "\""; }),
                   "billing_country", "shipping_country");  // 0.62; 0.79 before
}

TEST(RenameEvolveTest, ConstantsAreNotARename) {
  ExpectNotARename(LowCardinalityPair("f1", "f2", [](int) { return "7"; }), "f1", "f2");
  ExpectNotARename(LowCardinalityPair("f1", "f2", [](int) { return "\"on\""; }), "f1", "f2");
}

TEST(RenameEvolveTest, FewValuesUnderAStrongNameMatchAreStillARename) {
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"isActive", "is_active"}, {"order_status", "orderStatus"}}) {
    const Evolution ev = LowCardinalityPair(from, to, [&](int i) -> std::string {
      if (from == "isActive") return i % 3 ? "true" : "false";
      static const char* kStatuses[] = {"\"new\"", "\"paid\"", "\"shipped\""};
      return kStatuses[i % 3];
    });
    ASSERT_TRUE(ev.new_version);
    const FieldDiff& d = ev.version.field_diff;
    ASSERT_EQ(d.renamed.count(from), 1u) << from << " → " << to << " not found";
    EXPECT_EQ(d.renamed.at(from).to, to);
    EXPECT_GE(d.renamed.at(from).confidence, 0.8);  // the name's 1.0, shared values weighed 0
  }
}

TEST(RenameConfidenceTest, ValueEvidenceCountsByTheDomainsSize) {
  auto ints = [](std::string path, uint64_t distinct) {
    return Field(std::move(path), FieldType::kInt64, {int64_t{1}, int64_t{2}}, int64_t{1},
                 int64_t{2}, 100, distinct);
  };
  EXPECT_EQ(ValueEvidenceWeight(ints("a", 1), ints("b", 1)), 0.0);
  EXPECT_EQ(ValueEvidenceWeight(ints("a", 2), ints("b", 500)), 0.0);  // the smaller domain
  EXPECT_EQ(ValueEvidenceWeight(ints("a", 5), ints("b", 5)), 0.0);
  EXPECT_NEAR(ValueEvidenceWeight(ints("a", 10), ints("b", 20)), 0.5, 1e-9);
  EXPECT_EQ(ValueEvidenceWeight(ints("a", 20), ints("b", 100)), 1.0);
  // A count stored without a sketch may be 0: the examples are a floor.
  EXPECT_EQ(ValueEvidenceWeight(ints("a", 0), ints("b", 0)), 0.0);
  // Unlike values still count in full against a rename, whatever the domain's size: a
  // perfect name over dates versus two words stays rejected (NeedsBothNameAndValues).
  const FieldSchema words = Field("transaction_date", FieldType::kString, {"pending", "booked"},
                                  "booked", "pending", 100, 2);
  EXPECT_LT(RenameConfidence(DateField("transaction_date", 0, 30), words),
            RenameOptions{}.threshold);
}

TEST(RenameEvolveTest, ThresholdIsAnOption) {
  const auto v1 = FirstVersion(
      ProfileNdjson(Lines(60, [](int i) { return Txn(i, "transaction_date", 0, ""); })));
  RenameOptions never;
  never.threshold = 1.01;
  const Evolution ev =
      Evolve(v1, "bank", ProfileNdjson(Lines(60, [](int i) { return Txn(i, "txn_date", 31, ""); })),
             "raw/bank/2.ndjson", "2024-03-02T00:00:00Z", never);
  const FieldDiff& d = ev.version.field_diff;
  EXPECT_TRUE(d.renamed.empty());
  EXPECT_EQ(d.removed, std::vector<std::string>{"transaction_date"});
  EXPECT_EQ(d.added, std::vector<std::string>{"txn_date"});
  ASSERT_EQ(d.rejected_renames.size(), 1u);
  EXPECT_EQ(ev.version.status, VersionStatus::kBreaking);
}

}  // namespace
}  // namespace latebind::registry
