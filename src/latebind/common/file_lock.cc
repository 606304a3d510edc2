#include "latebind/common/file_lock.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "latebind/common/status.h"

namespace latebind {

namespace {

arrow::Result<UniqueFd> OpenLockFile(const std::string& path) {
  std::error_code ec;
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (fd.get() < 0) {
    return MakeError(ErrorKind::kUnavailable,
                     fmt::format("cannot open lock file {}: {}", path, std::strerror(errno)));
  }
  return fd;
}

}  // namespace

arrow::Result<std::optional<FileLock>> FileLock::TryAcquire(const std::string& path) {
  ARROW_ASSIGN_OR_RAISE(UniqueFd fd, OpenLockFile(path));
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) return std::nullopt;
    return MakeError(ErrorKind::kUnavailable,
                     fmt::format("cannot lock {}: {}", path, std::strerror(errno)));
  }
  return FileLock(std::move(fd));
}

arrow::Result<FileLock> FileLock::AcquireShared(const std::string& path) {
  ARROW_ASSIGN_OR_RAISE(UniqueFd fd, OpenLockFile(path));
  int rc;
  while ((rc = ::flock(fd.get(), LOCK_SH)) != 0 && errno == EINTR) {
  }
  if (rc != 0) {
    return MakeError(ErrorKind::kUnavailable,
                     fmt::format("cannot lock {}: {}", path, std::strerror(errno)));
  }
  return FileLock(std::move(fd));
}

arrow::Status FileLock::Share() {
  if (::flock(fd_.get(), LOCK_SH) != 0) {
    return MakeError(ErrorKind::kUnavailable,
                     fmt::format("cannot share a lock: {}", std::strerror(errno)));
  }
  return arrow::Status::OK();
}

arrow::Status FileLock::Describe(const std::string& text) {
  if (::ftruncate(fd_.get(), 0) != 0 ||
      ::pwrite(fd_.get(), text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) {
    return MakeError(ErrorKind::kUnavailable,
                     fmt::format("cannot write lock file: {}", std::strerror(errno)));
  }
  return arrow::Status::OK();
}

std::string FileLock::HolderOf(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace latebind
