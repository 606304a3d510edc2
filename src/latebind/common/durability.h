// The one seam through which latebind asks the kernel to put data on stable storage.
//
// Every flush in src/ goes through these three functions, so that one link-time choice
// decides whether the binary flushes at all: `latebind` links the real implementation
// (durability.cc, library latebind_durability); `latebind_nofsync` links
// durability_disabled.cc (library latebind_durability_disabled), whose functions return
// success without flushing. The second binary exists only as the negative control of the
// power-loss test (tests/e2e/test_power_loss.py, ADR-022): it must lose acknowledged
// payloads there. Static libraries that call the seam link neither; the executable picks.
//
// Each function has its syscall's contract: 0 on success, -1 with errno set on failure (a
// failed flush may have lost data already written; the caller must not acknowledge it).
// All are thread-safe and safe to repeat.
#pragma once

namespace latebind {

// fsync(2): the file's data and metadata, or a directory's entries, on stable storage.
int SyncFile(int fd);

// fdatasync(2): the file's data and the metadata needed to read it back (its size).
int SyncData(int fd);

// syncfs(2): everything dirty on the filesystem holding `fd`, other writers' data included.
int SyncFilesystem(int fd);

}  // namespace latebind
