// Server metrics in Prometheus' text format (GET /metrics). Thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace latebind::ingest {

// A cumulative histogram with fixed bucket bounds in seconds.
class Histogram {
 public:
  void Observe(double seconds);
  void Render(const std::string& name, const std::string& help, std::string* out) const;

 private:
  static constexpr std::array<double, 12> kBounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                     0.05,   0.1,   0.25,   0.5,   1,    2.5};
  mutable std::mutex mu_;
  std::array<uint64_t, kBounds.size() + 1> counts_{};
  double sum_ = 0;
  uint64_t count_ = 0;
};

class Metrics {
 public:
  // `source` is "" for requests without one (health, metrics, unknown routes).
  void CountRequest(const std::string& source, int status, uint64_t body_bytes, double seconds);
  void ObserveCommit(size_t batch, double seconds);
  void CountProfiled(const std::string& source, bool dead_lettered);

  // What is waiting when the exposition is rendered.
  struct Backlog {
    size_t landing_queue = 0;        // arrivals not yet committed
    size_t materializing_queue = 0;  // batches in the write-ahead log not yet in raw/ (--wal)
    size_t unstored_bytes = 0;       // their bytes
    size_t profiling_queue = 0;      // landed payloads not yet profiled
  };
  // The whole exposition.
  std::string Render(const Backlog& backlog) const;

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;
  std::map<std::string, uint64_t> bytes_;
  std::map<std::string, uint64_t> profiled_;
  std::map<std::string, uint64_t> profiling_failures_;
  uint64_t commits_ = 0;
  uint64_t committed_payloads_ = 0;
  Histogram request_seconds_;
  Histogram commit_seconds_;
};

}  // namespace latebind::ingest
