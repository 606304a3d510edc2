// The Registry contract (registry.h) as one suite run against every implementation — today
// the SQLite registry, later PostgreSQL — and then what only the SQLite file has: creation
// and migration, refusing corrupt and foreign files untouched, a lock held by another
// process, and writers on separate connections racing for version numbers.
#include "latebind/registry/sqlite_registry.h"

#include <arrow/type.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <thread>

#include "latebind/common/ids.h"
#include "latebind/common/status.h"
#include "latebind/registry/arrow_schema.h"
#include "latebind/registry/evolve.h"

namespace latebind::registry {
namespace {

namespace fs = std::filesystem;
using profiler::FieldProfile;
using profiler::PayloadProfile;
using profiler::ScalarValue;
using std::chrono::system_clock;

// A directory of its own per test, removed afterwards.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = fmt::format("latebind_registry_{}_{}_{}_{}", info->test_suite_name(),
                                   info->name(), getpid(), counter++);
    for (char& c : name) {
      if (c == '/') c = '_';
    }
    path_ = fs::temp_directory_path() / name;
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// --- Profiles --------------------------------------------------------------------------------

struct Col {
  std::string path;
  FieldType type;
  std::vector<ScalarValue> examples = {};
};

// A payload of `records` records in which every column is present in every record.
PayloadProfile Profile(uint64_t records, const std::vector<Col>& cols) {
  PayloadProfile p;
  p.records = records;
  for (const Col& c : cols) {
    FieldProfile f;
    f.path = c.path;
    f.type = c.type;
    f.required = true;
    f.present = records;
    f.examples = c.examples;
    f.distinct_approx = c.examples.size();
    if (!c.examples.empty()) {
      f.min = *std::min_element(c.examples.begin(), c.examples.end());
      f.max = *std::max_element(c.examples.begin(), c.examples.end());
    }
    p.fields.push_back(std::move(f));
  }
  return p;
}

std::vector<ScalarValue> Dates(int first_day, int n) {
  std::vector<ScalarValue> out;
  for (int i = 0; i < n; ++i) out.push_back(fmt::format("2024-01-{:02d}", first_day + i));
  return out;
}

// The seed's shape: {id, amount, transaction_date}.
const PayloadProfile kSeed = Profile(10, {{"id", FieldType::kInt64, {int64_t{1}, int64_t{10}}},
                                          {"amount", FieldType::kFloat64, {1.5, 99.0}},
                                          {"transaction_date", FieldType::kDate, Dates(1, 5)}});
// The same plus a field: additive.
const PayloadProfile kWithCurrency =
    Profile(10, {{"id", FieldType::kInt64, {int64_t{11}, int64_t{20}}},
                 {"amount", FieldType::kFloat64, {2.5}},
                 {"transaction_date", FieldType::kDate, Dates(6, 5)},
                 {"currency", FieldType::kString, {"EUR", "USD"}}});
// transaction_date renamed txn_date (and currency kept): breaking.
const PayloadProfile kRenamed = Profile(10, {{"id", FieldType::kInt64, {int64_t{21}}},
                                             {"amount", FieldType::kFloat64, {3.5}},
                                             {"txn_date", FieldType::kDate, Dates(11, 5)},
                                             {"currency", FieldType::kString, {"EUR"}}});

// A payload of `n` records whose one field, `id`, holds first … first + n - 1: with the
// HyperLogLog sketch the profiler would give it.
PayloadProfile Ids(uint64_t first, uint64_t n) {
  PayloadProfile p = Profile(n, {{"id", FieldType::kInt64}});
  for (uint64_t i = first; i < first + n; ++i) {
    uint64_t x = i + 0x9e3779b97f4a7c15;  // SplitMix64: a well-mixed 64-bit hash
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9;
    x = (x ^ (x >> 27)) * 0x94d049bb133111eb;
    p.fields[0].distinct_sketch.Add(x ^ (x >> 31));
  }
  p.fields[0].distinct_approx = p.fields[0].distinct_sketch.Estimate();
  return p;
}

// 4 standard errors of the sketch (1.04 / sqrt(1024)).
double Tolerance(double n) { return 4 * 0.0325 * n; }

ApplyOptions At(int minute, std::vector<std::string> sinks = {}) {
  ApplyOptions o;
  o.now = system_clock::time_point{} + std::chrono::hours(24 * 365 * 54) +
          std::chrono::minutes(minute);  // 2023-12-…, minutes apart
  o.alert_sinks = std::move(sinks);
  return o;
}

// --- The contract, for every implementation -----------------------------------------------------

struct Backend {
  std::string name;
  std::function<arrow::Result<std::shared_ptr<Registry>>(const TempDir&)> open;
};

void PrintTo(const Backend& backend, std::ostream* os) { *os << backend.name; }

class RegistryContractTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    auto r = GetParam().open(dir_);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    registry_ = *r;
  }

  ApplyOutcome ApplyOne(const std::string& object, const PayloadProfile& profile,
                        const ApplyOptions& options = At(0), const std::string& source = "bank") {
    auto r = registry_->Apply({{source, object, &profile}}, options);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok() || r->size() != 1) return {};
    return (*r)[0];
  }

  SchemaVersion Get(int64_t version, const std::string& source = "bank") {
    auto r = registry_->Version(source, version);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ValueOr(SchemaVersion{});
  }

  SourceSummary Summary(const std::string& source = "bank") {
    auto r = registry_->Sources();
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (r.ok()) {
      for (const auto& s : *r) {
        if (s.source_id == source) return s;
      }
    }
    ADD_FAILURE() << "no source " << source;
    return {};
  }

  std::vector<StatusChange> History(const std::string& source = "bank") {
    auto r = registry_->StatusHistory(source);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ValueOr(std::vector<StatusChange>{});
  }

  TempDir dir_;
  std::shared_ptr<Registry> registry_;
};

TEST_P(RegistryContractTest, FirstPayloadIsVersionOneActive) {
  const ApplyOutcome out = ApplyOne("raw/bank/1", kSeed);
  EXPECT_EQ(out.object, "raw/bank/1");
  EXPECT_EQ(out.version, 1);
  EXPECT_TRUE(out.new_version);
  EXPECT_FALSE(out.already_applied);
  EXPECT_EQ(out.status, VersionStatus::kActive);
  const SchemaVersion v = Get(0);
  EXPECT_EQ(v.version, 1);
  EXPECT_EQ(v.status, VersionStatus::kActive);
  EXPECT_EQ(v.first_object, "raw/bank/1");
  EXPECT_EQ(v.payloads, 1u);
  EXPECT_EQ(v.records, 10u);
  EXPECT_EQ(v.created_at, UtcTimestamp(At(0).now));
  EXPECT_EQ(v.sk, "version#" + v.created_at);
  const SourceSummary s = Summary();
  EXPECT_EQ(s.versions, 1);
  EXPECT_EQ(s.latest_version, 1);
  EXPECT_EQ(s.latest_status, VersionStatus::kActive);
  EXPECT_EQ(s.active_version, 1);
  EXPECT_EQ(s.payloads, 1u);
  EXPECT_EQ(s.records, 10u);
  EXPECT_EQ(s.dead_letters, 0u);
  EXPECT_EQ(s.last_payload_at, v.created_at);
  const auto history = History();
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0].version, 1);
  EXPECT_FALSE(history[0].from.has_value());
  EXPECT_EQ(history[0].to, VersionStatus::kActive);
  EXPECT_FALSE(history[0].who.empty());
  EXPECT_EQ(history[0].at, v.created_at);
}

TEST_P(RegistryContractTest, StoredVersionEqualsWhatEvolveProduced) {
  ApplyOne("raw/bank/1", kSeed);
  ApplyOne("raw/bank/2", kWithCurrency, At(1));
  ApplyOne("raw/bank/3", kRenamed, At(2));
  const Evolution expected =
      Evolve(Get(2), "bank", kRenamed, "raw/bank/3", UtcTimestamp(At(2).now), RenameOptions{});
  const SchemaVersion v = Get(3);
  EXPECT_EQ(v.fingerprint, expected.version.fingerprint);
  EXPECT_EQ(v.status, expected.version.status);
  EXPECT_EQ(v.compatibility, expected.version.compatibility);
  EXPECT_EQ(v.sk, expected.version.sk);
  ASSERT_EQ(v.fields.size(), expected.version.fields.size());
  for (size_t i = 0; i < v.fields.size(); ++i) {
    const FieldSchema& a = v.fields[i];
    const FieldSchema& b = expected.version.fields[i];
    EXPECT_EQ(a.path, b.path);
    EXPECT_EQ(a.type, b.type) << a.path;
    EXPECT_EQ(a.required, b.required) << a.path;
    EXPECT_EQ(a.removed, b.removed) << a.path;
    EXPECT_EQ(a.since_version, b.since_version) << a.path;
    EXPECT_EQ(a.stats.present, b.stats.present) << a.path;
    EXPECT_EQ(a.stats.min, b.stats.min) << a.path;
    EXPECT_EQ(a.stats.max, b.stats.max) << a.path;
    EXPECT_EQ(a.stats.examples, b.stats.examples) << a.path;
  }
  const FieldDiff& d = v.field_diff;
  EXPECT_EQ(d.added, expected.version.field_diff.added);
  EXPECT_EQ(d.removed, expected.version.field_diff.removed);
  ASSERT_EQ(d.renamed.size(), expected.version.field_diff.renamed.size());
  for (const auto& [from, r] : expected.version.field_diff.renamed) {
    ASSERT_EQ(d.renamed.count(from), 1u);
    EXPECT_EQ(d.renamed.at(from).to, r.to);
    EXPECT_DOUBLE_EQ(d.renamed.at(from).confidence, r.confidence);
  }
  EXPECT_EQ(d.rejected_renames.size(), expected.version.field_diff.rejected_renames.size());
}

TEST_P(RegistryContractTest, ApplyIsIdempotentPerObject) {
  ApplyOne("raw/bank/1", kSeed);
  const ApplyOutcome again = ApplyOne("raw/bank/1", kWithCurrency, At(5));
  EXPECT_TRUE(again.already_applied);
  EXPECT_FALSE(again.new_version);
  EXPECT_EQ(again.version, 1);
  const SchemaVersion v = Get(0);
  EXPECT_EQ(v.version, 1);
  EXPECT_EQ(v.payloads, 1u);
  EXPECT_EQ(v.records, 10u);
  EXPECT_EQ(Get(1).Find("id")->stats.present, 10u);
  EXPECT_EQ(Summary().payloads, 1u);
  EXPECT_EQ(Summary().records, 10u);
  // Twice in one batch: the second sees the first.
  auto r =
      registry_->Apply({{"bank", "raw/bank/2", &kSeed}, {"bank", "raw/bank/2", &kSeed}}, At(6));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_FALSE((*r)[0].already_applied);
  EXPECT_TRUE((*r)[1].already_applied);
  EXPECT_EQ(Summary().payloads, 2u);
  EXPECT_EQ(Get(0).payloads, 2u);
}

TEST_P(RegistryContractTest, UnchangedPayloadsUpdateTheCurrentVersion) {
  ApplyOne("raw/bank/1", kSeed);
  const ApplyOutcome out = ApplyOne("raw/bank/2", kSeed, At(3));
  EXPECT_FALSE(out.new_version);
  EXPECT_EQ(out.version, 1);
  const SchemaVersion v = Get(0);
  EXPECT_EQ(v.version, 1);
  EXPECT_EQ(v.payloads, 2u);
  EXPECT_EQ(v.records, 20u);
  EXPECT_EQ(v.updated_at, UtcTimestamp(At(3).now));
  EXPECT_EQ(v.created_at, UtcTimestamp(At(0).now));
  EXPECT_EQ(v.Find("amount")->stats.present, 20u);
  EXPECT_EQ(Summary().payloads, 2u);
  EXPECT_EQ(Summary().records, 20u);
  EXPECT_EQ(Summary().last_payload_at, UtcTimestamp(At(3).now));
  EXPECT_EQ(History().size(), 1u);
}

TEST_P(RegistryContractTest, BatchOfPayloadsSeesEachOther) {
  auto r = registry_->Apply({{"bank", "raw/bank/1", &kSeed},
                             {"bank", "raw/bank/2", &kSeed},
                             {"bank", "raw/bank/3", &kWithCurrency},
                             {"bank", "raw/bank/4", &kWithCurrency},
                             {"shop", "raw/shop/1", &kSeed}},
                            At(0));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 5u);
  EXPECT_EQ((*r)[0].version, 1);
  EXPECT_EQ((*r)[1].version, 1);
  EXPECT_FALSE((*r)[1].new_version);
  EXPECT_EQ((*r)[2].version, 2);
  EXPECT_TRUE((*r)[2].new_version);
  EXPECT_EQ((*r)[3].version, 2);
  EXPECT_EQ((*r)[4].version, 1);
  EXPECT_EQ(Get(1).payloads, 2u);  // the stats of version 1 were written before version 2
  EXPECT_EQ(Get(2).payloads, 2u);
  EXPECT_EQ(Get(0, "shop").version, 1);
}

// Each Apply reads the version back from storage, so the distinct count over payloads
// applied apart is the union of sketches that made the round trip (ADR-066).
TEST_P(RegistryContractTest, DistinctCountUnitesPayloadsAppliedApart) {
  for (int p = 0; p < 4; ++p) ApplyOne(fmt::format("raw/bank/{}", p), Ids(p * 1000, 1000), At(p));
  const SchemaVersion v = Get(1);
  ASSERT_EQ(v.payloads, 4u);
  const FieldStats& id = v.Find("id")->stats;
  EXPECT_NEAR(static_cast<double>(id.distinct_approx), 4000, Tolerance(4000));
  EXPECT_NEAR(static_cast<double>(id.distinct_payload_max), 1000, Tolerance(1000));
  FieldStats whole = StatsOf(Ids(0, 4000).fields[0]);
  EXPECT_EQ(id.sketch, whole.sketch);
  // Applying a payload again counts nothing twice.
  ApplyOne("raw/bank/again", Ids(0, 1000), At(5));
  EXPECT_EQ(Get(1).Find("id")->stats.distinct_approx, id.distinct_approx);
}

TEST_P(RegistryContractTest, AdditiveVersionDeprecatesThePriorActiveOne) {
  ApplyOne("raw/bank/1", kSeed);
  const ApplyOutcome out = ApplyOne("raw/bank/2", kWithCurrency, At(1));
  EXPECT_TRUE(out.new_version);
  EXPECT_EQ(out.version, 2);
  EXPECT_EQ(out.status, VersionStatus::kActive);
  EXPECT_EQ(Get(1).status, VersionStatus::kDeprecated);
  const SchemaVersion v2 = Get(2);
  EXPECT_EQ(v2.status, VersionStatus::kActive);
  EXPECT_EQ(v2.compatibility, Compatibility::kFull);
  EXPECT_EQ(v2.field_diff.added, std::vector<std::string>{"currency"});
  EXPECT_EQ(Summary().active_version, 2);
  const auto history = History();
  ASSERT_EQ(history.size(), 3u);
  EXPECT_EQ(history[1].version, 2);
  EXPECT_FALSE(history[1].from.has_value());
  EXPECT_EQ(history[2].version, 1);
  EXPECT_EQ(history[2].from, VersionStatus::kActive);
  EXPECT_EQ(history[2].to, VersionStatus::kDeprecated);
  EXPECT_EQ(history[2].at, v2.created_at);
  EXPECT_NE(history[2].note.find("2"), std::string::npos) << history[2].note;
  EXPECT_FALSE(history[2].who.empty());
}

TEST_P(RegistryContractTest, BreakingVersionKeepsThePriorActiveOneAndQueuesAlerts) {
  ApplyOne("raw/bank/1", kSeed);
  ApplyOne("raw/bank/2", kWithCurrency, At(1), "bank");
  EXPECT_EQ(*registry_->PendingAlerts(), 0);  // additive: no alert
  const ApplyOutcome out = ApplyOne("raw/bank/3", kRenamed, At(2, {"http://a", "http://b"}));
  EXPECT_EQ(out.status, VersionStatus::kBreaking);
  EXPECT_EQ(out.version, 3);
  const SchemaVersion v3 = Get(3);
  EXPECT_EQ(v3.status, VersionStatus::kBreaking);
  EXPECT_EQ(v3.compatibility, Compatibility::kBackward);
  ASSERT_EQ(v3.field_diff.renamed.count("transaction_date"), 1u);
  EXPECT_EQ(v3.field_diff.renamed.at("transaction_date").to, "txn_date");
  EXPECT_EQ(Get(2).status, VersionStatus::kActive);  // still the one promoted from
  const SourceSummary s = Summary();
  EXPECT_EQ(s.latest_version, 3);
  EXPECT_EQ(s.latest_status, VersionStatus::kBreaking);
  EXPECT_EQ(s.active_version, 2);

  // One delivery per sink, due at once.
  EXPECT_EQ(*registry_->PendingAlerts(), 2);
  auto due = registry_->DueDeliveries(system_clock::now(), 10);
  ASSERT_TRUE(due.ok()) << due.status().ToString();
  ASSERT_EQ(due->size(), 2u);
  std::set<std::string> sinks;
  for (const PendingDelivery& d : *due) {
    sinks.insert(d.sink);
    EXPECT_EQ(d.source_id, "bank");
    EXPECT_EQ(d.version, 3);
    EXPECT_EQ(d.attempts, 0);
    EXPECT_EQ(d.alert_id, (*due)[0].alert_id);
    EXPECT_FALSE(d.idempotency_key.empty());
  }
  EXPECT_EQ(sinks, (std::set<std::string>{"http://a", "http://b"}));
  // Only `limit` at a time.
  EXPECT_EQ(registry_->DueDeliveries(system_clock::now(), 1)->size(), 1u);
  // The key is stable across calls.
  auto again = registry_->DueDeliveries(system_clock::now(), 10);
  ASSERT_TRUE(again.ok());
  for (const PendingDelivery& d : *due) {
    bool found = false;
    for (const PendingDelivery& e : *again) {
      if (e.sink == d.sink) {
        EXPECT_EQ(e.idempotency_key, d.idempotency_key);
        found = true;
      }
    }
    EXPECT_TRUE(found) << d.sink;
  }
}

TEST_P(RegistryContractTest, OutboxRetriesAndAcknowledgements) {
  ApplyOne("raw/bank/1", kSeed);
  ApplyOne("raw/bank/2", kRenamed, At(1, {"http://a", "http://b"}));
  const auto now = system_clock::now();
  auto due = registry_->DueDeliveries(now, 10);
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->size(), 2u);
  const PendingDelivery a = (*due)[0].sink == "http://a" ? (*due)[0] : (*due)[1];
  const PendingDelivery b = (*due)[0].sink == "http://a" ? (*due)[1] : (*due)[0];

  // A failure with the next attempt in the future hides the delivery until then.
  ASSERT_TRUE(
      registry_->MarkFailed(a.alert_id, a.sink, "HTTP 503", now + std::chrono::minutes(5)).ok());
  due = registry_->DueDeliveries(now, 10);
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].sink, "http://b");
  EXPECT_EQ(*registry_->PendingAlerts(), 2);
  due = registry_->DueDeliveries(now + std::chrono::minutes(6), 10);
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->size(), 2u);
  for (const PendingDelivery& d : *due) {
    EXPECT_EQ(d.attempts, d.sink == "http://a" ? 1 : 0) << d.sink;
    if (d.sink == "http://a") {
      EXPECT_EQ(d.idempotency_key, a.idempotency_key);
    }
  }

  // Acknowledged deliveries are done; acknowledging twice is harmless.
  ASSERT_TRUE(registry_->MarkDelivered(b.alert_id, b.sink).ok());
  ASSERT_TRUE(registry_->MarkDelivered(b.alert_id, b.sink).ok());
  EXPECT_EQ(*registry_->PendingAlerts(), 1);
  due = registry_->DueDeliveries(now + std::chrono::minutes(6), 10);
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].sink, "http://a");
  // A failure reported after delivery changes nothing.
  ASSERT_TRUE(registry_->MarkFailed(b.alert_id, b.sink, "late", now).ok());
  EXPECT_EQ(*registry_->PendingAlerts(), 1);
  ASSERT_TRUE(registry_->MarkDelivered(a.alert_id, a.sink).ok());
  EXPECT_EQ(*registry_->PendingAlerts(), 0);
  EXPECT_TRUE(registry_->DueDeliveries(now + std::chrono::hours(1), 10)->empty());

  // A second breaking version is a second alert with keys of its own.
  ApplyOne("raw/bank/3", kSeed, At(2, {"http://a"}));  // transaction_date back, txn_date gone
  due = registry_->DueDeliveries(now + std::chrono::hours(1), 10);
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->size(), 1u);
  EXPECT_NE((*due)[0].alert_id, a.alert_id);
  EXPECT_NE((*due)[0].idempotency_key, a.idempotency_key);
  EXPECT_EQ((*due)[0].version, 3);
}

// Audit 2026-11-24: a failed delivery moved only its own row, so the rows behind it were
// posted first (out of order), and a dead sink owing more than a batch filled every batch,
// starving the others. Only each sink's oldest owed alert is due now.
TEST_P(RegistryContractTest, EachSinkOwesItsOldestAlertFirstAndCannotStarveAnother) {
  ApplyOne("raw/bank/1", kSeed);
  const auto now = system_clock::now();
  // Three BREAKING versions (v2, v3, v4) for the dead sink, the last also for the live one.
  ApplyOne("raw/bank/2", kRenamed, At(1, {"http://dead"}));
  ApplyOne("raw/bank/3", kSeed, At(2, {"http://dead"}));
  // amount dropped: removed (transaction_date, back in v3, is optional now: no removal).
  const PayloadProfile without_amount =
      Profile(10, {{"id", FieldType::kInt64, {int64_t{31}}},
                   {"transaction_date", FieldType::kDate, Dates(16, 5)}});
  ApplyOne("raw/bank/4", without_amount, At(3, {"http://dead", "http://live"}));
  EXPECT_EQ(*registry_->PendingAlerts(), 4);
  auto due = registry_->DueDeliveries(now, 10);
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->size(), 2u);  // one per sink
  std::map<std::string, int64_t> version;
  for (const PendingDelivery& d : *due) version[d.sink] = d.version;
  EXPECT_EQ(version, (std::map<std::string, int64_t>{{"http://dead", 2}, {"http://live", 4}}));
  // The dead sink's oldest fails: the ones behind it wait for it, and a batch of one still
  // reaches the live sink.
  const PendingDelivery oldest = *std::find_if(
      due->begin(), due->end(), [](const PendingDelivery& d) { return d.sink == "http://dead"; });
  ASSERT_TRUE(
      registry_->MarkFailed(oldest.alert_id, oldest.sink, "refused", now + std::chrono::minutes(5))
          .ok());
  due = registry_->DueDeliveries(now, 1);
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].sink, "http://live");
  // Once it is delivered, the next one (v3) is due: in order.
  ASSERT_TRUE(registry_->MarkDelivered(oldest.alert_id, oldest.sink).ok());
  due = registry_->DueDeliveries(now, 10);
  ASSERT_EQ(due->size(), 2u);
  for (const PendingDelivery& d : *due) {
    EXPECT_EQ(d.version, d.sink == "http://dead" ? 3 : 4) << d.sink;
  }
}

// The server's sinks, registered: a BREAKING version written without sinks of its own (by
// the CLI) is owed to them, and to the writer's own sinks once each.
TEST_P(RegistryContractTest, RegisteredAlertSinksAreOwedEveryBreakingVersion) {
  ASSERT_TRUE(registry_->SetAlertSinks({"http://a", "http://b", "http://a"}).ok());
  ApplyOne("raw/bank/1", kSeed);
  ApplyOne("raw/bank/2", kRenamed, At(1));
  EXPECT_EQ(*registry_->PendingAlerts(), 2);
  ApplyOne("raw/bank/3", kSeed, At(2, {"http://b", "http://c"}));
  EXPECT_EQ(*registry_->PendingAlerts(), 5);  // a, b; then a, b, c
  // Replaced at the next start: a server with sink b only drops what a and c are still
  // owed (registry audit 2026-11-24: a removed sink was posted to forever, ADR-110), and
  // without sinks it leaves later versions unowed.
  EXPECT_EQ(*registry_->SetAlertSinks({"http://b"}), 3);
  EXPECT_EQ(*registry_->PendingAlerts(), 2);
  for (const PendingDelivery& d : *registry_->DueDeliveries(system_clock::now(), 10)) {
    EXPECT_EQ(d.sink, "http://b");
  }
  EXPECT_EQ(*registry_->SetAlertSinks({}), 2);
  ApplyOne("raw/bank/4", kRenamed, At(3));
  EXPECT_EQ(*registry_->PendingAlerts(), 0);
}

TEST_P(RegistryContractTest, BreakingVersionWithoutSinksQueuesNothing) {
  ApplyOne("raw/bank/1", kSeed);
  EXPECT_EQ(ApplyOne("raw/bank/2", kRenamed, At(1)).status, VersionStatus::kBreaking);
  EXPECT_EQ(*registry_->PendingAlerts(), 0);
  EXPECT_TRUE(registry_->DueDeliveries(system_clock::now(), 10)->empty());
}

TEST_P(RegistryContractTest, ResolvingABreakingVersion) {
  ApplyOne("raw/bank/1", kSeed);
  ApplyOne("raw/bank/2", kRenamed, At(1));
  StatusUpdate update;
  update.status = VersionStatus::kActive;
  update.note = "txn_date is transaction_date renamed upstream";
  update.who = "alice";
  update.mappings = {{"txn_date", "transaction_date"}};
  auto r = registry_->SetStatus("bank", 2, update);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, VersionStatus::kActive);
  EXPECT_EQ(r->note, update.note);
  EXPECT_EQ(r->mappings, update.mappings);

  const SchemaVersion v2 = Get(2);
  EXPECT_EQ(v2.status, VersionStatus::kActive);
  EXPECT_EQ(v2.note, update.note);
  EXPECT_EQ(v2.mappings, update.mappings);
  EXPECT_EQ(Get(1).status, VersionStatus::kDeprecated);
  EXPECT_EQ(Summary().active_version, 2);

  const auto history = History();
  ASSERT_EQ(history.size(), 4u);  // two creations, v1 superseded, v2 resolved
  const StatusChange& superseded = history[2];
  EXPECT_EQ(superseded.version, 1);
  EXPECT_EQ(superseded.from, VersionStatus::kActive);
  EXPECT_EQ(superseded.to, VersionStatus::kDeprecated);
  EXPECT_EQ(superseded.who, "alice");
  EXPECT_FALSE(superseded.at.empty());
  EXPECT_FALSE(superseded.note.empty());
  const StatusChange& resolved = history[3];
  EXPECT_EQ(resolved.version, 2);
  EXPECT_EQ(resolved.from, VersionStatus::kBreaking);
  EXPECT_EQ(resolved.to, VersionStatus::kActive);
  EXPECT_EQ(resolved.who, "alice");
  EXPECT_EQ(resolved.note, update.note);
  EXPECT_EQ(resolved.at.size(), std::string("2024-01-01T00:00:00.000Z").size());

  // The confirmed mapping carries over to later versions.
  PayloadProfile more = kRenamed;
  more.fields.push_back(Profile(10, {{"channel", FieldType::kString, {"web"}}}).fields[0]);
  EXPECT_TRUE(ApplyOne("raw/bank/3", more, At(3)).new_version);
  EXPECT_EQ(Get(3).mappings, update.mappings);

  // Deprecating needs a note too, and is kept in the history.
  StatusUpdate deprecate;
  deprecate.status = VersionStatus::kDeprecated;
  deprecate.note = "superseded by hand";
  ASSERT_TRUE(registry_->SetStatus("bank", 2, deprecate).ok());
  EXPECT_EQ(Get(2).status, VersionStatus::kDeprecated);
  EXPECT_EQ(History().back().note, "superseded by hand");
  EXPECT_FALSE(History().back().who.empty());
}

TEST_P(RegistryContractTest, SetStatusRefusesBadInputAndChangesNothing) {
  ApplyOne("raw/bank/1", kSeed);
  ApplyOne("raw/bank/2", kRenamed, At(1));
  const auto before = History();
  auto expect_error = [&](const StatusUpdate& u, int64_t version, ErrorKind kind,
                          const std::string& why) {
    auto r = registry_->SetStatus("bank", version, u);
    ASSERT_FALSE(r.ok()) << why;
    EXPECT_EQ(KindOf(r.status()), kind) << why << ": " << r.status().ToString();
  };
  StatusUpdate ok;
  ok.status = VersionStatus::kActive;
  ok.note = "fine";
  ok.who = "bob";

  StatusUpdate breaking = ok;
  breaking.status = VersionStatus::kBreaking;
  expect_error(breaking, 2, ErrorKind::kBadInput, "BREAKING target");
  StatusUpdate no_note = ok;
  no_note.note = "";
  expect_error(no_note, 2, ErrorKind::kBadInput, "empty note");
  StatusUpdate unknown_new = ok;
  unknown_new.mappings = {{"no_such_field", "transaction_date"}};
  expect_error(unknown_new, 2, ErrorKind::kBadInput, "unknown new field");
  StatusUpdate unknown_old = ok;
  unknown_old.mappings = {{"txn_date", "no_such_field"}};
  expect_error(unknown_old, 2, ErrorKind::kBadInput, "unknown old field");
  StatusUpdate removed_new = ok;
  removed_new.mappings = {{"transaction_date", "txn_date"}};  // transaction_date is removed
  expect_error(removed_new, 2, ErrorKind::kBadInput, "removed field as the new name");
  StatusUpdate itself = ok;
  itself.mappings = {{"txn_date", "txn_date"}};
  expect_error(itself, 2, ErrorKind::kBadInput, "a field mapped to itself");
  expect_error(ok, 9, ErrorKind::kNotFound, "unknown version");
  expect_error(ok, 0, ErrorKind::kBadInput, "version 0 (the latest only when reading)");
  expect_error(ok, -1, ErrorKind::kBadInput, "a negative version");
  auto r = registry_->SetStatus("nobody", 1, ok);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(KindOf(r.status()), ErrorKind::kNotFound);

  EXPECT_EQ(Get(2).status, VersionStatus::kBreaking);
  EXPECT_EQ(Get(1).status, VersionStatus::kActive);
  EXPECT_TRUE(Get(2).mappings.empty());
  EXPECT_EQ(History().size(), before.size());
}

// Promotion audit 2026-11-24: b.bar=a.foo was confirmed, and promotion then bound a sibling
// a.bar into column a.foo while b.bar's values were never bound. A mapping renames a member
// within one parent object (ADR-105); the same parent is fine, nested or not.
TEST_P(RegistryContractTest, SetStatusRefusesMappingsAcrossParents) {
  // Counted as the profiler counts them: a field under an object no record held is not
  // removed (ADR-076).
  auto objects = [](PayloadProfile p) {
    for (FieldProfile& f : p.fields) f.type_counts[static_cast<int>(f.type)] = f.present;
    return p;
  };
  ApplyOne("raw/bank/1", objects(Profile(5, {{"id", FieldType::kInt64},
                                             {"a", FieldType::kObject},
                                             {"a.foo", FieldType::kInt64},
                                             {"b", FieldType::kObject},
                                             {"b.z", FieldType::kInt64}})));
  ApplyOne("raw/bank/2",
           objects(Profile(5, {{"id", FieldType::kInt64},
                               {"a", FieldType::kObject},
                               {"a.k", FieldType::kInt64},
                               {"b", FieldType::kObject},
                               {"b.z", FieldType::kInt64},
                               {"b.bar", FieldType::kInt64},
                               {"foo_top", FieldType::kInt64}})),
           At(1));
  ASSERT_TRUE(Get(2).Find("a.foo")->removed);
  StatusUpdate u;
  u.status = VersionStatus::kActive;
  u.note = "moved";
  for (const auto& [to, why] : std::vector<std::pair<std::string, std::string>>{
           {"b.bar", "b.bar lies under b and a.foo under a"},
           {"foo_top", "foo_top lies under the top level and a.foo under a"}}) {
    u.mappings = {{to, "a.foo"}};
    auto r = registry_->SetStatus("bank", 2, u);
    ASSERT_FALSE(r.ok()) << to;
    EXPECT_EQ(KindOf(r.status()), ErrorKind::kBadInput);
    EXPECT_NE(r.status().message().find(why), std::string::npos) << r.status().message();
  }
  EXPECT_TRUE(Get(2).mappings.empty());
  u.mappings = {{"a.k", "a.foo"}};
  ASSERT_TRUE(registry_->SetStatus("bank", 2, u).ok());
  EXPECT_EQ(Get(2).mappings, u.mappings);
}

// Audit bug 1: a mapping NEW=OLD moves NEW's values into column OLD, so OLD must be a column
// nothing fills any more. Mapping onto a live field replaced that column (txn_date=id turned
// the int64 id into a date), and two mappings onto one column dropped one of them.
TEST_P(RegistryContractTest, SetStatusRefusesMappingsThatOverwriteOrMergeColumns) {
  ApplyOne("raw/bank/1", kSeed);
  ApplyOne("raw/bank/2", kRenamed,
           At(1));  // id, amount, txn_date, currency; transaction_date removed
  const auto before = History();
  StatusUpdate ok;
  ok.status = VersionStatus::kActive;
  ok.note = "fine";
  auto expect_refused = [&](std::map<std::string, std::string> mappings, const std::string& why) {
    StatusUpdate u = ok;
    u.mappings = std::move(mappings);
    auto r = registry_->SetStatus("bank", 2, u);
    ASSERT_FALSE(r.ok()) << why;
    EXPECT_EQ(KindOf(r.status()), ErrorKind::kBadInput) << why << ": " << r.status().ToString();
    EXPECT_NE(r.status().message().find(why), std::string::npos) << r.status().message();
  };
  expect_refused({{"txn_date", "id"}}, "id is a live field of bank version 2");
  expect_refused({{"currency", "amount"}}, "amount is a live field");
  expect_refused({{"txn_date", "transaction_date"}, {"currency", "transaction_date"}},
                 "column transaction_date is already filled by");
  expect_refused({{"amount", "transaction_date"}},
                 "amount is float64 and cannot fill transaction_date's date column");
  EXPECT_EQ(Get(2).status, VersionStatus::kBreaking);
  EXPECT_TRUE(Get(2).mappings.empty());
  EXPECT_EQ(History().size(), before.size());

  // The rename itself is confirmed; a second mapping onto its column, later, is refused too.
  StatusUpdate rename = ok;
  rename.mappings = {{"txn_date", "transaction_date"}};
  ASSERT_TRUE(registry_->SetStatus("bank", 2, rename).ok());
  expect_refused({{"currency", "transaction_date"}},
                 "column transaction_date is already filled by txn_date");
  EXPECT_EQ(Get(2).mappings, rename.mappings);
  // Confirming the same mapping again changes nothing in it.
  ASSERT_TRUE(registry_->SetStatus("bank", 2, rename).ok());
  EXPECT_EQ(Get(2).mappings, rename.mappings);
}

// Audit bug A: resolving an older BREAKING version while a newer one, built on it, is
// ACTIVE made the older one ACTIVE and deprecated the newer one, so promotion bound the
// table to the older schema and dropped the newer fields for good.
TEST_P(RegistryContractTest, ResolvingAnOlderBreakingVersionKeepsTheNewerActiveOne) {
  ApplyOne("raw/bank/1", kSeed);
  ASSERT_EQ(ApplyOne("raw/bank/2", kRenamed, At(1)).status, VersionStatus::kBreaking);
  PayloadProfile more = kRenamed;  // additive on version 2: ACTIVE, version 1 superseded
  more.fields.push_back(Profile(10, {{"channel", FieldType::kString, {"web"}}}).fields[0]);
  ASSERT_EQ(ApplyOne("raw/bank/3", more, At(2)).status, VersionStatus::kActive);
  ASSERT_EQ(Get(1).status, VersionStatus::kDeprecated);
  const size_t before = History().size();

  StatusUpdate update;
  update.status = VersionStatus::kActive;
  update.note = "rename confirmed";
  update.who = "alice";
  update.mappings = {{"txn_date", "transaction_date"}};
  auto r = registry_->SetStatus("bank", 2, update);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, VersionStatus::kDeprecated);
  EXPECT_NE(r->note.find("rename confirmed"), std::string::npos) << r->note;
  EXPECT_NE(r->note.find("version 3, newer and built on it, stays ACTIVE"), std::string::npos)
      << r->note;
  EXPECT_EQ(Get(2).status, VersionStatus::kDeprecated);
  EXPECT_EQ(Get(3).status, VersionStatus::kActive);
  EXPECT_EQ(Get(1).status, VersionStatus::kDeprecated);
  EXPECT_EQ(Summary().active_version, 3);
  // The mapping reaches the newer version, which promotion binds.
  EXPECT_EQ(Get(2).mappings, update.mappings);
  EXPECT_EQ(Get(3).mappings, update.mappings);

  const auto history = History();
  ASSERT_EQ(history.size(), before + 1);  // one row: nothing else changed status
  EXPECT_EQ(history.back().version, 2);
  EXPECT_EQ(history.back().from, VersionStatus::kBreaking);
  EXPECT_EQ(history.back().to, VersionStatus::kDeprecated);
  EXPECT_EQ(history.back().who, "alice");
  EXPECT_EQ(history.back().note, r->note);

  // Run again (a retried command), or for an older DEPRECATED version: the newer ACTIVE
  // one stays, so a resolution never undoes itself.
  for (int64_t older : {2, 1}) {
    StatusUpdate again;
    again.status = VersionStatus::kActive;
    again.note = "once more";
    auto r2 = registry_->SetStatus("bank", older, again);
    ASSERT_TRUE(r2.ok()) << r2.status().ToString();
    EXPECT_EQ(r2->status, VersionStatus::kDeprecated);
    EXPECT_EQ(Get(older).status, VersionStatus::kDeprecated);
    EXPECT_EQ(Get(3).status, VersionStatus::kActive);
    EXPECT_EQ(History().back().from, VersionStatus::kDeprecated);
    EXPECT_EQ(History().back().to, VersionStatus::kDeprecated);
  }
}

// The mappings of a resolution reach every newer version, all or nothing: one a newer
// version cannot take refuses the call, naming that version.
TEST_P(RegistryContractTest, MappingsANewerVersionCannotTakeRefuseTheWholeResolution) {
  ApplyOne("raw/bank/1", kSeed);
  ASSERT_EQ(ApplyOne("raw/bank/2", kRenamed, At(1)).status, VersionStatus::kBreaking);
  // Version 3 goes back to transaction_date: on 3 the mapping would overwrite a live column.
  // (That txn_date is removed on 3 is no reason: a rename removed in its turn keeps its
  // column, as when it was confirmed before version 3 came.)
  const PayloadProfile back = Profile(10, {{"id", FieldType::kInt64, {int64_t{31}}},
                                           {"amount", FieldType::kFloat64, {4.5}},
                                           {"transaction_date", FieldType::kDate, Dates(16, 5)},
                                           {"currency", FieldType::kString, {"EUR"}}});
  ApplyOne("raw/bank/3", back, At(2));
  ASSERT_TRUE(Get(3).Find("txn_date") != nullptr && Get(3).Find("txn_date")->removed);
  ASSERT_FALSE(Get(3).Find("transaction_date")->removed);
  const auto before = History();

  StatusUpdate update;
  update.status = VersionStatus::kActive;
  update.note = "rename confirmed";
  update.mappings = {{"txn_date", "transaction_date"}};
  auto r = registry_->SetStatus("bank", 2, update);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(KindOf(r.status()), ErrorKind::kBadInput) << r.status().ToString();
  EXPECT_NE(r.status().message().find("version 3 is newer than 2"), std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("transaction_date is a live field of bank version 3"),
            std::string::npos)
      << r.status().message();
  EXPECT_EQ(Get(2).status, VersionStatus::kBreaking);
  EXPECT_TRUE(Get(2).mappings.empty());
  EXPECT_TRUE(Get(3).mappings.empty());
  EXPECT_EQ(History().size(), before.size());
}

// Chained renames (ADR-087): a renamed b, confirmed b=a, then b renamed c, confirmed c=b,
// bind a, b and c to the one column a, whichever version a person resolves first. Confirming
// b=a once version 3 (which removed b) existed used to be refused there ("b is not a live
// field of version 3"), and the bound schema held a second column b, filled from c.
TEST_P(RegistryContractTest, ChainedRenamesBindOneColumnWhicheverVersionIsResolvedFirst) {
  const PayloadProfile v1 = Profile(5, {{"id", FieldType::kInt64}, {"a", FieldType::kDate}});
  const PayloadProfile v2 = Profile(5, {{"id", FieldType::kInt64}, {"b", FieldType::kDate}});
  const PayloadProfile v3 = Profile(5, {{"id", FieldType::kInt64}, {"c", FieldType::kDate}});
  for (const bool newest_first : {false, true}) {
    const std::string source = newest_first ? "late" : "early";
    ApplyOne("raw/" + source + "/1", v1, At(0), source);
    ASSERT_EQ(ApplyOne("raw/" + source + "/2", v2, At(1), source).status, VersionStatus::kBreaking);
    ASSERT_EQ(ApplyOne("raw/" + source + "/3", v3, At(2), source).status, VersionStatus::kBreaking);
    StatusUpdate first;
    first.status = VersionStatus::kActive;
    first.note = "a renamed b";
    first.mappings = {{"b", "a"}};
    StatusUpdate second = first;
    second.note = "b renamed c";
    second.mappings = {{"c", "b"}};
    for (const StatusUpdate* u :
         newest_first ? std::vector{&second, &first} : std::vector{&first, &second}) {
      if (u == &second && !newest_first) {
        // c=a beside b=a would make a tree: refused, saying how to continue the chain.
        StatusUpdate skip = second;
        skip.mappings = {{"c", "a"}};
        auto r = registry_->SetStatus(source, 3, skip);
        ASSERT_FALSE(r.ok());
        EXPECT_NE(r.status().message().find("column a is already filled by b (mapping b=a); b "
                                            "is removed: if c renamed it, map c=b"),
                  std::string::npos)
            << r.status().message();
      }
      auto r = registry_->SetStatus(source, u == &first ? 2 : 3, *u);
      ASSERT_TRUE(r.ok()) << source << ": " << r.status().ToString();
    }
    const SchemaVersion bound = Get(3, source);
    EXPECT_EQ(bound.status, VersionStatus::kActive) << source;
    EXPECT_EQ(bound.mappings, (std::map<std::string, std::string>{{"b", "a"}, {"c", "b"}}))
        << source;
    auto schema = ToArrowSchema(bound);
    ASSERT_TRUE(schema.ok()) << schema.status().ToString();
    EXPECT_EQ((*schema)->field_names(), (std::vector<std::string>{"id", "a"}))
        << source << ": " << (*schema)->ToString();
    const auto column = (*schema)->GetFieldByName("a");
    ASSERT_NE(column, nullptr);
    EXPECT_EQ(FilledFrom(*column), (std::vector<std::string>{"c", "a", "b"})) << source;
  }
}

// Registry audit 2026-11-24: after txn_date=transaction_date was confirmed, a payload from a
// producer still on the old name raised a BREAKING version (and an alert) that called it
// txn_date renamed back. The mapping says they are one field: the old name is back and the
// new one optional, one ACTIVE version, then quiet for either shape (ADR-111).
TEST_P(RegistryContractTest, AConfirmedRenameSeenFromTheOtherSideIsNotBreaking) {
  ApplyOne("raw/bank/1", kSeed);
  ApplyOne("raw/bank/2", kRenamed, At(1));
  StatusUpdate rename;
  rename.status = VersionStatus::kActive;
  rename.note = "renamed upstream";
  rename.mappings = {{"txn_date", "transaction_date"}};
  ASSERT_TRUE(registry_->SetStatus("bank", 2, rename).ok());
  const PayloadProfile old_shape =
      Profile(10, {{"id", FieldType::kInt64, {int64_t{41}}},
                   {"amount", FieldType::kFloat64, {4.5}},
                   {"transaction_date", FieldType::kDate, Dates(20, 5)},
                   {"currency", FieldType::kString, {"EUR"}}});
  const ApplyOutcome out = ApplyOne("raw/bank/3", old_shape, At(2));
  EXPECT_EQ(out.status, VersionStatus::kActive);
  const SchemaVersion v3 = Get(3);
  EXPECT_EQ(v3.field_diff.added, std::vector<std::string>{"transaction_date"});
  EXPECT_TRUE(v3.field_diff.removed.empty() && v3.field_diff.renamed.empty());
  EXPECT_FALSE(v3.Find("txn_date")->removed);
  EXPECT_FALSE(v3.Find("txn_date")->required);
  EXPECT_EQ(v3.mappings, rename.mappings);
  ApplyOne("raw/bank/4", kRenamed, At(3));
  ApplyOne("raw/bank/5", old_shape, At(4));
  EXPECT_EQ(Get(3).payloads, 3u);  // either shape fits version 3
}

// A chain fills its column from one live field: after b=a, a came back (live; beside b, so b
// stays), then c arrived without b; c=b would make a and c fill column a, and is refused with
// nothing written. a=b closes a cycle (the rename undone) and is accepted: a and b bind to
// the one column a.
TEST_P(RegistryContractTest, AChainFillsItsColumnFromOneLiveFieldAndACycleBindsOnce) {
  ApplyOne("raw/1", Profile(5, {{"id", FieldType::kInt64}, {"a", FieldType::kDate}}));
  ApplyOne("raw/2", Profile(5, {{"id", FieldType::kInt64}, {"b", FieldType::kDate}}), At(1));
  StatusUpdate update;
  update.status = VersionStatus::kActive;
  update.note = "a renamed b";
  update.mappings = {{"b", "a"}};
  ASSERT_TRUE(registry_->SetStatus("bank", 2, update).ok());
  ApplyOne(
      "raw/3",
      Profile(5, {{"id", FieldType::kInt64}, {"a", FieldType::kDate}, {"b", FieldType::kDate}}),
      At(2));
  ApplyOne(
      "raw/4",
      Profile(5, {{"id", FieldType::kInt64}, {"a", FieldType::kDate}, {"c", FieldType::kDate}}),
      At(3));
  ASSERT_TRUE(Get(4).Find("b")->removed);
  ASSERT_FALSE(Get(4).Find("a")->removed);
  const size_t history = History().size();

  update.note = "b renamed c";
  update.mappings = {{"c", "b"}};
  auto refused = registry_->SetStatus("bank", 4, update);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(KindOf(refused.status()), ErrorKind::kBadInput);
  EXPECT_NE(
      refused.status().message().find("c → b → a would fill column a from 2 live fields, a and c"),
      std::string::npos)
      << refused.status().message();
  EXPECT_EQ(Get(4).mappings, (std::map<std::string, std::string>{{"b", "a"}}));
  EXPECT_EQ(Get(4).status, VersionStatus::kBreaking);
  EXPECT_EQ(History().size(), history);

  update.note = "b was a again";
  update.mappings = {{"a", "b"}};
  auto undone = registry_->SetStatus("bank", 4, update);
  ASSERT_TRUE(undone.ok()) << undone.status().ToString();
  auto schema = ToArrowSchema(Get(4));
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  EXPECT_EQ((*schema)->field_names(), (std::vector<std::string>{"id", "a", "c"}))
      << (*schema)->ToString();
  EXPECT_EQ(FilledFrom(*(*schema)->GetFieldByName("a")), (std::vector<std::string>{"a", "b"}));
}

TEST_P(RegistryContractTest, UnknownSourcesAndVersions) {
  auto versions = registry_->Versions("nobody");
  ASSERT_FALSE(versions.ok());
  EXPECT_EQ(KindOf(versions.status()), ErrorKind::kNotFound);
  auto version = registry_->Version("nobody", 0);
  ASSERT_FALSE(version.ok());
  EXPECT_EQ(KindOf(version.status()), ErrorKind::kNotFound);
  ApplyOne("raw/bank/1", kSeed);
  version = registry_->Version("bank", 2);
  ASSERT_FALSE(version.ok());
  EXPECT_EQ(KindOf(version.status()), ErrorKind::kNotFound);
  auto history = registry_->StatusHistory("nobody");
  ASSERT_TRUE(history.ok());
  EXPECT_TRUE(history->empty());
  EXPECT_EQ(registry_->Sources()->size(), 1u);
}

TEST_P(RegistryContractTest, VersionsAreListedOldestFirst) {
  ApplyOne("raw/bank/1", kSeed);
  ApplyOne("raw/bank/2", kWithCurrency, At(1));
  ApplyOne("raw/bank/3", kRenamed, At(2));
  auto versions = registry_->Versions("bank");
  ASSERT_TRUE(versions.ok());
  ASSERT_EQ(versions->size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ((*versions)[i].version, i + 1);
  EXPECT_EQ(Get(0).version, 3);
}

TEST_P(RegistryContractTest, VersionCountsPerSourceAndStatus) {
  ApplyOne("raw/bank/1", kSeed);
  ApplyOne("raw/bank/2", kWithCurrency, At(1));
  ApplyOne("raw/bank/3", kRenamed, At(2));
  ApplyOne("raw/shop/1", kSeed, At(3), "shop");
  auto counts = registry_->VersionCounts();
  ASSERT_TRUE(counts.ok()) << counts.status().ToString();
  const std::map<std::pair<std::string, std::string>, int64_t> expected = {
      {{"bank", "ACTIVE"}, 1},
      {{"bank", "DEPRECATED"}, 1},
      {{"bank", "BREAKING"}, 1},
      {{"shop", "ACTIVE"}, 1}};
  EXPECT_EQ(*counts, expected);
}

TEST_P(RegistryContractTest, SourcesAreIndependent) {
  ApplyOne("raw/bank/1", kSeed);
  ApplyOne("raw/shop/1", kSeed, At(1), "shop");
  ApplyOne("raw/bank/2", kRenamed, At(2));
  EXPECT_EQ(Summary("bank").latest_status, VersionStatus::kBreaking);
  EXPECT_EQ(Summary("shop").latest_status, VersionStatus::kActive);
  EXPECT_EQ(Summary("shop").versions, 1);
  // The same schema in two sources has the same fingerprint.
  EXPECT_EQ(Get(1, "bank").fingerprint, Get(1, "shop").fingerprint);
  EXPECT_NE(Get(2, "bank").fingerprint, Get(1, "shop").fingerprint);
  auto sources = registry_->Sources();
  ASSERT_TRUE(sources.ok());
  ASSERT_EQ(sources->size(), 2u);
  EXPECT_EQ((*sources)[0].source_id, "bank");  // ordered by id
}

TEST_P(RegistryContractTest, DeadLettersAreCountedOnceAndCleared) {
  ASSERT_TRUE(registry_->RecordDeadLetter("bank", "raw/bank/bad1", R"({"error":"x"})").ok());
  ASSERT_TRUE(registry_->RecordDeadLetter("bank", "raw/bank/bad1", R"({"error":"x"})").ok());
  ASSERT_TRUE(registry_->RecordDeadLetter("bank", "raw/bank/bad2", R"({"error":"y"})").ok());
  SourceSummary s = Summary();
  EXPECT_EQ(s.dead_letters, 2u);
  EXPECT_EQ(s.payloads, 0u);
  EXPECT_EQ(s.versions, 0);
  // A source known only by its dead letters has no versions, and is not unknown.
  auto versions = registry_->Versions("bank");
  ASSERT_TRUE(versions.ok()) << versions.status().ToString();
  EXPECT_TRUE(versions->empty());

  ASSERT_TRUE(registry_->ClearDeadLetter("raw/bank/bad1").ok());
  ASSERT_TRUE(registry_->ClearDeadLetter("raw/bank/bad1").ok());
  EXPECT_EQ(Summary().dead_letters, 1u);
  // The cleared object parses now: Apply records it anew.
  const ApplyOutcome out = ApplyOne("raw/bank/bad1", kSeed);
  EXPECT_FALSE(out.already_applied);
  EXPECT_EQ(out.version, 1);
  EXPECT_EQ(Summary().payloads, 1u);
  EXPECT_EQ(Summary().dead_letters, 1u);
  // Applied before being dead-lettered: the dead letter is not recorded.
  ASSERT_TRUE(registry_->RecordDeadLetter("bank", "raw/bank/bad1", R"({"error":"z"})").ok());
  EXPECT_EQ(Summary().dead_letters, 1u);
  EXPECT_TRUE(ApplyOne("raw/bank/bad1", kSeed).already_applied);
}

TEST_P(RegistryContractTest, ApplyingADeadLetteredObjectForgetsItsFailure) {
  ASSERT_TRUE(registry_->RecordDeadLetter("bank", "raw/bank/1", R"({"error":"x"})").ok());
  EXPECT_EQ(Summary().dead_letters, 1u);
  const ApplyOutcome out = ApplyOne("raw/bank/1", kSeed);
  EXPECT_FALSE(out.already_applied);
  EXPECT_EQ(out.version, 1);
  EXPECT_EQ(Summary().dead_letters, 0u);
  EXPECT_EQ(Summary().payloads, 1u);
}

std::vector<Backend> Backends() {
  return {{"sqlite",
           [](const TempDir& dir) -> arrow::Result<std::shared_ptr<Registry>> {
             ARROW_ASSIGN_OR_RAISE(auto r, SqliteRegistry::Open(dir.File("registry.db")));
             return r;
           }},
          {"home", [](const TempDir& dir) { return OpenRegistry(dir.File("home")); }}};
}

INSTANTIATE_TEST_SUITE_P(Backends, RegistryContractTest, ::testing::ValuesIn(Backends()),
                         [](const auto& info) { return info.param.name; });

// --- The SQLite file
// ------------------------------------------------------------------------------

// A second connection to the file, through SQLite directly (as another process would).
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    EXPECT_EQ(
        sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr),
        SQLITE_OK);
  }
  ~RawDb() { sqlite3_close_v2(db_); }
  int Exec(const std::string& sql) {
    char* error = nullptr;
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error);
    EXPECT_EQ(rc, SQLITE_OK) << sql << ": " << (error ? error : "");
    sqlite3_free(error);
    return rc;
  }
  int64_t Int(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sql;
    int64_t out = -1;
    if (sqlite3_step(stmt) == SQLITE_ROW) out = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

class SqliteRegistryTest : public ::testing::Test {
 protected:
  std::string Path() const { return dir_.File("registry.db"); }
  TempDir dir_;
};

TEST_F(SqliteRegistryTest, CreatesMigratesAndReopensWithItsData) {
  EXPECT_GE(SqliteRegistry::LatestMigration(), 1);
  {
    auto r = SqliteRegistry::Open(Path());
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_TRUE((*r)->Apply({{"bank", "raw/bank/1", &kSeed}}, At(0)).ok());
  }
  EXPECT_TRUE(fs::exists(Path()));
  {
    RawDb raw(Path());
    EXPECT_EQ(raw.Int("SELECT MAX(version) FROM schema_migrations"),
              SqliteRegistry::LatestMigration());
    EXPECT_EQ(raw.Int("SELECT COUNT(*) FROM schema_migrations"), SqliteRegistry::LatestMigration());
  }
  auto r = SqliteRegistry::Open(Path());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto v = (*r)->Version("bank", 1);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->first_object, "raw/bank/1");
  auto again = (*r)->Apply({{"bank", "raw/bank/1", &kSeed}}, At(1));
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE((*again)[0].already_applied);
  RawDb raw(Path());
  EXPECT_EQ(raw.Int("SELECT COUNT(*) FROM schema_migrations"), SqliteRegistry::LatestMigration());
}

// A registry written before sketches were kept stored each field's largest payload
// estimate and no sketch: the next payload must not lose that count.
TEST_F(SqliteRegistryTest, AFieldStoredWithoutASketchKeepsItsDistinctCount) {
  auto r = SqliteRegistry::Open(Path());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const PayloadProfile first = Ids(0, 3000);
  ASSERT_TRUE((*r)->Apply({{"bank", "raw/bank/1", &first}}, At(0)).ok());
  {
    RawDb raw(Path());  // as the registry of an earlier latebind would hold it
    raw.Exec(
        "UPDATE schema_versions SET fields = (SELECT json_group_array(json(json_remove(value, "
        "'$.distinct_sketch', '$.distinct_payload_max'))) FROM json_each(fields))");
    EXPECT_EQ(raw.Int("SELECT COUNT(*) FROM schema_versions WHERE fields LIKE '%distinct_s%' "
                      "OR fields LIKE '%distinct_p%'"),
              0);
  }
  const uint64_t stored = first.fields[0].distinct_approx;
  const PayloadProfile small = Ids(10000, 200);
  ASSERT_TRUE((*r)->Apply({{"bank", "raw/bank/2", &small}}, At(1)).ok());
  auto v = (*r)->Version("bank", 1);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  ASSERT_EQ(v->payloads, 2u);
  const FieldStats& id = v->Find("id")->stats;
  EXPECT_EQ(id.distinct_approx, stored);
  EXPECT_EQ(id.distinct_payload_max, stored);
  EXPECT_EQ(id.sketch, small.fields[0].distinct_sketch);  // the union from now on
}

TEST_F(SqliteRegistryTest, OpenRegistryCreatesItsHome) {
  const std::string home = dir_.File("a/b/home");
  auto r = OpenRegistry(home);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(fs::exists(home + "/registry.db"));
}

TEST_F(SqliteRegistryTest, RefusesARegistryFromANewerLatebind) {
  { ASSERT_TRUE(SqliteRegistry::Open(Path()).ok()); }
  {
    RawDb raw(Path());
    raw.Exec("INSERT INTO schema_migrations (version, applied_at) VALUES (999, 'later')");
  }
  auto r = SqliteRegistry::Open(Path());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(KindOf(r.status()), ErrorKind::kUnavailable);
  EXPECT_NE(r.status().message().find("newer"), std::string::npos) << r.status().ToString();
}

TEST_F(SqliteRegistryTest, RefusesACorruptFileAndLeavesItAlone) {
  std::string garbage;
  for (int i = 0; i < 8192; ++i) garbage.push_back(static_cast<char>((i * 7919 + 13) % 251));
  std::ofstream(Path(), std::ios::binary) << garbage;
  auto r = SqliteRegistry::Open(Path(), 200);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(KindOf(r.status()), ErrorKind::kUnavailable);
  EXPECT_NE(r.status().message().find("corrupt"), std::string::npos) << r.status().ToString();
  EXPECT_NE(r.status().message().find(Path()), std::string::npos) << r.status().ToString();
  EXPECT_TRUE(ReadBytes(Path()) == garbage) << "the corrupt file was changed";
  EXPECT_FALSE(fs::exists(Path() + "-wal"));
  auto home = OpenRegistry(dir_.path().string());
  ASSERT_FALSE(home.ok());
  EXPECT_EQ(KindOf(home.status()), ErrorKind::kUnavailable);
  EXPECT_TRUE(ReadBytes(Path()) == garbage) << "the corrupt file was changed";
}

TEST_F(SqliteRegistryTest, RefusesAForeignDatabaseAndLeavesItAlone) {
  {
    RawDb raw(Path());
    raw.Exec("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)");
    raw.Exec("INSERT INTO customers (name) VALUES ('ann'), ('bob')");
  }
  const std::string before = ReadBytes(Path());
  ASSERT_FALSE(before.empty());
  auto r = SqliteRegistry::Open(Path());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(KindOf(r.status()), ErrorKind::kUnavailable);
  EXPECT_NE(r.status().message().find("not a latebind registry"), std::string::npos)
      << r.status().ToString();
  EXPECT_TRUE(ReadBytes(Path()) == before) << "the foreign database was changed";
  RawDb raw(Path());
  EXPECT_EQ(raw.Int("SELECT COUNT(*) FROM sqlite_master WHERE name = 'schema_migrations'"), 0);
  EXPECT_EQ(raw.Int("SELECT COUNT(*) FROM customers"), 2);
}

TEST_F(SqliteRegistryTest, LockedRegistryIsUnavailableUntilReleased) {
  auto opened = SqliteRegistry::Open(Path(), /*busy_timeout_ms=*/200);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  std::shared_ptr<SqliteRegistry> registry = *opened;
  ASSERT_TRUE(registry->Apply({{"bank", "raw/bank/1", &kSeed}}, At(0)).ok());

  RawDb other(Path());
  other.Exec("BEGIN IMMEDIATE");
  const auto start = std::chrono::steady_clock::now();
  auto r = registry->Apply({{"bank", "raw/bank/2", &kWithCurrency}}, At(1));
  const auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(KindOf(r.status()), ErrorKind::kUnavailable);
  EXPECT_NE(r.status().message().find("locked"), std::string::npos) << r.status().ToString();
  EXPECT_GE(waited, std::chrono::milliseconds(150));  // it waited for the busy timeout
  // Readers are not blocked by a writer (WAL).
  auto v = registry->Version("bank", 0);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->version, 1);
  // Nothing of the failed call was kept, and a failed Apply can be retried.
  other.Exec("ROLLBACK");
  auto retry = registry->Apply({{"bank", "raw/bank/2", &kWithCurrency}}, At(1));
  ASSERT_TRUE(retry.ok()) << retry.status().ToString();
  EXPECT_EQ((*retry)[0].version, 2);
  EXPECT_FALSE((*retry)[0].already_applied);
}

TEST_F(SqliteRegistryTest, OpensWhileAnotherWriterHoldsTheLock) {
  { ASSERT_TRUE(SqliteRegistry::Open(Path()).ok()); }
  RawDb other(Path());
  other.Exec("BEGIN IMMEDIATE");
  auto r = SqliteRegistry::Open(Path(), 200);
  other.Exec("ROLLBACK");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE((*r)->Sources().ok());
}

// Switching a new file to WAL needs it to itself, and SQLite may answer "locked" at once,
// without the busy handler, while other connections open it: as when several processes
// open a new registry together (the concurrent-writers test below failed so now and then).
TEST_F(SqliteRegistryTest, ManyConnectionsOpeningANewRegistryTogetherAllSucceed) {
  constexpr int kThreads = 8;
  for (int round = 0; round < 20; ++round) {
    const std::string path = dir_.File(fmt::format("new-{}.db", round));
    std::vector<std::string> errors(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        auto r = SqliteRegistry::Open(path);
        if (!r.ok()) errors[t] = r.status().ToString();
      });
    }
    for (auto& th : threads) th.join();
    for (int t = 0; t < kThreads; ++t) EXPECT_EQ(errors[t], "") << "round " << round;
  }
}

// Eight writers, each with a connection of its own, apply 50 payloads each to one source;
// the payloads alternate between two schemas so versions are created all the time.
TEST_F(SqliteRegistryTest, ConcurrentWritersNeverLoseNorDuplicateAVersion) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 50;
  const PayloadProfile schema_a = Profile(
      4, {{"id", FieldType::kInt64, {int64_t{1}}}, {"colour", FieldType::kString, {"red"}}});
  const PayloadProfile schema_b = Profile(
      4, {{"id", FieldType::kInt64, {int64_t{2}}}, {"weight_kg", FieldType::kFloat64, {2.5}}});
  std::atomic<int> new_versions{0};
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto opened = SqliteRegistry::Open(Path());
      if (!opened.ok()) {
        errors[t] = opened.status().ToString();
        return;
      }
      std::shared_ptr<SqliteRegistry> registry = *opened;
      for (int i = 0; i < kPerThread; ++i) {
        const PayloadProfile& p = (i + t) % 2 == 0 ? schema_a : schema_b;
        auto r = registry->Apply({{"shared", fmt::format("raw/shared/{}-{}", t, i), &p}},
                                 ApplyOptions{});
        if (!r.ok()) {
          errors[t] = r.status().ToString();
          return;
        }
        if ((*r)[0].new_version) ++new_versions;
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(errors[t], "") << "thread " << t;

  auto opened = SqliteRegistry::Open(Path());
  ASSERT_TRUE(opened.ok());
  auto versions = (*opened)->Versions("shared");
  ASSERT_TRUE(versions.ok()) << versions.status().ToString();
  ASSERT_GT(versions->size(), 1u);
  EXPECT_EQ(static_cast<int>(versions->size()), new_versions.load());
  uint64_t payloads = 0;
  for (size_t i = 0; i < versions->size(); ++i) {
    EXPECT_EQ((*versions)[i].version, static_cast<int64_t>(i + 1)) << "gap or duplicate";
    payloads += (*versions)[i].payloads;
  }
  EXPECT_EQ(payloads, static_cast<uint64_t>(kThreads * kPerThread));
  auto sources = (*opened)->Sources();
  ASSERT_TRUE(sources.ok());
  ASSERT_EQ(sources->size(), 1u);
  EXPECT_EQ((*sources)[0].payloads, static_cast<uint64_t>(kThreads * kPerThread));
  EXPECT_EQ((*sources)[0].records, static_cast<uint64_t>(kThreads * kPerThread * 4));
  EXPECT_EQ((*sources)[0].latest_version, static_cast<int64_t>(versions->size()));
  // Each version has exactly one creation entry; at most one version is ACTIVE.
  auto history = (*opened)->StatusHistory("shared");
  ASSERT_TRUE(history.ok());
  std::set<int64_t> created;
  for (const StatusChange& c : *history) {
    if (!c.from) {
      EXPECT_TRUE(created.insert(c.version).second) << c.version;
    }
  }
  EXPECT_EQ(created.size(), versions->size());
  int active = 0;
  for (const SchemaVersion& v : *versions) active += v.status == VersionStatus::kActive;
  EXPECT_LE(active, 1);
}

}  // namespace
}  // namespace latebind::registry
