// Structured logs (DESIGN.md §7): one JSON object per line on stderr, with ts, level, msg
// and any fields given. Thread-safe: lines never interleave.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace latebind {

void Log(const char* level, const std::string& msg,
         nlohmann::ordered_json fields = nlohmann::ordered_json::object());

}  // namespace latebind
