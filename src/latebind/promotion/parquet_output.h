// Parquet output through Arrow's parquet::arrow::FileWriter — the only Parquet writer in
// latebind (ADR-002). Promotion (a later issue) writes its staged files through this.
#pragma once

#include <arrow/result.h>
#include <arrow/table.h>

#include <memory>
#include <string>

namespace latebind::promotion {

struct ParquetOutputOptions {
  // zstd level 3: DuckDB's and Spark's default trade of size against CPU.
  int zstd_level = 3;
  // Rows per row group; ~128 MiB groups come from the promotion planner later.
  int64_t max_row_group_rows = 1 << 20;
};

// Writes `table` to a new local file at `path` (zstd). On error the file may be partial:
// callers write under staging/ and publish only after a successful return.
arrow::Status WriteParquetFile(const arrow::Table& table, const std::string& path,
                               const ParquetOutputOptions& options = {});

}  // namespace latebind::promotion
