// Object ids that sort by arrival time (DESIGN.md §3): ULIDs.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace latebind {

// A ULID (26 chars of Crockford base32: 48-bit Unix milliseconds, then 80 random bits).
// Ids from one generator are strictly increasing, also within one millisecond (the random
// part is incremented, as the ULID spec's monotonic mode does). Thread-safe.
class UlidGenerator {
 public:
  UlidGenerator();
  std::string Next();
  std::string Next(std::chrono::system_clock::time_point now);

 private:
  std::mutex mu_;
  uint64_t last_ms_ = 0;
  uint64_t rand_hi_ = 0;  // top 16 of the 80 random bits
  uint64_t rand_lo_ = 0;  // low 64
};

// The UTC date (YYYY-MM-DD) and ISO-8601 timestamp with milliseconds of a time point.
std::string UtcDate(std::chrono::system_clock::time_point t);
std::string UtcTimestamp(std::chrono::system_clock::time_point t);

}  // namespace latebind
