#include "latebind/ingest/arrival_workers.h"

namespace latebind::ingest {

ArrivalWorkers::ArrivalWorkers(ArrivalProcessor* processor, int workers, Observer observer)
    : processor_(processor), observer_(std::move(observer)) {
  for (int i = 0; i < workers; ++i) threads_.emplace_back([this] { Run(); });
}

ArrivalWorkers::~ArrivalWorkers() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void ArrivalWorkers::Enqueue(std::string key) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(key));
  }
  cv_.notify_one();
}

size_t ArrivalWorkers::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

void ArrivalWorkers::Run() {
  // Up to this many keys per round share one durable write of their profile markers.
  constexpr size_t kBatch = 64;
  for (;;) {
    std::vector<std::string> keys;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return !queue_.empty() || stopping_; });
      if (stopping_) return;
      while (!queue_.empty() && keys.size() < kBatch) {
        keys.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    const std::vector<arrow::Result<ArrivalOutcome>> outcomes = processor_->ProcessBatch(keys);
    if (observer_) {
      for (size_t i = 0; i < keys.size(); ++i) observer_(keys[i], outcomes[i]);
    }
  }
}

}  // namespace latebind::ingest
