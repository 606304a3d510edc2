/* An LD_PRELOAD shim that injects storage faults into a running latebind, for the e2e
 * fault tests. While the file named by $LATEBIND_FAULT_FILE exists, writes to regular files
 * fail with the errno written in it ("ENOSPC" or "EIO"; ENOSPC if empty), and so do
 * fsync, fdatasync and syncfs. After the errno, a space and a path fragment ("EIO /raw/")
 * narrow the fault to files whose path contains the fragment (one zone of the store, not
 * the write-ahead log). Sockets, pipes and terminals are never touched. Remove the file
 * and the "disk" recovers. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

/* The errno a call on `fd` fails with now, or 0. */
static int fault_errno(int fd) {
  const char* control = getenv("LATEBIND_FAULT_FILE");
  if (control == NULL) return 0;
  FILE* f = fopen(control, "r");
  if (f == NULL) return 0;
  char buf[256] = {0};
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  buf[strcspn(buf, "\r\n")] = 0;
  const char* fragment = strchr(buf, ' ');
  if (fragment != NULL && fragment[1] != 0) {
    char link[64], path[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t len = readlink(link, path, sizeof path - 1);
    if (len < 0) return 0;
    path[len] = 0;
    if (strstr(path, fragment + 1) == NULL) return 0;
  }
  return strncmp(buf, "EIO", 3) == 0 ? EIO : ENOSPC;
}

static int is_regular(int fd) {
  struct stat st;
  return fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

#define REAL(name, ret, ...)                                   \
  static ret (*real_##name)(__VA_ARGS__) = NULL;               \
  if (real_##name == NULL) real_##name = dlsym(RTLD_NEXT, #name)

ssize_t write(int fd, const void* buf, size_t count) {
  REAL(write, ssize_t, int, const void*, size_t);
  int err;
  if (is_regular(fd) && (err = fault_errno(fd)) != 0) {
    errno = err;
    return -1;
  }
  return real_write(fd, buf, count);
}

int fsync(int fd) {
  REAL(fsync, int, int);
  int err = fault_errno(fd);
  if (err != 0) {
    errno = err == ENOSPC ? EIO : err; /* a failed flush reports EIO */
    return -1;
  }
  return real_fsync(fd);
}

int fdatasync(int fd) {
  REAL(fdatasync, int, int);
  int err = fault_errno(fd);
  if (err != 0) {
    errno = err == ENOSPC ? EIO : err;
    return -1;
  }
  return real_fdatasync(fd);
}

int syncfs(int fd) {
  REAL(syncfs, int, int);
  int err = fault_errno(fd);
  if (err != 0) {
    errno = err == ENOSPC ? EIO : err;
    return -1;
  }
  return real_syncfs(fd);
}
