// Field paths (DESIGN.md §4): an object's members joined by '.', an array's elements as
// "[]" ("a.b", "a[]", "a[].b"). A key holding one of '\', '.', '[' or ']' has it escaped with
// '\' in its segment ("a\.b" for the key "a.b"), so every path reads back one way and a
// key "a.b" never collides with the member b of an object a. Keys without them, nearly all,
// are their own segments.
#pragma once

#include <string>
#include <string_view>

namespace latebind {

// The segment of a member key, escaped.
std::string EscapeKey(std::string_view key);
// The key of a member segment (escapes removed).
std::string UnescapeKey(std::string_view segment);

// The path of member `key` of the field at `parent` ("" for a record's top level). A key
// holds no '.' of its own, so a member's path is never empty: the empty top-level key's is
// "." (its member "k" is "..k"), as the empty key under "a" is "a.".
std::string MemberPath(std::string_view parent, std::string_view key);
// The path of the elements of the array at `parent`.
std::string ElementPath(std::string_view parent);

// Whether `path` names an array's elements ("a[]").
bool IsElementPath(std::string_view path);
// "a.b" for "a.b.c" and "a.b[]"; "a[]" for "a[].b"; "" for a top-level field.
std::string_view ParentPath(std::string_view path);
// The escaped last member segment: "c" for "a.b.c", "a" for "a"; "[]" for an element path.
std::string_view LastSegment(std::string_view path);
// Whether `path` is `of` or lies under it ("a.b" and "a[]" lie under "a"; "ab" and "a\.b"
// do not). Only "" lies within "".
bool IsWithin(std::string_view path, std::string_view of);

}  // namespace latebind
