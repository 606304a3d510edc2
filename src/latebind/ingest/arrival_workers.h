// Worker threads that profile landed payloads off the request path (DESIGN.md §2).
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "latebind/ingest/arrivals.h"

namespace latebind::ingest {

// Takes raw object keys and runs ArrivalProcessor::Process on them, `workers` at a time.
// Keys are only hints: the raw zone is the durable queue, so a key lost with a crash is
// found again by Pending() at the next start. A key that failed for a passing reason
// (kUnavailable: storage full, registry locked) is retried after a delay, doubling from 1 s
// to 60 s, so the registry catches up without a restart. Thread-safe.
class ArrivalWorkers {
 public:
  using Observer =
      std::function<void(const std::string& key, const arrow::Result<ArrivalOutcome>&)>;

  ArrivalWorkers(ArrivalProcessor* processor, int workers, Observer observer);
  ~ArrivalWorkers();  // finishes the payload in hand, leaves the rest for the next start

  void Enqueue(std::string key);
  size_t queued() const;

 private:
  void Run();

  ArrivalProcessor* processor_;
  Observer observer_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  struct Retry {
    std::chrono::steady_clock::time_point due;
    std::string key;
  };
  std::vector<Retry> retries_;                     // few: only while something is failing
  std::unordered_map<std::string, int> attempts_;  // failures so far, per retried key
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace latebind::ingest
