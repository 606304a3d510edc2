#include "latebind/ingest/promotion_worker.h"

namespace latebind::ingest {

PromotionWorker::PromotionWorker() : thread_([this] { Loop(); }) {}

PromotionWorker::~PromotionWorker() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

bool PromotionWorker::TrySubmit(Job job) {
  {
    std::lock_guard lock(mu_);
    if (job_ || running_ || stopping_) return false;
    job_ = std::move(job);
  }
  wake_.notify_one();
  return true;
}

void PromotionWorker::Loop() {
  std::unique_lock lock(mu_);
  while (true) {
    // A job accepted before stopping still runs: its client is owed an answer.
    wake_.wait(lock, [this] { return static_cast<bool>(job_) || stopping_; });
    if (!job_) return;
    Job job = std::move(job_);
    job_ = nullptr;
    running_ = true;
    lock.unlock();
    Answer answer = job();
    job = nullptr;
    lock.lock();
    running_ = false;
    lock.unlock();
    if (answer) answer();
    // Destroyed before waiting: it may hold the server's outstanding-work guard, which must
    // end once the answer is on its way, not when the next job comes.
    answer = nullptr;
    lock.lock();
  }
}

}  // namespace latebind::ingest
