#include "latebind/profiler/csv_sniffer.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "latebind/profiler/csv_tokenizer.h"
#include "latebind/profiler/type_lattice.h"

namespace latebind::profiler {
namespace {

struct Candidate {
  CsvDialect dialect;
  size_t consistent_rows = 0;  // rows with the modal column count
  size_t columns = 0;          // the modal column count
  size_t stray_rows = 0;       // rows with a quote char kept as text (not at a cell's start)
  size_t quoted_rows = 0;      // rows of the modal column count with a clean quoted cell
  size_t rank = 0;             // preference order, lower wins ties
};

// What `take` makes of each row of the sample, tokenized; the last row is dropped unless
// the sample is complete, since it may be cut mid-record.
template <typename Take>
auto SampleRows(std::string_view sample, const CsvDialect& d, size_t max_rows, bool complete,
                Take take) {
  std::vector<decltype(take(std::declval<const CsvRow&>()))> rows;
  CsvTokenizer tokenizer(d);
  tokenizer.Tokenize(sample.data(), sample.size(), [&](const CsvRow& row) {
    rows.push_back(take(row));
    return rows.size() < max_rows + 1;
  });
  if (!complete && rows.size() > 1) rows.pop_back();
  if (rows.size() > max_rows) rows.resize(max_rows);
  return rows;
}

struct RowShape {
  size_t cells = 0;
  bool stray_quote = false;
  bool quoted = false;  // a quoted cell closed right before a delimiter or the row's end
};

// The rows' cell counts and stray quotes, without copying a cell: scoring the ~20 candidate
// dialects needs only that (copying every cell was 12 % of a CSV promotion).
std::vector<RowShape> RowShapes(std::string_view sample, const CsvDialect& d, size_t max_rows,
                                bool complete) {
  return SampleRows(sample, d, max_rows, complete, [](const CsvRow& row) {
    return RowShape{row.cells.size(), row.stray_quote, row.quoted && !row.unterminated};
  });
}

// Whether `sample` likely holds the whole payload: the caller hands at most a prefix, and one
// that ends in the dialect's newline probably ends where the payload does.
bool Complete(std::string_view sample, const CsvDialect& d) {
  return !sample.empty() && sample.back() == d.newline;
}

void ScoreDialect(std::string_view sample, size_t max_rows, Candidate* c) {
  const bool complete = Complete(sample, c->dialect);
  std::map<size_t, size_t> counts;
  c->consistent_rows = c->columns = c->stray_rows = c->quoted_rows = 0;
  const std::vector<RowShape> rows = RowShapes(sample, c->dialect, max_rows, complete);
  for (const RowShape& row : rows) {
    ++counts[row.cells];
    c->stray_rows += row.stray_quote;
  }
  for (const auto& [columns, n] : counts) {
    if (n > c->consistent_rows || (n == c->consistent_rows && columns > c->columns)) {
      c->consistent_rows = n;
      c->columns = columns;
    }
  }
  for (const RowShape& row : rows) c->quoted_rows += row.quoted && row.cells == c->columns;
}

bool Better(const Candidate& a, const Candidate& b) {
  // A dialect that splits nothing is worth less than one that finds columns.
  const bool a_multi = a.columns > 1;
  const bool b_multi = b.columns > 1;
  if (a_multi != b_multi) return a_multi;
  if (a.consistent_rows != b.consistent_rows) return a.consistent_rows > b.consistent_rows;
  if (a.columns != b.columns) return a.columns > b.columns;
  return a.rank < b.rank;
}

// Of the two escapes of one delimiter and quote char, keeps the one that leaves fewer rows
// with a quote kept as text (both on a tie). Read with the wrong escape, a `""` or `\"` closes
// its field early and leaves the rest of it as stray quotes; that misreading can even split
// rows more evenly (a quoted line break taken for a row's end), so it must go before column
// counts compare dialects. Not across quote chars: a `'` dialect never counts the `"` of
// `6" ruler` as stray, and would win over `"` for it.
void DropWorseEscapes(std::vector<Candidate>* candidates) {
  std::map<std::pair<char, char>, size_t> fewest;  // (delimiter, quote) → stray rows
  for (const Candidate& c : *candidates) {
    auto [it, added] = fewest.try_emplace({c.dialect.delimiter, c.dialect.quote}, c.stray_rows);
    if (!added) it->second = std::min(it->second, c.stray_rows);
  }
  std::erase_if(*candidates, [&](const Candidate& c) {
    return c.stray_rows > fewest[{c.dialect.delimiter, c.dialect.quote}];
  });
}

// Of one delimiter's candidates, keeps only those whose quote char opens and closes a quoted
// cell cleanly (right before a delimiter or the row's end) in a row of their modal column
// count, when any does. A quote char that never quotes a cell reads the sample as no quoting
// would; counting rows alone, it could win over the file's own quote char after one quote
// left unclosed (which swallows the rows after it) or one that closes on a later line (whose
// folded row can tie the counts, and the reading that splits every `"n, 1"` has more
// columns). A quoted cell is what every CSV writer emits and every reader strips, so it
// decides; the rows with an unclosed quote are then reported by the profiler, at the quote.
// `'` must quote cells of two rows to decide: one `'x'` cell is as likely text (a nickname,
// an '80s) as quoting, and read as quoting an apostrophe further on folds rows together;
// read as text, the quotes stay in the cell and nothing is lost.
void DropQuotelessReadings(std::vector<Candidate>* candidates) {
  std::set<char> quoting;  // delimiters with a candidate that quotes cells
  for (const Candidate& c : *candidates) {
    if (c.quoted_rows >= (c.dialect.quote == '"' ? 1u : 2u)) quoting.insert(c.dialect.delimiter);
  }
  std::erase_if(*candidates, [&](const Candidate& c) {
    return c.quoted_rows == 0 && quoting.count(c.dialect.delimiter) > 0;
  });
}

// Sets d->newline and d->crlf from the sample's line breaks outside quotes, read as the
// tokenizer opens quotes (at a cell's start) under d's delimiter, quote and escape, and as
// Python's csv reads them (CR, LF and CRLF each end a line). A line break inside a quoted cell
// is the cell's text and says nothing: a CR-only file with a cell `"x\ny"` ends its records in
// CR, whereas deciding by the raw bytes read it with LF, as one record of cells like `b\r1`.
// LF (crlf when the first LF outside quotes follows a CR) as soon as an LF is found outside
// quotes; CR when only CRs alone are, in the first max_lines breaks; with no break outside
// quotes at all (one record, or a quote left open on the first line), CR when the sample has a
// CR and no LF, as before.
void SniffLineEnd(std::string_view sample, size_t max_lines, CsvDialect* d) {
  const char quote = d->quote;
  const char escape = d->escape;
  size_t cr_breaks = 0;
  bool cell_start = true;
  size_t i = 0;
  while (i < sample.size() && cr_breaks < max_lines) {
    const char c = sample[i];
    if (c == quote && quote != '\0' && cell_start) {
      // Skip the quoted run to just past its closing quote (or the sample's end).
      for (++i; i < sample.size(); ++i) {
        if (sample[i] == escape && escape != quote) {
          ++i;
        } else if (sample[i] == quote) {
          if (escape != quote || i + 1 == sample.size() || sample[i + 1] != quote) break;
          ++i;  // a doubled quote keeps the run open
        }
      }
      ++i;
      cell_start = false;
      continue;
    }
    if (c == '\n' || (c == '\r' && i + 1 < sample.size() && sample[i + 1] == '\n')) {
      d->newline = '\n';
      d->crlf = c == '\r';
      return;
    }
    cr_breaks += c == '\r';
    cell_start = c == '\r' || c == d->delimiter;
    ++i;
  }
  const bool cr = cr_breaks > 0 || (sample.find('\n') == std::string_view::npos &&
                                    sample.find('\r') != std::string_view::npos);
  d->newline = cr ? '\r' : '\n';
  d->crlf = false;
}

struct FirstRow {
  std::vector<std::string> cells;  // empty when the sample has no row
  bool header = false;
};

// The sample's first row, and whether it is a header: its cells are text or empty, not all
// empty, and either a cell below it holds a typed value (a number, a date...) or none of its
// non-empty values recurs in its column below it. An empty name is common (pandas writes
// `,a,b` for its index column, a trailing comma gives `a,b,`) and becomes columnN. The rows
// below are the ones SampleRows keeps: at most max_rows in all, the last one dropped when the
// sample is cut short. Reading stops at the first typed cell, and no cell is copied but the
// first row's.
FirstRow SniffFirstRow(std::string_view sample, const CsvDialect& d, size_t max_rows,
                       bool complete) {
  FirstRow first;
  bool text_only = true;  // the first row's cells
  size_t rows = 0;        // tokenized so far
  bool typed_below = false;
  bool value_recurs = false;
  // The latest row's findings count once the next row shows it was not cut short.
  bool pending = false, pending_typed = false, pending_recurs = false;
  auto settle = [&] {
    typed_below = typed_below || (pending && pending_typed);
    value_recurs = value_recurs || (pending && pending_recurs);
    pending = false;
  };
  CsvTokenizer tokenizer(d);
  tokenizer.Tokenize(sample.data(), sample.size(), [&](const CsvRow& row) {
    settle();
    if (typed_below || rows == max_rows) return false;
    if (rows++ == 0) {
      first.cells.assign(row.cells.begin(), row.cells.end());
      bool named = false;
      for (const std::string& cell : first.cells) {
        if (cell.empty()) continue;
        named = true;
        if (ClassifyCell(cell).type != FieldType::kString) text_only = false;
      }
      text_only = text_only && named;
      return text_only;  // a row of not only text is no header, whatever follows
    }
    pending = true;
    pending_typed = pending_recurs = false;
    const size_t n = std::min(row.cells.size(), first.cells.size());
    for (size_t col = 0; col < n && !pending_typed; ++col) {
      const std::string_view cell = row.cells[col];
      const FieldType t = ClassifyCell(cell).type;
      pending_typed = t != FieldType::kString && t != FieldType::kNull;
      pending_recurs = pending_recurs || (!cell.empty() && cell == first.cells[col]);
    }
    return true;
  });
  if (complete) settle();
  // One row of text only is a header with no data: nothing below it recurs.
  first.header = rows > 0 && text_only && (typed_below || !value_recurs);
  return first;
}

std::vector<std::string> ColumnNames(const std::vector<std::string>* header, size_t columns) {
  std::vector<std::string> names;
  for (size_t i = 0; i < columns; ++i) {
    std::string name = header && i < header->size() ? (*header)[i] : "";
    // Trim spaces: " amount" is the column amount.
    const size_t b = name.find_first_not_of(" \t");
    const size_t e = name.find_last_not_of(" \t");
    names.push_back(b == std::string::npos ? "" : name.substr(b, e - b + 1));
  }
  // Every name the header gives keeps it at its first column. A repeat gets a suffix, as
  // DuckDB does (a, a_1, a_2), and an empty name is column<N>, N its position; neither takes
  // a name the header gives elsewhere (`a,a,a_1` is a, a_2, a_1).
  const std::set<std::string> given(names.begin(), names.end());
  std::set<std::string> used;
  for (size_t i = 0; i < columns; ++i) {
    const bool first_given = !names[i].empty() && !used.count(names[i]);
    std::string name =
        first_given ? names[i]
                    : SuffixedColumnName(names[i].empty() ? fmt::format("column{}", i) : names[i],
                                         [&](const std::string& s) {
                                           return used.count(s) > 0 || given.count(s) > 0;
                                         });
    used.insert(name);
    names[i] = std::move(name);
  }
  return names;
}

}  // namespace

std::string SuffixedColumnName(const std::string& base,
                               const std::function<bool(const std::string&)>& taken) {
  std::string name = base;
  for (int n = 1; taken(name); ++n) name = fmt::format("{}_{}", base, n);
  return name;
}

CsvDialect SniffCsv(std::string_view sample, const SniffOptions& options) {
  std::vector<Candidate> candidates;
  size_t rank = 0;
  for (char quote : {'"', '\'', '\0'}) {
    for (char escape : {'q', '\\'}) {
      if (quote == '\0' && escape == '\\') continue;
      for (char delimiter : {',', ';', '\t', '|'}) {
        Candidate c;
        c.dialect.delimiter = delimiter;
        c.dialect.quote = quote;
        c.dialect.escape = escape == 'q' ? quote : escape;
        // Each candidate's own line end: which breaks are outside quotes depends on its
        // quote char, escape and delimiter (a cell's start).
        SniffLineEnd(sample, options.sample_rows, &c.dialect);
        c.rank = rank++;
        candidates.push_back(std::move(c));
      }
    }
  }
  // Two rounds, as DuckDB's sniffer prunes: every candidate on the first rows, then the
  // close contenders on the whole sample.
  auto better = [](const Candidate& a, const Candidate& b) { return Better(a, b); };
  const size_t first_rows = std::min<size_t>(options.sample_rows, 64);
  for (Candidate& c : candidates) ScoreDialect(sample, first_rows, &c);
  DropWorseEscapes(&candidates);
  DropQuotelessReadings(&candidates);
  std::sort(candidates.begin(), candidates.end(), better);
  const Candidate leader = candidates.front();
  std::erase_if(candidates, [&](const Candidate& c) {
    return (c.columns > 1) != (leader.columns > 1) ||
           c.consistent_rows * 10 < leader.consistent_rows * 9;
  });
  for (Candidate& c : candidates) ScoreDialect(sample, options.sample_rows, &c);
  DropWorseEscapes(&candidates);
  DropQuotelessReadings(&candidates);
  const Candidate& best = *std::min_element(candidates.begin(), candidates.end(), better);

  CsvDialect dialect = best.dialect;
  const FirstRow first =
      SniffFirstRow(sample, dialect, options.sample_rows, Complete(sample, dialect));
  dialect.header = first.header;
  const size_t columns = std::max<size_t>(best.columns, first.cells.size());
  dialect.columns = ColumnNames(first.header ? &first.cells : nullptr, columns);
  return dialect;
}

}  // namespace latebind::profiler
