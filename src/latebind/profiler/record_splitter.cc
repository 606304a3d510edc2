#include "latebind/profiler/record_splitter.h"

#include <fmt/format.h>

#include <cstring>

namespace latebind::profiler {

size_t LineSplitter::Cut(const char* data, size_t size, bool at_eof, std::vector<RecordSpan>*,
                         uint64_t*) {
  if (at_eof) return size;
  const void* nl = memrchr(data, newline_, size);
  return nl ? static_cast<const char*>(nl) - data + 1 : 0;
}

size_t CsvSplitter::Cut(const char* data, size_t size, bool at_eof, std::vector<RecordSpan>*,
                        uint64_t*) {
  if (at_eof) return size;
  // A quote opens quoting only as a cell's first byte, as the tokenizer reads it: after a
  // delimiter or newline outside quotes, or at data[0], where every cut leaves a record's
  // start. Any other quote outside quotes is text; counting it, as plain quote parity did,
  // let one stray `12" pipe` put the cuts inside records and fold them together.
  auto opens = [&](size_t q) {
    return q == 0 || data[q - 1] == delimiter_ || data[q - 1] == newline_;
  };
  size_t cut = 0;
  if (escape_ == quote_) {
    // Jump from quote to quote with memchr; between them, the last newline outside quotes
    // is the cut so far. A doubled quote ("") inside a field keeps it open.
    size_t pos = 0;
    bool quoted = false;
    while (pos < size) {
      const void* q = std::memchr(data + pos, quote_, size - pos);
      const size_t at = q ? static_cast<const char*>(q) - data : size;
      if (!quoted && at > pos) {
        const void* nl = memrchr(data + pos, newline_, at - pos);
        if (nl) cut = static_cast<const char*>(nl) - data + 1;
      }
      if (!q) break;
      pos = at + 1;
      if (!quoted) {
        quoted = opens(at);
      } else if (pos < size && data[pos] == quote_) {
        ++pos;
      } else {
        quoted = false;
      }
    }
    return cut;
  }
  bool quoted = false;
  for (size_t i = 0; i < size; ++i) {
    const char c = data[i];
    if (quoted) {
      if (c == escape_) {
        ++i;
      } else if (c == quote_) {
        quoted = false;
      }
    } else if (c == quote_) {
      quoted = opens(i);
    } else if (c == newline_) {
      cut = i + 1;
    }
  }
  return cut;
}

std::unique_ptr<RecordSplitter> MakeCsvSplitter(const CsvDialect& dialect) {
  if (dialect.quote == '\0') return std::make_unique<LineSplitter>(dialect.newline);
  return std::make_unique<CsvSplitter>(dialect.delimiter, dialect.quote, dialect.escape,
                                       dialect.newline);
}

size_t JsonValueSplitter::Cut(const char* data, size_t size, bool at_eof,
                              std::vector<RecordSpan>* spans, uint64_t* newlines) {
  const size_t spans_before = spans->size();
  bool in_array = in_array_;
  uint32_t element = element_;
  Separator separator = separator_;
  int depth = in_array ? 1 : 0;
  bool in_string = false;
  bool in_record = false;
  uint64_t lines = 0;
  size_t line_start = 0;
  RecordSpan span;
  // State at the last cut; the next call resumes from there.
  size_t cut = 0;
  uint64_t cut_lines = 0;
  bool cut_in_array = in_array;
  uint32_t cut_element = element;
  Separator cut_separator = separator;
  auto mark_cut = [&](size_t end) {
    cut = end;
    cut_lines = lines;
    cut_in_array = in_array;
    cut_element = element;
    cut_separator = separator;
  };
  auto close_record = [&](size_t end) {
    span.end = static_cast<uint32_t>(end);
    spans->push_back(span);
    in_record = false;
    if (in_array) separator = Separator::kAfterElement;
    mark_cut(end);
  };
  // The first separator error of this call at data[i]; kept if it lies before the cut.
  std::optional<std::pair<size_t, Problem>> bad;
  auto bad_separator = [&](size_t i, std::string message) {
    if (bad || bad_separator_) return;
    bad.emplace(i, Problem{Problem::Severity::kError, cut_lines_ + lines + 1, i - line_start + 1,
                           cut_bytes_ + i, std::move(message)});
  };

  for (size_t i = 0; i < size; ++i) {
    const char c = data[i];
    if (c == '\n') {
      ++lines;
      line_start = i + 1;
    }
    const int level = in_array ? 1 : 0;
    if (in_string) {
      if (c == '\\') {
        ++i;  // the escaped char cannot end the string
      } else if (c == '"') {
        in_string = false;
        if (in_record && depth == level) close_record(i + 1);  // a bare string record
      }
      continue;
    }
    if (!in_record && depth == level) {
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
      if (in_array && c == ',') {
        if (separator != Separator::kAfterElement) {
          bad_separator(i, fmt::format("a ',' where element {} of the top-level array should begin",
                                       element + 1));
        }
        separator = Separator::kAfterComma;
        continue;
      }
      if (in_array && c == ']') {
        if (separator == Separator::kAfterComma) {
          bad_separator(i, "the top-level array ends in a ',' before this ']' (a trailing comma)");
        }
        in_array = false;
        depth = 0;
        mark_cut(i + 1);
        continue;
      }
      if (!in_array && c == '[') {
        in_array = true;  // a top-level array: its elements are the records
        depth = 1;
        element = 0;
        separator = Separator::kOpened;
        array_byte_ = cut_bytes_ + i;
        array_line_ = cut_lines_ + lines;
        array_column_ = i - line_start;
        continue;
      }
      if (in_array && separator == Separator::kAfterElement) {
        bad_separator(
            i, fmt::format("missing ',' between elements {} and {} of the top-level array", element,
                           element + 1));
      }
      in_record = true;
      span = RecordSpan{static_cast<uint32_t>(i), 0, static_cast<uint32_t>(lines),
                        static_cast<uint32_t>(i - line_start), in_array ? ++element : 0};
    }
    switch (c) {
      case '"':
        in_string = true;
        break;
      case '{':
      case '[':
        ++depth;
        break;
      case '}':
      case ']':
        // Unbalanced closers are left for the parser to report.
        if (depth > level) --depth;
        if (in_record && depth == level) close_record(i + 1);
        break;
      default:
        if (in_record && depth == level) {
          // A scalar record ends where a delimiter follows.
          const char n = i + 1 < size ? data[i + 1] : '\0';
          if (n == ',' || n == ']' || n == ' ' || n == '\n' || n == '\r' || n == '\t' || n == '{' ||
              n == '[' || n == '"') {
            close_record(i + 1);
          }
        }
    }
  }
  if (at_eof) {
    if (in_record) {
      span.end = static_cast<uint32_t>(size);
      spans->push_back(span);
    }
    if (bad) bad_separator_ = std::move(bad->second);
    *newlines = lines;
    in_array_ = in_array;
    element_ = element;
    separator_ = separator;
    cut_bytes_ += size;
    cut_lines_ += lines;
    return size;
  }
  // Spans past the cut are rescanned with the next block.
  while (spans->size() > spans_before && spans->back().begin >= cut) spans->pop_back();
  in_array_ = cut_in_array;
  element_ = cut_element;
  separator_ = cut_separator;
  if (bad && bad->first < cut) bad_separator_ = std::move(bad->second);  // else seen again
  if (cut > 0) *newlines = cut_lines;
  cut_bytes_ += cut;
  cut_lines_ += cut_lines;
  return cut;
}

std::vector<Problem> JsonValueSplitter::Problems() const {
  std::vector<Problem> out;
  if (bad_separator_) out.push_back(*bad_separator_);
  if (in_array_) {
    out.push_back(Problem{Problem::Severity::kError, array_line_ + 1, array_column_ + 1,
                          array_byte_,
                          "the top-level array opened here is never closed (missing ']')"});
  }
  return out;
}

}  // namespace latebind::profiler
