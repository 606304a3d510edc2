#include "latebind/profiler/format_detector.h"

#include <simdjson.h>

namespace latebind::profiler {

namespace {

bool IsObjectLine(std::string_view line, simdjson::dom::parser* parser) {
  const simdjson::padded_string copy(line);
  simdjson::dom::element doc;
  return parser->parse(copy).get(doc) == simdjson::SUCCESS && doc.is_object();
}

}  // namespace

Format DetectFormat(std::string_view head, bool complete) {
  constexpr size_t kLinesTried = 16;
  const size_t start = head.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos) return Format::kNdjson;  // empty: no records
  simdjson::dom::parser parser;
  if (head[start] == '[') return Format::kJson;
  if (head[start] != '{') {
    if (complete) {
      const simdjson::padded_string whole(head.substr(start));
      simdjson::dom::element doc;
      if (parser.parse(whole).get(doc) == simdjson::SUCCESS) return Format::kJson;
    }
    return Format::kCsv;
  }
  // NDJSON once a line holds one whole object, unless a later line of the head is a lone
  // "{" or "[" with more lines after it: that is how pretty-printers (jq, json.dumps with
  // indent) open a value, and an object printed over several lines after a one-line one
  // makes a stream of JSON values (kJson reads it). Any other line that does not parse,
  // a lone brace at the end included, is a bad NDJSON record, reported at its line.
  bool object_line = false;
  bool opened = false;  // the line before was a lone "{" or "[" after an object line
  size_t pos = start;
  for (size_t i = 0; i < kLinesTried && pos < head.size(); ++i) {
    size_t end = head.find('\n', pos);
    if (end == std::string_view::npos) {
      if (!complete) break;  // a line longer than the head
      end = head.size();
    }
    // Records of NDJSON start at column 0; an indented '{' line is pretty-printed JSON.
    std::string_view line = head.substr(pos, end - pos);
    pos = end + 1;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
      line.remove_suffix(1);
    }
    if (line.empty()) continue;
    if (opened) return Format::kJson;
    if (!object_line) {
      object_line = (i == 0 || line.starts_with('{')) && IsObjectLine(line, &parser);
    } else {
      opened = line == "{" || line == "[";  // later lines need no parse, only this look
    }
  }
  return object_line ? Format::kNdjson : Format::kJson;
}

std::optional<Format> FormatOfKey(std::string_view key) {
  std::string_view name = key.substr(key.rfind('/') + 1);
  if (name.ends_with(".gz")) name.remove_suffix(3);
  if (name.ends_with(".ndjson")) return Format::kNdjson;
  if (name.ends_with(".json")) return Format::kJson;
  if (name.ends_with(".csv")) return Format::kCsv;
  return std::nullopt;
}

}  // namespace latebind::profiler
