#include "latebind/cli/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

namespace latebind::cli {

ProgressBar::ProgressBar(std::string label, uint64_t min_total_bytes)
    : label_(std::move(label)),
      min_total_(min_total_bytes),
      enabled_(::isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()) {}

ProgressBar::~ProgressBar() {
  if (drawn_) std::fputs("\r\033[K", stderr);
}

void ProgressBar::Update(uint64_t done, uint64_t total) {
  if (!enabled_ || total < min_total_) return;
  const auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  drawn_ = true;
  const double fraction = total ? static_cast<double>(done) / static_cast<double>(total) : 1.0;
  const double seconds = std::chrono::duration<double>(now - start_).count();
  const double mb_per_s = seconds > 0 ? static_cast<double>(done) / 1e6 / seconds : 0;
  constexpr int kWidth = 30;
  const int filled = static_cast<int>(fraction * kWidth);
  fmt::print(stderr, "\r\033[K{} [{}{}] {:3.0f}%  {:.0f} MB/s", label_, std::string(filled, '#'),
             std::string(kWidth - filled, ' '), fraction * 100, mb_per_s);
  std::fflush(stderr);
}

}  // namespace latebind::cli
