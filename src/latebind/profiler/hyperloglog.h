// Approximate distinct counting in fixed memory: HyperLogLog with Ertl's improved
// estimator ("New cardinality estimation algorithms for HyperLogLog sketches", 2017),
// which needs no empirical bias tables and is unbiased from 0 to billions.
//
// Values are fed as 64-bit hashes (XXH3). Up to kSparseLimit (64) distinct hashes are kept
// exactly (so low-cardinality fields such as a currency cost 8 bytes a value and are
// counted exactly); past that the sketch switches to 2^kPrecision one-byte registers
// (4 KiB, standard error 1.04/sqrt(4096) ≈ 1.6 %). Not thread-safe; merge per-thread
// sketches with Merge.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace latebind::profiler {

class HyperLogLog {
 public:
  static constexpr int kPrecision = 12;
  static constexpr uint32_t kRegisters = 1u << kPrecision;
  static constexpr size_t kSparseLimit = 64;

  void Add(uint64_t hash);
  void Merge(const HyperLogLog& other);
  uint64_t Estimate() const;
  bool exact() const { return dense_.empty(); }

 private:
  void Densify();
  void AddDense(uint64_t hash);

  std::vector<uint64_t> sparse_;  // distinct hashes while exact
  std::vector<uint8_t> dense_;    // registers once past kSparseLimit
};

}  // namespace latebind::profiler
