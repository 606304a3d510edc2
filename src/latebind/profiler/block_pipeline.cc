#include "latebind/profiler/block_pipeline.h"

#include <fmt/format.h>
#include <sys/mman.h>

#include <condition_variable>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <new>
#include <thread>

#include "latebind/common/status.h"

namespace latebind::profiler {
namespace {

// A closable blocking queue of blocks.
class BlockQueue {
 public:
  void Push(Block* b) {
    {
      std::lock_guard lock(mu_);
      items_.push_back(b);
    }
    cv_.notify_one();
  }
  // Returns nullptr once closed and empty.
  Block* Pop() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !items_.empty() || closed_; });
    if (items_.empty()) return nullptr;
    Block* b = items_.front();
    items_.pop_front();
    return b;
  }
  void Close() {
    {
      std::lock_guard lock(mu_);
      closed_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Block*> items_;
  bool closed_ = false;
};

void EnsureCapacity(Block* b, size_t capacity, size_t keep) {
  b->buffer.Reserve(capacity + kBlockPadding, keep);
}

constexpr size_t kHugePage = 2 << 20;

}  // namespace

void BlockBuffer::Reserve(size_t bytes, size_t keep) {
  if (bytes <= size_) return;
  // Huge pages only pay off for big buffers; small payloads get small ones.
  const bool huge = bytes >= kHugePage / 2;
  const size_t align = huge ? kHugePage : 4096;
  const size_t rounded = (bytes + align - 1) / align * align;
  char* p = static_cast<char*>(std::aligned_alloc(align, rounded));
  if (p == nullptr) throw std::bad_alloc();
  // Advice only: without THP the pages fault in one by one, slower but correct.
  if (huge) (void)::madvise(p, rounded, MADV_HUGEPAGE);
  if (keep > 0) std::memcpy(p, data_.get(), keep);
  data_.reset(p);
  size_ = rounded;
}

PipelineResult RunBlockPipeline(ByteSource* source, std::string_view prefix,
                                RecordSplitter* splitter,
                                const std::vector<BlockConsumer*>& consumers,
                                const PipelineOptions& options) {
  PipelineResult result;
  const size_t pool_size = consumers.size() * 2 + 1;
  std::vector<std::unique_ptr<Block>> pool;
  BlockQueue free_blocks;
  BlockQueue work;
  for (size_t i = 0; i < pool_size; ++i) {
    pool.push_back(std::make_unique<Block>());
    free_blocks.Push(pool.back().get());
  }
  std::mutex newlines_mu;
  auto consume = [&](BlockConsumer* consumer, Block* b) {
    const uint64_t n = consumer->Consume(*b);
    {
      std::lock_guard lock(newlines_mu);
      if (result.block_newlines.size() <= b->index) result.block_newlines.resize(b->index + 1);
      result.block_newlines[b->index] = n;
    }
    free_blocks.Push(b);
  };
  // One consumer runs on the calling thread: for a small payload, starting a thread cost
  // more than profiling it.
  const bool inline_consumer = consumers.size() == 1;
  std::vector<std::thread> threads;
  if (!inline_consumer) {
    for (BlockConsumer* consumer : consumers) {
      threads.emplace_back([&, consumer] {
        while (Block* b = work.Pop()) consume(consumer, b);
      });
    }
  }

  Block* prev = nullptr;
  size_t carry_begin = 0;
  size_t carry_len = 0;
  uint64_t index = 0;
  bool eof = false;
  while (!eof) {
    Block* b = free_blocks.Pop();
    size_t block_bytes = options.block_bytes;
    if (options.size_hint > 0) block_bytes = std::min<uint64_t>(block_bytes, options.size_hint + 1);
    size_t capacity = std::max(block_bytes, carry_len * 2);
    EnsureCapacity(b, capacity, b == prev ? carry_begin + carry_len : 0);
    char* buf = b->buffer.data();
    if (prev) std::memmove(buf, prev->buffer.data() + carry_begin, carry_len);
    size_t fill = carry_len;
    if (index == 0 && !prefix.empty()) {
      EnsureCapacity(b, std::max(capacity, prefix.size()), 0);
      buf = b->buffer.data();
      std::memcpy(buf, prefix.data(), prefix.size());
      fill = prefix.size();
      capacity = std::max(capacity, prefix.size());
    }
    b->spans.clear();
    b->newlines = UINT64_MAX;
    size_t cut = 0;
    for (;;) {
      while (fill < capacity && !eof) {
        arrow::Result<size_t> n =
            source->Read(reinterpret_cast<uint8_t*>(buf + fill), capacity - fill);
        if (!n.ok()) {
          result.stop = n.status();
          eof = true;  // process the complete records read so far, then stop
          break;
        }
        if (*n == 0) eof = true;
        fill += *n;
      }
      if (options.progress) options.progress(source->raw_bytes_read(), source->raw_size());
      b->spans.clear();
      uint64_t newlines = UINT64_MAX;
      // After a stop the bytes past the last record boundary are a record cut short: the
      // stop is its error, it is not parsed into a second, misleading one.
      cut = splitter->Cut(buf, fill, eof && result.stop.ok(), &b->spans, &newlines);
      b->newlines = newlines;
      if (cut > 0 || eof) break;
      if (capacity >= options.max_record_bytes) {
        result.stop = MakeError(
            ErrorKind::kTooLarge,
            fmt::format("a record starting at byte {} is longer than {} bytes (or never ends)",
                        result.bytes, options.max_record_bytes));
        cut = 0;
        eof = true;
        break;
      }
      // A record longer than the block: grow and read on.
      capacity = std::min(capacity * 2, options.max_record_bytes);
      EnsureCapacity(b, capacity, fill);
      buf = b->buffer.data();
    }
    std::memset(buf + fill, 0, std::min<size_t>(kBlockPadding, b->buffer.size() - fill));
    b->index = index++;
    b->offset = result.bytes;
    b->size = cut;
    result.bytes += cut;
    carry_begin = cut;
    carry_len = fill - cut;
    prev = b;
    if (inline_consumer) {
      consume(consumers.front(), b);
    } else {
      work.Push(b);
    }
  }
  work.Close();
  for (auto& t : threads) t.join();
  return result;
}

LineIndex::LineIndex(const std::vector<uint64_t>& block_newlines) {
  uint64_t line = 0;
  for (uint64_t n : block_newlines) {
    first_line_.push_back(line);
    line += n;
  }
}

uint64_t LineIndex::Line(uint64_t block_index, uint64_t line_in_block) const {
  const uint64_t base = block_index < first_line_.size() ? first_line_[block_index] : 0;
  return base + line_in_block + 1;
}

}  // namespace latebind::profiler
