#include "latebind/storage/object_store.h"

#include <fmt/format.h>

#include "latebind/common/status.h"

namespace latebind::storage {

arrow::Status ValidateKey(std::string_view key) {
  auto bad = [&](std::string_view why) {
    return MakeError(ErrorKind::kBadInput, fmt::format("invalid object key '{}': {}", key, why));
  };
  if (key.empty()) return bad("empty");
  if (key.size() > 1024) return bad("longer than 1024 bytes");
  size_t start = 0;
  while (start <= key.size()) {
    const size_t end = std::min(key.find('/', start), key.size());
    const std::string_view segment = key.substr(start, end - start);
    if (segment.empty()) return bad("empty path segment");
    if (segment == "." || segment == "..") return bad("'.' and '..' are not allowed");
    for (char c : segment) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '=' || c == '-';
      if (!ok)
        return bad(fmt::format("byte 0x{:02x} is not allowed", static_cast<unsigned char>(c)));
    }
    start = end + 1;
  }
  return arrow::Status::OK();
}

arrow::Status ValidateFolder(std::string_view prefix) {
  if (!prefix.ends_with('/')) {
    return MakeError(ErrorKind::kBadInput,
                     fmt::format("invalid folder '{}': must end with '/'", prefix));
  }
  return ValidateKey(prefix.substr(0, prefix.size() - 1));
}

}  // namespace latebind::storage
