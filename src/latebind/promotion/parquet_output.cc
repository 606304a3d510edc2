#include "latebind/promotion/parquet_output.h"

#include <arrow/io/file.h>
#include <parquet/arrow/writer.h>
#include <parquet/properties.h>

namespace latebind::promotion {

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
