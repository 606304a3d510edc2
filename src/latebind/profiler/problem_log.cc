#include "latebind/profiler/problem_log.h"

namespace latebind::profiler {

void ProblemLog::Add(Problem::Severity severity, uint64_t block, uint64_t line_in_block,
                     uint64_t column, uint64_t byte_offset, std::string message) {
  const bool error = severity == Problem::Severity::kError;
  (error ? errors_ : warnings_)++;
  size_t& kept = error ? kept_errors_ : kept_warnings_;
  if (kept >= keep_) return;
  ++kept;
  entries_.push_back(
      Entry{Problem{severity, 0, column, byte_offset, std::move(message)}, block, line_in_block});
}

void ProblemLog::Resolve(const LineIndex& lines, std::vector<Problem>* out) const {
  for (const Entry& e : entries_) {
    Problem p = e.problem;
    p.line = lines.Line(e.block, e.line_in_block);
    out->push_back(std::move(p));
  }
}

}  // namespace latebind::profiler
