// Step 1 of profiling for JSON: walks every record of a block with simdjson's DOM parser
// and feeds each value into the worker's FieldTree.
//
// NDJSON blocks take simdjson's parse_many fast path (one SIMD stage 1 over the whole
// block); at the first document that fails or is not an object, the rest of the block is
// parsed line by line, which pins each problem to its line and column and skips only the
// bad lines. Blank lines are skipped. JSON blocks (one object,
// concatenated values, a top-level array) come with spans from JsonValueSplitter. A record
// that fails to parse, or that is not an object, is reported with its line, column and
// byte offset and skipped: the rest of the payload is still profiled.
// One instance per worker thread; not thread-safe.
#pragma once

#include <simdjson.h>

#include <optional>

#include "latebind/profiler/record_consumer.h"

namespace latebind::profiler {

class JsonRecordConsumer : public RecordConsumer {
 public:
  JsonRecordConsumer(Format format, const RecordConsumerOptions& options);

  uint64_t Consume(const Block& block) override;

 private:
  struct Where {
    uint64_t block;
    uint64_t line;     // in block
    uint64_t column;   // 0-based
    uint64_t offset;   // in stream
    uint32_t element;  // 1-based top-level array element, 0 if none
  };
  uint64_t ConsumeNdjson(const Block& block);
  // Per-line parsing of block bytes [from, size): exact positions for every problem.
  // Returns the newlines it passed.
  uint64_t NdjsonLines(const Block& block, size_t from, uint64_t first_line, uint64_t* record);
  void Record(const char* data, size_t size, const Where& where, uint64_t ordinal);
  void Visit(int32_t node, simdjson::dom::element value, uint64_t ordinal);
  void ReportParseError(const char* data, size_t size, simdjson::error_code code,
                        const Where& where);

  Format format_;
  simdjson::dom::parser parser_;
  bool big_integers_ = false;  // the current record had numbers beyond 64 bits (widened)
  uint64_t objects_ = 0;       // objects visited: a stamp to tell a key repeated in one
};

// Offset within `data` of the first invalid UTF-8 sequence, or `size` if valid.
size_t FirstInvalidUtf8(const char* data, size_t size);

// simdjson 3.0 rejects integer literals beyond 64 bits and numbers beyond float64's range
// (NUMBER_ERROR). JSON allows both; the profiler types them float64, and promotion reads
// them the same way. Returns a copy of `data` (a JSON text) with each integer beyond 64 bits
// made a decimal ("1234...890" → "1234...890.0") and each number beyond float64 ("1e400",
// 400 digits) replaced by the string kBeyondFloat64, or nothing if it has neither.
std::optional<simdjson::padded_string> WidenBigIntegers(const char* data, size_t size);

// What WidenBigIntegers puts in place of a number beyond float64: a string no JSON text
// holds unless it writes "\u0000", looked for only in a record that was widened.
inline constexpr char kBeyondFloat64Text[] = "\0latebind:beyond-float64";
inline constexpr std::string_view kBeyondFloat64{kBeyondFloat64Text, sizeof kBeyondFloat64Text - 1};

// A readable reason for a simdjson error code.
const char* DescribeJsonError(simdjson::error_code code);

}  // namespace latebind::profiler
