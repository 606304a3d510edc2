// The payload layout's JSON (what the registry keeps for promotion, ADR-044): every dialect
// the sniffer can decide reads back the same, and malformed text is refused by name.
#include "latebind/profiler/profile_json.h"

#include <gtest/gtest.h>

#include "latebind/profiler/csv_sniffer.h"
#include "latebind/profiler/format_detector.h"

namespace latebind::profiler {
namespace {

PayloadLayout RoundTrip(const PayloadLayout& layout) {
  auto back = LayoutFromJson(LayoutToJson(layout).dump());
  EXPECT_TRUE(back.ok()) << back.status().ToString();
  return back.ValueOr(PayloadLayout{});
}

TEST(PayloadLayoutJsonTest, JsonFormatsCarryNoDialect) {
  for (Format f : {Format::kJson, Format::kNdjson}) {
    const PayloadLayout back = RoundTrip({f, std::nullopt});
    EXPECT_EQ(back.format, f);
    EXPECT_FALSE(back.csv.has_value());
  }
}

TEST(PayloadLayoutJsonTest, CsvDialectsReadBackTheSame) {
  const std::vector<CsvDialect> dialects = {
      {',', '"', '"', true, false, false, {"id", "name"}},
      {'\t', '\0', '\0', false, false, true, {"column0", "column1", "column2"}},
      {';', '\'', '\\', true, true, true, {"a b", "\"q\"", ""}},
      {'|', '"', '\\', true, false, false, {}},
  };
  for (const CsvDialect& d : dialects) {
    const PayloadLayout back = RoundTrip({Format::kCsv, d});
    EXPECT_EQ(back.format, Format::kCsv);
    ASSERT_TRUE(back.csv.has_value());
    EXPECT_EQ(back.csv->delimiter, d.delimiter);
    EXPECT_EQ(back.csv->quote, d.quote);
    EXPECT_EQ(back.csv->escape, d.escape);
    EXPECT_EQ(back.csv->header, d.header);
    EXPECT_EQ(back.csv->bom, d.bom);
    EXPECT_EQ(back.csv->crlf, d.crlf);
    EXPECT_EQ(back.csv->columns, d.columns);
  }
}

TEST(PayloadLayoutJsonTest, ASniffedDialectReadsBackTheSame) {
  const CsvDialect d = SniffCsv("id;memo\r\n1;'a; b'\r\n2;'c'\r\n");
  const PayloadLayout back = RoundTrip({Format::kCsv, d});
  ASSERT_TRUE(back.csv.has_value());
  EXPECT_EQ(back.csv->delimiter, ';');
  EXPECT_EQ(back.csv->quote, '\'');
  EXPECT_TRUE(back.csv->crlf);
  EXPECT_EQ(back.csv->columns, d.columns);
}

// A CR-only dialect is stored as "cr", so that promotion splits its records as the
// profiler did (audit 2026-11-23).
TEST(PayloadLayoutJsonTest, CrOnlyLineEndingReadsBackTheSame) {
  const CsvDialect d = SniffCsv("a,b\r1,x\r");
  const nlohmann::ordered_json j = LayoutToJson({Format::kCsv, d});
  EXPECT_EQ(j["csv"]["line_ending"], "cr");
  const PayloadLayout back = RoundTrip({Format::kCsv, d});
  ASSERT_TRUE(back.csv.has_value());
  EXPECT_EQ(back.csv->newline, '\r');
  EXPECT_FALSE(back.csv->crlf);
  EXPECT_EQ(RoundTrip({Format::kCsv, SniffCsv("a,b\r\n1,x\r\n")}).csv->newline, '\n');
}

TEST(PayloadLayoutJsonTest, MalformedTextIsRefusedByName) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "without a format"},
      {"not json", "without a format"},
      {"[]", "without a format"},
      {R"({"format":3})", "without a format"},
      {R"({"format":"xml"})", "unknown format"},
      {R"({"format":"csv"})", "malformed csv dialect"},
      {R"({"format":"csv","csv":{"delimiter":"","quote":"","escape":"","header":true,"columns":[]}})",
       "malformed csv dialect"},
      {R"({"format":"csv","csv":{"delimiter":",,","quote":"","escape":"","header":true,"columns":[]}})",
       "malformed csv dialect"},
      {R"({"format":"csv","csv":{"delimiter":",","quote":"","escape":"","header":"yes","columns":[]}})",
       "malformed csv dialect"},
      {R"({"format":"csv","csv":{"delimiter":",","quote":"","escape":"","header":true,"columns":[1]}})",
       "malformed csv dialect"},
  };
  for (const auto& [text, why] : cases) {
    auto r = LayoutFromJson(text);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_NE(r.status().message().find(why), std::string::npos)
        << text << " -> " << r.status().ToString();
  }
}

TEST(FormatOfKeyTest, TheExtensionDeclaresTheFormat) {
  EXPECT_EQ(FormatOfKey("raw/source=a/date=2026-11-23/x.csv"), Format::kCsv);
  EXPECT_EQ(FormatOfKey("raw/source=a/date=2026-11-23/x.csv.gz"), Format::kCsv);
  EXPECT_EQ(FormatOfKey("raw/source=a/date=2026-11-23/x.ndjson"), Format::kNdjson);
  EXPECT_EQ(FormatOfKey("raw/source=a/date=2026-11-23/x.json.gz"), Format::kJson);
  EXPECT_EQ(FormatOfKey("raw/source=a/date=2026-11-23/x.bin"), std::nullopt);
  EXPECT_EQ(FormatOfKey("raw/source=a.csv/date=2026-11-23/x"), std::nullopt);
}

}  // namespace
}  // namespace latebind::profiler
