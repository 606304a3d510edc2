// Streams a ByteSource through worker threads in blocks of complete records.
//
// One producer (the calling thread) reads large blocks into a small pool of reused
// buffers — page faults and syscalls are expensive, so nothing is mapped and nothing is
// reallocated in steady state — cuts each at the last record boundary its splitter
// finds, and queues it; each consumer runs on its own thread with its own state and
// never shares it. Memory is bounded by (2 × consumers + 1) × block size, growing only
// for a record longer than a block, up to max_record_bytes.
#pragma once

#include <arrow/status.h>

#include <cstdint>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "latebind/common/byte_source.h"
#include "latebind/profiler/record_splitter.h"

namespace latebind::profiler {

// simdjson reads up to this many bytes past a document; every block buffer has them.
inline constexpr size_t kBlockPadding = 64;

// A block's memory: 2 MiB aligned and advised as transparent huge pages, since a fresh
// 4 KiB page costs ~12 µs to fault in on our VMs (6,000 faults were 20 % of a run).
// Not zero-filled. Move-only.
class BlockBuffer {
 public:
  BlockBuffer() = default;
  // Grows to at least `bytes`, keeping the first `keep` bytes.
  void Reserve(size_t bytes, size_t keep);
  char* data() const { return data_.get(); }
  size_t size() const { return size_; }

 private:
  struct Free {
    void operator()(char* p) const { std::free(p); }
  };
  std::unique_ptr<char, Free> data_;
  size_t size_ = 0;
};

struct Block {
  uint64_t index = 0;              // 0, 1, 2, ... in stream order
  uint64_t offset = 0;             // of data()[0] in the (decompressed) stream
  size_t size = 0;                 // bytes of complete records
  std::vector<RecordSpan> spans;   // JSON mode: the records of the block
  uint64_t newlines = UINT64_MAX;  // '\n' count, when the splitter counted them
  BlockBuffer buffer;              // capacity + kBlockPadding bytes, reused
  const char* data() const { return buffer.data(); }
};

// Per-thread worker. Consume is called for blocks in increasing index order (not
// consecutive: other threads take the others).
class BlockConsumer {
 public:
  virtual ~BlockConsumer() = default;
  // Returns the number of '\n' bytes in the block, for line numbering.
  virtual uint64_t Consume(const Block& block) = 0;
};

struct PipelineOptions {
  // Bytes read per block. Default 2 MiB less a page, so a block and its padding fill one
  // huge page: large enough to amortise syscalls and thread hand-offs, small enough that
  // the last block — which one thread finishes alone — is short.
  size_t block_bytes = (2 << 20) - 4096;
  // A record longer than this stops the stream with kTooLarge (default 256 MiB).
  size_t max_record_bytes = 256 << 20;
  // Expected stream size when known (0: unknown). Small payloads then get small buffers
  // instead of full blocks, which matters when many small payloads are profiled.
  uint64_t size_hint = 0;
  // Called by the producer after each block with raw bytes read and total; may be empty.
  std::function<void(uint64_t done, uint64_t total)> progress;
};

struct PipelineResult {
  uint64_t bytes = 0;                    // stream bytes consumed
  std::vector<uint64_t> block_newlines;  // per block index
  // OK, or why the stream stopped early (corrupt gzip, record too long, I/O error).
  // Every complete record before the stop was consumed; a partial one is dropped.
  arrow::Status stop;
};

// Feeds `prefix` (bytes already read from the source, e.g. for sniffing) and then the
// rest of `source` to `consumers`, one thread each. Returns when every block is consumed.
PipelineResult RunBlockPipeline(ByteSource* source, std::string_view prefix,
                                RecordSplitter* splitter,
                                const std::vector<BlockConsumer*>& consumers,
                                const PipelineOptions& options);

// The 1-based line number of `line_in_block` of block `index`, given every block's count.
class LineIndex {
 public:
  explicit LineIndex(const std::vector<uint64_t>& block_newlines);
  uint64_t Line(uint64_t block_index, uint64_t line_in_block) const;

 private:
  std::vector<uint64_t> first_line_;  // 0-based line at each block's start
};

}  // namespace latebind::profiler
