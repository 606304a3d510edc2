// Parquet output through Arrow's parquet::arrow::FileWriter — the only Parquet writer in
// latebind (ADR-002). Promotion (a later issue) writes its staged files through this.
#pragma once

#include <arrow/io/interfaces.h>
#include <arrow/record_batch.h>
#include <arrow/result.h>
#include <arrow/table.h>
#include <parquet/arrow/writer.h>

#include <memory>
#include <string>
#include <vector>

namespace latebind::promotion {

struct ParquetOutputOptions {
  // zstd level 1, Arrow's own default (ADR-034): ~13 % less CPU per promoted byte than
  // level 3 (DuckDB's and Spark's) for ~4 % larger files, still no larger than DuckDB's.
  int zstd_level = 1;
  // Rows per row group for WriteParquetFile; ParquetSink cuts groups by bytes instead.
  int64_t max_row_group_rows = 1 << 20;
  // ParquetSink: a new row group once the current one holds this much Arrow data.
  int64_t row_group_bytes = 128ll << 20;
  // Leaf column paths ("amount", "merchant.name") written without a dictionary: for
  // near-unique values a dictionary only costs hashing before Parquet falls back to PLAIN.
  std::vector<std::string> plain_columns;
};

// A Parquet file written batch by batch to a stream (a staged object), with row groups of
// about options.row_group_bytes of in-memory Arrow data: readers parallelise and skip by
// row group, so many small batches must not make many small groups. The file's bytes are
// in the stream only after Finish. One thread at a time.
class ParquetSink {
 public:
  static arrow::Result<std::unique_ptr<ParquetSink>> Open(
      std::shared_ptr<arrow::io::OutputStream> out, const std::shared_ptr<arrow::Schema>& schema,
      const ParquetOutputOptions& options);

  arrow::Status Write(const arrow::RecordBatch& batch);
  // Writes the footer; the stream is left open for the caller to commit or discard.
  arrow::Status Finish();

  int64_t rows() const { return rows_; }
  // Bytes in the stream so far (the file's size after Finish).
  arrow::Result<int64_t> bytes() const { return out_->Tell(); }

 private:
  ParquetSink(std::shared_ptr<arrow::io::OutputStream> out,
              std::unique_ptr<parquet::arrow::FileWriter> writer, int64_t row_group_bytes)
      : out_(std::move(out)), writer_(std::move(writer)), row_group_bytes_(row_group_bytes) {}

  std::shared_ptr<arrow::io::OutputStream> out_;
  std::unique_ptr<parquet::arrow::FileWriter> writer_;
  int64_t row_group_bytes_;
  int64_t group_bytes_ = 0;  // Arrow bytes in the open row group
  int64_t rows_ = 0;
};

// Writes `table` to a new local file at `path` (zstd). On error the file may be partial:
// callers write under staging/ and publish only after a successful return.
arrow::Status WriteParquetFile(const arrow::Table& table, const std::string& path,
                               const ParquetOutputOptions& options = {});

}  // namespace latebind::promotion
