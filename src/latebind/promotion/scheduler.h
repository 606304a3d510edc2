// `serve --promote-every`: promotion on a schedule inside the server. One thread runs a
// Promoter over every source each period; the per-source lock (promoter.h) keeps it from
// overlapping a manual `latebind promote` of the same source.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "latebind/promotion/promoter.h"

namespace latebind::promotion {

class PromotionScheduler {
 public:
  // `store` and `registry` must outlive the scheduler. No thread until Start.
  PromotionScheduler(storage::ObjectStore* store, registry::Registry* registry,
                     PromoteOptions options, std::chrono::milliseconds every)
      : promoter_(store, registry), options_(std::move(options)), every_(every) {}
  ~PromotionScheduler() { Stop(); }

  void Start();
  // Waits for a run in progress to finish its current source, then returns.
  void Stop();

 private:
  void Loop();

  Promoter promoter_;
  PromoteOptions options_;
  std::chrono::milliseconds every_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace latebind::promotion
