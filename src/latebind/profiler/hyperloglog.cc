#include "latebind/profiler/hyperloglog.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <limits>

#include "latebind/common/status.h"

namespace latebind::profiler {
namespace {

constexpr int kQ = 64 - HyperLogLog::kPrecision;  // bits left for the rank
constexpr uint8_t kMaxRank = kQ + 1;
constexpr char kSparse = 's';
constexpr char kDense = 'd';
constexpr char kDigits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
// A rank fits one digit, an index two.
static_assert(kMaxRank < 64 && HyperLogLog::kPrecision <= 12);
// The dense form: registers as 4-bit offsets from the smallest, three to two digits; an
// offset of 15 or more is written 15 and the register listed after them.
constexpr int kEscape = 15;
constexpr uint32_t kGroups = (HyperLogLog::kRegisters + 2) / 3;
constexpr size_t kDenseChars = 2 + 2 * kGroups;  // without listed registers

// The value of each character as a digit; -1 for characters outside the alphabet.
constexpr std::array<int8_t, 256> kDigitValues = [] {
  std::array<int8_t, 256> values{};
  values.fill(-1);
  for (int8_t i = 0; i < 64; ++i) values[static_cast<uint8_t>(kDigits[i])] = i;
  return values;
}();

// A register as 3 digits: its index, then its rank.
char* PutRegister(char* at, uint32_t index, uint8_t rank) {
  *at++ = kDigits[index >> 6];
  *at++ = kDigits[index & 63];
  *at++ = kDigits[rank];
  return at;
}

arrow::Status NotASketch(std::string_view why) {
  return MakeError(ErrorKind::kBadInput,
                   "not a serialized HyperLogLog sketch: " + std::string(why));
}

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

bool HyperLogLog::Merge(const HyperLogLog& other) {
  if (other.registers_.empty()) return false;
  if (registers_.empty()) {
    registers_ = other.registers_;
    return true;
  }
  uint8_t* mine = registers_.data();
  const uint8_t* theirs = other.registers_.data();
  uint8_t rose = 0;
  for (uint32_t i = 0; i < kRegisters; ++i) {
    rose |= theirs[i] > mine[i];
    mine[i] = std::max(mine[i], theirs[i]);
  }
  return rose != 0;
}

std::string HyperLogLog::Serialize() const {
  if (registers_.empty()) return {};
  const uint8_t* r = registers_.data();
  uint8_t smallest = kMaxRank;
  uint32_t nonzero = 0;
  for (uint32_t i = 0; i < kRegisters; ++i) {
    smallest = std::min(smallest, r[i]);
    nonzero += r[i] != 0;
  }
  const int base = smallest;
  uint32_t escaped = 0;
  for (uint32_t i = 0; i < kRegisters; ++i) escaped += r[i] >= base + kEscape;
  const size_t sparse_chars = 1 + 3 * nonzero;
  const size_t dense_chars = kDenseChars + 3 * escaped;
  std::string out(std::min(sparse_chars, dense_chars), '\0');
  char* at = out.data();
  if (sparse_chars <= dense_chars) {
    *at++ = kSparse;
    for (uint32_t i = 0; i < kRegisters; ++i) {
      if (r[i] != 0) at = PutRegister(at, i, r[i]);
    }
    return out;
  }
  *at++ = kDense;
  *at++ = kDigits[base];
  auto offset = [&](uint8_t rank) { return std::min(rank - base, kEscape); };
  auto put_group = [&](int group) {
    *at++ = kDigits[group >> 6];
    *at++ = kDigits[group & 63];
  };
  static_assert(kRegisters % 3 == 1);  // the last group: one register and padding
  for (uint32_t i = 0; i + 1 < kRegisters; i += 3) {
    put_group(offset(r[i]) << 8 | offset(r[i + 1]) << 4 | offset(r[i + 2]));
  }
  put_group(offset(r[kRegisters - 1]) << 8);
  if (escaped == 0) return out;
  for (uint32_t i = 0; i < kRegisters; ++i) {
    if (r[i] >= base + kEscape) at = PutRegister(at, i, r[i]);
  }
  return out;
}

arrow::Result<HyperLogLog> HyperLogLog::Deserialize(std::string_view text) {
  HyperLogLog h;
  if (text.empty()) return h;
  h.registers_.assign(kRegisters, 0);
  auto digit = [&](size_t i) -> int { return kDigitValues[static_cast<uint8_t>(text[i])]; };
  // Registers of 3 digits each from `at` to the end, ascending by index: all of the sparse
  // form's, the escaped ones of the dense form. Ranks from `min_rank` up (Estimate's
  // histogram has a bucket per rank up to kMaxRank and no more).
  auto read_listed = [&](size_t at, int min_rank) -> arrow::Status {
    if ((text.size() - at) % 3 != 0) return NotASketch("a length that fits neither form");
    int previous = -1;
    for (; at < text.size(); at += 3) {
      const int high = digit(at), low = digit(at + 1), rank = digit(at + 2);
      if (high < 0 || low < 0 || high >= static_cast<int>(kRegisters >> 6)) {
        return NotASketch("an index out of range");
      }
      const int index = high << 6 | low;
      if (index <= previous) return NotASketch("indexes out of order");
      if (rank < min_rank || rank > kMaxRank) return NotASketch("a register out of range");
      h.registers_[index] = static_cast<uint8_t>(rank);
      previous = index;
    }
    return arrow::Status::OK();
  };
  if (text[0] == kSparse && text.size() > 1) {
    ARROW_RETURN_NOT_OK(read_listed(1, 1));
    return h;
  }
  if (text[0] != kDense || text.size() < kDenseChars) {
    return NotASketch("neither the sparse nor the dense form");
  }
  const int base = digit(1);
  if (base < 0 || base > kMaxRank) return NotASketch("a register out of range");
  ARROW_RETURN_NOT_OK(read_listed(kDenseChars, base + kEscape));
  for (uint32_t g = 0; g < kGroups; ++g) {
    const int high = digit(2 + 2 * g), low = digit(3 + 2 * g);
    if (high < 0 || low < 0) return NotASketch("a character outside the alphabet");
    for (uint32_t k = 0, i = 3 * g; k < 3; ++k, ++i) {
      const int offset = (high << 6 | low) >> (8 - 4 * k) & 15;
      // Listed registers are non-zero (their ranks are above 15): exactly those escaped.
      const bool listed = i < kRegisters && h.registers_[i] != 0;
      if ((offset == kEscape) != listed) return NotASketch("escaped registers not listed");
      if (i >= kRegisters && offset != 0) return NotASketch("padding that is not zero");
      if (i >= kRegisters || listed) continue;
      if (base + offset > kMaxRank) return NotASketch("a register out of range");
      h.registers_[i] = static_cast<uint8_t>(base + offset);
    }
  }
  return h;
}

uint64_t HyperLogLog::Estimate() const {
  if (registers_.empty()) return 0;
  int histogram[kQ + 2] = {};
  for (uint8_t r : registers_) ++histogram[r];
  const double m = kRegisters;
  double z = m * Tau(1.0 - histogram[kQ + 1] / m);
  for (int k = kQ; k >= 1; --k) z = 0.5 * (z + histogram[k]);
  z += m * Sigma(histogram[0] / m);
  const double alpha_inf = 0.5 / std::log(2.0);
  return static_cast<uint64_t>(std::llround(alpha_inf * m * m / z));
}

}  // namespace latebind::profiler
