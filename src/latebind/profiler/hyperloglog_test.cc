#include "latebind/profiler/hyperloglog.h"

#include <cmath>

#include <gtest/gtest.h>
#include <xxhash.h>

namespace latebind::profiler {
namespace {

uint64_t Hash(uint64_t i) { return XXH3_64bits(&i, sizeof i); }

TEST(HyperLogLogTest, ExactWhileSmall) {
  HyperLogLog h;
  for (int rep = 0; rep < 3; ++rep) {
    for (uint64_t i = 0; i < 50; ++i) h.Add(Hash(i));
  }
  EXPECT_TRUE(h.exact());
  EXPECT_EQ(h.Estimate(), 50u);
}

// The sketch's standard error is 1.04/sqrt(4096) ≈ 1.6 %; 4 sigma is the bound, over
// several seeds so a lucky hash cannot make the test pass.
TEST(HyperLogLogTest, ErrorWithinBoundAcrossRange) {
  for (uint64_t n : {100u, 1000u, 10000u, 100000u, 1000000u}) {
    for (uint64_t seed = 0; seed < 3; ++seed) {
      HyperLogLog h;
      for (uint64_t i = 0; i < n; ++i) h.Add(Hash(i + seed * 10000000));
      const double err = std::abs(static_cast<double>(h.Estimate()) - n) / n;
      EXPECT_LT(err, 4 * 0.0163) << "n=" << n << " seed=" << seed << " est=" << h.Estimate();
    }
  }
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
  small.Merge(a);  // sparse into dense
  EXPECT_EQ(small.Estimate(), both.Estimate());
}

}  // namespace
}  // namespace latebind::profiler
