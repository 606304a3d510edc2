// A one-line progress bar on stderr, drawn only when stderr is a terminal and the work is
// large enough to be worth watching. Throttled to ~10 redraws a second. Thread-compatible:
// one thread updates it and prints through it.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace latebind::cli {

class ProgressBar {
 public:
  // `min_total_bytes`: below this the bar stays hidden (default 64 MiB).
  explicit ProgressBar(std::string label, uint64_t min_total_bytes = 64ull << 20);
  ~ProgressBar();  // clears the line if drawn

  void Update(uint64_t done_bytes, uint64_t total_bytes);

  // Writes `text` (whole lines, ending "\n") to `stream`, stdout or stderr, with the bar
  // out of its way: erases the bar, writes and flushes `text`, then redraws the bar under
  // it. While the bar is alive, everything its command prints must go through here:
  // otherwise a line starts where the bar ends, on the same terminal line. The flush also
  // makes each line visible as it happens when stdout is a pipe or a file.
  void Print(std::FILE* stream, std::string_view text);

 private:
  void Draw(std::chrono::steady_clock::time_point now);

  std::string label_;
  uint64_t min_total_;
  bool enabled_;
  bool drawn_ = false;
  uint64_t done_ = 0;
  uint64_t total_ = 0;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace latebind::cli
