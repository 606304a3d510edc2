// An advisory lock on a file, exclusive or shared, held across processes with flock(2) and released
// by the kernel when its holder exits or dies, so a crashed holder never blocks the next.
#pragma once

#include <arrow/result.h>

#include <optional>
#include <string>

#include "latebind/common/unique_fd.h"

namespace latebind {

class FileLock {
 public:
  // Locks `path` (creating it and its directory) without waiting. nullopt when another
  // open file description holds it. Errors: kUnavailable (cannot create or lock).
  static arrow::Result<std::optional<FileLock>> TryAcquire(const std::string& path);

  // Holds `path` shared with other shared holders, waiting while an exclusive holder has it.
  static arrow::Result<FileLock> AcquireShared(const std::string& path);

  // Turns a lock held exclusively into a shared one (not atomic: flock(2) may release it
  // first).
  arrow::Status Share();

  // Replaces the file's content with `text` (who holds it, for the one refused).
  arrow::Status Describe(const std::string& text);

  // The file's content: what its holder wrote with Describe, or "" when unreadable.
  static std::string HolderOf(const std::string& path);

 private:
  explicit FileLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;  // closing it releases the lock
};

}  // namespace latebind
