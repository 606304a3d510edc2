#include "latebind/ingest/arrival_workers.h"

#include <algorithm>

#include "latebind/common/status.h"

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
      for (;;) {
        if (stopping_) return;
        const auto now = std::chrono::steady_clock::now();
        // Retries that fell due rejoin the queue.
        for (auto it = retries_.begin(); it != retries_.end();) {
          if (it->due <= now) {
            queue_.push_back(std::move(it->key));
            it = retries_.erase(it);
          } else {
            ++it;
          }
        }
        if (!queue_.empty()) break;
        if (retries_.empty()) {
          cv_.wait(lock);
        } else {
          const auto next =
              std::min_element(retries_.begin(), retries_.end(),
                               [](const Retry& a, const Retry& b) { return a.due < b.due; })
                  ->due;
          cv_.wait_until(lock, next);
        }
      }
      while (!queue_.empty() && keys.size() < kBatch) {
        keys.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    const std::vector<arrow::Result<ArrivalOutcome>> outcomes = processor_->ProcessBatch(keys);
    {
      std::lock_guard lock(mu_);
      for (size_t i = 0; i < keys.size(); ++i) {
        if (outcomes[i].ok() || KindOf(outcomes[i].status()) != ErrorKind::kUnavailable) {
          attempts_.erase(keys[i]);
          continue;
        }
        const int attempts = ++attempts_[keys[i]];
        const auto delay = std::chrono::seconds(std::min(60, 1 << std::min(attempts - 1, 6)));
        retries_.push_back({std::chrono::steady_clock::now() + delay, keys[i]});
      }
    }
    if (observer_) {
      for (size_t i = 0; i < keys.size(); ++i) observer_(keys[i], outcomes[i]);
    }
  }
}

}  // namespace latebind::ingest
