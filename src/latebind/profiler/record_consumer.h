// The part every record walker shares (json_profiler, csv_profiler): per-thread statistics
// and problems, built from RecordConsumerOptions. One instance per worker thread.
#pragma once

#include "latebind/profiler/block_pipeline.h"
#include "latebind/profiler/field_tree.h"
#include "latebind/profiler/problem_log.h"

namespace latebind::profiler {

struct RecordConsumerOptions {
  size_t max_fields = 10000;  // paths tracked (FieldTree)
  size_t max_problems = 20;   // problems kept per severity (all are counted)
  uint64_t base_offset = 0;   // stream bytes before block offset 0 (a stripped BOM)
};

class RecordConsumer : public BlockConsumer {
 public:
  explicit RecordConsumer(const RecordConsumerOptions& options)
      : base_offset_(options.base_offset),
        tree_(options.max_fields),
        problems_(options.max_problems) {}

  FieldTree& tree() { return tree_; }
  const ProblemLog& problems() const { return problems_; }

 protected:
  uint64_t base_offset_;
  FieldTree tree_;
  ProblemLog problems_;
};

}  // namespace latebind::profiler
