// Terminal output for people: ANSI colors under git's rules (`--color auto|always|never`,
// NO_COLOR) and aligned tables whose cells may be colored. Stateless, thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace latebind::cli {

// The `--color` choices; auto colors only when stdout is a terminal and NO_COLOR is unset or
// empty (no-color.org). always/never win over both.
inline const std::vector<std::string> kColorChoices = {"auto", "always", "never"};
bool UseColor(const std::string& color_mode);

enum class Style { kPlain, kBold, kRed, kGreen, kYellow, kCyan, kDim, kBoldRed };

// `text` wrapped in the style's escape codes when `color`, else `text` itself.
std::string Paint(const std::string& text, Style style, bool color);

// One table cell: plain text (what is measured) and how to paint it.
struct Cell {
  std::string text;
  Style style = Style::kPlain;
  Cell(std::string t, Style s = Style::kPlain) : text(std::move(t)), style(s) {}  // NOLINT
  Cell(const char* t, Style s = Style::kPlain) : text(t), style(s) {}             // NOLINT
};

// Rows under a bold header, columns aligned by display width (UTF-8 code points), each line
// indented by `indent` spaces. Control characters in cells print as spaces; cells past
// `max_cell_columns` are cut with an ellipsis. Trailing spaces are trimmed.
std::string RenderTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<Cell>>& rows, bool color, size_t indent = 0,
                        size_t max_cell_columns = 60);

// Cuts `s` to `width` display columns, the last one an ellipsis; control characters are
// written as JSON escapes (`\n`, `\u001b`), so none reaches a terminal.
std::string Clip(const std::string& s, size_t width);

}  // namespace latebind::cli
