#include "latebind/promotion/parquet_output.h"

#include <arrow/io/file.h>
#include <arrow/util/byte_size.h>
#include <parquet/arrow/writer.h>
#include <parquet/properties.h>

#include <algorithm>

#include "latebind/promotion/memory_pool.h"

namespace latebind::promotion {
namespace {

// Closing the stream is the caller's: a staged object is committed or discarded after the
// footer is written, so Close only flushes.
class KeepOpen : public arrow::io::OutputStream {
 public:
  explicit KeepOpen(std::shared_ptr<arrow::io::OutputStream> out) : out_(std::move(out)) {}
  arrow::Status Close() override {
    ARROW_RETURN_NOT_OK(out_->Flush());
    closed_ = true;
    return arrow::Status::OK();
  }
  bool closed() const override { return closed_; }
  arrow::Result<int64_t> Tell() const override { return out_->Tell(); }
  arrow::Status Write(const void* data, int64_t nbytes) override {
    return out_->Write(data, nbytes);
  }
  arrow::Status Write(const std::shared_ptr<arrow::Buffer>& data) override {
    return out_->Write(data);
  }
  arrow::Status Flush() override { return out_->Flush(); }

 private:
  std::shared_ptr<arrow::io::OutputStream> out_;
  bool closed_ = false;
};

}  // namespace

arrow::Result<std::unique_ptr<ParquetSink>> ParquetSink::Open(
    std::shared_ptr<arrow::io::OutputStream> out, const std::shared_ptr<arrow::Schema>& schema,
    const ParquetOutputOptions& options) {
  parquet::WriterProperties::Builder builder;
  builder.compression(parquet::Compression::ZSTD)
      ->compression_level(options.zstd_level)
      ->max_row_group_length(INT64_MAX)
      ->memory_pool(PromotionMemoryPool());
  for (const std::string& path : options.plain_columns) builder.disable_dictionary(path);
  auto properties = builder.build();
  // Columns of a row group are encoded in parallel on Arrow's CPU pool.
  auto arrow_properties =
      parquet::ArrowWriterProperties::Builder().store_schema()->set_use_threads(true)->build();
  ARROW_ASSIGN_OR_RAISE(
      auto writer, parquet::arrow::FileWriter::Open(*schema, PromotionMemoryPool(),
                                                    std::make_shared<KeepOpen>(out), properties,
                                                    arrow_properties));
  return std::unique_ptr<ParquetSink>(
      new ParquetSink(std::move(out), std::move(writer), options.row_group_bytes));
}

arrow::Status ParquetSink::Write(const arrow::RecordBatch& batch) {
  const int64_t rows = batch.num_rows();
  if (rows == 0) return arrow::Status::OK();
  // A batch larger than what the open group has room for is cut, at the average row size,
  // so that row groups follow row_group_bytes however large the batches are.
  const int64_t batch_bytes = std::max<int64_t>(arrow::util::TotalBufferSize(batch), 1);
  const double row_bytes = static_cast<double>(batch_bytes) / static_cast<double>(rows);
  int64_t offset = 0;
  while (offset < rows) {
    if (group_bytes_ >= row_group_bytes_) {
      ARROW_RETURN_NOT_OK(writer_->NewBufferedRowGroup());
      group_bytes_ = 0;
    }
    const double room = static_cast<double>(row_group_bytes_ - group_bytes_);
    const int64_t n = std::clamp<int64_t>(static_cast<int64_t>(room / row_bytes), 1, rows - offset);
    ARROW_RETURN_NOT_OK(writer_->WriteRecordBatch(*batch.Slice(offset, n)));
    group_bytes_ += static_cast<int64_t>(static_cast<double>(n) * row_bytes);
    if (n < rows - offset) group_bytes_ = row_group_bytes_;  // full: the next slice starts one
    offset += n;
  }
  rows_ += rows;
  return arrow::Status::OK();
}

arrow::Status ParquetSink::Finish() { return writer_->Close(); }

arrow::Status WriteParquetFile(const arrow::Table& table, const std::string& path,
                               const ParquetOutputOptions& options) {
  ARROW_ASSIGN_OR_RAISE(auto file, arrow::io::FileOutputStream::Open(path));
  auto properties = parquet::WriterProperties::Builder()
                        .compression(parquet::Compression::ZSTD)
                        ->compression_level(options.zstd_level)
                        ->max_row_group_length(options.max_row_group_rows)
                        ->build();
  auto arrow_properties = parquet::ArrowWriterProperties::Builder().store_schema()->build();
  ARROW_ASSIGN_OR_RAISE(
      auto writer, parquet::arrow::FileWriter::Open(*table.schema(), arrow::default_memory_pool(),
                                                    file, properties, arrow_properties));
  arrow::Status st = writer->WriteTable(table, options.max_row_group_rows);
  // Close even after a failed write, so the descriptor is released; the first error wins.
  arrow::Status closed = writer->Close();
  arrow::Status file_closed = file->Close();
  ARROW_RETURN_NOT_OK(st);
  ARROW_RETURN_NOT_OK(closed);
  return file_closed;
}

}  // namespace latebind::promotion
