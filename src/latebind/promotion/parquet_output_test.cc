// Proves the Arrow-from-the-pyarrow-wheel route end to end: C++ writes a Parquet file with
// parquet::arrow, and the pinned pyarrow in .venv reads it back and checks every value.
#include "latebind/promotion/parquet_output.h"

#include <arrow/api.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace latebind::promotion {
namespace {

std::shared_ptr<arrow::Table> SampleTable() {
  arrow::Int64Builder ids;
  arrow::StringBuilder names;
  arrow::DoubleBuilder amounts;
  for (int i = 0; i < 1000; ++i) {
    EXPECT_TRUE(ids.Append(i).ok());
    EXPECT_TRUE(names.Append("name-" + std::to_string(i % 7)).ok());
    if (i % 10 == 0) {
      EXPECT_TRUE(amounts.AppendNull().ok());
    } else {
      EXPECT_TRUE(amounts.Append(i * 0.5).ok());
    }
  }
  auto schema =
      arrow::schema({arrow::field("id", arrow::int64(), false), arrow::field("name", arrow::utf8()),
                     arrow::field("amount", arrow::float64())});
  return arrow::Table::Make(schema, {ids.Finish().ValueOrDie(), names.Finish().ValueOrDie(),
                                     amounts.Finish().ValueOrDie()});
}

TEST(ParquetOutputTest, PyarrowReadsWhatArrowCppWrote) {
  const char* python = std::getenv("LATEBIND_PYTHON");
  ASSERT_NE(python, nullptr) << "ctest sets LATEBIND_PYTHON to the venv's python";
  const auto dir = std::filesystem::temp_directory_path() / "latebind_parquet_test";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "sample.parquet").string();
  ASSERT_TRUE(WriteParquetFile(*SampleTable(), path).ok());

  const std::string script = (dir / "check.py").string();
  std::ofstream(script) << R"(import sys, pyarrow.parquet as pq
t = pq.read_table(sys.argv[1])
md = pq.ParquetFile(sys.argv[1]).metadata
assert t.num_rows == 1000, t.num_rows
assert t.schema.names == ["id", "name", "amount"], t.schema
assert str(t.schema.field("id").type) == "int64" and not t.schema.field("id").nullable
assert md.row_group(0).column(0).compression == "ZSTD", md.row_group(0).column(0).compression
rows = t.to_pylist()
for i, r in enumerate(rows):
    assert r["id"] == i and r["name"] == "name-%d" % (i % 7), r
    assert r["amount"] == (None if i % 10 == 0 else i * 0.5), r
print("ok")
)";
  const std::string cmd = std::string(python) + " " + script + " " + path;
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::filesystem::remove_all(dir);
}

TEST(ParquetOutputTest, UnwritablePathIsAnError) {
  arrow::Status st = WriteParquetFile(*SampleTable(), "/nonexistent-dir/x.parquet");
  EXPECT_FALSE(st.ok());
  EXPECT_TRUE(st.IsIOError()) << st.ToString();
}

}  // namespace
}  // namespace latebind::promotion
