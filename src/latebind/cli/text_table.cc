#include "latebind/cli/text_table.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

namespace latebind::cli {
namespace {

size_t Columns(const std::string& s) {
  return std::count_if(s.begin(), s.end(),
                       [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
}

const char* Code(Style style) {
  switch (style) {
    case Style::kPlain:
      return "";
    case Style::kBold:
      return "\033[1m";
    case Style::kRed:
      return "\033[31m";
    case Style::kGreen:
      return "\033[32m";
    case Style::kYellow:
      return "\033[33m";
    case Style::kCyan:
      return "\033[36m";
    case Style::kDim:
      return "\033[2m";
    case Style::kBoldRed:
      return "\033[1;31m";
  }
  return "";
}

}  // namespace

bool UseColor(const std::string& color_mode) {
  if (color_mode == "always") return true;
  if (color_mode == "never") return false;
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color != nullptr && *no_color != '\0') return false;
  return ::isatty(STDOUT_FILENO) == 1;
}

std::string Paint(const std::string& text, Style style, bool color) {
  if (!color || style == Style::kPlain || text.empty()) return text;
  return std::string(Code(style)) + text + "\033[0m";
}

std::string Clip(const std::string& s, size_t width) {
  // Control characters as JSON writes them (\n, \u001b): no escape sequence from the data
  // drives the terminal, and keys that differ only in one print apart.
  std::string shown;
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    // C1 controls are U+0080–U+009F, 0xC2 0x80–0x9F in UTF-8.
    const bool c1 = c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) >= 0x80 &&
                    static_cast<unsigned char>(s[i + 1]) <= 0x9F;
    if (c1) {
      shown += fmt::format("\\u{:04x}", static_cast<unsigned char>(s[++i]));
    } else if (c == '\n' || c == '\t' || c == '\r') {
      shown += c == '\n' ? "\\n" : c == '\t' ? "\\t" : "\\r";
    } else if (c < 0x20 || c == 0x7F) {
      shown += fmt::format("\\u{:04x}", c);
    } else {
      shown.push_back(static_cast<char>(c));
    }
  }
  if (Columns(shown) <= width) return shown;
  std::string out;
  size_t cols = 0;
  for (const char ch : shown) {
    if ((static_cast<unsigned char>(ch) & 0xC0) != 0x80 && ++cols == width) break;
    out.push_back(ch);
  }
  return out + "…";
}

std::string RenderTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<Cell>>& rows, bool color, size_t indent,
                        size_t max_cell_columns) {
  std::vector<std::vector<Cell>> all;
  std::vector<Cell> head;
  for (const std::string& h : header) head.emplace_back(h, Style::kBold);
  all.push_back(std::move(head));
  for (const auto& r : rows) {
    std::vector<Cell> clipped;
    for (const Cell& c : r) clipped.emplace_back(Clip(c.text, max_cell_columns), c.style);
    all.push_back(std::move(clipped));
  }
  std::vector<size_t> width(header.size(), 0);
  for (const auto& r : all) {
    for (size_t i = 0; i < r.size() && i < width.size(); ++i) {
      width[i] = std::max(width[i], Columns(r[i].text));
    }
  }
  std::string out;
  for (const auto& r : all) {
    std::string line(indent, ' ');
    std::string pad;
    for (size_t i = 0; i < r.size() && i < width.size(); ++i) {
      line += pad + Paint(r[i].text, r[i].style, color);
      pad = std::string(width[i] - Columns(r[i].text) + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

}  // namespace latebind::cli
