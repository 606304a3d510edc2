// POST /v1/promotions off the I/O threads (ADR-030): one thread runs one promotion request
// at a time; a request arriving while another is waiting or running is refused (the
// handler answers 429), never queued behind it.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace latebind::ingest {

// A thread with room for one job. Owns its thread. Thread-safe.
class PromotionWorker {
 public:
  // Starts the thread.
  PromotionWorker();
  // Runs a job already accepted (its client is owed an answer), then joins the thread.
  ~PromotionWorker();

  // What a job hands back: how to answer its client.
  using Answer = std::function<void()>;
  using Job = std::function<Answer()>;

  // Runs `job` on the worker thread, then frees the slot, then calls the Answer it
  // returned (also on the worker thread): a client that sends its next request as soon as
  // it has its answer finds the worker free. The job and its answer are destroyed before
  // the worker waits again. Returns false, and drops `job` without running it, when
  // another job is waiting or running. Safe to call from any thread.
  bool TrySubmit(Job job);

 private:
  void Loop();

  std::mutex mu_;
  std::condition_variable wake_;
  Job job_;                // accepted, not yet taken; guarded by mu_
  bool running_ = false;   // guarded by mu_
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;     // last: started once the members above exist
};

}  // namespace latebind::ingest
