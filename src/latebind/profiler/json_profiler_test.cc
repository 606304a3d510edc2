// ProfileFile end to end on files: JSON and CSV walking, problems with positions, and
// the same answer whatever the block size and thread count.
#include "latebind/profiler/json_profiler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "latebind/common/gzip_for_tests.h"
#include "latebind/profiler/profiler.h"

namespace latebind::profiler {
namespace {

namespace fs = std::filesystem;

class ProfileFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("latebind_pf_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  PayloadProfile Profile(const std::string& content, ProfileOptions options = {}) {
    const std::string path = (dir_ / "payload").string();
    std::ofstream(path, std::ios::binary) << content;
    auto r = ProfileFile(path, options);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ValueOr(PayloadProfile{});
  }
  static const FieldProfile& Field(const PayloadProfile& p, const std::string& path) {
    for (const auto& f : p.fields) {
      if (f.path == path) return f;
    }
    ADD_FAILURE() << "no field " << path;
    static FieldProfile none;
    return none;
  }

  fs::path dir_;
};

TEST_F(ProfileFileTest, NestedNdjson) {
  const auto p = Profile(
      "{\"id\":1,\"acct\":{\"iban\":\"DE1\",\"tags\":[\"a\",\"b\"]},\"amt\":1,\"d\":\"2024-01-02\"}"
      "\n"
      "\n"
      "{\"id\":2,\"acct\":{\"iban\":\"DE2\",\"tags\":[]},\"amt\":2.5,\"d\":\"2024-01-03\",\"memo\":"
      "null}\r\n");
  EXPECT_EQ(p.format, Format::kNdjson);
  EXPECT_EQ(p.records, 2u);
  EXPECT_TRUE(p.ok());
  EXPECT_EQ(Field(p, "id").type, FieldType::kInt64);
  EXPECT_EQ(Field(p, "acct.iban").type, FieldType::kString);
  EXPECT_TRUE(Field(p, "acct.iban").required);
  EXPECT_EQ(Field(p, "acct.tags").type, FieldType::kArray);
  EXPECT_EQ(Field(p, "acct.tags[]").present, 2u);
  EXPECT_EQ(Field(p, "amt").type, FieldType::kFloat64);
  EXPECT_TRUE(Field(p, "amt").widened);
  EXPECT_EQ(Field(p, "d").type, FieldType::kDate);
  EXPECT_EQ(std::get<std::string>(Field(p, "d").min), "2024-01-02");
  EXPECT_FALSE(Field(p, "memo").required);
  EXPECT_EQ(Field(p, "memo").nulls, 1u);
  EXPECT_EQ(Field(p, "memo").type, FieldType::kNull);
}

TEST_F(ProfileFileTest, HugeIntegers) {
  const auto p = Profile(
      "{\"n\":9007199254740993,\"u\":18446744073709551615,\"b\":123456789012345678901234567890}\n");
  ASSERT_TRUE(p.ok()) << (p.problems.empty() ? "" : p.problems[0].message);
  EXPECT_EQ(Field(p, "n").type, FieldType::kInt64);  // beyond 2^53 but exact in int64
  EXPECT_EQ(std::get<int64_t>(Field(p, "n").max), 9007199254740993);
  EXPECT_EQ(Field(p, "u").type, FieldType::kFloat64);
  EXPECT_FALSE(Field(p, "u").notes.empty());
  EXPECT_EQ(Field(p, "b").type, FieldType::kFloat64);
}

// simdjson rejects numbers beyond float64 (1e400, 400 digits); they are JSON numbers, so
// the record is profiled, the value typed float64 and kept out of min/max, with a note.
// Long fractions and a too-small 1e-400 (read as 0, as simdjson does) stay as they are.
TEST_F(ProfileFileTest, NumbersBeyondFloat64AreFloatsOutsideTheRange) {
  const std::string huge(400, '9');
  const auto p =
      Profile("{\"x\":1e400,\"y\":[2.5,-1E+999],\"z\":" + huge +
              ",\"f\":0.1234567890123456789012,\"t\":1e-400,\"s\":\"a\"}\n"
              "{\"x\":1.5,\"y\":[],\"z\":\"text\",\"s\":\"\\u0000latebind:beyond-float64\"}\n");
  ASSERT_TRUE(p.ok()) << (p.problems.empty() ? "" : p.problems[0].message);
  EXPECT_EQ(p.records, 2u);
  const auto& x = Field(p, "x");
  EXPECT_EQ(x.type, FieldType::kFloat64);
  EXPECT_EQ(x.present, 2u);
  EXPECT_EQ(std::get<double>(x.min), 1.5);  // 1e400 is outside the range
  EXPECT_EQ(std::get<double>(x.max), 1.5);
  ASSERT_EQ(x.notes.size(), 1u);
  EXPECT_NE(x.notes[0].find("1 number(s) beyond the float64 range"), std::string::npos);
  EXPECT_NE(x.notes[0].find("_rescued_data"), std::string::npos);
  EXPECT_EQ(std::get<double>(Field(p, "y[]").min), 2.5);
  EXPECT_EQ(std::get<double>(Field(p, "y[]").max), 2.5);
  // A float64 and a string: a conflict, and the string keeps the number's text.
  EXPECT_EQ(Field(p, "z").type, FieldType::kString);
  EXPECT_NE(Field(p, "z").notes[0].find("as the string"), std::string::npos);
  EXPECT_EQ(std::get<double>(Field(p, "f").max), 0.1234567890123456789012);
  EXPECT_EQ(std::get<double>(Field(p, "t").max), 0.0);
  // The placeholder is looked for only in a record that had such a number.
  EXPECT_EQ(Field(p, "s").type, FieldType::kString);
  EXPECT_EQ(Field(p, "s").type_counts[static_cast<int>(FieldType::kString)], 2u);
}

TEST_F(ProfileFileTest, ErrorsCarryLineColumnAndByte) {
  const std::string good = "{\"a\":1}\n";
  const auto p = Profile(good + good + "{\"a\":1 \"b\":2}\n" + good + "[1,2]\n\"str\"\n");
  EXPECT_EQ(p.records, 3u);
  EXPECT_EQ(p.error_count, 3u);
  ASSERT_EQ(p.problems.size(), 3u);
  EXPECT_EQ(p.problems[0].line, 3u);
  EXPECT_EQ(p.problems[0].column, 8u);
  EXPECT_EQ(p.problems[0].byte_offset, 2 * good.size() + 7);
  EXPECT_NE(p.problems[1].message.find("not a record"), std::string::npos);
  EXPECT_EQ(p.problems[1].line, 5u);
  EXPECT_EQ(p.problems[2].line, 6u);
  EXPECT_EQ(FormatProblem("f.ndjson", p.problems[0]).substr(0, 22), "f.ndjson:3:8 (byte 23)");
}

// Regression (issue 3): the parse_many fast path silently dropped a truncated last line, a
// stray brace after a record and a bad line at the end of a block.
TEST_F(ProfileFileTest, FastPathAccountsForEveryByte) {
  // A record spanning lines is two bad lines, as per-line parsing sees it.
  const std::vector<std::pair<std::string, uint64_t>> tails = {
      {"{\"a\":3", 1}, {"{\"a\":3}}", 1}, {"{\"a\":3} {\"a\":4}", 1}, {"{\"a\":\n3}", 2}};
  for (const auto& [tail, errors] : tails) {
    const auto p = Profile("{\"a\":1}\n{\"a\":2}\n" + tail);
    EXPECT_EQ(p.records, 2u) << tail;
    ASSERT_EQ(p.error_count, errors) << tail;
    EXPECT_EQ(p.problems[0].line, 3u) << tail;
  }
  std::string many;
  for (int i = 0; i < 300; ++i) many += i % 50 == 49 ? "{\"a\":\n" : "{\"a\":1}\n";
  ProfileOptions small;
  small.block_bytes = 256;  // bad lines land at block ends too
  const auto p = Profile(many, small);
  EXPECT_EQ(p.records, 294u);
  EXPECT_EQ(p.error_count, 6u);
  EXPECT_EQ(p.problems[0].line, 50u);
}

TEST_F(ProfileFileTest, UnclosedTopLevelArray) {
  const auto p = Profile("\n  [{\"a\":1},\n{\"a\":2},");
  EXPECT_EQ(p.records, 2u);
  ASSERT_EQ(p.error_count, 1u);
  EXPECT_EQ(p.problems[0].line, 2u);
  EXPECT_EQ(p.problems[0].column, 3u);
  EXPECT_EQ(p.problems[0].byte_offset, 3u);
}

TEST_F(ProfileFileTest, ArrayOfRecordsAndScalars) {
  auto p = Profile("[\n  {\"a\": 1},\n  {\"a\": 2, \"b\": \"x\"}\n]\n");
  EXPECT_EQ(p.format, Format::kJson);
  EXPECT_EQ(p.records, 2u);
  EXPECT_TRUE(p.ok());
  EXPECT_FALSE(Field(p, "b").required);
  p = Profile("[1, 2, 3]");
  EXPECT_EQ(p.records, 0u);
  EXPECT_EQ(p.error_count, 3u);
  EXPECT_NE(p.problems[0].message.find("element 1 is a number"), std::string::npos);
}

TEST_F(ProfileFileTest, PrettyObjectAndDeepNesting) {
  auto p = Profile("{\n  \"a\": {\n    \"b\": [1, 2]\n  }\n}\n");
  EXPECT_EQ(p.format, Format::kJson);
  EXPECT_EQ(Field(p, "a.b[]").type, FieldType::kInt64);
  p = Profile(std::string(10000, '[') + std::string(10000, ']'));
  EXPECT_FALSE(p.ok());
  p = Profile("{\"x\":" + std::string(5000, '[') + std::string(5000, ']') + "}\n");
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.problems[0].message.find("deeper than 1023"), std::string::npos);
  EXPECT_EQ(p.problems[0].byte_offset, 5u + 1022u);  // the '[' that opens level 1,024
}

TEST_F(ProfileFileTest, InvalidUtf8IsLocated) {
  const auto p = Profile("{\"a\":\"ok\"}\n{\"a\":\"b\xff\"}\n");
  ASSERT_EQ(p.error_count, 1u);
  EXPECT_EQ(p.problems[0].line, 2u);
  EXPECT_EQ(p.problems[0].column, 8u);
  EXPECT_EQ(p.problems[0].message, "invalid UTF-8");
}

TEST_F(ProfileFileTest, CsvEveryCellTyped) {
  const auto p = Profile(
      "\xEF\xBB\xBFid;amount;day;flag;note\r\n"
      "1;2.5;2024-01-01;true;\"a;b\"\r\n"
      "2;3;2024-01-02;false;\r\n"
      "3;x;2024-01-03;true;c\r\n"
      "4;1\r\n");
  EXPECT_EQ(p.format, Format::kCsv);
  ASSERT_TRUE(p.csv.has_value());
  EXPECT_TRUE(p.csv->bom);
  EXPECT_TRUE(p.csv->crlf);
  EXPECT_EQ(p.csv->delimiter, ';');
  EXPECT_EQ(p.records, 4u);
  EXPECT_EQ(Field(p, "id").type, FieldType::kInt64);
  EXPECT_TRUE(Field(p, "amount").conflict);  // "x" among numbers
  EXPECT_EQ(Field(p, "day").type, FieldType::kDate);
  EXPECT_FALSE(Field(p, "day").required);  // the ragged last row lacks it
  EXPECT_EQ(Field(p, "flag").type, FieldType::kBoolean);
  EXPECT_EQ(Field(p, "note").nulls, 1u);
  EXPECT_EQ(p.warning_count, 1u);
  EXPECT_EQ(p.problems[0].line, 5u);
  EXPECT_TRUE(p.ok());  // ragged rows are warnings
}

// Audit 2026-11-23: CR-only CSV profiled to 0 records with columns "b\r1", "x\r2"...
TEST_F(ProfileFileTest, CsvWithCrOnlyLineEnds) {
  auto p = Profile("a,b\r1,x\r2,y\r");
  EXPECT_EQ(p.format, Format::kCsv);
  ASSERT_TRUE(p.csv.has_value());
  EXPECT_EQ(p.csv->newline, '\r');
  EXPECT_EQ(p.csv->columns, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(p.records, 2u);
  EXPECT_EQ(Field(p, "a").type, FieldType::kInt64);
  EXPECT_TRUE(p.ok());
  // Many blocks: each is cut at a CR, and line numbers count CRs.
  std::string csv = "k,v\r";
  for (int i = 0; i < 3000; ++i) csv += std::to_string(i) + ",\"v\r" + std::to_string(i) + "\"\r";
  csv += "1,2,3\r";
  ProfileOptions options;
  options.threads = 3;
  options.block_bytes = 1000;
  p = Profile(csv, options);
  EXPECT_EQ(p.records, 3001u);
  ASSERT_EQ(p.warning_count, 1u);
  EXPECT_EQ(p.problems[0].line, 6002u);  // the ragged row, after 3,000 two-line records
}

// Audit 2026-11-24: a CR-only CSV with an LF inside a quoted cell was sniffed as LF and read as
// one header row ("b\r1"): 0 records, only a warning that the payload is empty, and on a
// 300,000-row file garbage fields registered and mangled rows promoted. The line end is now
// read from the breaks outside quotes; blocks are cut at CRs outside quotes alike, so every
// block size and thread count reads the same records.
TEST_F(ProfileFileTest, CsvWithCrOnlyLineEndsAndLfInQuotedCells) {
  auto p = Profile("a,b\r1,\"x\ny\"\r2,z\r3,w\r");
  EXPECT_EQ(p.format, Format::kCsv);
  ASSERT_TRUE(p.csv.has_value());
  EXPECT_EQ(p.csv->newline, '\r');
  EXPECT_EQ(p.csv->columns, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(p.records, 3u);
  EXPECT_EQ(p.problems.size(), 0u);
  EXPECT_EQ(Field(p, "a").type, FieldType::kInt64);
  EXPECT_EQ(Field(p, "b").present, 3u);
  const std::vector<ScalarValue>& examples = Field(p, "b").examples;
  EXPECT_EQ(std::count(examples.begin(), examples.end(), ScalarValue{std::string("x\ny")}), 1);

  std::string csv = "k,v,t\r";
  for (int i = 0; i < 3000; ++i) {
    const std::string n = std::to_string(i);
    csv += n + (i % 3 ? ",plain" + n : ",\"line\n" + n + "\r\n\"\"q\"\"\"") + "," +
           (i % 5 ? "2024-01-01" : "") + "\r";
  }
  csv += "1,2,3,4\r";  // ragged: a warning at its line, which counts CRs
  ProfileOptions one;
  one.threads = 1;
  const auto a = Profile(csv, one);
  ASSERT_TRUE(a.csv.has_value());
  EXPECT_EQ(a.csv->newline, '\r');
  EXPECT_EQ(a.records, 3001u);
  ASSERT_EQ(a.problems.size(), 1u);
  EXPECT_EQ(a.problems[0].line, 4002u);  // 1,000 quoted cells hold a CR of their own
  EXPECT_EQ(Field(a, "k").type, FieldType::kInt64);
  for (size_t block_bytes : {size_t{64}, size_t{1000}, size_t{4099}}) {
    ProfileOptions many;
    many.threads = 3;
    many.block_bytes = block_bytes;  // records cut everywhere
    const auto b = Profile(csv, many);
    EXPECT_EQ(b.records, a.records) << block_bytes;
    ASSERT_EQ(a.fields.size(), b.fields.size()) << block_bytes;
    for (size_t i = 0; i < a.fields.size(); ++i) {
      EXPECT_EQ(a.fields[i].path, b.fields[i].path);
      EXPECT_EQ(a.fields[i].present, b.fields[i].present);
      EXPECT_EQ(a.fields[i].type, b.fields[i].type);
      EXPECT_EQ(a.fields[i].distinct_sketch, b.fields[i].distinct_sketch);
      EXPECT_EQ(a.fields[i].examples, b.fields[i].examples);
      EXPECT_EQ(a.fields[i].min, b.fields[i].min);
      EXPECT_EQ(a.fields[i].max, b.fields[i].max);
    }
    ASSERT_EQ(b.problems.size(), 1u) << block_bytes;
    EXPECT_EQ(b.problems[0].line, a.problems[0].line);
    EXPECT_EQ(b.problems[0].byte_offset, a.problems[0].byte_offset);
  }
}

// Audit 2026-11-24: a quote inside an unquoted cell (`12" pipe`) opened a quoted run, so it
// and the block splitter's quote parity folded the rows up to the next quote into one cell:
// 2,998 records of 3,000 with only warnings; with no closing quote, every later row. Now the
// quote is text, with a warning at its column, in one block or many.
TEST_F(ProfileFileTest, CsvStrayQuoteIsTextInAnyBlocks) {
  std::string csv = "id,name,size\n";
  for (int i = 1; i <= 3000; ++i) {
    const std::string n = std::to_string(i);
    if (i == 2001) {
      csv += n + ",plain,12\" pipe\n";
    } else if (i == 2003) {
      csv += n + ",plain,6\" ruler\n";
    } else {
      csv += n + ",\"Doe, " + n + "\",small\n";
    }
  }
  const std::string unclosed = csv.substr(0, csv.find("2003,")) + csv.substr(csv.find("2004,"));
  ProfileOptions one;
  one.threads = 1;
  ProfileOptions many;
  many.threads = 3;
  many.block_bytes = 1000;
  for (const ProfileOptions& options : {one, many}) {
    auto p = Profile(csv, options);
    EXPECT_EQ(p.records, 3000u);
    EXPECT_TRUE(p.ok());
    EXPECT_EQ(p.csv->quote, '"');
    EXPECT_EQ(Field(p, "id").type, FieldType::kInt64);
    EXPECT_EQ(Field(p, "id").present, 3000u);
    ASSERT_EQ(p.warning_count, 2u);
    EXPECT_EQ(p.problems[0].line, 2002u);
    EXPECT_EQ(p.problems[0].column, 14u);
    EXPECT_EQ(p.problems[0].byte_offset, csv.find("12\" pipe") + 2);
    EXPECT_NE(p.problems[0].message.find("kept as text"), std::string::npos);
    EXPECT_EQ(p.problems[1].line, 2004u);
    p = Profile(unclosed, options);
    EXPECT_EQ(p.records, 2999u);
    EXPECT_EQ(p.warning_count, 1u);
    EXPECT_EQ(Field(p, "size").present, 2999u);
  }
}

// A quoted field left open at the end is an error at its opening quote.
TEST_F(ProfileFileTest, CsvUnclosedQuoteIsLocatedAtTheQuote) {
  const auto p = Profile("a,b\n1,\"x, y\"\n2,\"z, w\"\n3,x\"y\n4,\"open\n5,6\n");
  EXPECT_EQ(p.csv->quote, '"');
  EXPECT_EQ(p.records, 3u);  // the rows before it
  ASSERT_EQ(p.error_count, 1u);
  EXPECT_EQ(p.problems.back().message, "quoted field is never closed");
  EXPECT_EQ(p.problems.back().line, 5u);
  EXPECT_EQ(p.problems.back().column, 3u);
  EXPECT_EQ(p.problems.back().byte_offset, 30u);
}

// Audit 2026-11-23: a truncated .gz was reported as the JSON error of the record the
// truncation cut short ("unclosed string"), not as a truncated stream.
TEST_F(ProfileFileTest, TruncatedGzipIsReportedAsTruncated) {
  std::string ndjson;
  for (int i = 0; i < 2000; ++i) {
    ndjson += "{\"id\":" + std::to_string(i) + ",\"name\":\"" + std::string(i % 50, 'n') + "\"}\n";
  }
  const std::string gz = GzipForTests(ndjson);
  for (size_t keep : {gz.size() / 2, gz.size() - 4, size_t{30}}) {
    const auto p = Profile(gz.substr(0, keep));
    EXPECT_TRUE(p.gzip);
    ASSERT_EQ(p.error_count, 1u) << keep;
    EXPECT_NE(p.problems[0].message.find("truncated gzip stream"), std::string::npos)
        << p.problems[0].message;
    EXPECT_LE(p.records, 2000u);
  }
}

TEST_F(ProfileFileTest, SameProfileForAnyBlockSizeAndThreads) {
  std::string ndjson;
  std::string csv = "k,v,t\n";
  for (int i = 0; i < 5000; ++i) {
    ndjson += "{\"k\":" + std::to_string(i) + ",\"v\":\"val" + std::to_string(i % 97) +
              "\",\"n\":{\"x\":[" + std::to_string(i % 3) + "]}}\n";
    csv += std::to_string(i) + ",\"v,\"\"" + std::to_string(i % 97) + "\n" + (i % 2 ? "x" : "") +
           "\"," + (i % 5 ? "2024-01-01" : "") + "\n";
  }
  ndjson.insert(ndjson.size() / 2, "{\"broken\": }\n");
  for (const std::string& content : {ndjson, csv}) {
    ProfileOptions one;
    one.threads = 1;
    const auto a = Profile(content, one);
    ProfileOptions many;
    many.threads = 3;
    many.block_bytes = 1000;  // many blocks, records cut everywhere
    const auto b = Profile(content, many);
    EXPECT_EQ(a.records, b.records);
    EXPECT_EQ(a.records, 5000u);
    ASSERT_EQ(a.fields.size(), b.fields.size());
    for (size_t i = 0; i < a.fields.size(); ++i) {
      EXPECT_EQ(a.fields[i].path, b.fields[i].path);
      EXPECT_EQ(a.fields[i].present, b.fields[i].present);
      EXPECT_EQ(a.fields[i].type, b.fields[i].type);
      EXPECT_EQ(a.fields[i].distinct_approx, b.fields[i].distinct_approx);
      EXPECT_EQ(a.fields[i].distinct_sketch, b.fields[i].distinct_sketch);
      EXPECT_EQ(a.fields[i].examples, b.fields[i].examples);
      EXPECT_EQ(a.fields[i].min, b.fields[i].min);
      EXPECT_EQ(a.fields[i].max, b.fields[i].max);
    }
    ASSERT_EQ(a.problems.size(), b.problems.size());
    for (size_t i = 0; i < a.problems.size(); ++i) {
      EXPECT_EQ(a.problems[i].line, b.problems[i].line);
      EXPECT_EQ(a.problems[i].byte_offset, b.problems[i].byte_offset);
    }
  }
}

// "2024-01-15T10:00:00+02:00" is 08:00 UTC, before "2024-01-15 09:00" though it sorts after
// it as text: the range of a timestamp field is by instant, in any block layout.
TEST_F(ProfileFileTest, TimestampRangeIsByInstantNotText) {
  std::string ndjson;
  std::string csv = "t,d\n";
  for (int i = 0; i < 3000; ++i) {
    const char* t = i == 1500   ? "2024-01-15T10:00:00+02:00"    // the earliest
                    : i == 700  ? "2024-01-15T22:00:00-05:00"    // the latest: 03:00 next day
                    : i == 2999 ? "2024-01-15T23:59:59.999999Z"  // largest as text of the rest
                                : "2024-01-15 09:00";
    ndjson +=
        std::string("{\"t\":\"") + t + "\",\"d\":\"2024-01-1" + std::to_string(i % 9) + "\"}\n";
    csv += std::string(t) + ",2024-01-1" + std::to_string(i % 9) + "\n";
  }
  for (const std::string& content : {ndjson, csv}) {
    for (int threads : {1, 3}) {
      ProfileOptions options;
      options.threads = threads;
      if (threads > 1) options.block_bytes = 1000;
      const auto p = Profile(content, options);
      const FieldProfile& t = Field(p, "t");
      EXPECT_EQ(t.type, FieldType::kTimestamp);
      EXPECT_EQ(t.min, ScalarValue(std::string("2024-01-15T10:00:00+02:00")));
      EXPECT_EQ(t.max, ScalarValue(std::string("2024-01-15T22:00:00-05:00")));
      const FieldProfile& d = Field(p, "d");
      EXPECT_EQ(d.type, FieldType::kDate);
      EXPECT_EQ(d.min, ScalarValue(std::string("2024-01-10")));
      EXPECT_EQ(d.max, ScalarValue(std::string("2024-01-18")));
    }
  }
  // Mixed with free text the field is a string, ranged as text.
  const auto mixed = Profile(
      "{\"t\":\"2024-01-15T10:00:00+02:00\"}\n{\"t\":\"2024-01-15 11:00\"}\n"
      "{\"t\":\"soon\"}\n");
  EXPECT_EQ(Field(mixed, "t").type, FieldType::kString);
  EXPECT_EQ(Field(mixed, "t").min, ScalarValue(std::string("2024-01-15 11:00")));
  EXPECT_EQ(Field(mixed, "t").max, ScalarValue(std::string("soon")));
}

// simdjson judges each element alone, so the separators between them are the splitter's to
// check: the profile accepted [{"a":1},] and promotion, parsing the whole array, then failed
// on it at every run. Exactly one ',' separates two elements, in any block layout.
TEST_F(ProfileFileTest, TopLevelArraySeparatorsAreChecked) {
  struct Case {
    std::string text;
    uint64_t byte;
    std::string message;
  };
  std::string many = "[";
  for (int i = 0; i < 300; ++i)
    many += std::string(i ? ",\n " : "") + "{\"a\":" + std::to_string(i) + "}";
  const std::vector<Case> cases = {
      {R"([{"a":1},])", 9, "a trailing comma"},
      {R"([{"a":1}, ])", 10, "a trailing comma"},
      {R"([{"a":1} {"a":2}])", 9, "missing ',' between elements 1 and 2"},
      {"[\n {\"a\":1}\n {\"a\":2}\n]", 12, "missing ',' between elements 1 and 2"},
      {R"([,{"a":1}])", 1, "a ',' where element 1 of the top-level array should begin"},
      {R"([{"a":1},,{"a":2}])", 9, "a ',' where element 2 of the top-level array should begin"},
      {many + ",]", many.size() + 1, "a trailing comma"},
      {many + " {\"a\":1}]", many.size() + 1, "missing ',' between elements 300 and 301"},
  };
  for (const Case& c : cases) {
    for (size_t block : {size_t{0}, size_t{7}, size_t{100}}) {
      ProfileOptions options;
      if (block) {
        options.threads = 2;
        options.block_bytes = block;
      }
      const auto p = Profile(c.text, options);
      ASSERT_EQ(p.error_count, 1u) << c.text << " block " << block;
      EXPECT_EQ(p.problems[0].byte_offset, c.byte) << c.text << " block " << block;
      EXPECT_NE(p.problems[0].message.find(c.message), std::string::npos) << p.problems[0].message;
    }
  }
  for (const std::string& ok : std::vector<std::string>{
           R"([{"a":1},{"a":2}])", "[ {\"a\":1} ,\n{\"a\":2} ]", "[]", many + "]"}) {
    EXPECT_EQ(Profile(ok).error_count, 0u) << ok;
  }
}

// Profiler audit 2026-11-24: a UTF-16 or UTF-32 payload, or one gzip-compressed twice, was
// reported as invalid UTF-8 and a NUL byte, which does not say what it is. One error says.
TEST_F(ProfileFileTest, OtherEncodingsAndDoubleGzipAreNamed) {
  const std::string json = "{\"a\":1}\n";
  auto utf16le = [](const std::string& ascii, bool bom) {
    std::string out = bom ? "\xFF\xFE" : "";
    for (char c : ascii) out += std::string{c, '\0'};
    return out;
  };
  auto utf16be = [](const std::string& ascii) {
    std::string out;
    for (char c : ascii) out += std::string{'\0', c};
    return out;
  };
  const std::vector<std::pair<std::string, std::string>> cases = {
      {utf16le(json, true), "UTF-16LE text (byte order mark FF FE)"},
      {"\xFE\xFF" + utf16be(json), "UTF-16BE text (byte order mark FE FF)"},
      {utf16le(json, false), "text that looks like UTF-16LE"},
      {utf16be(json), "text that looks like UTF-16BE"},
      {std::string("\xFF\xFE\0\0", 4) + "{\0\0\0", "UTF-32LE text"},
      {std::string("\0\0\xFE\xFF", 4) + "\0\0\0{", "UTF-32BE text"},
      {GzipForTests(GzipForTests(json)), "compressed twice"},
  };
  for (const auto& [content, what] : cases) {
    const auto p = Profile(content);
    ASSERT_EQ(p.error_count, 1u) << what;
    EXPECT_EQ(p.problems[0].byte_offset, 0u);
    EXPECT_NE(p.problems[0].message.find(what), std::string::npos) << p.problems[0].message;
    EXPECT_EQ(p.records, 0u);
  }
  EXPECT_EQ(Profile("\xEF\xBB\xBF" + json).error_count, 0u);  // a UTF-8 BOM is UTF-8
}

// Profiler audit 2026-11-24: a header row longer than the head read to sniff the dialect was
// cut, and its column names lost or mangled (c144960 became c14496_1). It is an error now.
TEST_F(ProfileFileTest, CsvFirstRowLongerThanTheHeadIsAnError) {
  ProfileOptions options;
  options.block_bytes = 64;  // the head is at most a block
  const auto p = Profile("a," + std::string(100, 'x') + ",b\n1,2,3\n", options);
  ASSERT_EQ(p.error_count, 1u);
  EXPECT_EQ(p.problems[0].byte_offset, 0u);
  EXPECT_NE(p.problems[0].message.find("the first row is longer than the 64 bytes"),
            std::string::npos)
      << p.problems[0].message;
  EXPECT_TRUE(p.fields.empty());
  EXPECT_EQ(Profile("a,b\n1," + std::string(100, 'x') + "\n", options).error_count, 0u);
}

TEST_F(ProfileFileTest, BinaryAndEmptyInput) {
  auto p = Profile(std::string("\x00\x01\x02garbage", 10));
  EXPECT_FALSE(p.ok());
  EXPECT_NE(p.problems[0].message.find("NUL"), std::string::npos);
  p = Profile("");
  EXPECT_TRUE(p.ok());
  EXPECT_EQ(p.records, 0u);
  EXPECT_EQ(p.warning_count, 1u);
}

TEST_F(ProfileFileTest, RecordLongerThanLimitStops) {
  ProfileOptions options;
  options.block_bytes = 1024;
  options.max_record_bytes = 4096;
  const auto p =
      Profile("{\"a\":1}\n{\"s\":\"" + std::string(10000, 'x') + "\"}\n{\"a\":2}\n", options);
  EXPECT_FALSE(p.ok());
  EXPECT_EQ(p.records, 1u);
  EXPECT_NE(p.problems.back().message.find("longer than 4096"), std::string::npos);
}

// Audit 2026-11-24: with more warnings than max_problems before it, the error was cut from
// the list, and the payload was dead-lettered with no reason.
TEST_F(ProfileFileTest, ErrorsAreKeptBeforeWarningsWhenTheListIsCut) {
  std::string csv = "a,b\n";
  for (int i = 0; i < 25; ++i) csv += "1,2\n1,2\n1,2\n1,2,3\n";  // ragged: a warning each
  csv += "4,caf\xe9\n";                                          // Latin-1: an error
  csv += "5,6,7\n";
  auto p = Profile(csv);
  EXPECT_EQ(p.error_count, 1u);
  EXPECT_EQ(p.warning_count, 26u);
  ASSERT_EQ(p.problems.size(), 20u);
  const auto error = std::find_if(p.problems.begin(), p.problems.end(), [](const Problem& q) {
    return q.severity == Problem::Severity::kError;
  });
  ASSERT_NE(error, p.problems.end());
  EXPECT_EQ(error->line, 102u);
  EXPECT_TRUE(std::is_sorted(
      p.problems.begin(), p.problems.end(),
      [](const Problem& x, const Problem& y) { return x.byte_offset < y.byte_offset; }));
  EXPECT_EQ(p.problems.front().line, 5u);  // then the first warnings
}

// Audit 2026-11-24: a key repeated in one object counted twice towards `present`, so a
// field in every record looked optional.
TEST_F(ProfileFileTest, ARepeatedKeyIsPresentOncePerObject) {
  ProfileOptions options;
  options.threads = 2;
  options.block_bytes = 64;  // several blocks: the counts merge across walkers
  std::string ndjson;
  for (int i = 0; i < 20; ++i)
    ndjson += "{\"a\":1,\"a\":2,\"m\":{\"b\":1,\"b\":null}}\n{\"a\":3,\"m\":{}}\n";
  auto p = Profile(ndjson, options);
  EXPECT_EQ(p.records, 40u);
  EXPECT_EQ(Field(p, "a").present, 40u);
  EXPECT_TRUE(Field(p, "a").required);
  ASSERT_EQ(Field(p, "a").notes.size(), 1u);
  EXPECT_NE(Field(p, "a").notes[0].find("repeated within one object 20 time(s)"),
            std::string::npos);
  EXPECT_EQ(Field(p, "m.b").present, 20u);
  EXPECT_FALSE(Field(p, "m.b").required);  // absent from half the objects m
}

// Audit 2026-11-24: a one-line object followed by a pretty-printed one was taken for NDJSON
// and every later line reported as an error.
TEST_F(ProfileFileTest, AOneLineObjectThenAPrettyPrintedOneIsAStreamOfJsonValues) {
  auto p = Profile("{\"a\":1}\n{\n  \"a\": 2\n}\n");
  EXPECT_EQ(p.format, Format::kJson);
  EXPECT_EQ(p.records, 2u);
  EXPECT_TRUE(p.ok());
  // One-line objects with a bad record among them are still NDJSON, the bad line located.
  p = Profile("{\"a\":1}\n\n{\"a\":}\n{\"a\":3}\n");
  EXPECT_EQ(p.format, Format::kNdjson);
  EXPECT_EQ(p.records, 2u);
  ASSERT_EQ(p.error_count, 1u);
  EXPECT_EQ(p.problems[0].line, 3u);
}

// Audit 2026-11-24: a bad escape was located after its string (simdjson's position).
TEST_F(ProfileFileTest, BadEscapesAreLocatedAtTheBackslash) {
  // Each message says what is wrong with the escape (profiler audit 2026-11-24: a lone
  // surrogate was "bad escape sequence").
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"\\ud800y", "\\ud800 is a high surrogate not followed by a low surrogate"},
      {"\\q", "unknown escape \\q"},
      {"\\udc00", "\\udc00 is a low surrogate with no high surrogate"},
      {"\\u12G4", "\\u must be followed by four hex digits"},
      {"\\ud83d\\u0041", "\\ud83d is a high surrogate not followed by a low surrogate"},
      {"\\\x7f", "a backslash before byte 0x7f"},
  };
  for (const auto& [bad, what] : cases) {
    const auto p = Profile("{\"ok\":\"\\ud83d\\ude00\\n\"}\n{\"a\":\"x" + bad + "\",\"b\":1}\n");
    ASSERT_EQ(p.error_count, 1u) << bad;
    EXPECT_EQ(p.problems[0].line, 2u) << bad;
    EXPECT_EQ(p.problems[0].column, 8u) << bad;  // the backslash after {"a":"x
    EXPECT_NE(p.problems[0].message.find(what), std::string::npos) << p.problems[0].message;
  }
}

}  // namespace
}  // namespace latebind::profiler
