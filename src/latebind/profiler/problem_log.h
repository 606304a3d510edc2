// Problems found by one worker thread, kept with block-relative line numbers until every
// block's line count is known (LineIndex).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "latebind/profiler/block_pipeline.h"
#include "latebind/profiler/profile.h"

namespace latebind::profiler {

// Bounded: keeps the first `keep` of each severity, counts all.
class ProblemLog {
 public:
  explicit ProblemLog(size_t keep) : keep_(keep) {}

  void Add(Problem::Severity severity, uint64_t block, uint64_t line_in_block, uint64_t column,
           uint64_t byte_offset, std::string message);

  uint64_t errors() const { return errors_; }
  uint64_t warnings() const { return warnings_; }

  // Appends the kept problems with absolute line numbers.
  void Resolve(const LineIndex& lines, std::vector<Problem>* out) const;

 private:
  struct Entry {
    Problem problem;
    uint64_t block;
    uint64_t line_in_block;
  };
  size_t keep_;
  std::vector<Entry> entries_;
  uint64_t errors_ = 0;
  uint64_t warnings_ = 0;
  size_t kept_errors_ = 0;
  size_t kept_warnings_ = 0;
};

}  // namespace latebind::profiler
