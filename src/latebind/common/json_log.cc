#include "latebind/common/json_log.h"

#include <iostream>
#include <mutex>

#include "latebind/common/ids.h"

namespace latebind {

void Log(const char* level, const std::string& msg, nlohmann::ordered_json fields) {
  static std::mutex mu;
  fields["ts"] = UtcTimestamp(std::chrono::system_clock::now());
  fields["level"] = level;
  fields["msg"] = msg;
  const std::string line = fields.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::lock_guard lock(mu);
  std::cerr << line << "\n";
}

}  // namespace latebind
