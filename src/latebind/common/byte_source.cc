#include "latebind/common/byte_source.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "latebind/common/status.h"
#include "latebind/common/unique_fd.h"

namespace latebind {
namespace {

// Reads large blocks: syscalls are expensive on our VMs (~1 µs each).
constexpr size_t kCompressedBlockBytes = 1 << 20;

arrow::Status ErrnoError(const std::string& what, const std::string& path, int err) {
  ErrorKind kind =
      (err == ENOENT || err == ENOTDIR) ? ErrorKind::kNotFound : ErrorKind::kUnavailable;
  return MakeError(kind, fmt::format("{}: {}: {}", path, what, std::strerror(err)));
}

arrow::Result<size_t> ReadFull(int fd, uint8_t* dst, size_t n, const std::string& path) {
  size_t done = 0;
  while (done < n) {
    ssize_t r = ::read(fd, dst + done, n - done);
    if (r < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("read failed", path, errno);
    }
    if (r == 0) break;
    done += static_cast<size_t>(r);
  }
  return done;
}

// Where compressed or plain bytes come from: a file descriptor or memory.
class RawInput {
 public:
  virtual ~RawInput() = default;
  virtual arrow::Result<size_t> Read(uint8_t* dst, size_t n) = 0;  // fills unless at end
  virtual uint64_t size() const = 0;
};

class FdInput : public RawInput {
 public:
  FdInput(int fd, std::string path, uint64_t size) : fd_(fd), path_(std::move(path)), size_(size) {}
  arrow::Result<size_t> Read(uint8_t* dst, size_t n) override {
    return ReadFull(fd_.get(), dst, n, path_);
  }
  uint64_t size() const override { return size_; }

 private:
  UniqueFd fd_;
  std::string path_;
  uint64_t size_;
};

class MemoryInput : public RawInput {
 public:
  explicit MemoryInput(std::string_view bytes) : bytes_(bytes) {}
  arrow::Result<size_t> Read(uint8_t* dst, size_t n) override {
    n = std::min(n, bytes_.size() - pos_);
    std::memcpy(dst, bytes_.data() + pos_, n);
    pos_ += n;
    return n;
  }
  uint64_t size() const override { return bytes_.size(); }

 private:
  std::string_view bytes_;
  size_t pos_ = 0;
};

class PlainSource : public ByteSource {
 public:
  PlainSource(std::unique_ptr<RawInput> in, std::vector<uint8_t> prefix)
      : in_(std::move(in)), prefix_(std::move(prefix)) {}

  arrow::Result<size_t> Read(uint8_t* dst, size_t capacity) override {
    size_t n = 0;
    if (prefix_pos_ < prefix_.size()) {
      n = std::min(capacity, prefix_.size() - prefix_pos_);
      std::memcpy(dst, prefix_.data() + prefix_pos_, n);
      prefix_pos_ += n;
    }
    if (n < capacity) {
      ARROW_ASSIGN_OR_RAISE(size_t r, in_->Read(dst + n, capacity - n));
      n += r;
    }
    read_ += n;
    return n;
  }
  bool gzip() const override { return false; }
  uint64_t raw_bytes_read() const override { return read_; }
  uint64_t raw_size() const override { return in_->size(); }

 private:
  std::unique_ptr<RawInput> in_;
  std::vector<uint8_t> prefix_;
  size_t prefix_pos_ = 0;
  uint64_t read_ = 0;
};

class GzipSource : public ByteSource {
 public:
  GzipSource(std::unique_ptr<RawInput> in, std::vector<uint8_t> prefix,
             const ByteSourceOptions& options)
      : in_(std::move(in)),
        buffer_(std::move(prefix)),
        max_out_(options.max_decompressed_bytes),
        max_out_setting_(options.max_decompressed_setting) {
    std::memset(&zs_, 0, sizeof(zs_));
  }
  ~GzipSource() override {
    if (initialized_) inflateEnd(&zs_);
  }

  arrow::Result<size_t> Read(uint8_t* dst, size_t capacity) override {
    if (!pending_error_.ok()) return pending_error_;
    size_t produced = 0;
    arrow::Status st = Inflate(dst, capacity, &produced);
    if (!st.ok() && produced > 0) {
      // Hand out what was inflated before the error; the error comes with the next call.
      pending_error_ = st;
      return produced;
    }
    ARROW_RETURN_NOT_OK(st);
    return produced;
  }
  bool gzip() const override { return true; }
  uint64_t raw_bytes_read() const override { return consumed_; }
  uint64_t raw_size() const override { return in_->size(); }

 private:
  arrow::Status Inflate(uint8_t* dst, size_t capacity, size_t* produced_out) {
    size_t& produced = *produced_out;
    if (!initialized_) {
      // 16 + MAX_WBITS: expect a gzip header and trailer.
      if (inflateInit2(&zs_, 16 + MAX_WBITS) != Z_OK) {
        return MakeError(ErrorKind::kInternal, "zlib inflateInit2 failed");
      }
      initialized_ = true;
      zs_.next_in = buffer_.data();
      zs_.avail_in = static_cast<uInt>(buffer_.size());
    }
    while (produced < capacity && !finished_) {
      if (zs_.avail_in == 0) {
        ARROW_RETURN_NOT_OK(Refill());
        if (zs_.avail_in == 0) {
          if (member_done_) {
            finished_ = true;
            break;
          }
          return MakeError(ErrorKind::kBadInput,
                           fmt::format("truncated gzip stream (ends at compressed byte {} "
                                       "inside a member)",
                                       consumed_));
        }
      }
      if (member_done_) {
        // Zero bytes after a member are padding (tape and block writers leave it), skipped
        // as gzip and Python's gzip skip it; anything else starts another member.
        while (zs_.avail_in > 0 && *zs_.next_in == 0) {
          ++zs_.next_in;
          --zs_.avail_in;
          ++consumed_;
        }
        if (zs_.avail_in == 0) continue;  // more padding, a member, or the end
        // Another gzip member follows (concatenated .gz files are one stream).
        if (inflateReset(&zs_) != Z_OK) return MakeError(ErrorKind::kInternal, "inflateReset");
        member_done_ = false;
      }
      zs_.next_out = dst + produced;
      zs_.avail_out = static_cast<uInt>(std::min<size_t>(capacity - produced, 1u << 30));
      const uInt avail_in_before = zs_.avail_in;
      const uInt avail_out_before = zs_.avail_out;
      const int rc = inflate(&zs_, Z_NO_FLUSH);
      consumed_ += avail_in_before - zs_.avail_in;
      produced += avail_out_before - zs_.avail_out;
      total_out_ += avail_out_before - zs_.avail_out;
      if (rc == Z_STREAM_END) {
        member_done_ = true;
      } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        return MakeError(ErrorKind::kBadInput,
                         fmt::format("corrupt gzip data near compressed byte {}: {}", consumed_,
                                     zs_.msg ? zs_.msg : "inflate failed"));
      }
      if (total_out_ > max_out_) {
        return MakeError(
            ErrorKind::kTooLarge,
            fmt::format("payload too large: its gzip stream decompresses to more than {} bytes{}",
                        max_out_,
                        max_out_setting_.empty()
                            ? ""
                            : fmt::format(" (the limit is {}; raise it to accept this payload)",
                                          max_out_setting_)));
      }
    }
    return arrow::Status::OK();
  }

  arrow::Status Refill() {
    buffer_.resize(kCompressedBlockBytes);
    ARROW_ASSIGN_OR_RAISE(size_t n, in_->Read(buffer_.data(), buffer_.size()));
    zs_.next_in = buffer_.data();
    zs_.avail_in = static_cast<uInt>(n);
    return arrow::Status::OK();
  }

  std::unique_ptr<RawInput> in_;
  std::vector<uint8_t> buffer_;
  uint64_t max_out_;
  std::string max_out_setting_;
  z_stream zs_;
  bool initialized_ = false;
  bool member_done_ = false;
  bool finished_ = false;
  arrow::Status pending_error_;
  uint64_t consumed_ = 0;
  uint64_t total_out_ = 0;
};

arrow::Result<std::unique_ptr<ByteSource>> Wrap(std::unique_ptr<RawInput> in,
                                                const ByteSourceOptions& options) {
  // Peek at the magic bytes; they are handed back through the source's prefix.
  std::vector<uint8_t> prefix(2);
  ARROW_ASSIGN_OR_RAISE(size_t n, in->Read(prefix.data(), prefix.size()));
  prefix.resize(n);
  if (n == 2 && prefix[0] == 0x1f && prefix[1] == 0x8b) {
    return std::make_unique<GzipSource>(std::move(in), std::move(prefix), options);
  }
  return std::make_unique<PlainSource>(std::move(in), std::move(prefix));
}

}  // namespace

arrow::Result<std::unique_ptr<ByteSource>> OpenFileSource(const std::string& path,
                                                          ByteSourceOptions options) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("cannot open", path, errno);
  UniqueFd guard(fd);
  struct stat st;
  if (::fstat(fd, &st) != 0) return ErrnoError("cannot stat", path, errno);
  if (S_ISDIR(st.st_mode)) {
    return MakeError(ErrorKind::kBadInput, fmt::format("{}: is a directory", path));
  }
  return Wrap(std::make_unique<FdInput>(guard.release(), path, static_cast<uint64_t>(st.st_size)),
              options);
}

std::unique_ptr<ByteSource> OpenMemorySource(std::string_view bytes, ByteSourceOptions options) {
  // Reading memory cannot fail.
  return Wrap(std::make_unique<MemoryInput>(bytes), options).ValueOrDie();
}

}  // namespace latebind
