#include "latebind/profiler/format_detector.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <cstring>
#include <string>

#include "latebind/common/status.h"

namespace latebind::profiler {

arrow::Result<Format> DetectFormat(std::string_view head, bool complete) {
  if (const void* nul = std::memchr(head.data(), '\0', head.size())) {
    return MakeError(ErrorKind::kBadInput,
                     fmt::format("NUL byte at byte {}: binary data, not JSON or CSV",
                                 static_cast<const char*>(nul) - head.data()));
  }
  const size_t start = head.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos) return Format::kNdjson;  // empty: no records
  if (head[start] == '[') return Format::kJson;
  if (head[start] != '{') return Format::kCsv;
  size_t end = head.find('\n', start);
  if (end == std::string_view::npos) {
    if (!complete) return Format::kJson;  // a first line longer than the head
    end = head.size();
  }
  const simdjson::padded_string line(head.substr(start, end - start));
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(line).get(doc) == simdjson::SUCCESS && doc.is_object()) return Format::kNdjson;
  return Format::kJson;
}

}  // namespace latebind::profiler
