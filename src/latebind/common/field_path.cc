#include "latebind/common/field_path.h"

namespace latebind {
namespace {

bool Special(char c) { return c == '\\' || c == '.' || c == '[' || c == ']'; }

// The position of the last '.' that separates two segments, or npos.
size_t LastSeparator(std::string_view path) {
  size_t last = std::string_view::npos;
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '\\') {
      ++i;  // the escaped character
    } else if (path[i] == '.') {
      last = i;
    }
  }
  return last;
}

}  // namespace

std::string EscapeKey(std::string_view key) {
  std::string out;
  out.reserve(key.size());
  for (const char c : key) {
    if (Special(c)) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

std::string UnescapeKey(std::string_view segment) {
  std::string out;
  out.reserve(segment.size());
  for (size_t i = 0; i < segment.size(); ++i) {
    if (segment[i] == '\\' && i + 1 < segment.size()) ++i;
    out.push_back(segment[i]);
  }
  return out;
}

std::string MemberPath(std::string_view parent, std::string_view key) {
  std::string out(parent);
  // A top-level member joins the record's empty path with no '.', unless its key is empty
  // too: "." is that member, so that it is not the record itself.
  if (!out.empty() || key.empty()) out.push_back('.');
  out += EscapeKey(key);
  return out;
}

std::string ElementPath(std::string_view parent) {
  std::string out(parent);
  out += "[]";
  return out;
}

// A key's ']' is always escaped, so a path ending in "[]" ends in an element marker.
bool IsElementPath(std::string_view path) { return path.ends_with("[]"); }

std::string_view ParentPath(std::string_view path) {
  if (IsElementPath(path)) return path.substr(0, path.size() - 2);
  const size_t dot = LastSeparator(path);
  return dot == std::string_view::npos ? std::string_view{} : path.substr(0, dot);
}

std::string_view LastSegment(std::string_view path) {
  if (IsElementPath(path)) return path.substr(path.size() - 2);
  const size_t dot = LastSeparator(path);
  return dot == std::string_view::npos ? path : path.substr(dot + 1);
}

// `of` is a whole path, so the character after it in a longer path is either a separator
// or the start of an element marker; a key's own '.' or '[' would be preceded by '\'.
bool IsWithin(std::string_view path, std::string_view of) {
  // "" is no field's path but a registry's from before ADR-103, where it stood for the
  // empty top-level key: only itself lies within it ("." and "..x" do not).
  if (of.empty()) return path.empty();
  return path.starts_with(of) &&
         (path.size() == of.size() || path[of.size()] == '.' || path[of.size()] == '[');
}

}  // namespace latebind
