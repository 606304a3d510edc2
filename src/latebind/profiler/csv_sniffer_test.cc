#include "latebind/profiler/csv_sniffer.h"

#include <gtest/gtest.h>

#include "latebind/profiler/csv_tokenizer.h"

namespace latebind::profiler {
namespace {

TEST(CsvSnifferTest, Delimiters) {
  EXPECT_EQ(SniffCsv("a,b,c\n1,2,3\n4,5,6\n").delimiter, ',');
  EXPECT_EQ(SniffCsv("a;b;c\n1,5;2;3\n4;5;6\n").delimiter, ';');
  EXPECT_EQ(SniffCsv("a\tb\n1\t2\n").delimiter, '\t');
  EXPECT_EQ(SniffCsv("a|b|c\nx,y|2|3\n").delimiter, '|');
}

// Audit 2026-11-24: an empty CSV named one column, `column0`, which the registry then took
// for a required field of the source, "removed" by its first real payload.
TEST(CsvSnifferTest, AnEmptyTextHasNoColumns) {
  EXPECT_TRUE(SniffCsv("").columns.empty());
  EXPECT_TRUE(SniffCsv("\n\n").columns.empty());
  EXPECT_EQ(SniffCsv("a\n1\n").columns.size(), 1u);
}

TEST(CsvSnifferTest, QuotedDelimitersAndNewlines) {
  const CsvDialect d = SniffCsv("id,memo\n1,\"a, b\"\n2,\"line\nbreak\"\n3,plain\n");
  EXPECT_EQ(d.delimiter, ',');
  EXPECT_EQ(d.quote, '"');
  EXPECT_EQ(d.escape, '"');
  EXPECT_EQ(d.columns, (std::vector<std::string>{"id", "memo"}));
  const CsvDialect single = SniffCsv("id,memo\n1,'a, b'\n2,'c, d'\n");
  EXPECT_EQ(single.quote, '\'');
}

TEST(CsvSnifferTest, BackslashEscape) {
  const CsvDialect d = SniffCsv("id,memo\n1,\"say \\\"x, y\\\"\"\n2,\"z\"\n");
  EXPECT_EQ(d.escape, '\\');
}

// Audit 2026-11-24: one `6" ruler` opened a quoted run under the `"` dialect, which then
// split rows unevenly, so `'` won and `"plain"` kept its quotes. A quote inside a cell is
// text now, and the `"` dialect reads every row alike.
TEST(CsvSnifferTest, OneStrayQuoteKeepsTheQuoteChar) {
  const CsvDialect d =
      SniffCsv("id,comment\n1,\"said \"\"yes\"\"\"\n2,the 6\" ruler\n3,\"plain\"\n");
  EXPECT_EQ(d.quote, '"');
  EXPECT_EQ(d.escape, '"');
  EXPECT_EQ(d.columns, (std::vector<std::string>{"id", "comment"}));
}

// Audit 2026-11-24: backslash escapes tied with doubling on column counts and lost on rank,
// so `"say \"hi\" ok"` read as `say \hi\" ok"`. Of one quote char's two escapes, the one
// that leaves fewer quotes as text is kept.
TEST(CsvSnifferTest, EscapeThatLeavesNoStrayQuoteWins) {
  const CsvDialect d = SniffCsv("id,text\n1,\"say \\\"hi\\\" ok\"\n2,\"plain\"\n");
  EXPECT_EQ(d.quote, '"');
  EXPECT_EQ(d.escape, '\\');
  // Without any escaped quote, doubling keeps its rank.
  EXPECT_EQ(SniffCsv("id,text\n1,\"say \"\"hi\"\" ok\"\n2,\"a\\b\"\n").escape, '"');
  // Doubled quotes before quoted line breaks: read with backslash escapes, each `""` closes
  // its field and the line break ends a row, which splits more rows alike (2 cells each)
  // than the right reading; its stray quotes rule it out first.
  std::string csv = "k,v,t\n";
  for (int i = 0; i < 40; ++i) {
    csv += std::to_string(i) + ",\"v,\"\"" + std::to_string(i) + "\n" + (i % 2 ? "x" : "") +
           "\",2024-01-01\n";
  }
  const CsvDialect doubled = SniffCsv(csv);
  EXPECT_EQ(doubled.escape, '"');
  EXPECT_EQ(doubled.columns, (std::vector<std::string>{"k", "v", "t"}));
}

// Audit 2026-11-24: one quote left unclosed in the sample made the sniffer drop `"` quoting
// for the whole file. Read with `"`, the unclosed field swallowed the rows after it (or, closed
// by the next row's opening quote, folded two rows into one of three cells), so `'` — which
// never quotes a cell here — split as many rows alike or more, and won: every `"n, 0"` became
// two cells, silently. A quote char that quotes cells cleanly now decides for its delimiter.
TEST(CsvSnifferTest, OneUnclosedQuoteKeepsTheQuoteChar) {
  const CsvDialect few = SniffCsv("a,b\n\"1\",2\n\"3\",\"x\n4,5\n");
  EXPECT_EQ(few.quote, '"');
  EXPECT_EQ(few.escape, '"');
  EXPECT_EQ(few.columns, (std::vector<std::string>{"a", "b"}));
  // The audit's file: 50 rows `i,"n, i"`, and `999,"broken` after the 19th.
  std::string c5 = "id,name\n";
  for (int i = 0; i < 50; ++i) {
    if (i == 19) c5 += "999,\"broken\n";
    c5 += std::to_string(i) + ",\"n, " + std::to_string(i) + "\"\n";
  }
  const CsvDialect folded = SniffCsv(c5);
  EXPECT_EQ(folded.quote, '"');
  EXPECT_EQ(folded.delimiter, ',');
  EXPECT_EQ(folded.columns, (std::vector<std::string>{"id", "name"}));
  // Quoting only where needed (Python's QUOTE_MINIMAL): the unclosed field swallows the
  // other 39 rows, which read alike without quoting.
  std::string minimal = "id,memo\n1,\"x, y\"\n2,\"broken\n";
  for (int i = 3; i < 42; ++i) minimal += std::to_string(i) + ",plain\n";
  const CsvDialect swallowed = SniffCsv(minimal);
  EXPECT_EQ(swallowed.quote, '"');
  EXPECT_EQ(swallowed.columns, (std::vector<std::string>{"id", "memo"}));
  // The same in a sample cut short (the profiler's 1 MiB head of a larger file).
  EXPECT_EQ(SniffCsv(minimal + "42,pla").quote, '"');
}

// A quote char that never quotes a cell cleanly is no evidence: the rule above leaves such
// files to the row counts, as before (stray quotes mid-cell stay text, ADR-067).
TEST(CsvSnifferTest, QuotesThatNeverCloseCleanlyDoNotDecide) {
  // `'` quotes cells; `"` only opens one that closes with text after it.
  const CsvDialect single = SniffCsv("id,memo\n1,'a, b'\n2,\"x\"y\n3,'c, d'\n");
  EXPECT_EQ(single.quote, '\'');
  // No quoted cell at all: stray quotes are text under the first quote char, as before.
  const CsvDialect strays = SniffCsv("id,size\n1,12\" pipe\n2,6\" ruler\n3,plain\n");
  EXPECT_EQ(strays.quote, '"');
  EXPECT_EQ(strays.columns, (std::vector<std::string>{"id", "size"}));
}

TEST(CsvSnifferTest, HeaderDetection) {
  EXPECT_TRUE(SniffCsv("name,amount\nann,1\nbob,2\n").header);
  EXPECT_FALSE(SniffCsv("1,2\n3,4\n").header);
  EXPECT_FALSE(SniffCsv("ann,1\nbob,2\n").header);  // a number in the first row
  // All text: the first row is a header unless its values recur below it.
  EXPECT_TRUE(SniffCsv("city,country\nParis,France\nRome,Italy\n").header);
  EXPECT_FALSE(SniffCsv("x,y\nx,y\nx,z\n").header);
  const CsvDialect none = SniffCsv("1,2,3\n4,5,6\n");
  EXPECT_EQ(none.columns, (std::vector<std::string>{"column0", "column1", "column2"}));
}

// Header detection judges the rows the dialect was scored on: at most sample_rows of them,
// and not a last row that a sample cut short may have split.
TEST(CsvSnifferTest, HeaderDetectionSkipsRowsOutsideTheSample) {
  EXPECT_FALSE(SniffCsv("x,y\nx,y\n1,2").header);   // "1,2" may be cut short: x,y recurs
  EXPECT_TRUE(SniffCsv("x,y\nx,y\n1,2\n").header);  // whole: a typed row below
  EXPECT_TRUE(SniffCsv("city,country\nParis,France\n12").header);
  EXPECT_TRUE(SniffCsv("word,other").header);  // one row of text, cut or not
  SniffOptions two_rows;
  two_rows.sample_rows = 2;
  EXPECT_FALSE(SniffCsv("x,y\nx,y\n1,2\n", two_rows).header);
  EXPECT_TRUE(SniffCsv("x,y\na,b\nx,y\n", two_rows).header);
  EXPECT_FALSE(SniffCsv("x,y\na,b\nx,y\n").header);
  // A typed cell past the first row's width does not count, nor does a short row.
  EXPECT_FALSE(SniffCsv("x,y\nx,y,3\nx\n").header);
}

TEST(CsvSnifferTest, DuplicateAndEmptyHeaderNames) {
  const CsvDialect d = SniffCsv("a,a, a ,b\nx,1,2,3\n");
  EXPECT_EQ(d.columns, (std::vector<std::string>{"a", "a_1", "a_2", "b"}));
  // A suffix or a column<N> never takes a name the header gives another column (ADR-104):
  // the real a_1 and column0 keep theirs.
  EXPECT_EQ(SniffCsv("a,a,a_1\nx,1,2\n").columns, (std::vector<std::string>{"a", "a_2", "a_1"}));
  EXPECT_EQ(SniffCsv(",column0,b\n1,x,2\n").columns,
            (std::vector<std::string>{"column0_1", "column0", "b"}));
  EXPECT_EQ(SniffCsv("a_1,a,a\nx,1,2\n").columns, (std::vector<std::string>{"a_1", "a", "a_2"}));
}

// Audit 2026-11-24: a header with an empty name (pandas' to_csv writes `,a,b` for its index;
// a trailing comma gives `a,b,`) was taken for data, and every column typed string.
TEST(CsvSnifferTest, HeaderWithEmptyNames) {
  const CsvDialect pandas = SniffCsv(",a,b\n0,1,2\n1,3,4\n");
  EXPECT_TRUE(pandas.header);
  EXPECT_EQ(pandas.columns, (std::vector<std::string>{"column0", "a", "b"}));
  const CsvDialect trailing = SniffCsv("a,b,\nx,y,\nz,w,\n");  // empty below is no recurrence
  EXPECT_TRUE(trailing.header);
  EXPECT_EQ(trailing.columns, (std::vector<std::string>{"a", "b", "column2"}));
  EXPECT_FALSE(SniffCsv(",,\nx,y,z\n").header);   // no name at all
  EXPECT_FALSE(SniffCsv(",a,b\n,a,c\n").header);  // a name recurs below
}

TEST(CsvSnifferTest, CrlfAndOneColumn) {
  const CsvDialect d = SniffCsv("a,b\r\n1,2\r\n");
  EXPECT_TRUE(d.crlf);
  const CsvDialect one = SniffCsv("word\nalpha\nbeta\n");
  EXPECT_EQ(one.columns.size(), 1u);
}

// Audit 2026-11-23: CR-only (classic Mac OS) text was read with LF, as one record whose
// cells ran across every line ("b\r1", "x\r2"), and profiled to 0 records.
TEST(CsvSnifferTest, CrOnlyLineEndings) {
  const CsvDialect d = SniffCsv("a,b\r1,x\r2,y\r");
  EXPECT_EQ(d.newline, '\r');
  EXPECT_FALSE(d.crlf);
  EXPECT_TRUE(d.header);
  EXPECT_EQ(d.columns, (std::vector<std::string>{"a", "b"}));
  // A LF anywhere in the sample keeps LF: the CR of a CRLF, or one inside a cell, is no end.
  EXPECT_EQ(SniffCsv("a,b\r\n1,x\r\n").newline, '\n');
  EXPECT_EQ(SniffCsv("a,b\n1,\"x\ry\"\n").newline, '\n');
  EXPECT_EQ(SniffCsv("a,b\n1,x\n").newline, '\n');
}

// Every row of `text` under `dialect`: its cells and the line it starts on.
struct Tokenized {
  std::vector<std::vector<std::string>> rows;
  std::vector<uint64_t> lines;
  uint64_t newlines = 0;
};
Tokenized TokenizeAll(const std::string& text, const CsvDialect& dialect = {}) {
  CsvTokenizer t(dialect);
  Tokenized out;
  out.newlines = t.Tokenize(text.data(), text.size(), [&](const CsvRow& row) {
    out.rows.emplace_back(row.cells.begin(), row.cells.end());
    out.lines.push_back(row.line);
    return true;
  });
  return out;
}

// Audit 2026-11-24: a CR-only CSV with an LF inside a quoted cell (an old Mac Excel export) was
// sniffed as LF, since any LF in the sample decided: the whole file was one header row of cells
// like "b\r1", with 0 records and only "the payload is empty". The line breaks outside quotes
// decide now, as Python's csv and DuckDB read the file.
TEST(CsvSnifferTest, LineBreaksInsideQuotesDoNotDecideTheLineEnd) {
  const std::string text = "a,b\r1,\"x\ny\"\r2,z\r3,w\r";
  const CsvDialect d = SniffCsv(text);
  EXPECT_EQ(d.newline, '\r');
  EXPECT_FALSE(d.crlf);
  EXPECT_EQ(d.delimiter, ',');
  EXPECT_EQ(d.quote, '"');
  EXPECT_TRUE(d.header);
  EXPECT_EQ(d.columns, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(TokenizeAll(text, d).rows, (std::vector<std::vector<std::string>>{
                                           {"a", "b"}, {"1", "x\ny"}, {"2", "z"}, {"3", "w"}}));
  // A CRLF inside quotes, a quoted cell first on its line, backslash escapes, no final CR.
  const std::string escaped = "a;b\r\"p\r\nq\";1\r\"r\\\"\ns\";2\r3;4";
  const CsvDialect e = SniffCsv(escaped);
  EXPECT_EQ(e.newline, '\r');
  EXPECT_EQ(e.delimiter, ';');
  EXPECT_EQ(e.escape, '\\');
  EXPECT_EQ(TokenizeAll(escaped, e).rows,
            (std::vector<std::vector<std::string>>{
                {"a", "b"}, {"p\r\nq", "1"}, {"r\"\ns", "2"}, {"3", "4"}}));
  // LF and CRLF files keep their line end whatever their quoted cells hold.
  const CsvDialect crlf = SniffCsv("a,b\r\n1,\"x\ry\"\r\n2,\"p\nq\"\r\n");
  EXPECT_EQ(crlf.newline, '\n');
  EXPECT_TRUE(crlf.crlf);
  const CsvDialect lf = SniffCsv("\"a\r\nb\",c\n1,\"x\ry\"\n2,z\n");
  EXPECT_EQ(lf.newline, '\n');
  EXPECT_FALSE(lf.crlf);  // the CRLF is inside quotes
  EXPECT_EQ(lf.columns, (std::vector<std::string>{"a\r\nb", "c"}));
}

TEST(CsvTokenizerTest, CellsLinesAndOffsets) {
  const auto [rows, lines, newlines] = TokenizeAll("a,\"b\"\"c\",\r\n\n\"multi\nline\",x\r\nlast");
  EXPECT_EQ(newlines, 4u);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"a", "b\"c", ""}));
  EXPECT_EQ(rows[1], (std::vector<std::string>{"multi\nline", "x"}));
  EXPECT_EQ(rows[2], (std::vector<std::string>{"last"}));
  EXPECT_EQ(lines, (std::vector<uint64_t>{0, 2, 4}));
}

// Quoted cells longer than the 16-byte steps of the scan, with newlines and quotes on
// both sides of a step boundary: the cells and the line numbers match the byte-wise rule.
// Profiler audit 2026-11-24: one `'quoted'` cell made `'` the quote char, and an apostrophe
// further on then folded three rows into one cell ("it's" became "its"); without it the
// valid file was dead-lettered as an unclosed quote. `'` decides only when it quotes cells
// of two rows; read as text, the quotes stay and nothing folds.
TEST(CsvSnifferTest, OneSingleQuotedCellDoesNotMakeApostrophesQuotes) {
  EXPECT_EQ(SniffCsv("id,name,note\n1,O'Brien,'quoted'\n2,x,y\n3,'80s hits,z\n4,rock,pop\n"
                     "5,it's,ok\n6,a,b\n")
                .quote,
            '"');
  EXPECT_EQ(SniffCsv("id,name,note\n1,Bud,'quoted'\n2,x,y\n3,'80s hits,z\n4,rock,pop\n").quote,
            '"');
  // Quoted in two rows, `'` is the file's quote char.
  const CsvDialect quoted = SniffCsv("id,name\n1,'a, b'\n2,'c'\n3,'d, e'\n");
  EXPECT_EQ(quoted.quote, '\'');
  EXPECT_EQ(quoted.columns.size(), 2u);
}

TEST(CsvTokenizerTest, LongQuotedCellsAcrossScanSteps) {
  const std::string body = "0123456789abc\nef0123456789\n\"\"x0123456789012345\n";
  const std::string text = "a,\"" + body + "\",b\nc,\"" + std::string(40, 'q') + "\"\nnext\n";
  const auto [rows, lines, newlines] = TokenizeAll(text);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{
                         "a", "0123456789abc\nef0123456789\n\"x0123456789012345\n", "b"}));
  EXPECT_EQ(rows[1], (std::vector<std::string>{"c", std::string(40, 'q')}));
  EXPECT_EQ(lines, (std::vector<uint64_t>{0, 4, 5}));
  EXPECT_EQ(newlines, 6u);

  CsvDialect backslash;
  backslash.escape = '\\';
  const auto escaped = TokenizeAll(
      "\"" + std::string(20, 'x') + "\\\"" + std::string(20, 'y') + "\n\",z\n", backslash);
  ASSERT_EQ(escaped.rows.size(), 1u);
  EXPECT_EQ(escaped.rows[0], (std::vector<std::string>{
                                 std::string(20, 'x') + "\"" + std::string(20, 'y') + "\n", "z"}));
}

TEST(CsvTokenizerTest, CrOnlyLineEnds) {
  CsvDialect cr;
  cr.newline = '\r';
  const std::string quoted = "\"" + std::string(20, 'q') + "\r" + std::string(20, 'r') + "\"";
  const auto [rows, lines, newlines] =
      TokenizeAll("a,b\r1,x\r\r" + quoted + ",\"y\rz\"\rlast,a\nb", cr);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(rows[1], (std::vector<std::string>{"1", "x"}));
  EXPECT_EQ(rows[2],
            (std::vector<std::string>{std::string(20, 'q') + "\r" + std::string(20, 'r'), "y\rz"}));
  EXPECT_EQ(rows[3], (std::vector<std::string>{"last", "a\nb"}));  // a LF is data here
  EXPECT_EQ(lines, (std::vector<uint64_t>{0, 1, 3, 6}));
  EXPECT_EQ(newlines, 6u);
}

TEST(CsvTokenizerTest, UnterminatedQuote) {
  CsvDialect d;
  CsvTokenizer t(d);
  const std::string text = "0,a\"b\n1,\"never closed\n2,3\n";
  std::vector<std::pair<bool, uint64_t>> rows;  // unterminated, quote_offset
  t.Tokenize(text.data(), text.size(), [&](const CsvRow& row) {
    rows.emplace_back(row.unterminated, row.quote_offset);
    return true;
  });
  // The unclosed field is found at its opening quote, not at its row's start.
  EXPECT_EQ(rows, (std::vector<std::pair<bool, uint64_t>>{{false, 3}, {true, 8}}));
}

// Audit 2026-11-24: a quote inside an unquoted cell opened a quoted run, so `12" pipe`
// swallowed the next rows into its cell up to the next quote. As in RFC 4180 readers and
// Python's csv module, only a quote that starts a cell opens one; any other is text.
TEST(CsvTokenizerTest, RowsWithACleanlyQuotedCell) {
  // Closed before a delimiter or the row's end (LF, CRLF, end of input); text after the
  // closing quote or a field left open is no clean quoting.
  const std::string text = "\"a\",b\n1,\"b\"\r\n\"a\"b,c\nx,y\n2,\"z\"\n\"open\n";
  CsvTokenizer t(CsvDialect{});
  std::vector<bool> quoted;
  t.Tokenize(text.data(), text.size(), [&](const CsvRow& row) {
    quoted.push_back(row.quoted && !row.unterminated);
    return true;
  });
  EXPECT_EQ(quoted, (std::vector<bool>{true, true, false, false, true, false}));
}

TEST(CsvTokenizerTest, QuoteInsideAnUnquotedCellIsText) {
  CsvDialect d;
  CsvTokenizer t(d);
  const std::string text =
      "1,plain,12\" pipe\n2,\"Doe, 2\",small\n3,plain,6\" ruler\r\n"
      "4,\"a\"b\"c,ab\"c\"d\n5,\"x\"\"y\",\"\"\n";
  std::vector<std::vector<std::string>> rows;
  std::vector<bool> stray;
  std::vector<uint64_t> at;
  t.Tokenize(text.data(), text.size(), [&](const CsvRow& row) {
    rows.emplace_back(row.cells.begin(), row.cells.end());
    stray.push_back(row.stray_quote);
    at.push_back(row.quote_offset);
    return true;
  });
  // Python's csv.reader gives the same cells.
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"1", "plain", "12\" pipe"}));
  EXPECT_EQ(rows[1], (std::vector<std::string>{"2", "Doe, 2", "small"}));
  EXPECT_EQ(rows[2], (std::vector<std::string>{"3", "plain", "6\" ruler"}));
  EXPECT_EQ(rows[3], (std::vector<std::string>{"4", "ab\"c", "ab\"c\"d"}));
  EXPECT_EQ(rows[4], (std::vector<std::string>{"5", "x\"y", ""}));
  EXPECT_EQ(stray, (std::vector<bool>{true, false, true, true, false}));
  EXPECT_EQ(at, (std::vector<uint64_t>{10, 0, 43, 58, 0}));

  // With backslash escapes, a quote after the closing one is text too.
  CsvDialect backslash;
  backslash.escape = '\\';
  const auto escaped = TokenizeAll("\"a\\\"b\"\"c,d\"e\n", backslash);
  ASSERT_EQ(escaped.rows.size(), 1u);
  EXPECT_EQ(escaped.rows[0], (std::vector<std::string>{"a\"b\"c", "d\"e"}));
}

}  // namespace
}  // namespace latebind::profiler
