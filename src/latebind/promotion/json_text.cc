#include "latebind/promotion/json_text.h"

#include <cstdint>

namespace latebind::promotion {
namespace {

size_t SkipSpace(std::string_view text, size_t i) {
  while (i < text.size() &&
         (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n')) {
    ++i;
  }
  return i;
}

// `begin` is a string's opening quote.
size_t StringEnd(std::string_view text, size_t begin) {
  for (size_t i = begin + 1; i < text.size(); ++i) {
    if (text[i] == '\\') {
      ++i;
    } else if (text[i] == '"') {
      return i + 1;
    }
  }
  return text.size();
}

// After the value that starts at text[value]: the first byte of the next one in the same
// container (past the ',' and, in an object, the key and ':'), or text.size().
size_t NextValue(std::string_view text, size_t value, bool object) {
  size_t i = SkipSpace(text, JsonValueEnd(text, value));
  if (i >= text.size() || text[i] != ',') return text.size();
  i = SkipSpace(text, i + 1);
  if (object) i = SkipSpace(text, SkipSpace(text, StringEnd(text, i)) + 1);
  return i;
}

}  // namespace

size_t JsonValueEnd(std::string_view text, size_t begin) {
  if (begin >= text.size()) return text.size();
  const char c = text[begin];
  if (c == '"') return StringEnd(text, begin);
  if (c == '{' || c == '[') {
    int64_t depth = 0;
    for (size_t i = begin; i < text.size(); ++i) {
      const char d = text[i];
      if (d == '"') {
        i = StringEnd(text, i) - 1;
      } else if (d == '{' || d == '[') {
        ++depth;
      } else if ((d == '}' || d == ']') && --depth == 0) {
        return i + 1;
      }
    }
    return text.size();
  }
  size_t i = begin;
  while (i < text.size() && text[i] != ',' && text[i] != '}' && text[i] != ']' && text[i] != ' ' &&
         text[i] != '\t' && text[i] != '\r' && text[i] != '\n') {
    ++i;
  }
  return i;
}

size_t JsonChild(std::string_view text, size_t begin, size_t n) {
  if (begin >= text.size()) return text.size();
  const bool object = text[begin] == '{';
  size_t i = SkipSpace(text, begin + 1);
  if (i >= text.size() || text[i] == '}' || text[i] == ']') return text.size();
  if (object) i = SkipSpace(text, SkipSpace(text, StringEnd(text, i)) + 1);
  for (; n > 0 && i < text.size(); --n) i = NextValue(text, i, object);
  return i;
}

size_t JsonNextElement(std::string_view text, size_t element) {
  return NextValue(text, element, false);
}

}  // namespace latebind::promotion
