/* An LD_PRELOAD shim that journals what a power cut would need to know, for the power-loss
 * test (tests/e2e/test_power_loss.py, ADR-022). When $LATEBIND_POWERCUT_JOURNAL names a file,
 * every file-data write, namespace change and flush of the process is appended to it, one
 * line per event, and the bytes written to regular files are appended to "<journal>.data".
 * tests/e2e/powercut.py rebuilds from both the state a power cut after any event would leave.
 * Without the variable every call passes straight through.
 *
 * Line format: SEQ<TAB>OP<TAB>fields..., fields tab-separated, paths last and absolute (the
 * parent resolved with realpath, so they match /proc/self/fd names). SEQ counts from 1.
 *   CREATE      dev:ino  path           open/openat/creat with O_CREAT returned a regular file
 *   TMPFILE     dev:ino  dir            an O_TMPFILE open: a file with no name yet, in dir's fs
 *   LINKINO     dev:ino  path           linkat gave that (O_TMPFILE) inode the name path
 *   WRITE       dev:ino  offset  length  data_offset  path     bytes now at data_offset in .data
 *   TRUNCATE    dev:ino  length  path           ftruncate, truncate, or an O_TRUNC open (0)
 *   SYNC_BEGIN  kind  file|dir  dev:ino  size  path   kind: fsync, fdatasync or syncfs
 *   SYNC_END    begin_seq  rc                         rc 0: the flush begun at begin_seq succeeded
 *   RENAME      from  to       LINK  from  to       UNLINK  path       MKDIR  path      RMDIR  path
 *   UNSUPPORTED call  path                            a call the checker cannot model (it fails)
 *
 * Ordering is what makes the journal sound (see powercut.py): a write or a namespace change is
 * journaled after the call returned, under one mutex held across the call (so events on one
 * name or one file appear in the order they happened); SYNC_BEGIN is journaled before the
 * flush starts and SYNC_END after it returned, with the mutex released in between so flushes
 * overlap as they do without the shim. Each line is written by a single write(2) to a file
 * opened with O_APPEND, so a reader never sees two lines interleaved.
 *
 * Intercepted: the calls latebind and libstdc++'s <filesystem> make (`nm -D build/latebind`;
 * glibc's own internal calls, e.g. fopen's openat, are not interposable and write nothing that
 * latebind must keep; SQLite's pwrite64 and ftruncate are interposed like latebind's own).
 * sendfile into a regular file is journaled as UNSUPPORTED. mmap writes cannot be seen; only
 * SQLite's shared-memory index uses them, which it rebuilds after a crash. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

typedef ssize_t (*write_fn)(int, const void*, size_t);
typedef ssize_t (*writev_fn)(int, const struct iovec*, int);
typedef ssize_t (*pwrite_fn)(int, const void*, size_t, off_t);
typedef int (*open_fn)(const char*, int, ...);
typedef int (*openat_fn)(int, const char*, int, ...);
typedef int (*creat_fn)(const char*, mode_t);
typedef int (*fd_fn)(int);
typedef int (*path_fn)(const char*);
typedef int (*path2_fn)(const char*, const char*);
typedef int (*renameat_fn)(int, const char*, int, const char*);
typedef int (*renameat2_fn)(int, const char*, int, const char*, unsigned int);
typedef int (*unlinkat_fn)(int, const char*, int);
typedef int (*linkat_fn)(int, const char*, int, const char*, int);
typedef int (*mkdir_fn)(const char*, mode_t);
typedef int (*mkdirat_fn)(int, const char*, mode_t);
typedef int (*truncate_fn)(const char*, off_t);
typedef int (*ftruncate_fn)(int, off_t);
typedef ssize_t (*sendfile_fn)(int, int, off_t*, size_t);

static struct {
  write_fn write;
  writev_fn writev;
  pwrite_fn pwrite, pwrite64;
  open_fn open, open64;
  openat_fn openat, openat64;
  creat_fn creat;
  fd_fn fsync, fdatasync, syncfs;
  path2_fn rename, link;
  linkat_fn linkat;
  renameat_fn renameat;
  renameat2_fn renameat2;
  path_fn unlink, remove, rmdir;
  unlinkat_fn unlinkat;
  mkdir_fn mkdir;
  mkdirat_fn mkdirat;
  truncate_fn truncate;
  ftruncate_fn ftruncate;
  sendfile_fn sendfile;
} real;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int journal_fd = -1; /* -1: journaling off */
static int data_fd = -1;
static off_t data_size = 0;
static unsigned long long seq = 0;

static void init(void) {
  real.write = (write_fn)dlsym(RTLD_NEXT, "write");
  real.writev = (writev_fn)dlsym(RTLD_NEXT, "writev");
  real.pwrite = (pwrite_fn)dlsym(RTLD_NEXT, "pwrite");
  real.pwrite64 = (pwrite_fn)dlsym(RTLD_NEXT, "pwrite64");
  real.open = (open_fn)dlsym(RTLD_NEXT, "open");
  real.open64 = (open_fn)dlsym(RTLD_NEXT, "open64");
  real.openat = (openat_fn)dlsym(RTLD_NEXT, "openat");
  real.openat64 = (openat_fn)dlsym(RTLD_NEXT, "openat64");
  real.creat = (creat_fn)dlsym(RTLD_NEXT, "creat");
  real.fsync = (fd_fn)dlsym(RTLD_NEXT, "fsync");
  real.fdatasync = (fd_fn)dlsym(RTLD_NEXT, "fdatasync");
  real.syncfs = (fd_fn)dlsym(RTLD_NEXT, "syncfs");
  real.rename = (path2_fn)dlsym(RTLD_NEXT, "rename");
  real.link = (path2_fn)dlsym(RTLD_NEXT, "link");
  real.linkat = (linkat_fn)dlsym(RTLD_NEXT, "linkat");
  real.renameat = (renameat_fn)dlsym(RTLD_NEXT, "renameat");
  real.renameat2 = (renameat2_fn)dlsym(RTLD_NEXT, "renameat2");
  real.unlink = (path_fn)dlsym(RTLD_NEXT, "unlink");
  real.remove = (path_fn)dlsym(RTLD_NEXT, "remove");
  real.rmdir = (path_fn)dlsym(RTLD_NEXT, "rmdir");
  real.unlinkat = (unlinkat_fn)dlsym(RTLD_NEXT, "unlinkat");
  real.mkdir = (mkdir_fn)dlsym(RTLD_NEXT, "mkdir");
  real.mkdirat = (mkdirat_fn)dlsym(RTLD_NEXT, "mkdirat");
  real.truncate = (truncate_fn)dlsym(RTLD_NEXT, "truncate");
  real.ftruncate = (ftruncate_fn)dlsym(RTLD_NEXT, "ftruncate");
  real.sendfile = (sendfile_fn)dlsym(RTLD_NEXT, "sendfile");

  const char* path = getenv("LATEBIND_POWERCUT_JOURNAL");
  if (path == NULL || *path == 0) return;
  char data_path[PATH_MAX];
  snprintf(data_path, sizeof data_path, "%s.data", path);
  const int flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC;
  journal_fd = real.open(path, flags, 0644);
  data_fd = real.open(data_path, flags, 0644);
  struct stat st;
  if (journal_fd < 0 || data_fd < 0 || fstat(data_fd, &st) != 0) {
    fprintf(stderr, "powercut: cannot open %s or %s; journaling off\n", path, data_path);
    journal_fd = -1;
    return;
  }
  data_size = st.st_size;
}

static int enabled(void) {
  pthread_once(&once, init);
  return journal_fd >= 0;
}

static void write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    const ssize_t w = real.write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return; /* the journal is test scaffolding: a short journal fails the check */
    p += w;
    n -= (size_t)w;
  }
}

/* One journal line; the caller holds `mu`. Returns its sequence number. */
static unsigned long long journal(const char* fmt, ...) {
  char line[2 * PATH_MAX + 256];
  const unsigned long long s = ++seq;
  int n = snprintf(line, sizeof line, "%llu\t", s);
  va_list ap;
  va_start(ap, fmt);
  n += vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
  va_end(ap);
  if (n > (int)sizeof line - 2) n = (int)sizeof line - 2;
  line[n++] = '\n';
  write_all(journal_fd, line, (size_t)n); /* one write(2): the line never interleaves */
  return s;
}

static void fd_path(int fd, char* out, size_t size) {
  char link[64];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  const ssize_t n = readlink(link, out, size - 1);
  out[n < 0 ? 0 : n] = 0;
}

/* `path` (relative to dirfd) made absolute with its parent resolved, as /proc names it. The
 * last component is kept as given: it may be gone (unlink) or not yet exist. */
static void abs_path(int dirfd, const char* path, char* out, size_t size) {
  char joined[PATH_MAX];
  if (path[0] == '/') {
    snprintf(joined, sizeof joined, "%s", path);
  } else {
    char base[PATH_MAX];
    if (dirfd == AT_FDCWD) {
      if (getcwd(base, sizeof base) == NULL) base[0] = 0;
    } else {
      fd_path(dirfd, base, sizeof base);
    }
    snprintf(joined, sizeof joined, "%s/%s", base, path);
  }
  char dir_copy[PATH_MAX], base_copy[PATH_MAX], resolved[PATH_MAX];
  snprintf(dir_copy, sizeof dir_copy, "%s", joined);
  snprintf(base_copy, sizeof base_copy, "%s", joined);
  const char* dir = dirname(dir_copy);
  const char* name = basename(base_copy);
  if (realpath(dir, resolved) == NULL) snprintf(resolved, sizeof resolved, "%s", dir);
  const char* parent = strcmp(resolved, "/") == 0 ? "" : resolved;
  if (snprintf(out, size, "%s/%s", parent, name) >= (int)size) out[0] = 0; /* too long */
}

static int regular_stat(int fd, struct stat* st) {
  return fstat(fd, st) == 0 && S_ISREG(st->st_mode);
}

/* ---- file data -------------------------------------------------------------------------- */

/* After `n` bytes from `iov` landed at `offset` of the regular file `fd`: copy them to the
 * data file and journal a WRITE. The caller holds `mu`. */
static void journal_write(int fd, const struct stat* st, off_t offset, const struct iovec* iov,
                          int iovcnt, size_t n) {
  const off_t at = data_size;
  size_t left = n;
  for (int i = 0; i < iovcnt && left > 0; ++i) {
    const size_t take = iov[i].iov_len < left ? iov[i].iov_len : left;
    write_all(data_fd, iov[i].iov_base, take);
    left -= take;
  }
  data_size += (off_t)n;
  char path[PATH_MAX];
  fd_path(fd, path, sizeof path);
  journal("WRITE\t%lu:%lu\t%lld\t%zu\t%lld\t%s", (unsigned long)st->st_dev,
          (unsigned long)st->st_ino, (long long)offset, n, (long long)at, path);
}

static ssize_t journaled_writev(int fd, const struct iovec* iov, int iovcnt, off_t pos,
                                int positioned) {
  pthread_mutex_lock(&mu);
  ssize_t n;
  if (positioned) {
    n = real.pwrite(fd, iov[0].iov_base, iov[0].iov_len, pos);
  } else {
    n = iovcnt == 1 ? real.write(fd, iov[0].iov_base, iov[0].iov_len)
                    : real.writev(fd, iov, iovcnt);
  }
  const int err = errno;
  struct stat st;
  if (n > 0 && regular_stat(fd, &st)) {
    /* For write/writev (O_APPEND or not) the position now sits just past the bytes. */
    const off_t offset = positioned ? pos : lseek(fd, 0, SEEK_CUR) - n;
    journal_write(fd, &st, offset, iov, iovcnt, (size_t)n);
  }
  pthread_mutex_unlock(&mu);
  errno = err;
  return n;
}

static int is_regular_fd(int fd) {
  struct stat st;
  return regular_stat(fd, &st);
}

ssize_t write(int fd, const void* buf, size_t count) {
  if (!enabled() || !is_regular_fd(fd)) return real.write(fd, buf, count);
  struct iovec iov = {(void*)buf, count};
  return journaled_writev(fd, &iov, 1, 0, 0);
}

ssize_t writev(int fd, const struct iovec* iov, int iovcnt) {
  if (!enabled() || !is_regular_fd(fd)) return real.writev(fd, iov, iovcnt);
  return journaled_writev(fd, iov, iovcnt, 0, 0);
}

ssize_t pwrite(int fd, const void* buf, size_t count, off_t offset) {
  if (!enabled() || !is_regular_fd(fd)) return real.pwrite(fd, buf, count, offset);
  struct iovec iov = {(void*)buf, count};
  return journaled_writev(fd, &iov, 1, offset, 1);
}

ssize_t pwrite64(int fd, const void* buf, size_t count, off_t offset) {
  return pwrite(fd, buf, count, offset);
}

/* ---- opens that create ------------------------------------------------------------------ */

static int journaled_open(int dirfd, const char* path, int flags, mode_t mode) {
  const int tmpfile = (flags & O_TMPFILE) == O_TMPFILE;
  const int tracked = enabled() && (tmpfile || (flags & (O_CREAT | O_TRUNC)) != 0);
  if (tracked) pthread_mutex_lock(&mu);
  const int fd = real.openat(dirfd, path, flags, mode);
  const int err = errno;
  struct stat st;
  if (tracked && fd >= 0 && regular_stat(fd, &st)) {
    char p[PATH_MAX];
    fd_path(fd, p, sizeof p);
    const unsigned long dev = (unsigned long)st.st_dev, ino = (unsigned long)st.st_ino;
    if (tmpfile) {
      char dir[PATH_MAX];
      abs_path(dirfd, path, dir, sizeof dir);
      journal("TMPFILE\t%lu:%lu\t%s", dev, ino, dir);
    }
    if (flags & O_CREAT) journal("CREATE\t%lu:%lu\t%s", dev, ino, p);
    if (flags & O_TRUNC) journal("TRUNCATE\t%lu:%lu\t0\t%s", dev, ino, p);
  }
  if (tracked) pthread_mutex_unlock(&mu);
  errno = err;
  return fd;
}

static mode_t mode_arg(int flags, va_list ap) {
  /* O_TMPFILE includes O_DIRECTORY's bit: test all of it, or a plain O_DIRECTORY open would
   * read an argument that was never passed. */
  const int has_mode = (flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE;
  return has_mode ? (mode_t)va_arg(ap, int) : 0;
}

int open(const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  const mode_t mode = mode_arg(flags, ap);
  va_end(ap);
  return journaled_open(AT_FDCWD, path, flags, mode);
}

int open64(const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  const mode_t mode = mode_arg(flags, ap);
  va_end(ap);
  return journaled_open(AT_FDCWD, path, flags, mode);
}

int openat(int dirfd, const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  const mode_t mode = mode_arg(flags, ap);
  va_end(ap);
  return journaled_open(dirfd, path, flags, mode);
}

int openat64(int dirfd, const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  const mode_t mode = mode_arg(flags, ap);
  va_end(ap);
  return journaled_open(dirfd, path, flags, mode);
}

int creat(const char* path, mode_t mode) {
  return journaled_open(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

/* ---- flushes ---------------------------------------------------------------------------- */

static int journaled_sync(fd_fn call, const char* kind, int fd) {
  if (!enabled()) return call(fd);
  struct stat st;
  char path[PATH_MAX];
  pthread_mutex_lock(&mu);
  const int have = fstat(fd, &st) == 0;
  fd_path(fd, path, sizeof path);
  /* Journaled before the flush starts: only what precedes this line is covered by it. */
  const unsigned long long begin =
      journal("SYNC_BEGIN\t%s\t%s\t%lu:%lu\t%lld\t%s", kind,
              have && S_ISDIR(st.st_mode) ? "dir" : "file", have ? (unsigned long)st.st_dev : 0UL,
              have ? (unsigned long)st.st_ino : 0UL, have ? (long long)st.st_size : 0LL, path);
  pthread_mutex_unlock(&mu);
  const int rc = call(fd);
  const int err = errno;
  pthread_mutex_lock(&mu);
  journal("SYNC_END\t%llu\t%d", begin, rc == 0 ? 0 : err);
  pthread_mutex_unlock(&mu);
  errno = err;
  return rc;
}

int fsync(int fd) {
  pthread_once(&once, init);
  return journaled_sync(real.fsync, "fsync", fd);
}

int fdatasync(int fd) {
  pthread_once(&once, init);
  return journaled_sync(real.fdatasync, "fdatasync", fd);
}

int syncfs(int fd) {
  pthread_once(&once, init);
  return journaled_sync(real.syncfs, "syncfs", fd);
}

/* ---- namespace -------------------------------------------------------------------------- */

/* One namespace change: both paths resolved before the call (a rename's source is gone after
 * it), the mutex held across it, one line journaled when it succeeded. */
struct ns_op {
  char a[PATH_MAX];
  char b[PATH_MAX];
  int two;
};

/* Returns 0 when journaling is off: the caller then makes the plain call. */
static int ns_begin(struct ns_op* op, int dirfd1, const char* p1, int dirfd2, const char* p2) {
  if (!enabled()) return 0;
  pthread_mutex_lock(&mu);
  abs_path(dirfd1, p1, op->a, sizeof op->a);
  op->two = p2 != NULL;
  if (op->two) abs_path(dirfd2, p2, op->b, sizeof op->b);
  return 1;
}

static int ns_end(struct ns_op* op, const char* name, int rc) {
  const int err = errno;
  if (rc == 0) {
    if (op->two) {
      journal("%s\t%s\t%s", name, op->a, op->b);
    } else {
      journal("%s\t%s", name, op->a);
    }
  }
  pthread_mutex_unlock(&mu);
  errno = err;
  return rc;
}

int rename(const char* from, const char* to) {
  struct ns_op op;
  if (!ns_begin(&op, AT_FDCWD, from, AT_FDCWD, to)) return real.rename(from, to);
  return ns_end(&op, "RENAME", real.rename(from, to));
}

int renameat(int fromfd, const char* from, int tofd, const char* to) {
  struct ns_op op;
  if (!ns_begin(&op, fromfd, from, tofd, to)) return real.renameat(fromfd, from, tofd, to);
  return ns_end(&op, "RENAME", real.renameat(fromfd, from, tofd, to));
}

int renameat2(int fromfd, const char* from, int tofd, const char* to, unsigned int flags) {
  struct ns_op op;
  if (!ns_begin(&op, fromfd, from, tofd, to)) {
    return real.renameat2(fromfd, from, tofd, to, flags);
  }
  /* RENAME_EXCHANGE (2) swaps two names, which the checker does not model. */
  const char* name = (flags & 2) ? "UNSUPPORTED\trenameat2(RENAME_EXCHANGE)" : "RENAME";
  return ns_end(&op, name, real.renameat2(fromfd, from, tofd, to, flags));
}

int link(const char* from, const char* to) {
  struct ns_op op;
  if (!ns_begin(&op, AT_FDCWD, from, AT_FDCWD, to)) return real.link(from, to);
  return ns_end(&op, "LINK", real.link(from, to));
}

/* linkat naming a descriptor's inode — "/proc/self/fd/N" with AT_SYMLINK_FOLLOW, or "" with
 * AT_EMPTY_PATH, as an O_TMPFILE file is published — is LINKINO; from one path to another, LINK. */
int linkat(int fromfd, const char* from, int tofd, const char* to, int flags) {
  if (!enabled()) return real.linkat(fromfd, from, tofd, to, flags);
  int src = -1;
  if ((flags & AT_EMPTY_PATH) && from[0] == '\0') {
    src = fromfd;
  } else if (!(flags & AT_SYMLINK_FOLLOW) || sscanf(from, "/proc/self/fd/%d", &src) != 1) {
    src = -1;
  }
  if (src < 0) {
    struct ns_op op;
    ns_begin(&op, fromfd, from, tofd, to);
    return ns_end(&op, "LINK", real.linkat(fromfd, from, tofd, to, flags));
  }
  pthread_mutex_lock(&mu);
  char dst[PATH_MAX];
  abs_path(tofd, to, dst, sizeof dst);
  struct stat st;
  const int regular = regular_stat(src, &st);
  const int rc = real.linkat(fromfd, from, tofd, to, flags);
  const int err = errno;
  if (rc == 0 && regular) {
    journal("LINKINO\t%lu:%lu\t%s", (unsigned long)st.st_dev, (unsigned long)st.st_ino, dst);
  } else if (rc == 0) {
    journal("UNSUPPORTED\tlinkat(non-regular)\t%s", dst);
  }
  pthread_mutex_unlock(&mu);
  errno = err;
  return rc;
}

int unlink(const char* path) {
  struct ns_op op;
  if (!ns_begin(&op, AT_FDCWD, path, AT_FDCWD, NULL)) return real.unlink(path);
  return ns_end(&op, "UNLINK", real.unlink(path));
}

int rmdir(const char* path) {
  struct ns_op op;
  if (!ns_begin(&op, AT_FDCWD, path, AT_FDCWD, NULL)) return real.rmdir(path);
  return ns_end(&op, "RMDIR", real.rmdir(path));
}

int unlinkat(int dirfd, const char* path, int flags) {
  struct ns_op op;
  if (!ns_begin(&op, dirfd, path, AT_FDCWD, NULL)) return real.unlinkat(dirfd, path, flags);
  return ns_end(&op, (flags & AT_REMOVEDIR) ? "RMDIR" : "UNLINK",
                real.unlinkat(dirfd, path, flags));
}

int remove(const char* path) {
  struct ns_op op;
  if (!ns_begin(&op, AT_FDCWD, path, AT_FDCWD, NULL)) return real.remove(path);
  /* remove(3) is unlink or rmdir: which one, only what the name is now can tell. */
  struct stat st;
  const int is_dir = lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
  return ns_end(&op, is_dir ? "RMDIR" : "UNLINK", real.remove(path));
}

int mkdir(const char* path, mode_t mode) {
  struct ns_op op;
  if (!ns_begin(&op, AT_FDCWD, path, AT_FDCWD, NULL)) return real.mkdir(path, mode);
  return ns_end(&op, "MKDIR", real.mkdir(path, mode));
}

int mkdirat(int dirfd, const char* path, mode_t mode) {
  struct ns_op op;
  if (!ns_begin(&op, dirfd, path, AT_FDCWD, NULL)) return real.mkdirat(dirfd, path, mode);
  return ns_end(&op, "MKDIR", real.mkdirat(dirfd, path, mode));
}

/* ---- size changes --------------------------------------------------------------------- */

int ftruncate(int fd, off_t length) {
  if (!enabled() || !is_regular_fd(fd)) return real.ftruncate(fd, length);
  pthread_mutex_lock(&mu);
  const int rc = real.ftruncate(fd, length);
  const int err = errno;
  struct stat st;
  if (rc == 0 && regular_stat(fd, &st)) {
    char path[PATH_MAX];
    fd_path(fd, path, sizeof path);
    journal("TRUNCATE\t%lu:%lu\t%lld\t%s", (unsigned long)st.st_dev, (unsigned long)st.st_ino,
            (long long)length, path);
  }
  pthread_mutex_unlock(&mu);
  errno = err;
  return rc;
}

int truncate(const char* path, off_t length) {
  if (!enabled()) return real.truncate(path, length);
  pthread_mutex_lock(&mu);
  const int rc = real.truncate(path, length);
  const int err = errno;
  struct stat st;
  if (rc == 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
    char abs[PATH_MAX];
    abs_path(AT_FDCWD, path, abs, sizeof abs);
    journal("TRUNCATE\t%lu:%lu\t%lld\t%s", (unsigned long)st.st_dev, (unsigned long)st.st_ino,
            (long long)length, abs);
  }
  pthread_mutex_unlock(&mu);
  errno = err;
  return rc;
}

int ftruncate64(int fd, off_t length) { return ftruncate(fd, length); }

int truncate64(const char* path, off_t length) { return truncate(path, length); }

/* ---- calls the checker cannot model ----------------------------------------------------- */

ssize_t sendfile(int out_fd, int in_fd, off_t* offset, size_t count) {
  const ssize_t n = (pthread_once(&once, init), real.sendfile(out_fd, in_fd, offset, count));
  const int err = errno;
  if (n > 0 && journal_fd >= 0 && is_regular_fd(out_fd)) {
    char path[PATH_MAX];
    fd_path(out_fd, path, sizeof path);
    pthread_mutex_lock(&mu);
    journal("UNSUPPORTED\tsendfile\t%s", path);
    pthread_mutex_unlock(&mu);
  }
  errno = err;
  return n;
}
