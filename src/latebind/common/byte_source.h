// Sequential byte sources over local files, gzip decompressed transparently.
#pragma once

#include <arrow/result.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace latebind {

// A forward-only stream of bytes. Not thread-safe: one reader at a time.
class ByteSource {
 public:
  virtual ~ByteSource() = default;

  // Reads up to `capacity` bytes into `dst`; returns how many (0 only at end of stream).
  // Errors: kUnavailable for I/O failures (naming the file), kBadInput for a corrupt or
  // truncated gzip stream (the message names the compressed byte offset), kTooLarge when
  // decompressed output passes the configured limit. The data errors do not name the
  // source: its reader knows it by a name that may change (a stored object's key moves to
  // dead-letter/), so the reader adds it where it needs one (ADR-080). After an error the
  // source must not be read again.
  virtual arrow::Result<size_t> Read(uint8_t* dst, size_t capacity) = 0;

  // True when the bytes are decompressed from gzip.
  virtual bool gzip() const = 0;

  // Bytes of the underlying file consumed so far (compressed bytes for gzip).
  virtual uint64_t raw_bytes_read() const = 0;

  // The underlying file's size, for progress reporting.
  virtual uint64_t raw_size() const = 0;
};

struct ByteSourceOptions {
  // Decompressed bytes allowed from a gzip stream before Read fails with kTooLarge.
  // Default: unlimited; ingest sets it to guard against gzip bombs.
  uint64_t max_decompressed_bytes = UINT64_MAX;
  // How the caller's user sets that limit (a flag), named in the kTooLarge error so that a
  // payload refused for its size can be recovered; empty: not named.
  std::string max_decompressed_setting;
};

// Opens `path`; gzip is recognised by its magic bytes (1f 8b), not by the extension.
// Concatenated gzip members are read as one stream (as `gzip -d` does), and zero padding
// after a member is skipped. Errors: kNotFound when the file does not exist, kUnavailable
// for other open failures, kBadInput when `path` is a directory.
arrow::Result<std::unique_ptr<ByteSource>> OpenFileSource(const std::string& path,
                                                          ByteSourceOptions options = {});

// A source over bytes in memory (not copied: `bytes` must outlive the source); gzip is
// recognised by its magic bytes as for files. Used by fuzzers and tests.
std::unique_ptr<ByteSource> OpenMemorySource(std::string_view bytes,
                                             ByteSourceOptions options = {});

}  // namespace latebind
