// The binder, value by value: casts, rescue, renames, nesting, CSV, and curated names.
#include "latebind/promotion/record_binder.h"

#include <arrow/api.h>
#include <dlfcn.h>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <set>

#include "latebind/profiler/type_lattice.h"
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

// The empty top-level key is the field "." (not the record itself, ""): its members bind
// under it and are rescued as "..x", never as the top-level "x" (ADR-103).
TEST(RecordBinderTest, TheEmptyTopLevelKeyIsAFieldOfItsOwn) {
  Bound b(Version(
      {F(".", FieldType::kObject), F("..x", FieldType::kInt64), F("x", FieldType::kString)}));
  auto batch = b.Json(R"({"":{"x":1},"x":"s"}
{"":{"x":"bad"},"x":"t"})");
  ASSERT_EQ(batch->num_rows(), 2);
  EXPECT_EQ(batch->schema()->field(0)->type()->ToString(), "struct<x: int64>");
  EXPECT_EQ(Cell(*batch, "x", 0), "s");
  EXPECT_EQ(Cell(*batch, "x", 1), "t");
  EXPECT_TRUE(Rescued(*batch, 0).is_null());
  EXPECT_EQ(Rescued(*batch, 1), nlohmann::json::parse(R"({"..x":"bad"})"));
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

// A mapping across parents (b.bar=a.foo), which the registry refuses now (ADR-105) but
// may hold from before, never makes a.foo answer to a.bar, a sibling's name: a.bar keeps
// its column and b.bar's values are not lost.
TEST(RecordBinderTest, AMappingAcrossParentsNeverCapturesASibling) {
  registry::SchemaVersion v = Version(
      {F("a", FieldType::kObject), F("a.foo", FieldType::kInt64, /*removed=*/true),
       F("a.bar", FieldType::kInt64), F("b", FieldType::kObject), F("b.bar", FieldType::kInt64)});
  v.mappings = {{"b.bar", "a.foo"}};
  Bound b(v);
  auto batch = b.Json(R"({"a":{"bar":3},"b":{"bar":4}})");
  ASSERT_EQ(batch->num_rows(), 1);
  EXPECT_EQ(Cell(*batch, "a", 0), "{foo:int64 = null, bar:int64 = 3}");
  EXPECT_EQ(Cell(*batch, "b", 0), R"({"bar":4})");  // b has no column left: its JSON text
  EXPECT_TRUE(Rescued(*batch, 0).is_null());
}

// ADR-087: a renamed b (b=a), then b renamed c (c=b). Records carrying any of the three names
// fill the one column a; there was a second column b, filled from c. A table promoted back
// then knows c by that column's name: the chain's column keeps the name of where it started.
TEST(RecordBinderTest, ChainedRenamesFillOneColumnFromEveryName) {
  auto v = Version({F("id", FieldType::kInt64), F("a", FieldType::kDate, true),
                    F("b", FieldType::kDate, true), F("c", FieldType::kDate)});
  v.mappings = {{"b", "a"}, {"c", "b"}};
  for (const auto& known : std::vector<std::map<std::string, std::string>>{
           {}, {{"id", "id"}, {"a", "a"}, {"b", "a"}, {"c", "b"}}}) {
    Bound b(v, known);
    auto batch = b.Json(
        R"({"id":1,"a":"2026-01-01"}
{"id":2,"b":"2026-02-01"}
{"id":3,"c":"2026-03-01"})");
    const std::vector<std::string> names{"id", "a", kRescuedColumn, kSourceObjectColumn,
                                         kIngestedAtColumn};
    EXPECT_EQ(batch->schema()->field_names(), names) << batch->schema()->ToString();
    EXPECT_EQ(Cell(*batch, "a", 0), "2026-01-01");
    EXPECT_EQ(Cell(*batch, "a", 1), "2026-02-01");
    EXPECT_EQ(Cell(*batch, "a", 2), "2026-03-01");
    for (int row = 0; row < 3; ++row) EXPECT_TRUE(Rescued(*batch, row).is_null()) << row;
  }
}

TEST(RecordBinderTest, CsvCellsCastToTheirColumns) {
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

std::string RescuedText(const arrow::RecordBatch& b, int row) {
  auto col = std::static_pointer_cast<arrow::StringArray>(b.GetColumnByName(kRescuedColumn));
  return col->IsNull(row) ? "null" : std::string(col->GetView(row));
}

std::shared_ptr<arrow::RecordBatch> BindCsvText(Bound& b, std::vector<std::string> columns,
                                                std::string text) {
  profiler::CsvDialect dialect;
  dialect.columns = std::move(columns);
  text.append(64, ' ');
  const Lineage lineage{"raw/source=s/date=2026-11-23/01J.csv", 0};
  const auto st = b.binder().BindCsv(std::string_view(text).substr(0, text.size() - 64), dialect,
                                     true, lineage);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return b.binder().Flush().ValueOrDie();
}

// A cell past the header is rescued as columnN, N its position, named as the sniffer names
// an unnamed header cell: suffixed when the header has that name, so that it never shares
// a key with a real column's rescue.
TEST(RecordBinderTest, CsvCellsPastTheHeaderAreRescuedUnderNamesOfTheirOwn) {
  Bound b(Version({F("a", FieldType::kInt64), F("column2", FieldType::kInt64)}));
  auto batch = BindCsvText(b, {"a", "column2"}, "a,column2\n1,oops,extra,more\n2,3,,x\n");
  ASSERT_EQ(batch->num_rows(), 2);
  EXPECT_EQ(Rescued(*batch, 0),
            nlohmann::json::parse(R"({"column2":"oops","column2_1":"extra","column3":"more"})"));
  EXPECT_EQ(Rescued(*batch, 1), nlohmann::json::parse(R"({"column3":"x"})"));
}

// simdjson stops at integers beyond 64 bits; the profiler reads them as float64
// (WidenBigIntegers), and so does the binder: a float64 column takes the double, a string
// column the digits, and an int64 column rescues them, digit for digit. A document stream
// goes on after such a record, in NDJSON as in a top-level array.
TEST(RecordBinderTest, IntegersBeyond64BitsBindAsTheProfilerReadThem) {
  Bound b(Version(
      {F("a", FieldType::kFloat64), F("s", FieldType::kString), F("i", FieldType::kInt64)}));
  auto batch = b.Json(R"({"a":1}
{"a":123456789012345678901234567890,"s":-99999999999999999999999,"i":18446744073709551616}
{"a":-9223372036854775809,"i":-9223372036854775809}
{"a":18446744073709551615,"s":"x"}
[{"a":2},{"i":7,"s":[1],"a":99999999999999999999}]
{"a":3}
{"a":1180591620717411303424,"i":1e400,"s":1.5})");
  ASSERT_EQ(batch->num_rows(), 8);
  // A float64 holds the nearest of an integer past 2^53, and its exact text is rescued as
  // well (ADR-099): 18446744073709551615 fits uint64, which simdjson reads exactly; the
  // others are beyond 64 bits (ADR-100). 2^70 is a double exactly: not rescued.
  const std::vector<std::string> a{"1",
                                   "1.2345678901234568e+29",
                                   "-9.223372036854776e+18",
                                   "1.8446744073709552e+19",
                                   "2",
                                   "1e+20",
                                   "3",
                                   "1.1805916207174113e+21"};
  for (int row = 0; row < 8; ++row) EXPECT_EQ(Cell(*batch, "a", row), a[row]) << row;
  EXPECT_EQ(RescuedText(*batch, 3), R"({"a":18446744073709551615})");
  EXPECT_EQ(Cell(*batch, "s", 1), "-99999999999999999999999");
  EXPECT_EQ(Cell(*batch, "i", 1), "null");
  EXPECT_EQ(RescuedText(*batch, 1),
            R"({"a":123456789012345678901234567890,"i":18446744073709551616})");
  EXPECT_EQ(RescuedText(*batch, 2), R"({"a":-9223372036854775809,"i":-9223372036854775809})");
  EXPECT_EQ(Cell(*batch, "i", 5), "7");
  EXPECT_EQ(RescuedText(*batch, 5), R"({"s":[1],"a":99999999999999999999})");
  EXPECT_EQ(RescuedText(*batch, 6), "null");
  EXPECT_EQ(Cell(*batch, "s", 7), "1.5");
  EXPECT_EQ(RescuedText(*batch, 7), R"({"i":1e400})");
}

// Numbers beyond float64 (which simdjson rejects) are read as the profiler reads them: a
// string column takes their text, any other column rescues them, digit for digit, in
// NDJSON and in a top-level array, nested or not. Bound records after them are unaffected.
TEST(RecordBinderTest, NumbersBeyondFloat64AreRescuedWithTheirText) {
  Bound b(Version({F("a", FieldType::kFloat64), F("s", FieldType::kString),
                   F("l", FieldType::kArray), F("l[]", FieldType::kFloat64)}));
  auto batch = b.Json(R"({"a":1e400,"s":-2E+999,"l":[1,1e309]}
[{"a":2,"s":"\u0000latebind:beyond-float64"},{"a":1.7976931348623157e308,"s":1e400,"x":-1e400}]
{"a":3})");
  ASSERT_EQ(batch->num_rows(), 4);
  EXPECT_EQ(Cell(*batch, "a", 0), "null");
  EXPECT_EQ(Cell(*batch, "s", 0), "-2E+999");
  EXPECT_EQ(Cell(*batch, "l", 0), "list<item: double>[1, null]");
  EXPECT_EQ(RescuedText(*batch, 0), R"({"a":1e400,"l[1]":1e309})");
  // In a record with no such number the placeholder's text is a plain string.
  EXPECT_EQ(Cell(*batch, "s", 1), R"("\u0000latebind:beyond-float64")");
  EXPECT_EQ(RescuedText(*batch, 1), "null");
  EXPECT_EQ(Cell(*batch, "a", 2), "1.7976931348623157e+308");
  EXPECT_EQ(Cell(*batch, "s", 2), "1e400");
  EXPECT_EQ(RescuedText(*batch, 2), R"({"x":-1e400})");
  EXPECT_EQ(Cell(*batch, "a", 3), "3");
}

// A number in a string column, or rescued, is its text in the record: the DOM's double
// would print "1.10" as 1.1 and lose digits past a double's.
TEST(RecordBinderTest, NumbersKeepTheirTextInStringColumnsAndRescuedValues) {
  Bound b(Version({F("s", FieldType::kString), F("n", FieldType::kInt64),
                   F("m", FieldType::kObject), F("m.k", FieldType::kString)}));
  auto batch = b.Json(R"({"s":1.10,"n":1.50,"x":{"y":[1E5, 2, "a\"b"]}}
{"n":1,"s":12345678901234567.89,"m":{"k":-0.0,"j":1e-7},"s":2.50}
[{"s":"t"}, {"s" : 3.0e+1, "n" : [0.1 , {"z":1.0}]}]
1.000
)");
  ASSERT_EQ(batch->num_rows(), 5);
  EXPECT_EQ(Cell(*batch, "s", 0), "1.10");
  EXPECT_EQ(RescuedText(*batch, 0), R"({"n":1.50,"x":{"y":[1E5,2,"a\"b"]}})");
  EXPECT_EQ(Cell(*batch, "s", 1), "12345678901234567.89");
  EXPECT_EQ(Cell(*batch, "m", 1), "{k:string = -0.0}");
  EXPECT_EQ(RescuedText(*batch, 1), R"({"m.j":1e-7,"s":2.50})");
  EXPECT_EQ(Cell(*batch, "s", 3), "3.0e+1");
  EXPECT_EQ(RescuedText(*batch, 3), R"({"n":[0.1,{"z":1.0}]})");
  EXPECT_EQ(RescuedText(*batch, 4), R"({"$":1.000})");
}

// JSON's -0 is an integer the DOM holds as 0: a text column, a rescued value and a float64
// column keep its sign; an int64 column has no -0.
TEST(RecordBinderTest, MinusZeroKeepsItsSign) {
  Bound b(Version({F("s", FieldType::kString), F("d", FieldType::kFloat64),
                   F("i", FieldType::kInt64), F("b", FieldType::kBoolean)}));
  auto batch = b.Json(R"({"s":-0,"d":-0,"i":-0,"b":-0}
{"s":0,"d":0,"i":0,"b":[-0, 0]}
)");
  ASSERT_EQ(batch->num_rows(), 2);
  EXPECT_EQ(Cell(*batch, "s", 0), "-0");
  EXPECT_EQ(Cell(*batch, "s", 1), "0");
  auto d = std::static_pointer_cast<arrow::DoubleArray>(batch->GetColumnByName("d"));
  EXPECT_TRUE(std::signbit(d->Value(0)));
  EXPECT_FALSE(std::signbit(d->Value(1)));
  EXPECT_EQ(Cell(*batch, "i", 0), "0");
  EXPECT_EQ(RescuedText(*batch, 0), R"({"b":-0})");
  EXPECT_EQ(RescuedText(*batch, 1), R"({"b":[-0,0]})");
}

// A field of int64 values widened to float64 (one record held 1.5): ids past 2^53 were
// rounded (9007199254740993 → …992), silently, in rows promoted exactly before. The column
// holds the nearest double and the exact text is rescued as well, as for a timestamp past
// microseconds (Fit::kCoarse); every integer up to 2^53 binds exactly, nothing rescued.
TEST(RecordBinderTest, IntegersAFloat64HoldsOnlyAsTheirNearestAreRescuedToo) {
  Bound b(Version({F("id", FieldType::kFloat64)}));
  auto batch = b.Json(R"({"id":9007199254740993}
{"id":9007199254740992}
{"id":-9007199254740993}
{"id":9223372036854775807}
{"id":1.5}
)");
  ASSERT_EQ(batch->num_rows(), 5);
  EXPECT_EQ(Cell(*batch, "id", 0), "9.007199254740992e+15");
  EXPECT_EQ(RescuedText(*batch, 0), R"({"id":9007199254740993})");
  EXPECT_EQ(Cell(*batch, "id", 1), "9.007199254740992e+15");
  EXPECT_EQ(RescuedText(*batch, 1), "null");
  EXPECT_EQ(RescuedText(*batch, 2), R"({"id":-9007199254740993})");
  EXPECT_EQ(RescuedText(*batch, 3), R"({"id":9223372036854775807})");
  EXPECT_EQ(Cell(*batch, "id", 4), "1.5");
  EXPECT_EQ(RescuedText(*batch, 4), "null");
  auto csv = BindCsvText(b, {"id"},
                         "id\n9007199254740993\n9007199254740992\n2.5\n"
                         "123456789012345678901234\n-1180591620717411303424\n-0\n");
  EXPECT_EQ(Cell(*csv, "id", 0), "9.007199254740992e+15");
  EXPECT_EQ(RescuedText(*csv, 0), R"({"id":"9007199254740993"})");
  EXPECT_EQ(RescuedText(*csv, 1), "null");
  EXPECT_EQ(Cell(*csv, "id", 2), "2.5");
  // Beyond 64 bits (ADR-100): rescued unless the double is exact (-2^70).
  EXPECT_EQ(Cell(*csv, "id", 3), "1.2345678901234569e+23");
  EXPECT_EQ(RescuedText(*csv, 3), R"({"id":"123456789012345678901234"})");
  EXPECT_EQ(Cell(*csv, "id", 4), "-1.1805916207174113e+21");
  EXPECT_EQ(RescuedText(*csv, 4), "null");
  // "-0" keeps its sign, as JSON's -0 does (ADR-081).
  EXPECT_TRUE(std::signbit(
      std::static_pointer_cast<arrow::DoubleArray>(csv->GetColumnByName("id"))->Value(5)));
}

// simdjson reads a number too small for a float64 (1e-400) as 0: that is its nearest
// double, and its exact text is rescued as well (ADR-099); real zeros bind alone.
TEST(RecordBinderTest, NumbersTooSmallForFloat64AreRescuedToo) {
  Bound b(Version({F("x", FieldType::kFloat64), F("s", FieldType::kString)}));
  auto batch = b.Json(R"({"x":1e-400,"s":2.5e-999}
{"x":-0.0e5}
{"x":0.000}
{"x":-5E-330}
{"x":4.9e-324}
)");
  ASSERT_EQ(batch->num_rows(), 5);
  EXPECT_EQ(Cell(*batch, "x", 0), "0");
  EXPECT_EQ(RescuedText(*batch, 0), R"({"x":1e-400})");
  EXPECT_EQ(Cell(*batch, "s", 0), "2.5e-999");
  EXPECT_EQ(Cell(*batch, "x", 1), "-0");
  EXPECT_EQ(RescuedText(*batch, 1), "null");
  EXPECT_EQ(Cell(*batch, "x", 2), "0");
  EXPECT_EQ(RescuedText(*batch, 2), "null");
  EXPECT_EQ(RescuedText(*batch, 3), R"({"x":-5E-330})");
  EXPECT_EQ(Cell(*batch, "x", 4), "5e-324");  // the smallest subnormal: not zero
  EXPECT_EQ(RescuedText(*batch, 4), "null");
}

// A text value fits its column exactly when the profiler types it as the column's type (or
// one that widens into it): what the registry judged not to fit is rescued, not reshaped,
// and what it counted as fitting is bound.
TEST(RecordBinderTest, CsvTextFitsAsTheProfilerTypesIt) {
  Bound b(Version({F("acct", FieldType::kInt64), F("amt", FieldType::kFloat64),
                   F("ok", FieldType::kBoolean), F("day", FieldType::kDate)}));
  auto batch = BindCsvText(b, {"acct", "amt", "ok", "day"},
                           "acct,amt,ok,day\n"
                           "007,inf,1,2024-02-30\n"
                           "0x1F,1e400,0,20240101\n"
                           "+5,NaN,TRUE,2024-02-29\n"
                           "9223372036854775808,-7,False,2024-01-01T00:00:00Z\n"
                           "-0,.5e1,yes, 2024-01-01\n");
  ASSERT_EQ(batch->num_rows(), 5);
  EXPECT_EQ(RescuedText(*batch, 0), R"({"acct":"007","amt":"inf","ok":"1","day":"2024-02-30"})");
  EXPECT_EQ(RescuedText(*batch, 1), R"({"acct":"0x1F","amt":"1e400","ok":"0","day":"20240101"})");
  EXPECT_EQ(Cell(*batch, "acct", 2), "5");
  EXPECT_EQ(Cell(*batch, "ok", 2), "true");
  EXPECT_EQ(Cell(*batch, "day", 2), "2024-02-29");
  EXPECT_EQ(RescuedText(*batch, 2), R"({"amt":"NaN"})");
  EXPECT_EQ(Cell(*batch, "amt", 3), "-7");  // an integer widened into the double column
  EXPECT_EQ(Cell(*batch, "ok", 3), "false");
  EXPECT_EQ(RescuedText(*batch, 3),
            R"({"acct":"9223372036854775808","day":"2024-01-01T00:00:00Z"})");
  EXPECT_EQ(Cell(*batch, "acct", 4), "0");
  EXPECT_EQ(Cell(*batch, "amt", 4), "5");
  EXPECT_EQ(RescuedText(*batch, 4), R"({"ok":"yes","day":" 2024-01-01"})");
}

// Audit 2026-11-24: a quote inside an unquoted cell opened a quoted run, so `12" pipe` and
// the rows after it up to the next quote were bound as one cell. It is text, as the profiler
// now reads it.
TEST(RecordBinderTest, CsvQuoteInsideACellIsText) {
  Bound b(Version({F("id", FieldType::kInt64), F("note", FieldType::kString)}));
  auto batch = BindCsvText(b, {"id", "note"},
                           "id,note\n1,12\" pipe\n2,\"a, \"\"b\"\"\"\n3,6\" ruler\n4,\"x\"y\"z\n");
  ASSERT_EQ(batch->num_rows(), 4);
  EXPECT_EQ(Cell(*batch, "id", 1), "2");
  EXPECT_EQ(Cell(*batch, "note", 0), "12\" pipe");
  EXPECT_EQ(Cell(*batch, "note", 1), "a, \"b\"");
  EXPECT_EQ(Cell(*batch, "note", 2), "6\" ruler");
  EXPECT_EQ(Cell(*batch, "note", 3), "xy\"z");
  for (int row = 0; row < 4; ++row) EXPECT_EQ(RescuedText(*batch, row), "null") << row;
}

// Every text the profiler types date or timestamp binds to a timestamp column, and no other.
// A fraction finer than the column's microseconds is truncated and a leap second is the
// next minute's first: the exact text is rescued as well, so nothing is lost.
TEST(RecordBinderTest, TimestampTextFitsAsTheProfilerTypesIt) {
  Bound b(Version({F("t", FieldType::kTimestamp)}));
  const std::vector<std::pair<std::string, std::string>> cases{
      {"2024-01-01T00:00:00.123456789Z", "2024-01-01 00:00:00.123456Z"},
      {"2024-01-01T00:00:00.123456000Z", "2024-01-01 00:00:00.123456Z"},
      {"2024-01-01T00:00:00.1234567+01:00", "2023-12-31 23:00:00.123456Z"},
      {"2016-12-31T23:59:60Z", "2017-01-01 00:00:00.000000Z"},
      {"2016-12-31 23:59:60.5", "2017-01-01 00:00:00.500000Z"},
      {"2024-01-01t10:00:00z", "2024-01-01 10:00:00.000000Z"},
      {"2024-01-01T00:00:00,5Z", "2024-01-01 00:00:00.500000Z"},
      {"2024-01-01 10:20", "2024-01-01 10:20:00.000000Z"},
      {"2024-01-01T10:20:30-0500", "2024-01-01 15:20:30.000000Z"},
      {"2024-01-01T10:20:30+05", "2024-01-01 05:20:30.000000Z"},
      {"2024-01-01", "2024-01-01 00:00:00.000000Z"},
      {"2024-01-01T25:00:00Z", "null"},
      {"2024-01-01T10:00:00.Z", "null"},
      {"2024-01-01T10:00:00.1234567890Z", "null"},
      {"2024-02-30T10:00:00Z", "null"},
      {"2024-01-01T10:00:00Zjunk", "null"},
      {"2024-01-01T10", "null"},
  };
  std::string text;
  for (const auto& [value, cell] : cases) text += fmt::format("{{\"t\":\"{}\"}}\n", value);
  auto batch = b.Json(text);
  ASSERT_EQ(batch->num_rows(), static_cast<int64_t>(cases.size()));
  const std::set<std::string> coarse{"2024-01-01T00:00:00.123456789Z",
                                     "2024-01-01T00:00:00.1234567+01:00", "2016-12-31T23:59:60Z",
                                     "2016-12-31 23:59:60.5"};
  for (size_t i = 0; i < cases.size(); ++i) {
    const auto& [value, cell] = cases[i];
    const int row = static_cast<int>(i);
    const FieldType type = profiler::ClassifyString(value);
    EXPECT_EQ(cell != "null", type == FieldType::kTimestamp || type == FieldType::kDate) << value;
    EXPECT_EQ(Cell(*batch, "t", row), cell) << value;
    const bool rescued = cell == "null" || coarse.count(value) > 0;
    const nlohmann::json expected =
        rescued ? nlohmann::json{{"t", value}} : nlohmann::json(nullptr);
    EXPECT_EQ(Rescued(*batch, row), expected) << value;
  }
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

// Readers add the hive partition key of the curated layout (ingest_date=…) as a column:
// a field of that name would be shadowed by it, so it is renamed like a lineage column.
TEST(ColumnNamesTest, PartitionKeyIsReserved) {
  const auto v = Version({F("ingest_date", FieldType::kString), F("Ingest-Date", FieldType::kDate),
                          F("m", FieldType::kObject), F("m.ingest_date", FieldType::kString)});
  const NamedSchema named = NameColumns(*registry::ToArrowSchema(v).ValueOrDie(), {});
  EXPECT_EQ(named.schema->field(0)->name(), "ingest_date_2");
  EXPECT_EQ(named.schema->field(1)->name(), "ingest_date_3");
  EXPECT_EQ(named.schema->field(2)->type()->field(0)->name(), "ingest_date");
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

  // A key that is a normal name already keeps it, wherever a key normalised to it comes.
  const auto mixed = Version({F("a-b", FieldType::kInt64), F("a_b", FieldType::kInt64),
                              F("_rescued_data", FieldType::kString)});
  const NamedSchema kept = NameColumns(*registry::ToArrowSchema(mixed).ValueOrDie(), {});
  EXPECT_EQ(kept.schema->field(0)->name(), "a_b_2");
  EXPECT_EQ(kept.schema->field(1)->name(), "a_b");
  EXPECT_EQ(kept.schema->field(2)->name(), "_rescued_data_2");  // lineage names stay reserved
}

}  // namespace
}  // namespace latebind::promotion
