// Promotion's records in the SQLite registry (catalog.h, the promotion block of registry.h):
// the ledger and what is left to promote, the commit point and its refusals, re-promotion,
// publication, column names, blocked promotions, the catalog of tables, and the same data
// read back after reopening the file or migrating a registry from before promotion.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "latebind/common/status.h"
#include "latebind/registry/sqlite_registry.h"

namespace latebind::registry {
namespace {

namespace fs = std::filesystem;
using profiler::FieldProfile;
using profiler::PayloadProfile;

class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = fs::temp_directory_path() /
            fmt::format("latebind_catalog_{}_{}_{}", info->name(), getpid(), counter++);
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

// A payload of `records` records holding every one of `paths` (int64 fields).
PayloadProfile Profile(uint64_t records, const std::vector<std::string>& paths) {
  PayloadProfile p;
  p.records = records;
  for (const std::string& path : paths) {
    FieldProfile f;
    f.path = path;
    f.type = FieldType::kInt64;
    f.required = true;
    f.present = records;
    p.fields.push_back(std::move(f));
  }
  return p;
}

const PayloadProfile kV1 = Profile(10, {"id", "amount"});
const PayloadProfile kV2 = Profile(20, {"id", "amount", "currency"});  // additive: version 2

CuratedFile File(const std::string& run, int n, std::vector<std::string> objects, int64_t rows = 10,
                 int64_t bytes = 100, int64_t version = 1) {
  CuratedFile f;
  f.key = fmt::format("curated/bank/ingest_date=2026-11-23/part-{}-{}.parquet", run, n);
  f.staging_key = fmt::format("staging/{}/ingest_date=2026-11-23/part-{}.parquet", run, n);
  f.ingest_date = "2026-11-23";
  f.rows = rows;
  f.bytes = bytes;
  f.run_id = run;
  f.version = version;
  f.objects = std::move(objects);
  return f;
}

PromotionRun MakeRun(const std::string& run_id, int64_t version, std::vector<CuratedFile> files,
                     std::vector<std::string> retired = {},
                     std::map<std::string, std::string> new_columns = {}) {
  PromotionRun r;
  r.run_id = run_id;
  r.source_id = "bank";
  r.table = "bank";
  r.version = version;
  r.files = std::move(files);
  r.retired = std::move(retired);
  r.new_columns = std::move(new_columns);
  return r;
}

std::vector<std::string> Objects(const std::vector<PromotableObject>& objects) {
  std::vector<std::string> out;
  for (const auto& o : objects) out.push_back(o.object);
  return out;
}

std::vector<std::string> Keys(const std::vector<CuratedFile>& files) {
  std::vector<std::string> out;
  for (const auto& f : files) out.push_back(f.key);
  return out;
}

void ExpectSameFile(const CuratedFile& got, const CuratedFile& want) {
  EXPECT_EQ(got.key, want.key);
  EXPECT_EQ(got.staging_key, want.staging_key);
  EXPECT_EQ(got.ingest_date, want.ingest_date);
  EXPECT_EQ(got.rows, want.rows);
  EXPECT_EQ(got.bytes, want.bytes);
  EXPECT_EQ(got.run_id, want.run_id);
  EXPECT_EQ(got.version, want.version);
  EXPECT_EQ(got.objects, want.objects);
}

class SqliteCatalogTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen() {
    registry_.reset();
    auto r = SqliteRegistry::Open(dir_.File("registry.db"));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    registry_ = *r;
  }

  void ApplyObject(const std::string& object, const PayloadProfile& profile,
                   const std::string& source = "bank") {
    auto r = registry_->Apply({{source, object, &profile}}, ApplyOptions{});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }

  std::vector<std::string> Pending(const std::string& source = "bank") {
    auto r = registry_->Unpromoted(source);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return Objects(r.ValueOr(std::vector<PromotableObject>{}));
  }

  void Commit(const PromotionRun& run, bool repromotion = false) {
    arrow::Status st = registry_->CommitPromotion(run, repromotion);
    ASSERT_TRUE(st.ok()) << st.ToString();
  }

  std::vector<CuratedTable> AllTables() {
    auto r = registry_->Tables();
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ValueOr(std::vector<CuratedTable>{});
  }

  RepromotionSet Since(int64_t version) {
    auto r = registry_->PromotedSince("bank", version);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ValueOr(RepromotionSet{});
  }

  std::vector<PromotionRun> Unpublished() {
    auto r = registry_->UnpublishedRuns();
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ValueOr(std::vector<PromotionRun>{});
  }

  TempDir dir_;
  std::shared_ptr<SqliteRegistry> registry_;
};

using Strings = std::vector<std::string>;

TEST_F(SqliteCatalogTest, UnpromotedListsAppliedObjectsOnly) {
  ApplyObject("raw/bank/b", kV1);
  ApplyObject("raw/bank/a", kV1);
  ApplyObject("raw/shop/x", kV1, "shop");
  ASSERT_TRUE(registry_->RecordDeadLetter("bank", "raw/bank/c", R"({"error":"bad"})").ok());

  auto r = registry_->Unpromoted("bank");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(Objects(*r), (Strings{"raw/bank/a", "raw/bank/b"}));
  EXPECT_EQ((*r)[0].version, 1);
  EXPECT_EQ((*r)[0].records, 10u);
  EXPECT_FALSE((*r)[0].applied_at.empty());
  EXPECT_EQ(Pending("shop"), (Strings{"raw/shop/x"}));
  EXPECT_TRUE(Pending("nobody").empty());

  // A cleared dead letter is not applied until Apply records it anew.
  ASSERT_TRUE(registry_->ClearDeadLetter("raw/bank/c").ok());
  EXPECT_EQ(Pending(), (Strings{"raw/bank/a", "raw/bank/b"}));
  ApplyObject("raw/bank/c", kV1);
  EXPECT_EQ(Pending(), (Strings{"raw/bank/a", "raw/bank/b", "raw/bank/c"}));
}

TEST_F(SqliteCatalogTest, LayoutsReadBackAsTheProfilerRecordedThem) {
  PayloadProfile csv = kV1;
  csv.format = profiler::Format::kCsv;
  csv.csv = profiler::CsvDialect{';', '\'', '\\', true, true, true, {"id", "amount"}};
  ApplyObject("raw/bank/a.csv", csv);
  PayloadProfile ndjson = kV1;
  ndjson.format = profiler::Format::kNdjson;
  ApplyObject("raw/bank/b.csv", ndjson);  // the extension is not what the profiler decided

  auto pending = registry_->Unpromoted("bank");
  ASSERT_TRUE(pending.ok()) << pending.status().ToString();
  ASSERT_EQ(pending->size(), 2u);
  const auto& a = (*pending)[0].layout;
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->format, profiler::Format::kCsv);
  ASSERT_TRUE(a->csv.has_value());
  EXPECT_EQ(a->csv->delimiter, ';');
  EXPECT_EQ(a->csv->quote, '\'');
  EXPECT_EQ(a->csv->escape, '\\');
  EXPECT_TRUE(a->csv->header && a->csv->bom && a->csv->crlf);
  EXPECT_EQ(a->csv->columns, (Strings{"id", "amount"}));
  const auto& b = (*pending)[1].layout;
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->format, profiler::Format::kNdjson);
  EXPECT_FALSE(b->csv.has_value());

  // Re-promotion reads the same.
  Commit(MakeRun("r1", 1, {File("r1", 0, {"raw/bank/a.csv", "raw/bank/b.csv"})}));
  const RepromotionSet since = Since(0);
  ASSERT_EQ(since.objects.size(), 2u);
  ASSERT_TRUE(since.objects[0].layout && since.objects[0].layout->csv);
  EXPECT_EQ(since.objects[0].layout->csv->delimiter, ';');
}

TEST_F(SqliteCatalogTest, ACorruptLayoutIsAnErrorNotAGuess) {
  ApplyObject("raw/bank/a", kV1);
  registry_.reset();
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(dir_.File("registry.db").c_str(), &db), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db, "UPDATE payloads SET layout = '{\"format\":\"xml\"}'", nullptr,
                           nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  Reopen();
  auto r = registry_->Unpromoted("bank");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("raw/bank/a"), std::string::npos) << r.status().ToString();
  EXPECT_NE(r.status().message().find("unknown format"), std::string::npos)
      << r.status().ToString();
}

TEST_F(SqliteCatalogTest, CommitRemovesItsObjectsFromUnpromoted) {
  ApplyObject("raw/bank/a", kV1);
  ApplyObject("raw/bank/b", kV1);
  EXPECT_FALSE(*registry_->RunCommitted("r1"));
  Commit(MakeRun("r1", 1, {File("r1", 0, {"raw/bank/a"})}));
  EXPECT_EQ(Pending(), (Strings{"raw/bank/b"}));
  EXPECT_TRUE(*registry_->RunCommitted("r1"));
  EXPECT_FALSE(*registry_->RunCommitted("r2"));
  Commit(MakeRun("r2", 1, {File("r2", 0, {"raw/bank/b"})}));
  EXPECT_TRUE(Pending().empty());
}

TEST_F(SqliteCatalogTest, ConflictingCommitsChangeNothing) {
  ApplyObject("raw/bank/a", kV1);
  ApplyObject("raw/bank/b", kV1);
  Commit(MakeRun("r1", 1, {File("r1", 0, {"raw/bank/a"})}, {}, {{"id", "id"}}));

  // Another run promoting a again (with b): refused whole, b stays pending.
  const PromotionRun again =
      MakeRun("r2", 1, {File("r2", 0, {"raw/bank/a", "raw/bank/b"})}, {}, {{"amount", "amount"}});
  arrow::Status st = registry_->CommitPromotion(again, /*repromotion=*/false);
  EXPECT_EQ(KindOf(st), ErrorKind::kConflict) << st.ToString();
  // A re-promotion that does not retire a's file is refused too.
  st = registry_->CommitPromotion(again, /*repromotion=*/true);
  EXPECT_EQ(KindOf(st), ErrorKind::kConflict) << st.ToString();
  // The same run committed twice (a retry after an unknown outcome).
  st = registry_->CommitPromotion(MakeRun("r1", 1, {File("r1", 1, {"raw/bank/b"})}), false);
  EXPECT_EQ(KindOf(st), ErrorKind::kConflict) << st.ToString();
  // Retiring a file that is not live.
  st = registry_->CommitPromotion(
      MakeRun("r3", 1, {File("r3", 0, {"raw/bank/b"})}, {"curated/bank/nope.parquet"}), true);
  EXPECT_EQ(KindOf(st), ErrorKind::kConflict) << st.ToString();

  EXPECT_EQ(Pending(), (Strings{"raw/bank/b"}));
  EXPECT_FALSE(*registry_->RunCommitted("r2"));
  EXPECT_FALSE(*registry_->RunCommitted("r3"));
  EXPECT_EQ(*registry_->ColumnNames("bank"), (std::map<std::string, std::string>{{"id", "id"}}));
  const auto tables = AllTables();
  ASSERT_EQ(tables.size(), 1u);
  EXPECT_EQ(Keys(tables[0].files), (Strings{File("r1", 0, {}).key}));
  const auto runs = Unpublished();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].run_id, "r1");
  ASSERT_EQ(runs[0].files.size(), 1u);
}

TEST_F(SqliteCatalogTest, RepromotionReplacesRowsAndRetiresFiles) {
  ApplyObject("raw/bank/a", kV1);
  ApplyObject("raw/bank/b", kV1);
  ApplyObject("raw/bank/c", kV1);
  Commit(MakeRun("r1", 1, {File("r1", 0, {"raw/bank/a", "raw/bank/b"}, 20, 200)}));
  Commit(MakeRun("r2", 1, {File("r2", 0, {"raw/bank/c"}, 10, 100)}));

  // Retiring r1's file without rewriting b would lose b's rows.
  arrow::Status st = registry_->CommitPromotion(
      MakeRun("r3", 2, {File("r3", 0, {"raw/bank/a"}, 10, 90, 2)}, {File("r1", 0, {}).key}), true);
  EXPECT_EQ(KindOf(st), ErrorKind::kBadInput) << st.ToString();

  Commit(MakeRun("r3", 2, {File("r3", 0, {"raw/bank/a", "raw/bank/b"}, 20, 180, 2)},
                 {File("r1", 0, {}).key}),
         /*repromotion=*/true);
  const auto tables = AllTables();
  ASSERT_EQ(tables.size(), 1u);
  EXPECT_EQ(tables[0].version, 2);
  EXPECT_EQ(Keys(tables[0].files), (Strings{File("r2", 0, {}).key, File("r3", 0, {}).key}));
  EXPECT_EQ(tables[0].rows, 30);
  EXPECT_EQ(tables[0].bytes, 280);
  EXPECT_TRUE(Pending().empty());
  const RepromotionSet all = Since(1);
  EXPECT_EQ(Objects(all.objects), (Strings{"raw/bank/a", "raw/bank/b", "raw/bank/c"}));
  EXPECT_EQ(all.files, (Strings{File("r2", 0, {}).key, File("r3", 0, {}).key}));

  // The retired file is listed by the run that retires it, for publication to delete.
  const auto runs = Unpublished();
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[2].retired, (Strings{File("r1", 0, {}).key}));
}

TEST_F(SqliteCatalogTest, PromotedSinceIncludesFileMates) {
  ApplyObject("raw/bank/a", kV1);
  ApplyObject("raw/bank/b", kV1);
  ApplyObject("raw/bank/c", kV1);
  ApplyObject("raw/bank/d", kV2);  // version 2
  ApplyObject("raw/bank/e", kV2);
  // a's records span two files: d's mate a brings the second file, and b with it.
  Commit(MakeRun("r1", 1,
                 {File("r1", 0, {"raw/bank/a", "raw/bank/d"}),
                  File("r1", 1, {"raw/bank/a", "raw/bank/b"}), File("r1", 2, {"raw/bank/c"})}));

  EXPECT_TRUE(Since(3).objects.empty());
  EXPECT_TRUE(Since(3).files.empty());
  const RepromotionSet set = Since(2);
  ASSERT_EQ(Objects(set.objects), (Strings{"raw/bank/a", "raw/bank/b", "raw/bank/d"}));
  EXPECT_EQ(set.objects[0].version, 1);
  EXPECT_EQ(set.objects[0].records, 10u);
  EXPECT_FALSE(set.objects[0].applied_at.empty());
  EXPECT_EQ(set.objects[2].version, 2);
  EXPECT_EQ(set.objects[2].records, 20u);
  EXPECT_EQ(set.files, (Strings{File("r1", 0, {}).key, File("r1", 1, {}).key}));
  EXPECT_EQ(Pending(), (Strings{"raw/bank/e"}));  // never promoted: not re-promoted
  EXPECT_EQ(Objects(Since(1).objects),
            (Strings{"raw/bank/a", "raw/bank/b", "raw/bank/c", "raw/bank/d"}));
  EXPECT_TRUE(registry_->PromotedSince("shop", 1)->objects.empty());

  // Re-promoting the set retires exactly its files.
  Commit(MakeRun("r2", 2, {File("r2", 0, {"raw/bank/a", "raw/bank/b", "raw/bank/d"}, 30, 300, 2)},
                 set.files),
         /*repromotion=*/true);
  EXPECT_EQ(Since(2).files, (Strings{File("r2", 0, {}).key}));
  EXPECT_EQ(Keys(AllTables()[0].files), (Strings{File("r1", 2, {}).key, File("r2", 0, {}).key}));
}

TEST_F(SqliteCatalogTest, UnpublishedRunsRoundTripUntilPublished) {
  ApplyObject("raw/bank/a", kV1);
  ApplyObject("raw/bank/b", kV1);
  const PromotionRun r1 = MakeRun("r1", 1, {File("r1", 1, {"raw/bank/a"}), File("r1", 0, {})}, {},
                                  {{"id", "id"}, {"amount", "amount"}});
  Commit(r1);
  Commit(MakeRun("r2", 1, {File("r2", 0, {"raw/bank/b"})}));

  auto runs = Unpublished();
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].run_id, "r1");
  EXPECT_EQ(runs[0].source_id, "bank");
  EXPECT_EQ(runs[0].table, "bank");
  EXPECT_EQ(runs[0].version, 1);
  EXPECT_EQ(runs[0].new_columns, r1.new_columns);
  EXPECT_TRUE(runs[0].retired.empty());
  EXPECT_FALSE(runs[0].committed_at.empty());
  EXPECT_FALSE(runs[0].published);
  ASSERT_EQ(runs[0].files.size(), 2u);  // in run order, not key order
  ExpectSameFile(runs[0].files[0], r1.files[0]);
  ExpectSameFile(runs[0].files[1], r1.files[1]);
  EXPECT_EQ(runs[1].run_id, "r2");

  ASSERT_TRUE(registry_->MarkPublished("r1").ok());
  ASSERT_TRUE(registry_->MarkPublished("r1").ok());  // safe to repeat
  runs = Unpublished();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].run_id, "r2");
  EXPECT_EQ(KindOf(registry_->MarkPublished("nope")), ErrorKind::kNotFound);
  ASSERT_TRUE(registry_->MarkPublished("r2").ok());
  EXPECT_TRUE(Unpublished().empty());
  EXPECT_TRUE(*registry_->RunCommitted("r1"));
}

TEST_F(SqliteCatalogTest, PromotedAtIsSetOnceForTheBoundVersion) {
  ApplyObject("raw/bank/a", kV1);
  ApplyObject("raw/bank/b", kV1);
  ApplyObject("raw/bank/c", kV2);
  EXPECT_FALSE(registry_->Version("bank", 1)->promoted_at.has_value());
  Commit(MakeRun("r1", 1, {File("r1", 0, {"raw/bank/a"})}));
  const auto first = registry_->Version("bank", 1)->promoted_at;
  ASSERT_TRUE(first.has_value());
  EXPECT_FALSE(registry_->Version("bank", 2)->promoted_at.has_value());
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  Commit(MakeRun("r2", 1, {File("r2", 0, {"raw/bank/b"})}));
  EXPECT_EQ(registry_->Version("bank", 1)->promoted_at, first);
  Commit(MakeRun("r3", 2, {File("r3", 0, {"raw/bank/c"})}));
  EXPECT_TRUE(registry_->Version("bank", 2)->promoted_at.has_value());
}

TEST_F(SqliteCatalogTest, ColumnNamesAccumulateAndNeverChange) {
  EXPECT_TRUE(registry_->ColumnNames("bank")->empty());
  ApplyObject("raw/bank/a", kV1);
  ApplyObject("raw/bank/b", kV2);
  Commit(
      MakeRun("r1", 1, {File("r1", 0, {"raw/bank/a"})}, {}, {{"id", "id"}, {"amount", "amount"}}));
  Commit(MakeRun("r2", 2, {File("r2", 0, {"raw/bank/b"})}, {},
                 {{"currency", "currency"}, {"id", "id_2"}}));
  EXPECT_EQ(*registry_->ColumnNames("bank"),
            (std::map<std::string, std::string>{
                {"amount", "amount"}, {"currency", "currency"}, {"id", "id"}}));
  EXPECT_TRUE(registry_->ColumnNames("shop")->empty());
}

TEST_F(SqliteCatalogTest, BlockedPromotionsAreCountedPerSource) {
  EXPECT_TRUE(registry_->BlockedCounts()->empty());
  ASSERT_TRUE(registry_->RecordBlocked("bank", {3}).ok());
  ASSERT_TRUE(registry_->RecordBlocked("bank", {3, 4}).ok());
  ASSERT_TRUE(registry_->RecordBlocked("shop", {2}).ok());
  EXPECT_EQ(*registry_->BlockedCounts(),
            (std::map<std::string, int64_t>{{"bank", 2}, {"shop", 1}}));
}

TEST_F(SqliteCatalogTest, TablesListLiveFilesByKeyWithTotals) {
  EXPECT_TRUE(AllTables().empty());
  ApplyObject("raw/bank/a", kV1);
  ApplyObject("raw/bank/b", kV1);
  ApplyObject("raw/shop/x", kV1, "shop");
  Commit(MakeRun("r2", 1, {File("r2", 1, {"raw/bank/b"}, 20, 200), File("r2", 0, {"raw/bank/a"})}));
  PromotionRun shop = MakeRun("s1", 1, {File("s1", 0, {"raw/shop/x"}, 7, 70)});
  shop.source_id = shop.table = "shop";
  Commit(shop);

  const auto tables = AllTables();
  ASSERT_EQ(tables.size(), 2u);
  const CuratedTable& bank = tables[0];
  EXPECT_EQ(bank.table, "bank");
  EXPECT_EQ(bank.source_id, "bank");
  EXPECT_EQ(bank.version, 1);
  EXPECT_EQ(bank.rows, 30);
  EXPECT_EQ(bank.bytes, 300);
  EXPECT_FALSE(bank.created_at.empty());
  EXPECT_LE(bank.created_at, bank.updated_at);
  ASSERT_EQ(bank.files.size(), 2u);
  ExpectSameFile(bank.files[0], File("r2", 0, {"raw/bank/a"}));
  ExpectSameFile(bank.files[1], File("r2", 1, {"raw/bank/b"}, 20, 200));
  EXPECT_EQ(tables[1].table, "shop");
  EXPECT_EQ(tables[1].rows, 7);

  // One table by name: the same record; an unknown name is none.
  auto one = registry_->Table("shop");
  ASSERT_TRUE(one.ok() && one->has_value()) << one.status().ToString();
  EXPECT_EQ((*one)->rows, 7);
  ASSERT_EQ((*one)->files.size(), 1u);
  ExpectSameFile((*one)->files[0], File("s1", 0, {"raw/shop/x"}, 7, 70));
  auto none = registry_->Table("nope");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  // A table of one source cannot take another's files.
  PromotionRun stray = MakeRun("s2", 1, {File("s2", 0, {})});
  stray.table = "shop";
  EXPECT_EQ(KindOf(registry_->CommitPromotion(stray, false)), ErrorKind::kConflict);
}

TEST_F(SqliteCatalogTest, EverythingReadsBackAfterReopening) {
  ApplyObject("raw/bank/a", kV1);
  ApplyObject("raw/bank/b", kV1);
  ApplyObject("raw/bank/c", kV1);
  Commit(MakeRun("r1", 1, {File("r1", 0, {"raw/bank/a"})}, {}, {{"id", "id"}}));
  Commit(MakeRun("r2", 1, {File("r2", 0, {"raw/bank/a", "raw/bank/b"}, 30, 300)},
                 {File("r1", 0, {}).key}),
         true);
  ASSERT_TRUE(registry_->MarkPublished("r1").ok());
  ASSERT_TRUE(registry_->RecordBlocked("bank", {2}).ok());
  const auto tables_before = AllTables();

  Reopen();
  EXPECT_EQ(Pending(), (Strings{"raw/bank/c"}));
  EXPECT_TRUE(*registry_->RunCommitted("r1"));
  const auto runs = Unpublished();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].run_id, "r2");
  EXPECT_EQ(runs[0].retired, (Strings{File("r1", 0, {}).key}));
  ASSERT_EQ(runs[0].files.size(), 1u);
  ExpectSameFile(runs[0].files[0], File("r2", 0, {"raw/bank/a", "raw/bank/b"}, 30, 300));
  const auto tables = AllTables();
  ASSERT_EQ(tables.size(), 1u);
  EXPECT_EQ(tables[0].rows, 30);
  EXPECT_EQ(tables[0].created_at, tables_before[0].created_at);
  EXPECT_EQ(Keys(tables[0].files), (Strings{File("r2", 0, {}).key}));
  EXPECT_EQ(*registry_->ColumnNames("bank"), (std::map<std::string, std::string>{{"id", "id"}}));
  EXPECT_EQ(*registry_->BlockedCounts(), (std::map<std::string, int64_t>{{"bank", 1}}));
  EXPECT_EQ(Objects(Since(1).objects), (Strings{"raw/bank/a", "raw/bank/b"}));
}

// A registry written before promotion existed (migration 1 only) gets migration 2 on open
// and keeps its data.
TEST_F(SqliteCatalogTest, MigratesARegistryFromBeforePromotion) {
  ApplyObject("raw/bank/a", kV1);
  registry_.reset();
  {
    // Back to what migration 1 alone left: the tables of migration 2 and its record gone.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(dir_.File("registry.db").c_str(), &db), SQLITE_OK);
    for (const char* table :
         {"promotion_ledger", "curated_files", "curated_columns", "blocked_promotions",
          "curated_tables", "promotion_runs", "alert_sinks"}) {
      const std::string sql = fmt::format("DROP TABLE {}", table);
      EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sql;
    }
    EXPECT_EQ(
        sqlite3_exec(db, "ALTER TABLE payloads DROP COLUMN layout", nullptr, nullptr, nullptr),
        SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db, "DELETE FROM schema_migrations WHERE version > 1", nullptr, nullptr,
                           nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  Reopen();
  EXPECT_EQ(SqliteRegistry::LatestMigration(), 5);
  EXPECT_EQ(registry_->Version("bank", 1)->first_object, "raw/bank/a");
  EXPECT_EQ(Pending(), (Strings{"raw/bank/a"}));
  // Applied before the registry kept layouts: promotion falls back to the key and content.
  EXPECT_FALSE(registry_->Unpromoted("bank")->at(0).layout.has_value());
  Commit(MakeRun("r1", 1, {File("r1", 0, {"raw/bank/a"})}));
  EXPECT_TRUE(Pending().empty());
  EXPECT_EQ(AllTables().size(), 1u);
}

}  // namespace
}  // namespace latebind::registry
