// The real flushes, linked into `latebind` and the unit tests (see durability.h).
#include "latebind/common/durability.h"

#include <unistd.h>

namespace latebind {

int SyncFile(int fd) { return ::fsync(fd); }

int SyncData(int fd) { return ::fdatasync(fd); }

int SyncFilesystem(int fd) { return ::syncfs(fd); }

}  // namespace latebind
