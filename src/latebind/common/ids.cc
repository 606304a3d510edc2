#include "latebind/common/ids.h"

#include <fmt/format.h>
#include <sys/random.h>

#include <ctime>
#include <mutex>

namespace latebind {
namespace {

constexpr char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

uint64_t Random64() {
  uint64_t v = 0;
  // getrandom on a 8-byte request does not fail short once the pool is initialised.
  while (::getrandom(&v, sizeof v, 0) != static_cast<ssize_t>(sizeof v)) {
  }
  return v;
}

std::tm Utc(std::chrono::system_clock::time_point t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  return tm;
}

}  // namespace

UlidGenerator::UlidGenerator() = default;

std::string UlidGenerator::Next() { return Next(std::chrono::system_clock::now()); }

std::string UlidGenerator::Next(std::chrono::system_clock::time_point now) {
  uint64_t ms = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count());
  uint64_t hi, lo;
  {
    std::lock_guard lock(mu_);
    if (ms <= last_ms_) {
      // Same (or an earlier, if the clock stepped back) millisecond: keep order by
      // incrementing the random part.
      ms = last_ms_;
      if (++rand_lo_ == 0) rand_hi_ = (rand_hi_ + 1) & 0xFFFF;
    } else {
      last_ms_ = ms;
      rand_hi_ = Random64() & 0xFFFF;
      rand_lo_ = Random64();
    }
    hi = rand_hi_;
    lo = rand_lo_;
  }
  // 128 bits: 48 of time, 80 of randomness, as 26 base32 digits (the first holds 3 bits).
  std::string out(26, '0');
  unsigned __int128 v =
      (static_cast<unsigned __int128>(ms) << 80) | (static_cast<unsigned __int128>(hi) << 64) | lo;
  for (int i = 25; i >= 0; --i) {
    out[i] = kCrockford[static_cast<int>(v & 31)];
    v >>= 5;
  }
  return out;
}

std::string UtcDate(std::chrono::system_clock::time_point t) {
  const std::tm tm = Utc(t);
  return fmt::format("{:04}-{:02}-{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

std::string UtcTimestamp(std::chrono::system_clock::time_point t) {
  const std::tm tm = Utc(t);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

}  // namespace latebind
