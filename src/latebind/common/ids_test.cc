#include "latebind/common/ids.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>

namespace latebind {
namespace {

TEST(UlidTest, SortsByTimeAndIsUniqueWithinAMillisecond) {
  UlidGenerator gen;
  const auto t = std::chrono::system_clock::time_point(std::chrono::milliseconds(1700000000123));
  std::string prev = gen.Next(t);
  EXPECT_EQ(prev.size(), 26u);
  for (int i = 0; i < 1000; ++i) {
    const std::string next = gen.Next(t);  // same millisecond
    EXPECT_LT(prev, next);
    prev = next;
  }
  EXPECT_LT(prev, gen.Next(t + std::chrono::milliseconds(1)));
  // A clock stepping back does not break the order.
  const std::string before_step = gen.Next(t + std::chrono::seconds(5));
  const std::string after_step = gen.Next(t - std::chrono::seconds(5));
  EXPECT_LT(before_step, after_step);
}

TEST(UlidTest, KnownTimestampPrefix) {
  UlidGenerator gen;
  // 1469918176385 ms is "01ARYZ6S41" in the ULID spec's example.
  const auto t = std::chrono::system_clock::time_point(std::chrono::milliseconds(1469918176385));
  EXPECT_EQ(gen.Next(t).substr(0, 10), "01ARYZ6S41");
  for (char c : gen.Next(t)) EXPECT_EQ(std::string("ILOU").find(c), std::string::npos);
}

TEST(UlidTest, ConcurrentIdsAreDistinct) {
  UlidGenerator gen;
  std::vector<std::vector<std::string>> ids(4);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      for (int k = 0; k < 5000; ++k) ids[i].push_back(gen.Next());
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> all;
  for (const auto& v : ids) all.insert(v.begin(), v.end());
  EXPECT_EQ(all.size(), 20000u);
}

TEST(UtcTest, DateAndTimestamp) {
  const auto t = std::chrono::system_clock::time_point(std::chrono::milliseconds(1700000000123));
  EXPECT_EQ(UtcDate(t), "2023-11-14");
  EXPECT_EQ(UtcTimestamp(t), "2023-11-14T22:13:20.123Z");
}

}  // namespace
}  // namespace latebind
