#include "latebind/profiler/hyperloglog.h"

#include <gtest/gtest.h>
#include <xxhash.h>

#include <cmath>

namespace latebind::profiler {
namespace {

uint64_t Hash(uint64_t i) { return XXH3_64bits(&i, sizeof i); }

TEST(HyperLogLogTest, SmallCountsAreNearExact) {
  EXPECT_EQ(HyperLogLog().Estimate(), 0u);
  for (uint64_t n : {1u, 2u, 5u, 20u, 50u}) {
    HyperLogLog h;
    for (int rep = 0; rep < 3; ++rep) {
      for (uint64_t i = 0; i < n; ++i) h.Add(Hash(i));  // repeats add nothing
    }
    EXPECT_NEAR(static_cast<double>(h.Estimate()), static_cast<double>(n), n / 50.0 + 0.5) << n;
  }
}

// The sketch's standard error is sigma = 1.04/sqrt(2^p). Every estimate must be within
// 4 sigma, and the mean relative error over all trials within 1 sigma (it is ~0.8 sigma
// for an unbiased estimator), so neither a biased nor a noisy sketch passes.
TEST(HyperLogLogTest, ErrorWithinBoundAcrossRange) {
  const double sigma = 1.04 / std::sqrt(static_cast<double>(HyperLogLog::kRegisters));
  double sum = 0;
  int trials = 0;
  for (uint64_t n : {300u, 1000u, 10000u, 100000u, 1000000u}) {
    for (uint64_t seed = 0; seed < 4; ++seed) {
      HyperLogLog h;
      for (uint64_t i = 0; i < n; ++i) h.Add(Hash(i + seed * 10000000));
      const double err = std::abs(static_cast<double>(h.Estimate()) - n) / n;
      EXPECT_LT(err, 4 * sigma) << "n=" << n << " seed=" << seed << " est=" << h.Estimate();
      sum += err;
      ++trials;
    }
  }
  EXPECT_LT(sum / trials, sigma);
}

TEST(HyperLogLogTest, MergeIsUnion) {
  HyperLogLog a, b, both;
  for (uint64_t i = 0; i < 60000; ++i) {
    (i % 2 ? a : b).Add(Hash(i));
    both.Add(Hash(i));
  }
  for (uint64_t i = 0; i < 20000; ++i) a.Add(Hash(i));  // overlap adds nothing
  a.Merge(b);
  EXPECT_EQ(a.Estimate(), both.Estimate());
  HyperLogLog small;
  small.Add(Hash(1));
  small.Merge(a);
  EXPECT_EQ(small.Estimate(), both.Estimate());
}

}  // namespace
}  // namespace latebind::profiler
