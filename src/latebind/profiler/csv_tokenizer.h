// Splits CSV text into records and cells under a given dialect (RFC 4180 and the common
// deviations: backslash escapes, CRLF, LF or CR-only line ends, quoted fields spanning lines).
//
// A quote char opens a quoted run only as a cell's first byte, as in RFC 4180 and Python's csv
// module. Lenient where data in the wild is: a quote anywhere else in a cell (`12" pipe`) is
// text, flagged as stray_quote, and so is text after a closing quote (`"a"b"` is `ab"`). A quoted
// field still open at the end of the input is reported through `unterminated`. CsvSplitter cuts
// blocks by the same rule, so a block tokenizes as it would within the whole payload. Used by the
// sniffer (on a sample, for each candidate dialect), by the CSV profiler (on every block) and by
// promotion's binder. Not thread-safe; one per thread, reused across calls so its buffers are
// allocated once.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "latebind/profiler/profile.h"

namespace latebind::profiler {

struct CsvRow {
  std::vector<std::string_view> cells;  // valid until the next row
  uint64_t line = 0;                    // 0-based line (in the tokenized text) where the row starts
  uint64_t offset = 0;                  // byte offset of the row in the tokenized text
  bool unterminated = false;            // ended inside a quoted field at end of input
  bool stray_quote = false;             // a quote char inside a cell, not at its start: text
  // A quoted field opened at a cell's start and closed right before a delimiter or the row's
  // end: evidence for the sniffer that the dialect's quote char is the file's.
  bool quoted = false;
  // Byte offset (in the tokenized text) of the quote a problem is about: the opening quote of
  // the field left open when unterminated, else the row's first stray quote; 0 if neither.
  uint64_t quote_offset = 0;
};

class CsvTokenizer {
 public:
  explicit CsvTokenizer(const CsvDialect& dialect)
      : delim_(dialect.delimiter),
        quote_(dialect.quote),
        escape_(dialect.escape),
        newline_(dialect.newline) {}

  // Calls on_row(const CsvRow&) for each record of data[0, size); blank lines are
  // skipped. on_row returns false to stop early. Returns the number of line ends (the
  // dialect's newline bytes) seen: in all the data, or, when on_row stopped it, in the
  // records read (the sniffer stops after a sample of rows and need not scan the rest of
  // its head for each candidate).
  template <typename OnRow>
  uint64_t Tokenize(const char* data, size_t size, OnRow&& on_row);

 private:
  // A cell unescaped into scratch_: its place in the row and its bytes in scratch_.
  struct ScratchCell {
    size_t index;
    size_t begin;
    size_t size;
  };
  // The first index ≥ i of a delimiter, newline or quote char, or `size`.
  size_t FindSpecial(const char* data, size_t size, size_t i) const {
#ifdef __SSE2__
    // 16 bytes a step: cells are ~10 bytes, so this usually ends in the first step.
    const __m128i delim = _mm_set1_epi8(delim_);
    const __m128i nl = _mm_set1_epi8(newline_);
    const __m128i quote = _mm_set1_epi8(quote_ ? quote_ : newline_);
    for (; i + 16 <= size; i += 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + i));
      const __m128i hit = _mm_or_si128(
          _mm_or_si128(_mm_cmpeq_epi8(v, delim), _mm_cmpeq_epi8(v, nl)), _mm_cmpeq_epi8(v, quote));
      if (const int mask = _mm_movemask_epi8(hit)) return i + __builtin_ctz(mask);
    }
#endif
    while (i < size && data[i] != delim_ && data[i] != newline_ && (data[i] != quote_ || !quote_)) {
      ++i;
    }
    return i;
  }
  // The first index ≥ i of a quote or escape char, or `size`; adds the newline bytes
  // before it to *line. Quoted cells are scanned 16 bytes a step too: byte by byte, the scan and
  // its newline count were ~7 % of a CSV promotion.
  size_t FindQuoteOrEscape(const char* data, size_t size, size_t i, uint64_t* line) const {
#ifdef __SSE2__
    const __m128i quote = _mm_set1_epi8(quote_);
    const __m128i escape = _mm_set1_epi8(escape_);
    const __m128i nl = _mm_set1_epi8(newline_);
    for (; i + 16 <= size; i += 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + i));
      const unsigned newlines = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, nl)));
      const unsigned stop = static_cast<unsigned>(
          _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, escape))));
      if (stop != 0) {
        const int at = __builtin_ctz(stop);
        *line += CountBits(newlines & ((1u << at) - 1));
        return i + static_cast<size_t>(at);
      }
      *line += CountBits(newlines);
    }
#endif
    for (; i < size && data[i] != quote_ && data[i] != escape_; ++i) *line += data[i] == newline_;
    return i;
  }
  // The set bits of a newline mask. Without -mpopcnt (latebind targets plain x86-64)
  // __builtin_popcount is a call into libgcc, 2 % of a CSV promotion; quoted cells rarely
  // span lines, so the mask is nearly always zero and the call is skipped.
  static uint64_t CountBits(unsigned mask) {
    return mask == 0 ? 0 : static_cast<uint64_t>(__builtin_popcount(mask));
  }
  // Appends a quoted run starting after its opening quote at *i to scratch_; leaves *i
  // after the closing quote. False when the input ends first.
  bool QuotedRun(const char* data, size_t size, size_t* i, uint64_t* line);

  char delim_;
  char quote_;
  char escape_;
  char newline_;  // '\n' or '\r': see CsvDialect::newline
  std::vector<ScratchCell> scratch_cells_;
  std::string scratch_;  // unescaped contents of quoted cells
  CsvRow row_;
};

inline bool CsvTokenizer::QuotedRun(const char* data, size_t size, size_t* pos, uint64_t* line) {
  size_t i = *pos;
  bool closed = false;
  while (i < size) {
    const char c = data[i];
    if (c == escape_ && escape_ != quote_ && i + 1 < size) {
      scratch_.push_back(data[i + 1]);
      if (data[i + 1] == newline_) ++*line;
      i += 2;
    } else if (c == quote_) {
      if (escape_ == quote_ && i + 1 < size && data[i + 1] == quote_) {
        scratch_.push_back(quote_);
        i += 2;
      } else {
        ++i;
        closed = true;
        break;
      }
    } else {
      // Copy a run of plain bytes at once.
      *line += c == newline_;
      const size_t j = FindQuoteOrEscape(data, size, i + 1, line);
      scratch_.append(data + i, j - i);
      i = j;
    }
  }
  *pos = i;
  return closed;
}

template <typename OnRow>
uint64_t CsvTokenizer::Tokenize(const char* data, size_t size, OnRow&& on_row) {
  uint64_t line = 0;
  size_t i = 0;
  while (i < size) {
    // One record.
    row_.cells.clear();
    scratch_cells_.clear();
    scratch_.clear();
    const size_t row_begin = i;
    const uint64_t row_line = line;
    bool unterminated = false;
    bool stray_quote = false;
    bool clean_quote = false;
    size_t quote_offset = 0;
    bool row_done = false;
    while (!row_done) {
      // One cell from i: a quoted run if it starts with a quote, then unquoted text until a
      // delimiter or newline. A quote in that text is text: were it to open quoting, one
      // stray `12" pipe` would fold every later row into its cell until another quote came.
      const size_t cell_begin = i;
      bool quoted = false;
      size_t scratch_begin = 0;
      size_t run = i;  // the unquoted text starts here
      size_t j = i;
      // The opening quote is found by the scan that finds every other special byte, as the
      // one at cell_begin: checking data[i] before the scan cost 9 % more instructions in the
      // profiler's row loop (cachegrind, bench/gen_bank.py CSV), for unquoted cells as well.
      for (;;) {
        j = FindSpecial(data, size, j);
        if (j == size || data[j] != quote_ || quote_ == '\0') break;
        if (j == cell_begin) {
          quoted = true;
          scratch_begin = scratch_.size();
          i = j + 1;
          if (!QuotedRun(data, size, &i, &line)) {
            unterminated = true;
            quote_offset = cell_begin;
          } else if (i == size || data[i] == delim_ || data[i] == newline_ || data[i] == '\r') {
            clean_quote = true;  // once per quoted cell, not per byte
          }
          run = j = i;
          continue;
        }
        if (!stray_quote && !unterminated) quote_offset = j;
        stray_quote = true;
        ++j;
      }
      // The cell ends at j; a '\r' before the row's '\n' is part of the line ending (with
      // newline_ '\r' the scan stops at the first '\r', so none precedes j).
      size_t end = j;
      if (end > run && data[end - 1] == '\r' && (j == size || data[j] == '\n')) --end;
      if (quoted) {
        scratch_.append(data + run, end - run);
        // scratch_ may still move: the view is made once the row is complete.
        scratch_cells_.push_back(
            {row_.cells.size(), scratch_begin, scratch_.size() - scratch_begin});
        row_.cells.emplace_back();
      } else {
        row_.cells.emplace_back(data + cell_begin, end - cell_begin);
      }
      i = j;
      if (i < size && data[i] == delim_) {
        ++i;  // another cell follows
      } else {
        if (i < size) {
          ++line;  // the newline
          ++i;
        }
        row_done = true;
      }
    }
    // A blank line (one empty unquoted cell) is no record.
    if (row_.cells.size() == 1 && scratch_cells_.empty() && row_.cells[0].empty()) continue;
    for (const ScratchCell& c : scratch_cells_) {
      row_.cells[c.index] = std::string_view(scratch_.data() + c.begin, c.size);
    }
    row_.line = row_line;
    row_.offset = row_begin;
    row_.unterminated = unterminated;
    row_.stray_quote = stray_quote;
    row_.quoted = clean_quote;
    row_.quote_offset = quote_offset;
    if (!on_row(row_)) break;
  }
  return line;
}

}  // namespace latebind::profiler
