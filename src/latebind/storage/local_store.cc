#include "latebind/storage/local_store.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "latebind/common/durability.h"
#include "latebind/common/status.h"
#include "latebind/common/unique_fd.h"

namespace latebind::storage {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kTempPrefix = ".tmp-";
// Above this many files a batch flushes with one syncfs(2) instead of one fsync each.
constexpr size_t kSyncfsThreshold = 8;

arrow::Status IoError(const std::string& what, const std::string& path, int err) {
  const ErrorKind kind = err == ENOENT ? ErrorKind::kNotFound : ErrorKind::kUnavailable;
  return MakeError(kind, fmt::format("{} {}: {}", what, path, std::strerror(err)));
}

arrow::Status WriteAll(int fd, std::string_view bytes, const std::string& path) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError("cannot write", path, errno);
    }
    done += static_cast<size_t>(n);
  }
  return arrow::Status::OK();
}

arrow::Status FsyncPath(const std::string& path, bool directory) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | (directory ? O_DIRECTORY : 0)));
  if (fd.get() < 0) return IoError("cannot open for fsync", path, errno);
  if (SyncFile(fd.get()) != 0) return IoError("cannot fsync", path, errno);
  return arrow::Status::OK();
}

// mkdir -p; each directory it creates adds its parent to `dirty` (its entry must be synced).
arrow::Status MakeDirs(const std::string& dir, std::set<std::string>* dirty) {
  struct stat st;
  if (::stat(dir.c_str(), &st) == 0) return arrow::Status::OK();
  const std::string parent = fs::path(dir).parent_path().string();
  if (!parent.empty() && parent != dir) ARROW_RETURN_NOT_OK(MakeDirs(parent, dirty));
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return IoError("cannot create directory", dir, errno);
  }
  dirty->insert(parent.empty() ? "." : parent);  // a relative home: its parent is the cwd
  return arrow::Status::OK();
}

// One object of a batch on its way to its final name: a named temporary, or (temp empty)
// an unnamed O_TMPFILE file.
struct Pending {
  std::string temp;
  std::string target;
  UniqueFd fd;
};

// When process `pid` started, in clock ticks since boot (field 22 of /proc/<pid>/stat), or
// "" when it does not run. With the pid, it names one process: pids are reused, start times
// of one pid are not.
std::string ProcessStart(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/stat", pid));
  std::string stat;
  if (!std::getline(in, stat)) return "";
  const size_t comm_end = stat.rfind(')');  // the command may hold spaces and parentheses
  if (comm_end == std::string::npos) return "";
  std::istringstream fields(stat.substr(comm_end + 1));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i) {
    if (i == 22) return field;
  }
  return "";
}

// ".tmp-<file>-<pid>_<start>-<n>": the writer's pid and start time (ADR-118), then a count.
std::string TempPathFor(const std::string& target) {
  static std::atomic<uint64_t> counter{0};
  static const std::string self = fmt::format("{}_{}", ::getpid(), ProcessStart(::getpid()));
  const fs::path p(target);
  return (p.parent_path() /
          fmt::format("{}{}-{}-{}", kTempPrefix, p.filename().string(), self, counter.fetch_add(1)))
      .string();
}

// Whether objects are written as unnamed O_TMPFILE files, linked to their name when whole
// (ADR-038): false once the filesystem refused one, or without /proc to link through.
std::atomic<bool> unnamed_files{::access("/proc/self/fd", X_OK) == 0};

// An unnamed file in `dir`, or -1 with errno set. A filesystem without O_TMPFILE turns
// unnamed files off (and answers -1 with errno EOPNOTSUPP) for the named-temporary path.
int OpenUnnamed(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
    unnamed_files = false;
    errno = EOPNOTSUPP;
  }
  return fd;
}

// Gives the unnamed file `fd` the name `target`. linkat does not replace a name, so an
// existing object is replaced through a temporary name and rename(2).
int LinkUnnamed(int fd, const std::string& target) {
  const std::string self = fmt::format("/proc/self/fd/{}", fd);
  if (::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, target.c_str(), AT_SYMLINK_FOLLOW) == 0) {
    return 0;
  }
  if (errno != EEXIST) return -1;
  const std::string temp = TempPathFor(target);
  if (::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, temp.c_str(), AT_SYMLINK_FOLLOW) != 0) return -1;
  if (::rename(temp.c_str(), target.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    errno = err;
    return -1;
  }
  return 0;
}

// Whether the process that made temporary `name` (".tmp-<file>-<pid>_<start>-<n>") still
// runs: another command sharing the store (serve while the CLI promotes) is mid-write there.
// Its pid and start time name it whatever its executable is called; a pid now taken by
// another process (pids are reused) does not count. A temporary named by a release before
// ADR-118 (".tmp-<file>-<pid>-<n>") counts while a process named latebind* has its pid.
bool WriterAlive(const std::string& name) {
  const size_t last = name.rfind('-');
  const size_t before =
      last == std::string::npos || last == 0 ? std::string::npos : name.rfind('-', last - 1);
  if (before == std::string::npos) return false;
  const std::string_view writer(name.data() + before + 1, last - before - 1);
  const size_t underscore = writer.find('_');
  const std::string_view pid_text = writer.substr(0, underscore);
  pid_t pid = 0;
  const char* end = pid_text.data() + pid_text.size();
  if (std::from_chars(pid_text.data(), end, pid).ptr != end || pid <= 0 || pid == ::getpid()) {
    return false;
  }
  if (underscore != std::string_view::npos) {
    const std::string start = ProcessStart(pid);
    return !start.empty() && start == writer.substr(underscore + 1);
  }
  std::ifstream comm(fmt::format("/proc/{}/comm", pid));
  std::string command;
  return std::getline(comm, command) && command.starts_with("latebind");
}

void RemoveTemps(std::vector<Pending>* pending) {
  for (Pending& p : *pending) {
    if (!p.temp.empty()) ::unlink(p.temp.c_str());  // best effort: Open sweeps leftovers
  }
}

// For calls where a missing file or directory is a storage failure, not an object the caller
// named and may treat as absent (a writer's temporary or folder removed under it).
arrow::Status AsUnavailable(arrow::Status st) {
  if (st.ok() || KindOf(st) != ErrorKind::kNotFound) return st;
  return MakeError(ErrorKind::kUnavailable, st.message());
}

std::string ParentOf(const std::string& path) { return fs::path(path).parent_path().string(); }

// Whether `path` is an object (a regular file); a directory or nothing is not.
arrow::Result<bool> IsObjectFile(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) == 0) return S_ISREG(st.st_mode);
  if (errno == ENOENT || errno == ENOTDIR) return false;
  return IoError("cannot stat", path, errno);
}

// Parquet issues many small writes; one write(2) per MiB keeps the syscalls off the profile.
constexpr size_t kWriterBufferBytes = 1 << 20;
// A writer asks the kernel to start writing its bytes back every this many bytes, so that
// the fdatasync at Commit finds most of a large object already on disk instead of all of
// it: for promotion's Parquet files, written in one burst when a row group closes, that
// was ~30 ms of waiting after the last byte.
constexpr int64_t kWritebackBytes = 4 << 20;

// An ObjectWriter into a temporary file beside the target (see LocalStore).
class LocalWriter : public ObjectWriter {
 public:
  LocalWriter(std::string target, std::string temp, UniqueFd fd)
      : target_(std::move(target)), temp_(std::move(temp)), fd_(std::move(fd)) {
    buffer_.reserve(kWriterBufferBytes);
  }
  ~LocalWriter() override { Discard(); }

  using ObjectWriter::Write;
  arrow::Status Write(const void* data, int64_t nbytes) override {
    ARROW_RETURN_NOT_OK(CheckWritable());
    const std::string_view bytes(static_cast<const char*>(data), static_cast<size_t>(nbytes));
    if (buffer_.size() + bytes.size() > kWriterBufferBytes) ARROW_RETURN_NOT_OK(FlushBuffer());
    if (bytes.size() >= kWriterBufferBytes) {
      ARROW_RETURN_NOT_OK(Sticky(WriteAll(fd_.get(), bytes, target_)));
      Written(bytes.size());
    } else {
      buffer_.append(bytes);
    }
    position_ += nbytes;
    return arrow::Status::OK();
  }
  arrow::Status Flush() override {
    ARROW_RETURN_NOT_OK(CheckWritable());
    return FlushBuffer();
  }
  arrow::Result<int64_t> Tell() const override {
    if (closed_) return Closed();
    return position_;
  }
  bool closed() const override { return closed_; }
  arrow::Status Close() override {
    Discard();
    return arrow::Status::OK();
  }
  arrow::Status Commit() override {
    ARROW_RETURN_NOT_OK(CheckWritable());
    arrow::Status st = Publish();
    Discard();  // after a successful rename there is no temporary left to remove
    return st;
  }

 private:
  arrow::Status Publish() {
    ARROW_RETURN_NOT_OK(FlushBuffer());
    // The bytes to stable storage before the name points at them: a crash after the rename
    // must not leave the key over a hole.
    if (SyncData(fd_.get()) != 0) return Failed("cannot fdatasync", errno);
    if (fd_.Close() != 0) return Failed("cannot close", errno);
    if (::rename(temp_.c_str(), target_.c_str()) != 0) return Failed("cannot rename into", errno);
    temp_.clear();
    // Without this a crash can lose the new name although the bytes survived.
    return AsUnavailable(FsyncPath(ParentOf(target_), true));
  }

  arrow::Status FlushBuffer() {
    if (buffer_.empty()) return arrow::Status::OK();
    ARROW_RETURN_NOT_OK(Sticky(WriteAll(fd_.get(), buffer_, target_)));
    Written(buffer_.size());
    buffer_.clear();
    return arrow::Status::OK();
  }

  // Starts, without waiting for it, the writeback of what was written since the last
  // start. Only an early start: durability still comes from Publish's fdatasync, and a
  // failure here shows there.
  void Written(size_t n) {
    in_file_ += static_cast<int64_t>(n);
    if (in_file_ - writeback_from_ < kWritebackBytes) return;
    ::sync_file_range(fd_.get(), writeback_from_, in_file_ - writeback_from_,
                      SYNC_FILE_RANGE_WRITE);
    writeback_from_ = in_file_;
  }

  // A failed write leaves an unknown part of the bytes in the file: never publish it.
  arrow::Status Sticky(arrow::Status st) {
    if (!st.ok()) failed_ = AsUnavailable(std::move(st));
    return failed_;
  }

  arrow::Status Failed(const char* what, int err) const {
    return AsUnavailable(IoError(what, target_, err));
  }

  arrow::Status CheckWritable() const { return closed_ ? Closed() : failed_; }

  arrow::Status Closed() const {
    return MakeError(ErrorKind::kInternal, fmt::format("writer for {} is closed", target_));
  }

  void Discard() {
    closed_ = true;
    std::string().swap(buffer_);
    fd_.Close();
    if (!temp_.empty()) ::unlink(temp_.c_str());  // best effort: Open sweeps leftovers
    temp_.clear();
  }

  std::string target_;
  std::string temp_;  // empty once renamed or removed
  UniqueFd fd_;
  std::string buffer_;
  int64_t position_ = 0;
  int64_t in_file_ = 0;         // bytes written to fd_
  int64_t writeback_from_ = 0;  // where the writeback not yet started begins
  bool closed_ = false;
  arrow::Status failed_;
};

}  // namespace

arrow::Result<std::unique_ptr<LocalStore>> LocalStore::Open(const std::string& root) {
  std::set<std::string> dirty;
  ARROW_RETURN_NOT_OK(MakeDirs(root, &dirty));
  // A root created here is a new name in its parent: sync it, or a power cut can take the
  // whole store with it although every object in it was flushed (found by ADR-022's test).
  for (const std::string& dir : dirty) ARROW_RETURN_NOT_OK(FsyncPath(dir, true));
  // Temporaries of a process that died are left by a crash mid-write; none of them was
  // acknowledged. Those of a live process (another command on the same home) are its work.
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (it->is_regular_file(ec) && name.starts_with(kTempPrefix) && !WriterAlive(name)) {
      fs::remove(it->path(), ec);
    }
  }
  if (ec) {
    return MakeError(ErrorKind::kUnavailable,
                     fmt::format("cannot scan {}: {}", root, ec.message()));
  }
  return std::unique_ptr<LocalStore>(new LocalStore(root));
}

std::string LocalStore::PathOf(std::string_view key) const {
  return root_ + "/" + std::string(key);
}

arrow::Status LocalStore::EnsureDurableDir(const std::string& dir) {
  // One lock across mkdir and the parent's flush: a directory another committer thread has
  // just created must not take an acknowledged object before its own name is durable (found
  // by ADR-022's power-loss test). Directories an earlier process left are flushed once too:
  // it may have died between its mkdir and its flush.
  std::lock_guard lock(dirs_mu_);
  std::vector<std::string> missing;  // deepest first
  for (std::string d = dir; d.size() > root_.size() && !durable_dirs_.count(d);
       d = fs::path(d).parent_path().string()) {
    missing.push_back(d);
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (::mkdir(it->c_str(), 0755) != 0 && errno != EEXIST) {
      return IoError("cannot create directory", *it, errno);
    }
    ARROW_RETURN_NOT_OK(FsyncPath(fs::path(*it).parent_path().string(), true));
    durable_dirs_.insert(*it);
  }
  return arrow::Status::OK();
}

arrow::Status LocalStore::Put(std::string_view key, std::string_view bytes) {
  return PutBatch({PutItem{std::string(key), bytes}});
}

arrow::Status LocalStore::PutBatch(const std::vector<PutItem>& items) {
  return PutObjects(items, /*durable=*/true);
}

arrow::Status LocalStore::PutBatchDeferred(const std::vector<PutItem>& items) {
  return PutObjects(items, /*durable=*/false);
}

arrow::Status LocalStore::Sync() {
  UniqueFd root(::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (root.get() < 0 || SyncFilesystem(root.get()) != 0) {
    return IoError("cannot syncfs", root_, errno);
  }
  return arrow::Status::OK();
}

arrow::Status LocalStore::PutObjects(const std::vector<PutItem>& items, bool durable) {
  for (const PutItem& item : items) ARROW_RETURN_NOT_OK(ValidateKey(item.key));
  std::set<std::string> dirty_dirs;
  std::vector<Pending> pending;
  pending.reserve(items.size());
  // Past the keys' checks every failure is the storage's (a temporary or folder removed
  // under the writer included): kUnavailable, a 503 at the gate, never a 404.
  auto fail = [&](arrow::Status st) {
    RemoveTemps(&pending);
    return AsUnavailable(st);
  };
  // 1. Every object into a temporary beside its target — deferred, an unnamed file in its
  //    target's directory (ADR-038): only a later syncfs, not a file's own flush before its
  //    link, is sure to write the link count and orphan-list change that linkat makes.
  for (const PutItem& item : items) {
    Pending p;
    p.target = PathOf(item.key);
    const std::string dir = fs::path(p.target).parent_path().string();
    if (auto st = EnsureDurableDir(dir); !st.ok()) return fail(st);
    if (!durable && unnamed_files) {
      p.fd = UniqueFd(OpenUnnamed(dir));
      if (p.fd.get() < 0 && errno != EOPNOTSUPP) {
        return fail(IoError("cannot create", p.target, errno));
      }
    }
    if (p.fd.get() < 0) {
      p.temp = TempPathFor(p.target);
      p.fd = UniqueFd(::open(p.temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    }
    if (p.fd.get() < 0) {
      const int err = errno;
      p.temp.clear();
      return fail(IoError("cannot create", p.target, err));
    }
    pending.push_back(std::move(p));
    if (auto st = WriteAll(pending.back().fd.get(), item.bytes, pending.back().target); !st.ok()) {
      return fail(st);
    }
    // Deferred: start the file's writeback now, without waiting for it (ADR-045). Left to
    // the later Sync, a whole log segment's files were written in one burst that stalled
    // the log's own fdatasyncs for up to a second.
    if (!durable) ::sync_file_range(pending.back().fd.get(), 0, 0, SYNC_FILE_RANGE_WRITE);
    dirty_dirs.insert(dir);
  }
  // 2. The bytes to stable storage before any name points at them: a crash after the
  //    rename must not leave a final name over a hole. (Deferred: a later Sync does it,
  //    and until then the caller holds the bytes.)
  if (durable && pending.size() > kSyncfsThreshold) {
    if (SyncFilesystem(pending.front().fd.get()) != 0)
      return fail(IoError("cannot syncfs", root_, errno));
  } else if (durable) {
    for (Pending& p : pending) {
      if (SyncData(p.fd.get()) != 0) return fail(IoError("cannot fdatasync", p.target, errno));
    }
  }
  // 3. Atomic switch to the final names: a link of the whole unnamed file, or a rename of
  //    the temporary.
  for (Pending& p : pending) {
    if (p.temp.empty()) {
      if (LinkUnnamed(p.fd.get(), p.target) != 0) {
        return fail(IoError("cannot link into", p.target, errno));
      }
      if (p.fd.Close() != 0) return fail(IoError("cannot close", p.target, errno));
      continue;
    }
    if (p.fd.Close() != 0) return fail(IoError("cannot close", p.target, errno));
    if (::rename(p.temp.c_str(), p.target.c_str()) != 0) {
      return fail(IoError("cannot rename into", p.target, errno));
    }
    p.temp.clear();
  }
  // 4. The names themselves: sync each directory that gained an entry. Without this a
  //    crash can lose the new name although the bytes survived.
  if (!durable) return arrow::Status::OK();
  if (dirty_dirs.size() > kSyncfsThreshold) {
    UniqueFd root(::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (root.get() < 0 || SyncFilesystem(root.get()) != 0)
      return IoError("cannot syncfs", root_, errno);
    return arrow::Status::OK();
  }
  for (const std::string& dir : dirty_dirs) ARROW_RETURN_NOT_OK(FsyncPath(dir, true));
  return arrow::Status::OK();
}

arrow::Result<std::string> LocalStore::Get(std::string_view key) {
  ARROW_RETURN_NOT_OK(ValidateKey(key));
  const std::string path = PathOf(key);
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return IoError("cannot open", path, errno);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return IoError("cannot stat", path, errno);
  if (S_ISDIR(st.st_mode)) return IoError("cannot read", path, ENOENT);
  std::string out(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::read(fd.get(), out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return IoError("cannot read", path, errno);
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  out.resize(done);
  return out;
}

arrow::Result<std::unique_ptr<ByteSource>> LocalStore::OpenDecoded(std::string_view key,
                                                                   ByteSourceOptions options) {
  ARROW_RETURN_NOT_OK(ValidateKey(key));
  return OpenFileSource(PathOf(key), options);
}

arrow::Result<std::vector<ObjectInfo>> LocalStore::List(std::string_view prefix) {
  // Walk only below the deepest directory the prefix names.
  const size_t slash = prefix.rfind('/');
  const std::string base =
      slash == std::string_view::npos ? root_ : root_ + "/" + std::string(prefix.substr(0, slash));
  std::vector<ObjectInfo> out;
  std::error_code ec;
  if (!fs::is_directory(base, ec)) return out;
  for (auto it = fs::recursive_directory_iterator(base, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    if (it->path().filename().string().starts_with(kTempPrefix)) continue;
    std::string key = fs::relative(it->path(), root_, ec).generic_string();
    if (!key.starts_with(prefix)) continue;
    out.push_back(ObjectInfo{std::move(key), static_cast<uint64_t>(it->file_size(ec))});
  }
  if (ec) {
    return MakeError(ErrorKind::kUnavailable,
                     fmt::format("cannot list {}: {}", base, ec.message()));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
  return out;
}

arrow::Status LocalStore::Delete(std::string_view key) {
  ARROW_RETURN_NOT_OK(ValidateKey(key));
  const std::string path = PathOf(key);
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT) return arrow::Status::OK();
    return IoError("cannot delete", path, errno);
  }
  return FsyncPath(fs::path(path).parent_path().string(), true);
}

arrow::Result<std::unique_ptr<ObjectWriter>> LocalStore::OpenWriter(std::string_view key) {
  ARROW_RETURN_NOT_OK(ValidateKey(key));
  std::string target = PathOf(key);
  ARROW_RETURN_NOT_OK(AsUnavailable(EnsureDurableDir(ParentOf(target))));
  std::string temp = TempPathFor(target);
  UniqueFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (fd.get() < 0) {
    const int err = errno;
    return AsUnavailable(IoError("cannot create", target, err));
  }
  return std::make_unique<LocalWriter>(std::move(target), std::move(temp), std::move(fd));
}

arrow::Status LocalStore::Move(std::string_view from, std::string_view to) {
  ARROW_RETURN_NOT_OK(ValidateKey(from));
  ARROW_RETURN_NOT_OK(ValidateKey(to));
  const std::string source = PathOf(from);
  const std::string target = PathOf(to);
  const std::string source_dir = ParentOf(source);
  const std::string target_dir = ParentOf(target);
  ARROW_ASSIGN_OR_RAISE(const bool source_exists, IsObjectFile(source));
  if (!source_exists) {
    ARROW_ASSIGN_OR_RAISE(const bool target_exists, IsObjectFile(target));
    if (!target_exists) {
      return MakeError(ErrorKind::kNotFound, fmt::format("cannot move {}: no such object", from));
    }
    // A repeat: the earlier call may have renamed without flushing (a crash of the process,
    // not of the machine), so flush now what it would have. A source folder removed since
    // has nothing left to flush.
    ARROW_RETURN_NOT_OK(AsUnavailable(FsyncPath(target_dir, true)));
    if (source_dir == target_dir) return arrow::Status::OK();
    const arrow::Status st = FsyncPath(source_dir, true);
    return KindOf(st) == ErrorKind::kNotFound ? arrow::Status::OK() : st;
  }
  ARROW_RETURN_NOT_OK(AsUnavailable(EnsureDurableDir(target_dir)));
  if (::rename(source.c_str(), target.c_str()) != 0) {
    const int err = errno;
    return AsUnavailable(IoError(fmt::format("cannot move {} to", source), target, err));
  }
  // The new name first: should the source's flush be lost, a crash leaves the object under
  // both names, which a repeated Move settles, never under none.
  ARROW_RETURN_NOT_OK(AsUnavailable(FsyncPath(target_dir, true)));
  if (source_dir == target_dir) return arrow::Status::OK();
  return AsUnavailable(FsyncPath(source_dir, true));
}

arrow::Status LocalStore::DeletePrefix(std::string_view prefix) {
  ARROW_RETURN_NOT_OK(ValidateFolder(prefix));
  const std::string folder = PathOf(prefix.substr(0, prefix.size() - 1));
  struct stat st;
  if (::lstat(folder.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return arrow::Status::OK();
    return IoError("cannot stat", folder, errno);
  }
  if (!S_ISDIR(st.st_mode)) return arrow::Status::OK();  // an object, not under the folder
  // 1. Collect first, then delete: no directory changes under a running iterator.
  std::vector<std::string> files;
  std::vector<std::string> dirs;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(folder, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    const bool is_dir = it->symlink_status(ec).type() == fs::file_type::directory;
    (is_dir ? dirs : files).push_back(it->path().string());
  }
  if (ec) {
    return MakeError(ErrorKind::kUnavailable,
                     fmt::format("cannot scan {}: {}", folder, ec.message()));
  }
  // 2. Every file: objects, and temporaries of writers or crashed Puts.
  for (const std::string& file : files) {
    if (::unlink(file.c_str()) != 0 && errno != ENOENT) {
      return IoError("cannot delete", file, errno);
    }
  }
  // 3. The folders, each after its children (a child's path sorts after its parent's), and
  //    the folder itself last; its parent stays.
  std::sort(dirs.rbegin(), dirs.rend());
  dirs.push_back(folder);
  {
    // Forgotten as durable before they go, under the lock EnsureDurableDir takes: a later
    // Put into one of them must create it and flush its parent again.
    std::lock_guard lock(dirs_mu_);
    std::erase_if(durable_dirs_,
                  [&](const std::string& d) { return d == folder || d.starts_with(folder + "/"); });
    for (const std::string& dir : dirs) {
      if (::rmdir(dir.c_str()) != 0 && errno != ENOENT) {
        return IoError("cannot remove directory", dir, errno);
      }
    }
  }
  // 4. One flush, of the parent: with the folder's removal durable nothing under it can come
  //    back (a journaling filesystem commits the unlinks and rmdirs before it, in order).
  return AsUnavailable(FsyncPath(ParentOf(folder), true));
}

}  // namespace latebind::storage
