#include "latebind/profiler/csv_profiler.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <cstring>

#include "latebind/profiler/json_profiler.h"
#include "latebind/profiler/type_lattice.h"

namespace latebind::profiler {
namespace {

// Line and column of data[at] counted from data[0], which starts line 0 at column 0; lines
// end in `newline`, as the tokenizer counts them.
std::pair<uint64_t, uint64_t> Position(const char* data, size_t at, char newline) {
  const void* last_nl = memrchr(data, newline, at);
  uint64_t line = 0;
  for (const char* p = data; p < data + at; ++p) line += *p == newline;
  const size_t line_start = last_nl ? static_cast<const char*>(last_nl) - data + 1 : 0;
  return {line, at - line_start};
}

}  // namespace

CsvRecordConsumer::CsvRecordConsumer(const CsvDialect& dialect,
                                     const RecordConsumerOptions& options)
    : RecordConsumer(options), dialect_(dialect), tokenizer_(dialect) {
  for (size_t i = 0; i < dialect_.columns.size(); ++i) {
    columns_.push_back(tree_.Child(FieldTree::kRoot, dialect_.columns[i], i));
  }
}

void CsvRecordConsumer::CheckBytes(const Block& block) {
  // CSV text is UTF-8 without NUL bytes; anything else is not a CSV we can bind later.
  const char* data = block.data();
  if (const void* nul = std::memchr(data, '\0', block.size)) {
    const size_t at = static_cast<const char*>(nul) - data;
    auto [line, col] = Position(data, at, dialect_.newline);
    problems_.Add(Problem::Severity::kError, block.index, line, col + 1,
                  base_offset_ + block.offset + at, "NUL byte: binary data, not CSV text");
  }
  if (!simdjson::validate_utf8(data, block.size)) {
    const size_t at = FirstInvalidUtf8(data, block.size);
    auto [line, col] = Position(data, at, dialect_.newline);
    problems_.Add(Problem::Severity::kError, block.index, line, col + 1,
                  base_offset_ + block.offset + at, "invalid UTF-8");
  }
}

void CsvRecordConsumer::ReportQuote(const Block& block, const CsvRow& row) {
  // Point at the quote itself: the row may be long, or span lines.
  const auto [lines, col] =
      Position(block.data() + row.offset, row.quote_offset - row.offset, dialect_.newline);
  const uint64_t offset = base_offset_ + block.offset + row.quote_offset;
  if (row.unterminated) {
    problems_.Add(Problem::Severity::kError, block.index, row.line + lines, col + 1, offset,
                  "quoted field is never closed");
  } else {
    problems_.Add(Problem::Severity::kWarning, block.index, row.line + lines, col + 1, offset,
                  "quote character inside a field that does not start with one: kept as text");
  }
}

uint64_t CsvRecordConsumer::Consume(const Block& block) {
  CheckBytes(block);
  const size_t expected = columns_.size();
  bool skip_header = dialect_.header && block.index == 0;
  uint64_t record = 0;
  return tokenizer_.Tokenize(block.data(), block.size, [&](const CsvRow& row) {
    if (skip_header) {
      skip_header = false;
      return true;
    }
    const uint64_t offset = base_offset_ + block.offset + row.offset;
    if (row.unterminated || row.stray_quote) {
      ReportQuote(block, row);
      if (row.unterminated) return true;
    }
    if (row.cells.size() != expected) {
      problems_.Add(
          Problem::Severity::kWarning, block.index, row.line, 1, offset,
          fmt::format("ragged row: {} field(s), expected {}", row.cells.size(), expected));
    }
    tree_.stats(FieldTree::kRoot).AddContainer(FieldType::kObject);
    const size_t n = std::min(expected, row.cells.size());
    for (size_t i = 0; i < n; ++i) {
      const int32_t node = columns_[i];
      if (node == FieldTree::kNone) continue;
      FieldStats& stats = tree_.stats(node);
      const std::string_view cell = row.cells[i];
      if (stats.TryRepeat(cell)) continue;
      const CellValue v = ClassifyCell(cell);
      switch (v.type) {
        case FieldType::kNull:
          stats.AddNull();
          break;
        case FieldType::kBoolean:
          stats.AddBool(v.int_value != 0);
          break;
        case FieldType::kInt64:
          stats.AddInt(v.int_value);
          break;
        case FieldType::kFloat64:
          stats.AddFloat(v.float_value, v.int_overflow);
          break;
        default:
          stats.AddString(cell, v.type);
      }
      stats.RememberLast(cell, v.type, v.int_value != 0, v.int_overflow);
    }
    ++record;
    return true;
  });
}

}  // namespace latebind::profiler
