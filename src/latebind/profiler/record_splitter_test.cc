#include "latebind/profiler/record_splitter.h"

#include <gtest/gtest.h>

#include <string>

namespace latebind::profiler {
namespace {

std::vector<std::string> Records(const std::string& text, const std::vector<RecordSpan>& spans) {
  std::vector<std::string> out;
  for (const auto& s : spans) out.push_back(text.substr(s.begin, s.end - s.begin));
  return out;
}

TEST(LineSplitterTest, CutsAfterLastNewline) {
  LineSplitter s;
  std::vector<RecordSpan> spans;
  uint64_t n = 0;
  EXPECT_EQ(s.Cut("a\nb\nc", 5, false, &spans, &n), 4u);
  EXPECT_EQ(s.Cut("abc", 3, false, &spans, &n), 0u);
  EXPECT_EQ(s.Cut("abc", 3, true, &spans, &n), 3u);
}

TEST(CsvSplitterTest, NewlinesInsideQuotesDoNotCut) {
  CsvSplitter s('"', '"');
  std::vector<RecordSpan> spans;
  uint64_t n = 0;
  const std::string text = "a,b\n1,\"x\ny\"\n2,\"open\n";
  EXPECT_EQ(s.Cut(text.data(), text.size(), false, &spans, &n), 12u);
  const std::string doubled = "1,\"say \"\"hi\"\"\n\"\n2,x";
  EXPECT_EQ(s.Cut(doubled.data(), doubled.size(), false, &spans, &n), 16u);
  CsvSplitter backslash('"', '\\');
  const std::string esc = "1,\"a\\\"\nb\"\n2";
  EXPECT_EQ(backslash.Cut(esc.data(), esc.size(), false, &spans, &n), 10u);
}

// Audit 2026-11-23: CR-only CSV is cut at its CRs, as its tokenizer ends records there;
// cut at LFs it would never be cut, and a record would grow to the whole payload.
TEST(CsvSplitterTest, CrOnlyCsvIsCutAtCrs) {
  std::vector<RecordSpan> spans;
  uint64_t n = 0;
  CsvDialect cr;
  cr.newline = '\r';
  const std::string text = "a,b\r1,\"x\ry\"\r2,\"open\r";
  EXPECT_EQ(MakeCsvSplitter(cr)->Cut(text.data(), text.size(), false, &spans, &n), 12u);
  cr.escape = '\\';
  EXPECT_EQ(MakeCsvSplitter(cr)->Cut(text.data(), text.size(), false, &spans, &n), 12u);
  cr.quote = cr.escape = '\0';
  EXPECT_EQ(MakeCsvSplitter(cr)->Cut(text.data(), text.size(), false, &spans, &n), 20u);
  const std::string lf = "a,b\n1,x\r2";
  EXPECT_EQ(MakeCsvSplitter(CsvDialect{})->Cut(lf.data(), lf.size(), false, &spans, &n), 4u);
}

TEST(JsonValueSplitterTest, ArrayElementsAreRecords) {
  JsonValueSplitter s;
  std::vector<RecordSpan> spans;
  uint64_t n = 0;
  const std::string text = "[\n {\"a\": \"]}\\\"\"},\n {\"a\": [1, {}]}, 3\n]\n";
  EXPECT_EQ(s.Cut(text.data(), text.size(), true, &spans, &n), text.size());
  EXPECT_EQ(Records(text, spans),
            (std::vector<std::string>{"{\"a\": \"]}\\\"\"}", "{\"a\": [1, {}]}", "3"}));
  EXPECT_EQ(spans[1].line, 2u);
  EXPECT_EQ(spans[1].element, 2u);
  EXPECT_EQ(spans[2].element, 3u);
  EXPECT_EQ(n, 4u);
}

TEST(JsonValueSplitterTest, ConcatenatedPrettyObjects) {
  JsonValueSplitter s;
  std::vector<RecordSpan> spans;
  uint64_t n = 0;
  const std::string text = "{\n  \"a\": 1\n}\n{\n  \"a\": 2\n}";
  EXPECT_EQ(s.Cut(text.data(), text.size(), true, &spans, &n), text.size());
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(spans[1].line, 3u);
  EXPECT_EQ(spans[0].element, 0u);
}

TEST(JsonValueSplitterTest, ResumesInsideAnArrayAcrossCuts) {
  JsonValueSplitter s;
  const std::string text = "[{\"a\":1},{\"a\":2},{\"a\":";
  std::vector<RecordSpan> spans;
  uint64_t n = 0;
  const size_t cut = s.Cut(text.data(), text.size(), false, &spans, &n);
  EXPECT_EQ(text.substr(0, cut), "[{\"a\":1},{\"a\":2}");
  EXPECT_EQ(spans.size(), 2u);
  // The next block starts with the carried remainder.
  const std::string rest = text.substr(cut) + "3}]";
  std::vector<RecordSpan> more;
  EXPECT_EQ(s.Cut(rest.data(), rest.size(), true, &more, &n), rest.size());
  EXPECT_EQ(Records(rest, more), (std::vector<std::string>{"{\"a\":3}"}));
  EXPECT_EQ(more[0].element, 3u);
}

TEST(JsonValueSplitterTest, NoCompleteRecordAsksForMore) {
  JsonValueSplitter s;
  const std::string text = "[{\"a\": \"long";
  std::vector<RecordSpan> spans;
  uint64_t n = 0;
  EXPECT_EQ(s.Cut(text.data(), text.size(), false, &spans, &n), 0u);
  EXPECT_TRUE(spans.empty());
}

}  // namespace
}  // namespace latebind::profiler
