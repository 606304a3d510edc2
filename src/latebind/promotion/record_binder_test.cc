// The binder, value by value: casts, rescue, renames, nesting, CSV, and curated names.
#include "latebind/promotion/record_binder.h"

#include <arrow/api.h>
#include <dlfcn.h>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "latebind/promotion/column_names.h"
#include "latebind/registry/arrow_schema.h"

namespace latebind::promotion {
namespace {

registry::FieldSchema F(std::string path, FieldType type, bool removed = false) {
  registry::FieldSchema f;
  f.path = std::move(path);
  f.type = type;
  f.removed = removed;
  return f;
}

registry::SchemaVersion Version(std::vector<registry::FieldSchema> fields) {
  registry::SchemaVersion v;
  v.source_id = "s";
  v.version = 1;
  v.fields = std::move(fields);
  return v;
}

class Bound {
 public:
  explicit Bound(const registry::SchemaVersion& v, std::map<std::string, std::string> known = {})
      : version_(v) {
    bound_ = registry::ToArrowSchema(version_).ValueOrDie();
    named_ = NameColumns(*bound_, known);
    binder_ = RecordBinder::Make(bound_, named_.schema, version_).ValueOrDie();
  }

  std::shared_ptr<arrow::RecordBatch> Json(std::string text) {
    text.append(64, ' ');  // simdjson's padding
    const Lineage lineage{"raw/source=s/date=2026-11-23/01J.ndjson", 1'700'000'000'000'000};
    const auto st = binder_->BindJson(std::string_view(text).substr(0, text.size() - 64), lineage);
    EXPECT_TRUE(st.ok()) << st.ToString();
    return binder_->Flush().ValueOrDie();
  }

  RecordBinder& binder() { return *binder_; }
  const NamedSchema& named() const { return named_; }

 private:
  registry::SchemaVersion version_;
  std::shared_ptr<arrow::Schema> bound_;
  NamedSchema named_;
  std::unique_ptr<RecordBinder> binder_;
};

std::string Cell(const arrow::RecordBatch& b, const std::string& column, int row) {
  auto col = b.GetColumnByName(column);
  EXPECT_NE(col, nullptr) << column;
  if (col == nullptr) return "<missing>";
  return col->GetScalar(row).ValueOrDie()->ToString();
}

nlohmann::json Rescued(const arrow::RecordBatch& b, int row) {
  auto col = std::static_pointer_cast<arrow::StringArray>(b.GetColumnByName(kRescuedColumn));
  if (col->IsNull(row)) return nullptr;
  return nlohmann::json::parse(col->GetView(row));
}

// Members are found by the key that followed the previous one last time: records that
// reorder, skip or repeat keys, or add unknown ones, still bind each value to its column.
TEST(RecordBinderTest, KeyOrderMayChangeFromRecordToRecord) {
  Bound b(
      Version({F("a", FieldType::kInt64), F("b", FieldType::kInt64), F("c", FieldType::kInt64)}));
  auto batch = b.Json(R"({"a":1,"b":2,"c":3}
{"a":4,"c":6}
{"c":9,"b":8,"a":7}
{"a":10,"x":0,"b":11,"b":12,"c":13}
{"b":15}
{"a":16,"b":17,"c":18})");
  ASSERT_EQ(batch->num_rows(), 6);
  const std::vector<std::string> a{"1", "4", "7", "10", "null", "16"};
  const std::vector<std::string> bs{"2", "null", "8", "11", "15", "17"};
  const std::vector<std::string> c{"3", "6", "9", "13", "null", "18"};
  for (int row = 0; row < 6; ++row) {
    EXPECT_EQ(Cell(*batch, "a", row), a[row]) << row;
    EXPECT_EQ(Cell(*batch, "b", row), bs[row]) << row;
    EXPECT_EQ(Cell(*batch, "c", row), c[row]) << row;
  }
  EXPECT_EQ(Rescued(*batch, 3), (nlohmann::json{{"x", 0}, {"b", 12}}));
  EXPECT_EQ(Rescued(*batch, 0), nullptr);
}

TEST(RecordBinderTest, CastsEachValueAndRescuesWhatDoesNotFit) {
  Bound b(Version({F("id", FieldType::kInt64), F("price", FieldType::kFloat64),
                   F("name", FieldType::kString), F("when", FieldType::kTimestamp),
                   F("day", FieldType::kDate), F("ok", FieldType::kBoolean)}));
  auto batch = b.Json(
      R"({"id":1,"price":2,"name":"a","when":"2026-11-23T10:00:00Z","day":"2026-11-23","ok":true}
{"id":"x","price":"N/A","name":7,"when":"soon","day":"2026-13-01","ok":1,"extra":{"k":[1]}}
{"id":null}
)");
  ASSERT_EQ(batch->num_rows(), 3);
  EXPECT_EQ(Cell(*batch, "id", 0), "1");
  EXPECT_EQ(Cell(*batch, "price", 0), "2");  // an integer widened into the double column
  EXPECT_EQ(Cell(*batch, "when", 0), "2026-11-23 10:00:00.000000Z");
  EXPECT_EQ(Cell(*batch, "day", 0), "2026-11-23");
  EXPECT_TRUE(Rescued(*batch, 0).is_null());
  // Row 1: every value misfits but the number in a string column, which keeps its text.
  EXPECT_EQ(Cell(*batch, "name", 1), "7");
  EXPECT_EQ(Cell(*batch, "id", 1), "null");
  EXPECT_EQ(Cell(*batch, "price", 1), "null");
  EXPECT_EQ(Rescued(*batch, 1),
            nlohmann::json::parse(R"({"id":"x","price":"N/A","when":"soon","day":"2026-13-01",
                                      "ok":1,"extra":{"k":[1]}})"));
  EXPECT_EQ(Cell(*batch, "id", 2), "null");
  EXPECT_TRUE(Rescued(*batch, 2).is_null());
  EXPECT_EQ(Cell(*batch, kSourceObjectColumn, 2), "raw/source=s/date=2026-11-23/01J.ndjson");
  EXPECT_EQ(b.binder().rows(), 0);  // Flush starts over
}

TEST(RecordBinderTest, NestedStructsAndListsWithPathsForRescuedValues) {
  Bound b(Version({F("m", FieldType::kObject), F("m.city", FieldType::kString),
                   F("m.geo", FieldType::kObject), F("m.geo.lat", FieldType::kFloat64),
                   F("tags", FieldType::kArray), F("tags[]", FieldType::kInt64),
                   F("items", FieldType::kArray), F("items[]", FieldType::kObject),
                   F("items[].sku", FieldType::kString)}));
  auto batch = b.Json(
      R"([{"m":{"city":"Oslo","geo":{"lat":59.9}},"tags":[1,"two",3],"items":[{"sku":"a"},{"sku":"b","qty":2}]},
          {"m":"flat","tags":null},
          {}])");
  ASSERT_EQ(batch->num_rows(), 3);
  EXPECT_EQ(Cell(*batch, "m", 0),
            "{city:string = Oslo, geo:struct<lat: double> = {lat:double = 59.9}}");
  EXPECT_EQ(Cell(*batch, "tags", 0), "list<item: int64>[1, null, 3]");
  EXPECT_EQ(Rescued(*batch, 0), nlohmann::json::parse(R"({"tags[1]":"two","items[1].qty":2})"));
  EXPECT_EQ(Cell(*batch, "m", 1), "null");
  EXPECT_EQ(Rescued(*batch, 1), nlohmann::json::parse(R"({"m":"flat"})"));
  EXPECT_EQ(Cell(*batch, "tags", 2), "null");
}

TEST(RecordBinderTest, ConfirmedRenameFillsTheOldColumnFromEitherName) {
  auto v = Version({F("txn_date", FieldType::kDate), F("transaction_date", FieldType::kDate, true),
                    F("amount", FieldType::kFloat64)});
  v.mappings = {{"txn_date", "transaction_date"}};
  Bound b(v);
  auto batch = b.Json(
      R"({"transaction_date":"2026-01-01","amount":1}
{"txn_date":"2026-01-02","amount":2}
{"txn_date":"2026-01-03","transaction_date":"2026-01-04"})");
  ASSERT_EQ(batch->schema()->field(0)->name(), "transaction_date");
  EXPECT_EQ(batch->schema()->GetFieldIndex("txn_date"), -1);
  EXPECT_EQ(Cell(*batch, "transaction_date", 0), "2026-01-01");
  EXPECT_EQ(Cell(*batch, "transaction_date", 1), "2026-01-02");
  // Both names in one record: the first fills the column, the second is kept.
  EXPECT_EQ(Cell(*batch, "transaction_date", 2), "2026-01-03");
  EXPECT_EQ(Rescued(*batch, 2), nlohmann::json::parse(R"({"transaction_date":"2026-01-04"})"));
}

TEST(RecordBinderTest, CsvCellsCastByArrowParsers) {
  Bound b(Version({F("id", FieldType::kInt64), F("price", FieldType::kFloat64),
                   F("flag", FieldType::kBoolean), F("day", FieldType::kDate),
                   F("note", FieldType::kString)}));
  profiler::CsvDialect dialect;
  dialect.columns = {"id", "price", "flag", "day", "note", "other"};
  std::string text =
      "id,price,flag,day,note,other\n1,2.5,true,2026-11-23,hi,\n2,N/A,FALSE,,\"a,b\",x\n";
  text.append(64, ' ');
  const Lineage lineage{"raw/source=s/date=2026-11-23/01J.csv", 0};
  ASSERT_TRUE(
      b.binder()
          .BindCsv(std::string_view(text).substr(0, text.size() - 64), dialect, true, lineage)
          .ok());
  auto batch = b.binder().Flush().ValueOrDie();
  ASSERT_EQ(batch->num_rows(), 2);
  EXPECT_EQ(Cell(*batch, "price", 0), "2.5");
  EXPECT_EQ(Cell(*batch, "flag", 1), "false");
  EXPECT_EQ(Cell(*batch, "day", 1), "null");
  EXPECT_EQ(Cell(*batch, "note", 1), "a,b");
  EXPECT_TRUE(Rescued(*batch, 0).is_null());
  EXPECT_EQ(Rescued(*batch, 1), nlohmann::json::parse(R"({"price":"N/A","other":"x"})"));
}

TEST(RecordBinderTest, InvalidJsonNamesTheObjectAndOffset) {
  Bound b(Version({F("id", FieldType::kInt64)}));
  std::string text = "{\"id\":1}\n{\"id\":\n";
  text.append(64, ' ');
  const auto st = b.binder().BindJson(std::string_view(text).substr(0, text.size() - 64),
                                      Lineage{"raw/x.ndjson", 0});
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("raw/x.ndjson"), std::string::npos) << st.message();
}

// simdjson parses 1 MiB at a time: a longer record, among short ones, is bound all the same,
// and a bad record past the first MiB is reported at its own byte.
TEST(RecordBinderTest, RecordsLongerThanTheParseBatch) {
  Bound b(Version({F("id", FieldType::kInt64), F("blob", FieldType::kString)}));
  std::string text;
  for (int i = 0; i < 20'000; ++i) text += fmt::format("{{\"id\":{},\"blob\":\"x\"}}\n", i);
  const std::string blob(3 << 20, 'b');
  text += "{\"id\":-1,\"blob\":\"" + blob + "\"}\n";
  for (int i = 0; i < 20'000; ++i) text += fmt::format("{{\"id\":{}}}\n", i);
  auto batch = b.Json(text);
  ASSERT_EQ(batch->num_rows(), 40'001);
  EXPECT_EQ(Cell(*batch, "id", 20'000), "-1");
  EXPECT_EQ(Cell(*batch, "blob", 20'000).size(), blob.size());
  EXPECT_EQ(Cell(*batch, "id", 40'000), "19999");

  const size_t bad_at = text.size();
  text += "{\"id\":\n";
  text.append(64, ' ');
  const auto st = b.binder().BindJson(std::string_view(text).substr(0, text.size() - 64),
                                      Lineage{"raw/x.ndjson", 0});
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find(fmt::format("byte {}", bad_at)), std::string::npos) << st.message();
}

// simdjson's symbols must bind to Debian's library, the one its headers describe, and not to
// the other simdjson libparquet exports (ADR-035): with that one, large documents crashed.
TEST(RecordBinderTest, SimdjsonIsDebians) {
  void* symbol = dlsym(RTLD_DEFAULT, "_ZN8simdjson25get_active_implementationEv");
  ASSERT_NE(symbol, nullptr);
  Dl_info info{};
  ASSERT_NE(dladdr(symbol, &info), 0);
  EXPECT_NE(std::string(info.dli_fname).find("libsimdjson"), std::string::npos) << info.dli_fname;
}

TEST(ColumnNamesTest, NormalisesAndResolvesCollisionsDeterministically) {
  const auto v = Version({F("Amount", FieldType::kFloat64), F("AMOUNT", FieldType::kFloat64),
                          F("user-id", FieldType::kString), F("9lives", FieldType::kInt64),
                          F("_rescued_data", FieldType::kString), F("m", FieldType::kObject),
                          F("m.Zip Code", FieldType::kString)});
  const auto bound = registry::ToArrowSchema(v).ValueOrDie();
  const NamedSchema named = NameColumns(*bound, {});
  std::vector<std::string> names;
  for (const auto& f : named.schema->fields()) names.push_back(f->name());
  EXPECT_EQ(names, (std::vector<std::string>{"amount", "amount_2", "user_id", "_9lives",
                                             "_rescued_data_2", "m"}));
  EXPECT_EQ(named.schema->field(5)->type()->field(0)->name(), "zip_code");
  EXPECT_EQ(named.assigned.at("m.Zip Code"), "zip_code");

  // Names given before win, even over a field that would now sort first.
  const NamedSchema again = NameColumns(*bound, {{"AMOUNT", "amount"}});
  EXPECT_EQ(again.schema->field(0)->name(), "amount_2");
  EXPECT_EQ(again.schema->field(1)->name(), "amount");
  EXPECT_EQ(again.assigned.count("AMOUNT"), 0u);
}

}  // namespace
}  // namespace latebind::promotion
