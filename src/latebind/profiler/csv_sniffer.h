// CSV dialect detection, in DuckDB's phases: dialect (delimiter, quote, escape) → header
// → column names. Works on a sample — the first bytes of the payload — and never decides
// types: every cell of every record is typed later by the CSV profiler.
#pragma once

#include <arrow/result.h>

#include <functional>
#include <string>
#include <string_view>

#include "latebind/profiler/profile.h"

namespace latebind::profiler {

struct SniffOptions {
  // Rows of the sample tokenized for each of the 20 candidate dialects (default 1,000:
  // enough to see quoting and raggedness; 2,000 cost 4 % of a 90 MB profile).
  size_t sample_rows = 1000;
};

// Detects the dialect of `sample` (which starts at the beginning of the payload, after a
// BOM; it may end mid-record). The candidates: delimiters , ; TAB |, quotes " ' or none,
// escapes doubled-quote or backslash, each tokenized as CsvTokenizer reads (a quote opens
// quoting only at a cell's start). Of the two escapes of a delimiter and quote char, the one
// leaving fewer rows with a quote kept as text stays in the running (both on a tie). Of one
// delimiter's candidates, when any quote char opens and closes a quoted cell cleanly (right
// before a delimiter or the row's end) in a row of its reading's modal column count, only
// such candidates stay: a quote char that never quotes a cell must not win over the file's
// own one because a quote left unclosed swallowed or folded rows (the profiler then reports
// that quote). The winner splits the most sample rows into the same number of columns (more
// columns breaking ties, then the order above). The first row is a header when its cells are
// text or empty, not all empty, and either some column holds non-text values below it or
// none of its non-empty values recurs in its column; an empty name becomes columnN. Each
// candidate's line end is read from the sample's line breaks outside its quoted cells (a break
// inside a quoted cell is text): LF or CRLF when one of them is an LF, CR alone when they are
// all CRs; with none outside quotes, CR when the sample holds a CR and no LF.
// Never fails: a sample with no delimiter is a one-column CSV.
CsvDialect SniffCsv(std::string_view sample, const SniffOptions& options = {});

// `base`, else the first of `base_1`, `base_2`, … that `taken` says is free: how a repeated
// or empty header name (ADR-104) and a cell past the header (promotion, ADR-101) are named.
std::string SuffixedColumnName(const std::string& base,
                               const std::function<bool(const std::string&)>& taken);

}  // namespace latebind::profiler
