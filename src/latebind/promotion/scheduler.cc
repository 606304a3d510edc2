#include "latebind/promotion/scheduler.h"

#include "latebind/common/json_log.h"

namespace latebind::promotion {

void PromotionScheduler::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void PromotionScheduler::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void PromotionScheduler::Loop() {
  std::unique_lock lock(mu_);
  while (!wake_.wait_for(lock, every_, [&] { return stopping_; })) {
    lock.unlock();
    auto results = promoter_.Run(options_);
    if (!results.ok()) {
      Log("error", "scheduled promotion failed", {{"error", results.status().message()}});
    }
    lock.lock();
  }
}

}  // namespace latebind::promotion
