#include "latebind/profiler/record_splitter.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "latebind/profiler/csv_tokenizer.h"

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
  CsvSplitter s(',', '"', '"');
  std::vector<RecordSpan> spans;
  uint64_t n = 0;
  const std::string text = "a,b\n1,\"x\ny\"\n2,\"open\n";
  EXPECT_EQ(s.Cut(text.data(), text.size(), false, &spans, &n), 12u);
  const std::string doubled = "1,\"say \"\"hi\"\"\n\"\n2,x";
  EXPECT_EQ(s.Cut(doubled.data(), doubled.size(), false, &spans, &n), 16u);
  CsvSplitter backslash(',', '"', '\\');
  const std::string esc = "1,\"a\\\"\nb\"\n2";
  EXPECT_EQ(backslash.Cut(esc.data(), esc.size(), false, &spans, &n), 10u);
}

// Audit 2026-11-24: a quote inside an unquoted cell toggled the splitter's quote parity, so
// `12" pipe` hid every newline up to the next quote and the cut fell inside records (or, with
// no other quote, nowhere until max_record_bytes). Only a quote at a cell's start opens one.
TEST(CsvSplitterTest, QuoteInsideAnUnquotedCellIsText) {
  std::vector<RecordSpan> spans;
  uint64_t n = 0;
  const std::string text = "1,plain,12\" pipe\n2,\"Doe, 2\",small\n3,x";
  for (char escape : {'"', '\\'}) {
    CsvSplitter s(',', '"', escape);
    EXPECT_EQ(s.Cut(text.data(), text.size(), false, &spans, &n), 34u) << escape;
  }
  // Text after a closing quote is unquoted too; a doubled quote keeps a field open.
  CsvSplitter s(',', '"', '"');
  const std::string after = "\"a\"b\"c\n\"d\"\"\n\"\nx";
  EXPECT_EQ(s.Cut(after.data(), after.size(), false, &spans, &n), 14u);
  // A cell starts after the dialect's delimiter, not after any punctuation.
  const std::string semi = "a;\"x\nz";
  EXPECT_EQ(CsvSplitter(';', '"', '"').Cut(semi.data(), semi.size(), false, &spans, &n), 0u);
  EXPECT_EQ(CsvSplitter(',', '"', '"').Cut(semi.data(), semi.size(), false, &spans, &n), 5u);
}

// Random CSV with quoted cells, doubled and escaped quotes, stray quotes, text after closing
// quotes, quoted newlines and blank lines, cut into blocks as the pipeline cuts (the rest
// of a block carried into the next) at many block sizes: the blocks tokenize to exactly the
// rows of the whole text. This is what lets profiling and promotion work block by block.
TEST(CsvSplitterTest, BlocksTokenizeAsTheWholeText) {
  using Rows = std::vector<std::vector<std::string>>;
  auto tokenize = [](const CsvDialect& d, std::string_view text, Rows* rows) {
    CsvTokenizer t(d);
    t.Tokenize(text.data(), text.size(), [&](const CsvRow& row) {
      rows->emplace_back(row.cells.begin(), row.cells.end());
      return true;
    });
  };
  std::mt19937 rng(20261124);
  const std::vector<std::string> pieces = {"a",    "bc", " ",  ",",    ";",  "\"",     "\"\"",
                                           "\\\"", "\\", "\n", "\r\n", "\r", "12\" x", "\"q,\nr\""};
  for (char escape : {'"', '\\'}) {
    for (char newline : {'\n', '\r'}) {
      CsvDialect d;
      d.escape = escape;
      d.newline = newline;
      for (int round = 0; round < 200; ++round) {
        std::string text;
        const int n = std::uniform_int_distribution<int>(1, 200)(rng);
        for (int i = 0; i < n; ++i) text += pieces[rng() % pieces.size()];
        Rows whole;
        tokenize(d, text, &whole);
        for (size_t block : {size_t{1}, size_t{7}, size_t{32}, text.size()}) {
          std::unique_ptr<RecordSplitter> splitter = MakeCsvSplitter(d);
          Rows blocks;
          size_t begin = 0;
          size_t end = 0;
          while (begin < text.size()) {
            end = std::max(end, std::min(text.size(), begin + block));
            const bool eof = end == text.size();
            uint64_t newlines = 0;
            const size_t cut =
                splitter->Cut(text.data() + begin, end - begin, eof, nullptr, &newlines);
            if (cut == 0) {
              end = std::min(text.size(), end + block);  // a record longer than the block
              continue;
            }
            tokenize(d, std::string_view(text).substr(begin, cut), &blocks);
            begin += cut;
          }
          ASSERT_EQ(blocks, whole) << "escape " << escape << " block " << block << ": " << text;
        }
      }
    }
  }
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
