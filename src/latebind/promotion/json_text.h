// Finding a value's own bytes in the text of a JSON document that simdjson accepted. The DOM
// keeps values, not their text, and a number's text can say more than its double ("1.10",
// "12345678901234567.89", an integer beyond 64 bits): promotion stores such a number's
// text where docs/promotion.md promises "its JSON text". Plain scans from the start of a
// container, meant for those rare values only; the text must be valid JSON.
#pragma once

#include <cstddef>
#include <string_view>

namespace latebind::promotion {

// The end (one past the last byte) of the JSON value whose first byte is text[begin].
size_t JsonValueEnd(std::string_view text, size_t begin);

// The first byte of the value of member `n` (from 0, in text order, duplicate keys
// counted) of the object, or of element `n` of the array, whose '{' or '[' is text[begin].
// text.size() when it has fewer.
size_t JsonChild(std::string_view text, size_t begin, size_t n);

// The first byte of the array element after the one whose first byte is text[element]
// (text.size() after the last one).
size_t JsonNextElement(std::string_view text, size_t element);

}  // namespace latebind::promotion
