#include "latebind/profiler/json_profiler.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "latebind/profiler/type_lattice.h"

namespace latebind::profiler {
namespace {

namespace dom = simdjson::dom;
namespace ondemand = simdjson::ondemand;

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// True when [begin, end) is JSON whitespace; adds its newlines to *newlines.
bool OnlySpace(const char* begin, const char* end, uint64_t* newlines) {
  for (const char* p = begin; p < end; ++p) {
    if (!IsSpace(*p)) return false;
    *newlines += *p == '\n';
  }
  return true;
}

const char* KindName(dom::element_type t) {
  switch (t) {
    case dom::element_type::ARRAY:
      return "an array";
    case dom::element_type::STRING:
      return "a string";
    case dom::element_type::BOOL:
      return "a boolean";
    case dom::element_type::NULL_VALUE:
      return "null";
    case dom::element_type::OBJECT:
      return "an object";
    default:
      return "a number";
  }
}

// Walks a document with the on-demand parser, which stops at the first error and can
// say where it is — the DOM parser only says what.
simdjson::error_code WalkValue(ondemand::value v) {
  ondemand::json_type type;
  if (auto e = v.type().get(type)) return e;
  switch (type) {
    case ondemand::json_type::object: {
      ondemand::object o;
      if (auto e = v.get_object().get(o)) return e;
      for (auto field : o) {
        ondemand::field f;
        if (auto e = std::move(field).get(f)) return e;
        std::string_view key;
        if (auto e = f.unescaped_key().get(key)) return e;
        if (auto e = WalkValue(f.value())) return e;
      }
      return simdjson::SUCCESS;
    }
    case ondemand::json_type::array: {
      ondemand::array a;
      if (auto e = v.get_array().get(a)) return e;
      for (auto element : a) {
        ondemand::value item;
        if (auto e = std::move(element).get(item)) return e;
        if (auto e = WalkValue(item)) return e;
      }
      return simdjson::SUCCESS;
    }
    case ondemand::json_type::number:
      return v.get_double().error();
    case ondemand::json_type::string:
      return v.get_string().error();
    case ondemand::json_type::boolean:
      return v.get_bool().error();
    case ondemand::json_type::null:
      return v.is_null().error();
  }
  return simdjson::SUCCESS;
}

// Best effort: the offset of the error in data[0, size), or 0 when it cannot be told.
// Errors of simdjson's stage 1 (whole-document scan) come with no position; these two are
// found by tracking strings: the first raw control byte inside one, or the opening quote
// of the string left open.
size_t LocateStringError(const char* data, size_t size, simdjson::error_code code) {
  bool in_string = false;
  size_t opened = 0;
  for (size_t i = 0; i < size; ++i) {
    const unsigned char c = static_cast<unsigned char>(data[i]);
    if (!in_string) {
      if (c == '"') {
        in_string = true;
        opened = i;
      }
    } else if (c == '\\') {
      ++i;
    } else if (c == '"') {
      in_string = false;
    } else if (c < 0x20 && code == simdjson::UNESCAPED_CHARS) {
      return i;
    }
  }
  return in_string ? opened : 0;
}

// The bracket that opens the first level past `max_depth`: simdjson reports DEPTH_ERROR
// without a position, and its walk stops far past it.
size_t LocateDepthError(const char* data, size_t size, size_t max_depth) {
  bool in_string = false;
  size_t depth = 0;
  for (size_t i = 0; i < size; ++i) {
    const char c = data[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > max_depth) return i;
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  return size;
}

// The backslash of the first escape in a string that JSON does not allow: an unknown
// letter, \u without four hex digits, or a UTF-16 surrogate without its other half.
// simdjson's STRING_ERROR comes with the position after the string. npos if none.
size_t LocateEscapeError(const char* data, size_t size) {
  auto code_unit = [&](size_t at) -> int {  // the 4 hex digits of \uXXXX at data[at], or -1
    if (at + 6 > size || data[at] != '\\' || data[at + 1] != 'u') return -1;
    unsigned v = 0;
    const auto [end, ec] = std::from_chars(data + at + 2, data + at + 6, v, 16);
    return ec == std::errc() && end == data + at + 6 ? static_cast<int>(v) : -1;
  };
  bool in_string = false;
  for (size_t i = 0; i < size; ++i) {
    const char c = data[i];
    if (!in_string) {
      in_string = c == '"';
    } else if (c == '"') {
      in_string = false;
    } else if (c == '\\') {
      if (i + 1 >= size) return i;
      const char e = data[i + 1];
      if (e != 'u') {
        if (std::strchr("\"\\/bfnrt", e) == nullptr || e == '\0') return i;
        ++i;
        continue;
      }
      const int unit = code_unit(i);
      if (unit < 0 || (unit >= 0xDC00 && unit <= 0xDFFF)) return i;
      if (unit >= 0xD800 && unit <= 0xDBFF) {
        const int low = code_unit(i + 6);
        if (low < 0xDC00 || low > 0xDFFF) return i;
        i += 6;
      }
      i += 5;
    }
  }
  return std::string_view::npos;
}

size_t LocateJsonError(const char* data, size_t size, simdjson::error_code code) {
  if (code == simdjson::UTF8_ERROR) return FirstInvalidUtf8(data, size);
  if (code == simdjson::STRING_ERROR) {
    if (const size_t at = LocateEscapeError(data, size); at != std::string_view::npos) return at;
  }
  if (code == simdjson::DEPTH_ERROR) {
    // simdjson refuses a document whose depth reaches its maximum: 1,023 levels pass.
    return LocateDepthError(data, size, simdjson::DEFAULT_MAX_DEPTH - 1);
  }
  if (code == simdjson::UNESCAPED_CHARS || code == simdjson::UNCLOSED_STRING) {
    return LocateStringError(data, size, code);
  }
  ondemand::parser parser;
  ondemand::document doc;
  if (parser.iterate(data, size, size + simdjson::SIMDJSON_PADDING).get(doc)) return 0;
  ondemand::value root;
  if (!doc.get_value().get(root)) {
    (void)WalkValue(root);  // the error itself is what DOM already told us
  }
  const char* loc = nullptr;
  if (doc.current_location().get(loc) || loc < data || loc > data + size) return size;
  return static_cast<size_t>(loc - data);
}

// True for an integer literal simdjson parses: negative within int64, else within uint64.
bool FitsJsonInteger(const char* begin, const char* end) {
  if (*begin == '-') {
    int64_t v;
    return std::from_chars(begin, end, v).ec == std::errc();
  }
  uint64_t v;
  return std::from_chars(begin, end, v).ec == std::errc();
}

}  // namespace

std::optional<simdjson::padded_string> WidenBigIntegers(const char* data, size_t size) {
  std::string out;
  out.reserve(size + 16);
  bool in_string = false;
  bool changed = false;
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  auto digits = [&](size_t j) {
    while (j < size && digit(data[j])) ++j;
    return j;
  };
  for (size_t i = 0; i < size;) {
    const char c = data[i];
    if (in_string) {
      out.push_back(c);
      if (c == '\\' && i + 1 < size) {
        out.push_back(data[i + 1]);
        i += 2;
        continue;
      }
      in_string = c != '"';
      ++i;
    } else if (c == '"') {
      in_string = true;
      out.push_back(c);
      ++i;
    } else if (c == '-' || digit(c)) {
      // A whole number token: -?int(.frac)?(e[+-]?exp)?
      const size_t int_begin = i + (c == '-');
      const size_t int_end = digits(int_begin);
      size_t j = int_end;
      bool exponent = false;
      if (j < size && data[j] == '.') j = digits(j + 1);
      if (j < size && (data[j] == 'e' || data[j] == 'E')) {
        exponent = true;
        j = j + 1 < size && (data[j + 1] == '+' || data[j + 1] == '-') ? j + 2 : j + 1;
        j = digits(j);
      }
      const bool integer = j == int_end;
      // Beyond float64 takes an exponent or over 308 integer digits; strtod says for sure
      // (it rounds what is only too small to 0, as simdjson does).
      if ((exponent || int_end - int_begin > 308) &&
          std::isinf(std::strtod(std::string(data + i, j - i).c_str(), nullptr))) {
        out += "\"\\u0000";
        out.append(kBeyondFloat64.substr(1));
        out.push_back('"');
        changed = true;
      } else {
        out.append(data + i, j - i);
        if (integer && int_end - int_begin >= 19 && !FitsJsonInteger(data + i, data + j)) {
          out += ".0";
          changed = true;
        }
      }
      i = std::max(j, i + 1);
    } else {
      out.push_back(c);
      ++i;
    }
  }
  if (!changed) return std::nullopt;
  return simdjson::padded_string(out);
}

// What is wrong with the escape sequence at the start of `text` (a backslash, where simdjson
// stopped on a STRING_ERROR), in the words of RFC 8259 §7.
std::string DescribeBadEscape(std::string_view text) {
  auto hex4 = [](std::string_view t, size_t at, unsigned* out) {
    if (t.size() < at + 4) return false;
    const auto r = std::from_chars(t.data() + at, t.data() + at + 4, *out, 16);
    return r.ec == std::errc() && r.ptr == t.data() + at + 4;
  };
  if (text.size() < 2 || text[0] != '\\') return "invalid string: bad escape sequence";
  unsigned code = 0;
  if (text[1] != 'u') {
    const unsigned char c = static_cast<unsigned char>(text[1]);
    if (c < 0x20 || c >= 0x7f) {
      return fmt::format("invalid string: a backslash before byte 0x{:02x}, which no escape starts",
                         c);
    }
    return fmt::format(
        "invalid string: unknown escape \\{} (JSON escapes are \\\" \\\\ \\/ \\b \\f \\n \\r \\t "
        "and \\uXXXX)",
        text[1]);
  }
  if (!hex4(text, 2, &code)) return "invalid string: \\u must be followed by four hex digits";
  if (code >= 0xDC00 && code <= 0xDFFF) {
    return fmt::format(
        "invalid string: \\u{:04x} is a low surrogate with no high surrogate (\\ud800-\\udbff) "
        "before it",
        code);
  }
  if (code >= 0xD800 && code <= 0xDBFF) {
    return fmt::format(
        "invalid string: \\u{:04x} is a high surrogate not followed by a low surrogate "
        "(\\udc00-\\udfff): a lone surrogate is no character",
        code);
  }
  return "invalid string: bad escape sequence";
}

const char* DescribeJsonError(simdjson::error_code code) {
  switch (code) {
    case simdjson::TAPE_ERROR:
      return "invalid JSON structure: a missing or extra comma, colon, brace, bracket or quote";
    case simdjson::DEPTH_ERROR:
      return "nested deeper than 1023 levels (objects and arrays)";
    case simdjson::UNCLOSED_STRING:
      return "unclosed string";
    case simdjson::STRING_ERROR:
      return "invalid string: bad escape sequence";
    case simdjson::UNESCAPED_CHARS:
      return "control character (such as a NUL byte or raw newline) inside a string";
    case simdjson::UTF8_ERROR:
      return "invalid UTF-8";
    case simdjson::NUMBER_ERROR:
      return "invalid number";
    case simdjson::T_ATOM_ERROR:
      return "invalid literal: expected 'true'";
    case simdjson::F_ATOM_ERROR:
      return "invalid literal: expected 'false'";
    case simdjson::N_ATOM_ERROR:
      return "invalid literal: expected 'null'";
    case simdjson::EMPTY:
      return "no JSON value";
    case simdjson::CAPACITY:
      return "record too large for the parser";
    default:
      return simdjson::error_message(code);
  }
}

size_t FirstInvalidUtf8(const char* data, size_t size) {
  const auto* s = reinterpret_cast<const unsigned char*>(data);
  size_t i = 0;
  while (i < size) {
    const unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    int n;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return i;
    }
    if (i + n >= size) return i;  // truncated sequence
    for (int k = 1; k <= n; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    // Overlong forms, surrogates and code points past U+10FFFF are invalid too.
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    i += n + 1;
  }
  return size;
}

JsonRecordConsumer::JsonRecordConsumer(Format format, const RecordConsumerOptions& options)
    : RecordConsumer(options), format_(format) {}

uint64_t JsonRecordConsumer::Consume(const Block& block) {
  if (format_ == Format::kNdjson) return ConsumeNdjson(block);
  uint64_t record = 0;
  for (const RecordSpan& span : block.spans) {
    Where where{block.index, span.line, span.column, block.offset + span.begin, span.element};
    Record(block.data() + span.begin, span.end - span.begin, where,
           RecordOrdinal(block.index, record++));
  }
  return block.newlines;
}

uint64_t JsonRecordConsumer::ConsumeNdjson(const Block& block) {
  const char* data = block.data();
  uint64_t record = 0;
  // Start of the line after the last document profiled on the fast path, and the number
  // of newlines before it (counted on the way: no second pass over the block).
  size_t resume = 0;
  uint64_t lines = 0;
  bool fallback = true;
  // Batch = whole block: one stage 1, no background thread (we are the parallelism).
  parser_.threaded = false;
  dom::document_stream stream;
  if (!parser_.parse_many(data, block.size, std::max<size_t>(block.size, 1 << 20)).get(stream)) {
    // A document is taken only if it is what line-by-line parsing would take: an object,
    // alone on one line, after nothing but blank lines. At the first one that is not, and
    // for anything left after the last (a truncated record, a stray brace), the per-line
    // path takes over from `resume` and reports each problem with its position.
    fallback = false;
    for (auto it = stream.begin(); it != stream.end(); ++it) {
      const size_t begin = it.current_index();
      dom::element doc;
      uint64_t blank_lines = 0;
      if ((*it).get(doc) || doc.type() != dom::element_type::OBJECT || begin < resume ||
          !OnlySpace(data + resume, data + begin, &blank_lines)) {
        fallback = true;
        break;
      }
      const size_t doc_end = begin + it.source().size();
      // One record per line: a document spanning lines is not NDJSON (per-line parsing
      // reports it).
      if (std::memchr(data + begin, '\n', doc_end - begin) != nullptr) {
        fallback = true;
        break;
      }
      size_t line_end = doc_end;
      if (line_end < block.size && data[line_end] != '\n') {
        const void* nl = std::memchr(data + doc_end, '\n', block.size - doc_end);
        line_end = nl ? static_cast<const char*>(nl) - data : block.size;
        uint64_t unused = 0;
        if (!OnlySpace(data + doc_end, data + line_end, &unused)) {
          fallback = true;
          break;
        }
      }
      Visit(FieldTree::kRoot, doc, RecordOrdinal(block.index, record++));
      lines += blank_lines + (line_end < block.size);
      resume = line_end < block.size ? line_end + 1 : block.size;
    }
    uint64_t trailing_lines = 0;
    if (!fallback && OnlySpace(data + resume, data + block.size, &trailing_lines)) {
      return lines + trailing_lines;
    }
  }
  return lines + NdjsonLines(block, resume, lines, &record);
}

uint64_t JsonRecordConsumer::NdjsonLines(const Block& block, size_t from, uint64_t first_line,
                                         uint64_t* record) {
  const char* data = block.data();
  const char* p = data + from;
  const char* end = data + block.size;
  uint64_t line = first_line;
  while (p < end) {
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', end - p));
    const char* line_end = nl ? nl : end;
    const char* b = p;
    const char* e = line_end;
    while (b < e && IsSpace(*b)) ++b;
    while (e > b && IsSpace(e[-1])) --e;
    if (b < e) {
      Where where{block.index, line, static_cast<uint64_t>(b - p), block.offset + (b - data), 0};
      Record(b, e - b, where, RecordOrdinal(block.index, (*record)++));
    }
    if (!nl) break;
    ++line;
    p = nl + 1;
  }
  return line - first_line;
}

void JsonRecordConsumer::Record(const char* data, size_t size, const Where& where,
                                uint64_t ordinal) {
  dom::element doc;
  // The block buffer is padded (kBlockPadding ≥ SIMDJSON_PADDING): no copy needed.
  auto error = parser_.parse(data, size, /*realloc_if_needed=*/false).get(doc);
  std::optional<simdjson::padded_string> widened;
  if (error == simdjson::NUMBER_ERROR && (widened = WidenBigIntegers(data, size))) {
    error = parser_.parse(*widened).get(doc);
  }
  if (error) {
    ReportParseError(data, size, error, where);
    return;
  }
  big_integers_ = widened.has_value();
  if (doc.type() != dom::element_type::OBJECT) {
    const std::string what =
        where.element
            ? fmt::format("top-level array element {} is {}", where.element, KindName(doc.type()))
            : fmt::format("top-level value is {}", KindName(doc.type()));
    problems_.Add(Problem::Severity::kError, where.block, where.line, where.column + 1,
                  base_offset_ + where.offset, what + ", not a record (a JSON object)");
    return;
  }
  Visit(FieldTree::kRoot, doc, ordinal);
}

void JsonRecordConsumer::Visit(int32_t node, dom::element value, uint64_t ordinal) {
  // Note: stats references are not held across Child(): it may grow the node vector.
  switch (value.type()) {
    case dom::element_type::OBJECT: {
      tree_.stats(node).AddContainer(FieldType::kObject);
      const uint64_t object = ++objects_;
      size_t position = 0;
      for (dom::key_value_pair field : dom::object(value)) {
        const int32_t child = tree_.Child(node, field.key, KeyOrdinal(ordinal, position++));
        if (child == FieldTree::kNone) continue;
        FieldStats& stats = tree_.stats(child);
        if (stats.last_object == object) ++stats.repeated_keys;
        stats.last_object = object;
        Visit(child, field.value, ordinal);
      }
      break;
    }
    case dom::element_type::ARRAY: {
      tree_.stats(node).AddContainer(FieldType::kArray);
      dom::array array(value);
      if (array.size() == 0) break;
      const int32_t element = tree_.Element(node, ordinal);
      if (element == FieldTree::kNone) break;
      for (dom::element item : array) Visit(element, item, ordinal);
      break;
    }
    case dom::element_type::INT64:
      tree_.stats(node).AddInt(value.get_int64().value_unsafe());
      break;
    case dom::element_type::UINT64:
      // Only integers above INT64_MAX are UINT64 here: beyond int64, kept as float64.
      tree_.stats(node).AddFloat(static_cast<double>(value.get_uint64().value_unsafe()), true);
      break;
    case dom::element_type::DOUBLE: {
      const double v = value.get_double().value_unsafe();
      // In a record with widened literals, an integral value beyond int64 was one.
      const bool overflow =
          big_integers_ && std::abs(v) >= 9.2233720368547758e18 && v == std::trunc(v);
      tree_.stats(node).AddFloat(v, overflow);
      break;
    }
    case dom::element_type::STRING: {
      const std::string_view s = value.get_string().value_unsafe();
      FieldStats& stats = tree_.stats(node);
      if (big_integers_ && s == kBeyondFloat64) {  // a number too large for float64
        stats.AddBeyondFloat64();
        break;
      }
      if (stats.TryRepeat(s)) break;
      const FieldType type = ClassifyString(s);
      stats.AddString(s, type);
      stats.RememberLast(s, type, false, false);
      break;
    }
    case dom::element_type::BOOL:
      tree_.stats(node).AddBool(value.get_bool().value_unsafe());
      break;
    case dom::element_type::NULL_VALUE:
      tree_.stats(node).AddNull();
      break;
  }
}

void JsonRecordConsumer::ReportParseError(const char* data, size_t size, simdjson::error_code code,
                                          const Where& where) {
  const size_t at = LocateJsonError(data, size, code);
  // Map the offset inside the record to a line and column of the payload.
  uint64_t line = where.line;
  uint64_t column = where.column;
  for (size_t i = 0; i < at; ++i) {
    if (data[i] == '\n') {
      ++line;
      column = 0;
    } else {
      ++column;
    }
  }
  std::string message = code == simdjson::STRING_ERROR && at < size
                            ? DescribeBadEscape(std::string_view(data + at, size - at))
                            : std::string(DescribeJsonError(code));
  if (where.element)
    message = fmt::format("top-level array element {}: {}", where.element, message);
  problems_.Add(Problem::Severity::kError, where.block, line, column + 1,
                base_offset_ + where.offset + at, std::move(message));
}

}  // namespace latebind::profiler
