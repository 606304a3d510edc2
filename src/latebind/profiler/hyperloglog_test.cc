#include "latebind/profiler/hyperloglog.h"

#include <gtest/gtest.h>
#include <xxhash.h>

#include <algorithm>
#include <cmath>
#include <string>

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

HyperLogLog Distinct(uint64_t first, uint64_t n) {
  HyperLogLog h;
  for (uint64_t i = first; i < first + n; ++i) h.Add(Hash(i));
  return h;
}

// The registry stores a field's sketch with every payload's arrival (ADR-066): it must come
// back register for register, in the shorter of the two forms.
TEST(HyperLogLogTest, SerializeRoundTripsEmptySparseAndDense) {
  EXPECT_EQ(HyperLogLog().Serialize(), "");
  auto empty = HyperLogLog::Deserialize("");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  EXPECT_EQ(empty->Estimate(), 0u);

  for (uint64_t n : {1u, 3u, 100u, 200u, 255u, 300u, 400u, 2000u, 100000u, 10000000u}) {
    const HyperLogLog h = Distinct(0, n);
    const std::string text = h.Serialize();
    auto back = HyperLogLog::Deserialize(text);
    ASSERT_TRUE(back.ok()) << n << ": " << back.status().ToString();
    EXPECT_EQ(*back, h) << n;
    EXPECT_EQ(back->Estimate(), h.Estimate()) << n;
    // Sparse: 3 characters per non-zero register (values sharing a register share them);
    // dense: 686, and 3 more for each register 15 above the smallest, which is rare.
    if (n <= 200) {
      EXPECT_TRUE(text[0] == 's' && text.size() <= 1 + 3 * n) << n;
    } else if (n >= 300) {
      EXPECT_TRUE(text[0] == 'd' && text.size() >= 686 && text.size() <= 686 + 3 * 3) << n;
    }
    if (n <= 3) {
      EXPECT_EQ(text.size(), 1 + 3 * n) << n;
    }
    // JSON holds it as it is.
    EXPECT_EQ(text.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                     "0123456789+/"),
              std::string::npos);
  }
  // Saturated registers (rank 55, the largest), the last index, and registers far above
  // the smallest (escaped in the dense form) survive.
  HyperLogLog top;
  for (uint64_t index = 0; index < HyperLogLog::kRegisters; ++index) top.Add(index << 54);
  HyperLogLog last;
  last.Add(~uint64_t{0});
  HyperLogLog outliers = Distinct(0, 5000);
  outliers.Add(uint64_t{7} << 54);     // register 7: rank 55
  outliers.Add(uint64_t{1023} << 54);  // the last one too
  for (const HyperLogLog& h : {top, last, outliers}) {
    auto back = HyperLogLog::Deserialize(h.Serialize());
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, h);
  }
  EXPECT_EQ(top.Serialize().size(), 686u);
  EXPECT_EQ(outliers.Serialize().size(), Distinct(0, 5000).Serialize().size() + 6);
}

TEST(HyperLogLogTest, DeserializeRefusesTextSerializeCannotWrite) {
  const std::string sparse = Distinct(0, 5).Serialize();
  HyperLogLog with_outlier = Distinct(0, 5000);
  with_outlier.Add(uint64_t{7} << 54);
  const std::string dense = with_outlier.Serialize();
  ASSERT_EQ(sparse[0], 's');
  ASSERT_EQ(dense[0], 'd');
  std::string unordered = sparse;
  std::swap_ranges(unordered.begin() + 1, unordered.begin() + 4, unordered.begin() + 4);
  std::string rank_zero = sparse;
  rank_zero[3] = 'A';
  std::string index_too_high = sparse;
  index_too_high[1] = 'Q';  // 16 << 6 = 1024
  std::string base_too_high = dense;
  base_too_high[1] = '4';  // 56
  std::string above_55 = dense;
  above_55[1] = '3';  // a smallest of 55: every larger offset is a rank above 55
  std::string not_a_digit = dense;
  not_a_digit[7] = '=';
  std::string padding = dense;
  padding[685] = 'B';
  const std::string unlisted = dense.substr(0, dense.size() - 3);
  const std::string listed_twice = dense + dense.substr(dense.size() - 3);
  const std::string listed_low = dense + "PAB";  // register 960, rank 1: not 15 above
  for (const std::string& bad :
       {std::string("x"), std::string("s"), std::string("sAB"), sparse.substr(0, 5),
        dense.substr(0, 600), dense + "A", std::string("z") + dense.substr(1), unordered, rank_zero,
        index_too_high, base_too_high, above_55, not_a_digit, padding, unlisted, listed_twice,
        listed_low}) {
    EXPECT_FALSE(HyperLogLog::Deserialize(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace latebind::profiler
