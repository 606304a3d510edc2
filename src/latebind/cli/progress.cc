#include "latebind/cli/progress.h"

#include <fmt/format.h>
#include <unistd.h>

namespace latebind::cli {
namespace {

// Back to the start of the line and erase it: where the bar was, nothing is left.
constexpr char kEraseLine[] = "\r\033[K";

}  // namespace

ProgressBar::ProgressBar(std::string label, uint64_t min_total_bytes)
    : label_(std::move(label)),
      min_total_(min_total_bytes),
      enabled_(::isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()) {}

ProgressBar::~ProgressBar() {
  if (drawn_) std::fputs(kEraseLine, stderr);
}

void ProgressBar::Update(uint64_t done, uint64_t total) {
  if (!enabled_ || total < min_total_) return;
  done_ = done;
  total_ = total;
  const auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  Draw(now);
}

void ProgressBar::Print(std::FILE* stream, std::string_view text) {
  if (drawn_) std::fputs(kEraseLine, stderr);
  std::fwrite(text.data(), 1, text.size(), stream);
  std::fflush(stream);
  if (drawn_) Draw(std::chrono::steady_clock::now());
}

void ProgressBar::Draw(std::chrono::steady_clock::time_point now) {
  last_draw_ = now;
  drawn_ = true;
  const double fraction = total_ ? static_cast<double>(done_) / static_cast<double>(total_) : 1.0;
  const double seconds = std::chrono::duration<double>(now - start_).count();
  const double mb_per_s = seconds > 0 ? static_cast<double>(done_) / 1e6 / seconds : 0;
  constexpr int kWidth = 30;
  const int filled = static_cast<int>(fraction * kWidth);
  fmt::print(stderr, "{}{} [{}{}] {:3.0f}%  {:.0f} MB/s", kEraseLine, label_,
             std::string(filled, '#'), std::string(kWidth - filled, ' '), fraction * 100, mb_per_s);
  std::fflush(stderr);
}

}  // namespace latebind::cli
