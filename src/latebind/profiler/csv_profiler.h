// Step 1 of profiling for CSV: tokenizes every record of a block under the sniffed
// dialect, types each cell (ClassifyCell) and feeds it into the worker's FieldTree, one
// top-level field per column. Ragged rows are warnings with their line numbers; cells past
// the last column are counted, not profiled; a missing trailing cell leaves its field
// missing from that record (so the field becomes optional). One per worker thread.
#pragma once

#include "latebind/profiler/block_pipeline.h"
#include "latebind/profiler/csv_tokenizer.h"
#include "latebind/profiler/field_tree.h"
#include "latebind/profiler/problem_log.h"

namespace latebind::profiler {

class CsvRecordConsumer : public BlockConsumer {
 public:
  CsvRecordConsumer(const CsvDialect& dialect, const RecordConsumerOptions& options);

  uint64_t Consume(const Block& block) override;

  FieldTree& tree() { return tree_; }
  const ProblemLog& problems() const { return problems_; }

 private:
  void CheckBytes(const Block& block);

  CsvDialect dialect_;
  uint64_t base_offset_;
  CsvTokenizer tokenizer_;
  FieldTree tree_;
  std::vector<int32_t> columns_;  // field node per column
  ProblemLog problems_;
};

}  // namespace latebind::profiler
