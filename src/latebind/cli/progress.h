// A one-line progress bar on stderr, drawn only when stderr is a terminal and the work is
// large enough to be worth watching. Throttled to ~10 redraws a second. Thread-compatible:
// one thread updates it.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace latebind::cli {

class ProgressBar {
 public:
  // `min_total_bytes`: below this the bar stays hidden (default 64 MiB).
  explicit ProgressBar(std::string label, uint64_t min_total_bytes = 64ull << 20);
  ~ProgressBar();  // clears the line if drawn

  void Update(uint64_t done_bytes, uint64_t total_bytes);

 private:
  std::string label_;
  uint64_t min_total_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace latebind::cli
