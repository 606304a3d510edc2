#include "latebind/profiler/hyperloglog.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

namespace latebind::profiler {
namespace {

constexpr int kQ = 64 - HyperLogLog::kPrecision;  // bits left for the rank

// σ and τ of Ertl's estimator (his Algorithm 6), each a series that converges fast.
double Sigma(double x) {
  if (x == 1.0) return std::numeric_limits<double>::infinity();
  double y = 1.0;
  double z = x;
  for (;;) {
    x *= x;
    const double z_old = z;
    z += x * y;
    y += y;
    if (z == z_old) return z;
  }
}

double Tau(double x) {
  if (x == 0.0 || x == 1.0) return 0.0;
  double y = 1.0;
  double z = 1.0 - x;
  for (;;) {
    x = std::sqrt(x);
    const double z_old = z;
    y *= 0.5;
    z -= (1.0 - x) * (1.0 - x) * y;
    if (z == z_old) return z / 3.0;
  }
}

}  // namespace

void HyperLogLog::Add(uint64_t hash) {
  if (!dense_.empty()) {
    AddDense(hash);
    return;
  }
  // Linear scan: the sparse set is small and this keeps it allocation-light.
  if (std::find(sparse_.begin(), sparse_.end(), hash) != sparse_.end()) return;
  sparse_.push_back(hash);
  if (sparse_.size() > kSparseLimit) Densify();
}

void HyperLogLog::AddDense(uint64_t hash) {
  const uint32_t index = static_cast<uint32_t>(hash >> kQ);
  const uint64_t rest = hash << kPrecision;
  const uint8_t rank =
      rest == 0 ? kQ + 1 : static_cast<uint8_t>(std::min(std::countl_zero(rest) + 1, kQ + 1));
  if (rank > dense_[index]) dense_[index] = rank;
}

void HyperLogLog::Densify() {
  dense_.assign(kRegisters, 0);
  for (uint64_t h : sparse_) AddDense(h);
  sparse_.clear();
  sparse_.shrink_to_fit();
}

void HyperLogLog::Merge(const HyperLogLog& other) {
  if (other.dense_.empty()) {
    for (uint64_t h : other.sparse_) Add(h);
    return;
  }
  if (dense_.empty()) Densify();
  for (uint32_t i = 0; i < kRegisters; ++i) dense_[i] = std::max(dense_[i], other.dense_[i]);
}

uint64_t HyperLogLog::Estimate() const {
  if (dense_.empty()) return sparse_.size();
  int histogram[kQ + 2] = {};
  for (uint8_t r : dense_) ++histogram[r];
  const double m = kRegisters;
  double z = m * Tau(1.0 - histogram[kQ + 1] / m);
  for (int k = kQ; k >= 1; --k) z = 0.5 * (z + histogram[k]);
  z += m * Sigma(histogram[0] / m);
  const double alpha_inf = 0.5 / std::log(2.0);
  return static_cast<uint64_t>(std::llround(alpha_inf * m * m / z));
}

}  // namespace latebind::profiler
