#include "latebind/promotion/table_stager.h"

#include <arrow/array.h>
#include <arrow/util/byte_size.h>
#include <arrow/util/value_parsing.h>
#include <fmt/format.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <semaphore>
#include <thread>

#include "latebind/common/status.h"
#include "latebind/profiler/csv_sniffer.h"
#include "latebind/profiler/format_detector.h"
#include "latebind/profiler/profiler.h"
#include "latebind/profiler/record_splitter.h"
#include "latebind/promotion/column_names.h"
#include "latebind/promotion/record_binder.h"
#include "latebind/storage/zone_keys.h"

namespace latebind::promotion {
namespace {

// A work item: large enough to amortise a batch; 8 MiB was no faster and held 50 MiB more.
constexpr size_t kItemBytes = 4 << 20;
constexpr size_t kReadBytes = 4 << 20;
constexpr size_t kPadding = 64;  // simdjson reads this far past a document
// What an item's buffer holds at most unless a record is longer: a full item, one read
// more, the padding.
constexpr size_t kItemCapacity = kItemBytes + kReadBytes + kPadding;
constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

// Bytes read from raw objects. Unlike std::string it grows without zeroing what a read
// overwrites next (zeroing every byte read was ~2.5 % of promotion's instructions).
class ReadBuffer {
 public:
  char* data() { return data_.get(); }
  size_t size() const { return size_; }

  // Grows by `n` uninitialised bytes; returns where they start.
  char* Extend(size_t n) {
    if (size_ + n > capacity_) {
      // A whole item at once: doubling from the first read overshoots it, and every
      // recycled buffer would keep the pages it never uses.
      const size_t capacity = std::max({size_ + n, 2 * capacity_, kItemCapacity});
      auto grown = std::make_unique_for_overwrite<char[]>(capacity);
      std::copy_n(data_.get(), size_, grown.get());
      data_ = std::move(grown);
      capacity_ = capacity;
    }
    size_ += n;
    return data_.get() + size_ - n;
  }
  void Append(std::string_view bytes) {
    std::copy(bytes.begin(), bytes.end(), Extend(bytes.size()));
  }
  void Truncate(size_t size) { size_ = std::min(size, size_); }

 private:
  std::unique_ptr<char[]> data_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

// A run of one object's complete records inside an item's buffer.
struct Segment {
  size_t begin = 0;
  size_t end = 0;
  profiler::Format format = profiler::Format::kNdjson;
  std::shared_ptr<const profiler::CsvDialect> dialect;  // CSV only
  bool skip_header = false;
  size_t object = 0;           // index into the run's objects
  uint64_t object_offset = 0;  // of the segment's first byte in the decoded object
};

struct Item {
  uint64_t seq = 0;
  std::string date;
  ReadBuffer buffer;  // segments, then kPadding bytes
  std::vector<Segment> segments;
  uint64_t raw_bytes = 0;  // of the objects finished in this item, for progress
};

struct Bound {
  uint64_t seq = 0;
  std::string date;
  std::shared_ptr<arrow::RecordBatch> batch;
  int64_t rescued_rows = 0;
  uint64_t raw_bytes = 0;
  arrow::Status status;
};

// A queue with a capacity, closed by the producer when done or by anyone on failure.
template <typename T>
class Channel {
 public:
  explicit Channel(size_t capacity) : capacity_(capacity) {}
  bool Push(T value) {
    std::unique_lock lock(mu_);
    not_full_.wait(lock, [&] { return closed_ || items_.size() < capacity_; });
    if (closed_) return false;
    items_.push_back(std::move(value));
    not_empty_.notify_one();
    return true;
  }
  std::optional<T> Pop() {
    std::unique_lock lock(mu_);
    not_empty_.wait(lock, [&] { return closed_ || !items_.empty(); });
    if (items_.empty()) return std::nullopt;
    T value = std::move(items_.front());
    items_.pop_front();
    not_full_.notify_one();
    return value;
  }
  void Close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    not_empty_.notify_all();
    not_full_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable not_empty_, not_full_;
  std::deque<T> items_;
  size_t capacity_;
  bool closed_ = false;
};

// The object's received_at from its .meta.json, in microseconds.
arrow::Result<int64_t> IngestedAt(storage::ObjectStore* store, const std::string& key) {
  const std::string meta_key = storage::MetaKeyOf(key);
  ARROW_ASSIGN_OR_RAISE(std::string meta, store->Get(meta_key));
  const auto j = nlohmann::json::parse(meta, nullptr, /*allow_exceptions=*/false);
  const std::string at = j.is_object() ? j.value("received_at", "") : "";
  int64_t us = 0;
  static const arrow::TimestampType kMicros(arrow::TimeUnit::MICRO, "UTC");
  if (!arrow::internal::ParseValue<arrow::TimestampType>(kMicros, at.data(), at.size(), &us)) {
    return MakeError(ErrorKind::kBadInput,
                     fmt::format("{}: no valid received_at in {}", key, meta_key));
  }
  return us;
}

class Stager {
 public:
  Stager(storage::ObjectStore* store, const std::vector<RawObject>& objects,
         const StageOptions& options)
      : store_(store),
        objects_(objects),
        options_(options),
        lineages_(objects.size()),
        threads_(options.threads > 0 ? options.threads
                                     : std::max(1u, std::thread::hardware_concurrency())),
        items_(2 * threads_),
        bound_(2 * threads_) {
    in_flight_.release(4 * threads_);
  }

  arrow::Result<StagedTable> Run() {
    for (const auto& o : objects_) total_bytes_ += o.size;
    std::thread reader([this] { Read(); });
    std::vector<std::thread> workers;
    for (int i = 0; i < threads_; ++i) workers.emplace_back([this] { Bind(); });
    std::thread closer([&] {
      for (auto& w : workers) w.join();
      bound_.Close();
    });
    arrow::Status st = Write();
    if (!st.ok()) Fail(st);
    in_flight_.release(kMaxInFlight);  // a reader waiting for room after a failure
    reader.join();
    closer.join();
    {
      std::lock_guard lock(mu_);
      if (!failure_.ok()) return failure_;
    }
    ARROW_RETURN_NOT_OK(FinishAll());
    return std::move(result_);
  }

 private:
  void Fail(const arrow::Status& st) {
    {
      std::lock_guard lock(mu_);
      if (failure_.ok()) failure_ = st;
    }
    items_.Close();
    bound_.Close();
  }

  // The reader thread: objects → items.
  void Read() {
    arrow::Status st = ReadAll();
    if (!st.ok()) Fail(st);
    items_.Close();
  }

  arrow::Status ReadAll() {
    Item item;
    for (size_t i = 0; i < objects_.size(); ++i) {
      const std::string& key = objects_[i].key;
      ARROW_ASSIGN_OR_RAISE(lineages_[i].ingested_at_us, IngestedAt(store_, key));
      lineages_[i].source_object = key;
      const std::string date = storage::DateOfKey(key);
      if (item.date != date) {
        if (!item.segments.empty() && !Push(&item)) return arrow::Status::OK();
        item.date = date;
      }
      ARROW_RETURN_NOT_OK(ReadObject(i, &item));
      item.raw_bytes += objects_[i].size;
    }
    if (!item.segments.empty()) Push(&item);
    return arrow::Status::OK();
  }

  // Appends object `index` to `item` as segments of complete records, pushing full items.
  arrow::Status ReadObject(size_t index, Item* item) {
    ARROW_ASSIGN_OR_RAISE(auto source, store_->OpenDecoded(objects_[index].key));
    Segment seg;
    seg.object = index;
    seg.begin = item->buffer.size();
    bool eof = false;
    bool first = true;
    std::unique_ptr<profiler::RecordSplitter> splitter;
    while (!eof) {
      const size_t size = item->buffer.size();
      auto read =
          source->Read(reinterpret_cast<uint8_t*>(item->buffer.Extend(kReadBytes)), kReadBytes);
      // An error in the data (a corrupt gzip) names no object: this one's key does. An I/O
      // error names its file already.
      if (!read.ok() && KindOf(read.status()) != ErrorKind::kUnavailable) {
        return read.status().WithMessage(objects_[index].key, ": ", read.status().message());
      }
      ARROW_ASSIGN_OR_RAISE(size_t n, std::move(read));
      item->buffer.Truncate(size + n);
      eof = n == 0;
      if (first) {
        // Read it as the profiler did.
        if (!eof && item->buffer.size() - seg.begin < kReadBytes) continue;
        first = false;
        // The head the profiler decided from: its first kHeadBytes, whole only if shorter.
        const size_t read = item->buffer.size() - seg.begin;
        std::string_view head(item->buffer.data() + seg.begin,
                              std::min(read, profiler::kHeadBytes));
        const bool whole = eof && read < profiler::kHeadBytes;
        if (head.starts_with(kUtf8Bom)) {
          seg.begin += kUtf8Bom.size();
          seg.object_offset = kUtf8Bom.size();
          head.remove_prefix(kUtf8Bom.size());
        }
        const auto& layout = objects_[index].layout;
        seg.format = layout ? layout->format
                            : profiler::FormatOfKey(objects_[index].key)
                                  .value_or(profiler::DetectFormat(head, whole));
        if (seg.format == profiler::Format::kCsv) {
          auto dialect = std::make_shared<profiler::CsvDialect>(
              layout && layout->csv ? *layout->csv : profiler::SniffCsv(head));
          seg.skip_header = dialect->header;
          splitter = profiler::MakeCsvSplitter(*dialect);  // cut where the profiler cut
          seg.dialect = std::move(dialect);
        } else if (seg.format == profiler::Format::kNdjson) {
          splitter = std::make_unique<profiler::LineSplitter>();
        }
      }
      // JSON that is not one record per line is bound whole.
      if (!eof && (splitter == nullptr || item->buffer.size() < kItemBytes)) continue;
      const size_t pending = item->buffer.size() - seg.begin;
      size_t cut = pending;
      if (splitter != nullptr) {
        uint64_t newlines = 0;
        cut = splitter->Cut(item->buffer.data() + seg.begin, pending, eof, nullptr, &newlines);
      }
      if (!eof && cut == 0) continue;  // a record longer than what is read so far
      seg.end = seg.begin + cut;
      item->segments.push_back(seg);
      seg.skip_header = false;
      seg.object_offset += cut;
      if (eof) break;
      // The records cut short move on to the next item.
      const std::string rest(item->buffer.data() + seg.end, item->buffer.size() - seg.end);
      item->buffer.Truncate(seg.end);
      if (!Push(item)) return arrow::Status::OK();
      item->buffer.Append(rest);
      seg.begin = 0;
    }
    return arrow::Status::OK();
  }

  // Item buffers are recycled: a fresh one costs its page faults every time.
  ReadBuffer TakeBuffer() {
    std::lock_guard lock(buffers_mu_);
    if (buffers_.empty()) return {};
    ReadBuffer b = std::move(buffers_.back());
    buffers_.pop_back();
    return b;
  }
  void ReturnBuffer(ReadBuffer b) {
    b.Truncate(0);
    std::lock_guard lock(buffers_mu_);
    buffers_.push_back(std::move(b));
  }

  bool Push(Item* item) {
    if (item->segments.empty()) return true;
    item->seq = next_seq_++;
    std::fill_n(item->buffer.Extend(kPadding), kPadding, '\n');
    Item next;
    next.buffer = TakeBuffer();
    next.date = item->date;
    in_flight_.acquire();
    const bool ok = items_.Push(std::move(*item));
    *item = std::move(next);
    return ok;
  }

  // A binder thread: items → batches.
  void Bind() {
    auto made = RecordBinder::Make(options_.bound, options_.named, *options_.version);
    if (!made.ok()) {
      Fail(made.status());
      return;
    }
    RecordBinder& binder = **made;
    while (auto item = items_.Pop()) {
      Bound out;
      out.seq = item->seq;
      out.date = item->date;
      out.raw_bytes = item->raw_bytes;
      for (const Segment& seg : item->segments) {
        const std::string_view data(item->buffer.data() + seg.begin, seg.end - seg.begin);
        Lineage lineage = lineages_[seg.object];
        lineage.offset = seg.object_offset;
        out.status = seg.format == profiler::Format::kCsv
                         ? binder.BindCsv(data, *seg.dialect, seg.skip_header, lineage)
                         : binder.BindJson(data, lineage);
        if (!out.status.ok()) break;
      }
      out.rescued_rows = binder.rescued_rows();
      if (out.status.ok()) {
        auto batch = binder.Flush();
        if (batch.ok()) {
          out.batch = std::move(*batch);
        } else {
          out.status = batch.status();
        }
      }
      ReturnBuffer(std::move(item->buffer));
      if (!out.status.ok()) {
        Fail(out.status);
        return;
      }
      if (!bound_.Push(std::move(out))) return;
    }
  }

  // The calling thread: batches, in item order, → one open file per date.
  arrow::Status Write() {
    std::map<uint64_t, Bound> early;
    uint64_t next = 0;
    uint64_t done_bytes = 0;
    while (auto b = bound_.Pop()) {
      early.emplace(b->seq, std::move(*b));
      for (auto it = early.find(next); it != early.end(); it = early.find(next)) {
        ARROW_RETURN_NOT_OK(WriteBatch(it->second));
        done_bytes += it->second.raw_bytes;
        in_flight_.release();
        if (options_.progress) options_.progress(done_bytes, total_bytes_);
        early.erase(it);
        ++next;
      }
    }
    return arrow::Status::OK();
  }

  struct OpenFile {
    std::shared_ptr<storage::ObjectWriter> out;
    std::unique_ptr<ParquetSink> sink;
    registry::CuratedFile meta;
  };

  // A batch goes out in pieces of about a row group, so that a file is closed near
  // file_bytes however large the batches are.
  arrow::Status WriteBatch(const Bound& b) {
    const arrow::RecordBatch& batch = *b.batch;
    const int64_t rows = batch.num_rows();
    const int64_t bytes = std::max<int64_t>(arrow::util::TotalBufferSize(batch), 1);
    const int64_t piece = std::clamp<int64_t>(
        static_cast<int64_t>(static_cast<double>(rows) *
                             static_cast<double>(options_.parquet.row_group_bytes) /
                             static_cast<double>(bytes)),
        1, std::max<int64_t>(rows, 1));
    for (int64_t offset = 0; offset < rows; offset += piece) {
      ARROW_RETURN_NOT_OK(WritePiece(b.date, *batch.Slice(offset, std::min(piece, rows - offset))));
    }
    result_.rescued_rows += b.rescued_rows;
    return arrow::Status::OK();
  }

  arrow::Status WritePiece(const std::string& date, const arrow::RecordBatch& piece) {
    OpenFile& f = files_[date];
    if (f.sink == nullptr) {
      const std::string name = fmt::format("part-{}-{}.parquet", options_.run_id, file_count_++);
      const std::string path =
          fmt::format("{}/{}={}/{}", options_.table, kPartitionColumn, date, name);
      f.meta.key = "curated/" + path;
      f.meta.staging_key = StagingPrefix(options_.run_id) + path;
      f.meta.ingest_date = date;
      f.meta.run_id = options_.run_id;
      f.meta.version = options_.version->version;
      f.meta.columns = ColumnsOf(*options_.named);
      ARROW_ASSIGN_OR_RAISE(auto out, store_->OpenWriter(f.meta.staging_key));
      f.out = std::move(out);
      ARROW_ASSIGN_OR_RAISE(f.sink, ParquetSink::Open(f.out, piece.schema(), options_.parquet));
    }
    ARROW_RETURN_NOT_OK(f.sink->Write(piece));
    // The raw objects the file holds rows of, in order, from the lineage column.
    const auto& objects =
        static_cast<const arrow::StringArray&>(*piece.GetColumnByName(kSourceObjectColumn));
    for (int64_t i = 0; i < objects.length(); ++i) {
      const std::string_view key = objects.GetView(i);
      if (f.meta.objects.empty() || f.meta.objects.back() != key) f.meta.objects.emplace_back(key);
    }
    result_.rows += piece.num_rows();
    ARROW_ASSIGN_OR_RAISE(const int64_t bytes, f.sink->bytes());
    if (bytes >= options_.file_bytes) {
      ARROW_RETURN_NOT_OK(Finish(&f));
      files_.erase(date);
    }
    return arrow::Status::OK();
  }

  arrow::Status Finish(OpenFile* f) {
    ARROW_RETURN_NOT_OK(f->sink->Finish());
    ARROW_ASSIGN_OR_RAISE(f->meta.bytes, f->sink->bytes());
    f->meta.rows = f->sink->rows();
    ARROW_RETURN_NOT_OK(f->out->Commit());
    result_.files.push_back(std::move(f->meta));
    return arrow::Status::OK();
  }

  arrow::Status FinishAll() {
    for (auto& [date, f] : files_) ARROW_RETURN_NOT_OK(Finish(&f));
    files_.clear();
    std::sort(result_.files.begin(), result_.files.end(),
              [](const auto& a, const auto& b) { return a.key < b.key; });
    return arrow::Status::OK();
  }

  storage::ObjectStore* store_;
  const std::vector<RawObject>& objects_;
  const StageOptions& options_;
  std::vector<Lineage> lineages_;  // set by the reader before an item naming it is queued
  const int threads_;
  Channel<Item> items_;
  Channel<Bound> bound_;
  uint64_t next_seq_ = 0;  // reader thread
  // Items read but not yet written. The queues alone do not bound them: while the writer
  // waits for a slow item, the batches bound after it pile up in its reorder map.
  static constexpr ptrdiff_t kMaxInFlight = 1 << 16;
  std::counting_semaphore<kMaxInFlight> in_flight_{0};
  std::mutex buffers_mu_;
  std::vector<ReadBuffer> buffers_;  // guarded by buffers_mu_
  uint64_t total_bytes_ = 0;
  std::mutex mu_;
  arrow::Status failure_;                  // guarded by mu_
  std::map<std::string, OpenFile> files_;  // by date; writer thread
  int file_count_ = 0;
  StagedTable result_;
};

}  // namespace

std::string StagingPrefix(const std::string& run_id) { return "staging/" + run_id + "/"; }

arrow::Result<StagedTable> StageTable(storage::ObjectStore* store,
                                      const std::vector<RawObject>& objects,
                                      const StageOptions& options) {
  Stager stager(store, objects, options);
  return stager.Run();
}

}  // namespace latebind::promotion
