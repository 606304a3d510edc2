// libFuzzer target for the profiler's JSON and CSV paths (`make fuzz`).
//
// The first input byte picks the format (auto, json, ndjson, csv) and whether the input is
// cut into tiny blocks (so records straddle block boundaries and several threads merge);
// the rest is the payload. Any crash, hang, leak or sanitizer report is a bug. Invariants
// that must hold for every input are checked too.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "latebind/common/byte_source.h"
#include "latebind/profiler/profile_json.h"
#include "latebind/profiler/profiler.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace latebind;
  if (size == 0) return 0;
  const uint8_t control = data[0];
  const std::string_view payload(reinterpret_cast<const char*>(data + 1), size - 1);
  profiler::ProfileOptions options;
  switch (control & 3) {
    case 1:
      options.format = profiler::Format::kJson;
      break;
    case 2:
      options.format = profiler::Format::kNdjson;
      break;
    case 3:
      options.format = profiler::Format::kCsv;
      break;
    default:
      break;  // detect
  }
  const bool small_blocks = control & 4;
  options.threads = small_blocks ? 3 : 1;
  options.block_bytes = small_blocks ? 64 : 4 << 20;
  options.max_record_bytes = 1 << 20;
  options.source.max_decompressed_bytes = 16 << 20;
  auto source = OpenMemorySource(payload, options.source);
  auto profile = profiler::ProfileSource(source.get(), "fuzz", options);
  if (!profile.ok()) std::abort();  // memory sources never fail to read
  for (const auto& f : profile->fields) {
    if (f.nulls > f.present) std::abort();
    if (f.examples.size() > 5) std::abort();
  }
  if (profile->problems.size() > options.max_problems) std::abort();
  // The JSON form must always serialise.
  (void)profiler::ProfileToJson(*profile).dump(-1, ' ', false,
                                               nlohmann::json::error_handler_t::replace);
  return 0;
}
