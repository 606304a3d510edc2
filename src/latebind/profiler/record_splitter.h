// Finds record boundaries in a block of text so the block pipeline can hand complete
// records to worker threads. One splitter per input format; each keeps the little state
// that must survive a cut (which is always at a record boundary).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "latebind/profiler/profile.h"

namespace latebind::profiler {

// A record inside a block (JSON mode): byte range and its line within the block.
struct RecordSpan {
  uint32_t begin = 0;
  uint32_t end = 0;
  uint32_t line = 0;     // 0-based line in the block where the record starts
  uint32_t column = 0;   // 0-based byte column of its first byte
  uint32_t element = 0;  // 1-based index within a top-level array; 0 when not in one
};

class RecordSplitter {
 public:
  virtual ~RecordSplitter() = default;
  // Returns the length of the longest prefix of data[0, size) made of complete records;
  // at end of input everything is complete. Spans (JSON mode) are appended to `spans`.
  // `newlines` receives the number of '\n' in the returned prefix when the splitter
  // counts them as it goes (JSON mode), else is left unchanged.
  virtual size_t Cut(const char* data, size_t size, bool at_eof, std::vector<RecordSpan>* spans,
                     uint64_t* newlines) = 0;
  // After the last Cut: errors in the text between records, which no record's parse sees
  // (a top-level array's separators, the input ending inside one), byte offset, line and
  // column relative to the first byte given to Cut.
  virtual std::vector<Problem> Problems() const { return {}; }
};

// NDJSON and unquoted CSV: records end at `newline` ('\n', or '\r' for CR-only CSV).
class LineSplitter : public RecordSplitter {
 public:
  explicit LineSplitter(char newline = '\n') : newline_(newline) {}
  size_t Cut(const char* data, size_t size, bool at_eof, std::vector<RecordSpan>*,
             uint64_t*) override;

 private:
  char newline_;
};

// CSV with quoting: a newline ('\n', or '\r' for CR-only CSV) ends a record only outside
// quotes, and a quote opens quoting only as the first byte of a cell (after a delimiter, a
// newline or the start of `data`), exactly as CsvTokenizer reads it: every cut is where the
// tokenizer, reading the whole payload, would end a record. With escape == quote (RFC 4180
// doubling) the quotes are found with memchr; with a backslash escape the block is scanned
// byte by byte.
class CsvSplitter : public RecordSplitter {
 public:
  CsvSplitter(char delimiter, char quote, char escape, char newline = '\n')
      : delimiter_(delimiter), quote_(quote), escape_(escape), newline_(newline) {}
  size_t Cut(const char* data, size_t size, bool at_eof, std::vector<RecordSpan>*,
             uint64_t*) override;

 private:
  char delimiter_;
  char quote_;
  char escape_;
  char newline_;
};

// The splitter that cuts CSV text of `dialect` where its tokenizer ends records: a
// CsvSplitter when it quotes, else a LineSplitter, on the dialect's newline. Profiling and
// promotion must cut alike, so both take their CSV splitter from here.
std::unique_ptr<RecordSplitter> MakeCsvSplitter(const CsvDialect& dialect);

// JSON text that is not one record per line: one object, concatenated values (pretty
// printed or not) or a top-level array whose elements are the records. Tracks strings,
// escapes and nesting depth, not validity: simdjson judges each span.
class JsonValueSplitter : public RecordSplitter {
 public:
  size_t Cut(const char* data, size_t size, bool at_eof, std::vector<RecordSpan>* spans,
             uint64_t* newlines) override;
  std::vector<Problem> Problems() const override;

 private:
  // Where a top-level array's text is between elements: just opened, after an element,
  // after a comma. Exactly one ',' separates two elements, none ends the array.
  enum class Separator { kOpened, kAfterElement, kAfterComma };

  bool in_array_ = false;  // inside a top-level array at the last cut
  uint32_t element_ = 0;   // elements of the current top-level array seen so far
  Separator separator_ = Separator::kOpened;
  std::optional<Problem> bad_separator_;  // the first misplaced or missing ','
  // Where the open top-level array began, and how far previous cuts have come.
  uint64_t array_byte_ = 0;
  uint64_t array_line_ = 0;
  uint64_t array_column_ = 0;
  uint64_t cut_bytes_ = 0;
  uint64_t cut_lines_ = 0;
};

}  // namespace latebind::profiler
