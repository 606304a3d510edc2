// Step 1 of profiling for CSV: tokenizes every record of a block under the sniffed
// dialect, types each cell (ClassifyCell) and feeds it into the worker's FieldTree, one
// top-level field per column. Ragged rows are warnings with their line numbers; cells past
// the last column are counted, not profiled; a missing trailing cell leaves its field
// missing from that record (so the field becomes optional). One per worker thread.
#pragma once

#include "latebind/profiler/csv_tokenizer.h"
#include "latebind/profiler/record_consumer.h"

namespace latebind::profiler {

class CsvRecordConsumer : public RecordConsumer {
 public:
  CsvRecordConsumer(const CsvDialect& dialect, const RecordConsumerOptions& options);

  uint64_t Consume(const Block& block) override;

 private:
  void CheckBytes(const Block& block);
  // The problem of a row with an unclosed quoted field (an error) or a stray quote (a
  // warning), at the quote. Kept out of line: inlined, it slowed every cell of the row loop.
  [[gnu::noinline, gnu::cold]] void ReportQuote(const Block& block, const CsvRow& row);

  CsvDialect dialect_;
  CsvTokenizer tokenizer_;
  std::vector<int32_t> columns_;  // field node per column
};

}  // namespace latebind::profiler
