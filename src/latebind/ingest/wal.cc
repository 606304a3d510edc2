#include "latebind/ingest/wal.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "latebind/common/durability.h"
#include "latebind/common/file_lock.h"
#include "latebind/common/status.h"

namespace latebind::ingest {
namespace {

namespace fs = std::filesystem;

constexpr uint32_t kMagic = 0x3157424C;  // "LBW1" little-endian

arrow::Status IoError(const std::string& what, const std::string& path, int err) {
  return MakeError(ErrorKind::kUnavailable,
                   fmt::format("{} {}: {}", what, path, std::strerror(err)));
}

arrow::Status SyncDirectory(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0 || SyncFile(fd.get()) != 0) return IoError("cannot fsync", dir, errno);
  return arrow::Status::OK();
}

template <typename T>
void PutInt(std::string* out, T v) {
  out->append(reinterpret_cast<const char*>(&v), sizeof v);
}

template <typename T>
bool GetInt(const std::string& in, size_t* pos, T* v) {
  if (*pos + sizeof(T) > in.size()) return false;
  std::memcpy(v, in.data() + *pos, sizeof(T));
  *pos += sizeof(T);
  return true;
}

}  // namespace

std::string WriteAheadLog::SegmentPath(uint64_t seq) const {
  return fmt::format("{}/segment-{:016}.log", dir_, seq);
}

arrow::Result<std::unique_ptr<WriteAheadLog>> WriteAheadLog::Open(const std::string& dir,
                                                                  uint64_t segment_bytes) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec)
    return MakeError(ErrorKind::kUnavailable,
                     fmt::format("cannot create {}: {}", dir, ec.message()));
  // The log directory is a name in its parent: without this sync a power cut can lose the
  // whole log although every record in it was flushed (found by ADR-022's test). Also when
  // it existed: an earlier start may have crashed between its mkdir and a sync.
  const fs::path parent = fs::path(dir).parent_path();
  ARROW_RETURN_NOT_OK(SyncDirectory(parent.empty() ? "." : parent.string()));
  auto wal = std::unique_ptr<WriteAheadLog>(new WriteAheadLog(dir, segment_bytes));
  // A second process replaying this log would delete the segment the first appends to.
  const std::string lock_path = dir + "/LOCK";
  ARROW_ASSIGN_OR_RAISE(wal->lock_, FileLock::TryAcquire(lock_path));
  if (!wal->lock_) {
    return MakeError(ErrorKind::kUnavailable,
                     fmt::format("the write-ahead log {} is in use by another process ({})", dir,
                                 FileLock::HolderOf(lock_path)));
  }
  ARROW_RETURN_NOT_OK(wal->lock_->Describe(fmt::format("pid {}", ::getpid())));
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    uint64_t seq = 0;
    if (std::sscanf(name.c_str(), "segment-%lu.log", &seq) == 1) wal->replayable_.push_back(seq);
  }
  if (ec)
    return MakeError(ErrorKind::kUnavailable, fmt::format("cannot list {}: {}", dir, ec.message()));
  std::sort(wal->replayable_.begin(), wal->replayable_.end());
  wal->seq_ = wal->replayable_.empty() ? 0 : wal->replayable_.back();
  ARROW_RETURN_NOT_OK(wal->Rotate());  // never append after a possibly torn tail
  return wal;
}

arrow::Status WriteAheadLog::Rotate() {
  // The segment left behind is retired once its records are stored and synced.
  if (fd_.get() >= 0 && !unstored_.count(seq_)) stored_.push_back(seq_);
  ++seq_;
  const std::string path = SegmentPath(seq_);
  fd_ = UniqueFd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644));
  if (fd_.get() < 0) return IoError("cannot create", path, errno);
  written_ = 0;
  // The new name must survive a crash before anything acknowledged is in it.
  return SyncDirectory(dir_);
}

arrow::Result<uint64_t> WriteAheadLog::Append(const std::vector<storage::PutItem>& items) {
  std::string body;
  for (const auto& item : items) {
    PutInt<uint32_t>(&body, static_cast<uint32_t>(item.key.size()));
    body += item.key;
    PutInt<uint64_t>(&body, item.bytes.size());
    body.append(item.bytes);
  }
  std::string record;
  record.reserve(body.size() + 16);
  PutInt<uint32_t>(&record, kMagic);
  PutInt<uint32_t>(&record, static_cast<uint32_t>(crc32(
                                0, reinterpret_cast<const Bytef*>(body.data()), body.size())));
  PutInt<uint64_t>(&record, body.size());
  record += body;

  std::lock_guard lock(mu_);
  if (fd_.get() < 0 || (written_ > 0 && written_ + record.size() > segment_bytes_)) {
    ARROW_RETURN_NOT_OK(Rotate());
  }
  const uint64_t seq = seq_;
  size_t done = 0;
  while (done < record.size()) {
    const ssize_t n = ::write(fd_.get(), record.data() + done, record.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      // A partial record may sit at the end now: start a fresh segment for what follows.
      (void)Rotate();
      return IoError("cannot append to", SegmentPath(seq_), err);
    }
    done += static_cast<size_t>(n);
  }
  written_ += record.size();
  if (SyncData(fd_.get()) != 0) {
    const int err = errno;
    (void)Rotate();
    return IoError("cannot fdatasync", SegmentPath(seq), err);
  }
  ++unstored_[seq];
  return seq;
}

arrow::Result<std::vector<std::pair<uint64_t, std::vector<WalItem>>>> WriteAheadLog::Replay() {
  std::vector<std::pair<uint64_t, std::vector<WalItem>>> out;
  for (uint64_t seq : replayable_) {
    const std::string path = SegmentPath(seq);
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) return IoError("cannot open", path, errno);
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) return IoError("cannot stat", path, errno);
    std::string data(static_cast<size_t>(st.st_size), '\0');
    size_t got = 0;
    while (got < data.size()) {
      const ssize_t n = ::read(fd.get(), data.data() + got, data.size() - got);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      got += static_cast<size_t>(n);
    }
    data.resize(got);
    size_t pos = 0;
    while (pos < data.size()) {
      uint32_t magic = 0, crc = 0;
      uint64_t len = 0;
      size_t p = pos;
      if (!GetInt(data, &p, &magic) || !GetInt(data, &p, &crc) || !GetInt(data, &p, &len) ||
          magic != kMagic || len > data.size() - p ||
          crc32(0, reinterpret_cast<const Bytef*>(data.data() + p), len) != crc) {
        break;  // a torn tail: written by an append that never returned OK
      }
      const std::string body = data.substr(p, len);
      pos = p + len;
      std::vector<WalItem> items;
      size_t q = 0;
      while (q < body.size()) {
        uint32_t klen = 0;
        uint64_t blen = 0;
        if (!GetInt(body, &q, &klen) || klen > body.size() - q) break;
        std::string key = body.substr(q, klen);
        q += klen;
        if (!GetInt(body, &q, &blen) || blen > body.size() - q) break;
        items.push_back({std::move(key), body.substr(q, blen)});
        q += blen;
      }
      out.emplace_back(seq, std::move(items));
    }
  }
  return out;
}

void WriteAheadLog::Done(uint64_t seq) {
  std::lock_guard lock(mu_);
  auto it = unstored_.find(seq);
  if (it == unstored_.end() || --it->second > 0) return;
  unstored_.erase(it);
  if (seq != seq_) stored_.push_back(seq);
}

std::vector<uint64_t> WriteAheadLog::Retirable() {
  std::lock_guard lock(mu_);
  return stored_;
}

void WriteAheadLog::Retire(const std::vector<uint64_t>& segments) {
  std::lock_guard lock(mu_);
  for (uint64_t seq : segments) {
    // Best effort: a segment left behind is replayed (idempotently) at the next start.
    ::unlink(SegmentPath(seq).c_str());
    std::erase(stored_, seq);
  }
}

void WriteAheadLog::Seal() {
  std::lock_guard lock(mu_);
  if (fd_.get() < 0 || unstored_.count(seq_)) return;
  fd_.Close();
  stored_.push_back(seq_);
}

void WriteAheadLog::ReleaseReplayed() {
  std::lock_guard lock(mu_);
  for (uint64_t seq : replayable_) ::unlink(SegmentPath(seq).c_str());
  replayable_.clear();
}

}  // namespace latebind::ingest
