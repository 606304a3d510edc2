#include "latebind/common/byte_source.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "latebind/common/gzip_for_tests.h"
#include "latebind/common/status.h"

namespace latebind {
namespace {

namespace fs = std::filesystem;

class ByteSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("latebind_bs_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& bytes) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }
  static std::string Gzip(const std::string& data) { return GzipForTests(data); }
  static arrow::Result<std::string> ReadAll(ByteSource* s, size_t chunk = 7) {
    std::string out;
    std::vector<uint8_t> buf(chunk);
    for (;;) {
      ARROW_ASSIGN_OR_RAISE(size_t n, s->Read(buf.data(), buf.size()));
      if (n == 0) return out;
      out.append(reinterpret_cast<char*>(buf.data()), n);
    }
  }

  fs::path dir_;
};

TEST_F(ByteSourceTest, PlainFileReadsBackExactly) {
  std::string data(100000, '\0');
  std::mt19937 rng(1);
  for (char& c : data) c = static_cast<char>(rng());
  data[0] = 0x1f;  // one magic byte alone is not gzip
  auto src = OpenFileSource(Write("plain.bin", data));
  ASSERT_TRUE(src.ok()) << src.status().ToString();
  EXPECT_FALSE((*src)->gzip());
  auto all = ReadAll(src->get(), 4096);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, data);
}

TEST_F(ByteSourceTest, GzipDetectedByMagicNotName) {
  const std::string data = "{\"a\":1}\n{\"a\":2}\n";
  auto src = OpenFileSource(Write("payload.json", Gzip(data)));
  ASSERT_TRUE(src.ok());
  EXPECT_TRUE((*src)->gzip());
  EXPECT_EQ(*ReadAll(src->get()), data);
}

TEST_F(ByteSourceTest, ConcatenatedGzipMembersAreOneStream) {
  auto src = OpenFileSource(Write("two.gz", Gzip("first\n") + Gzip("second\n")));
  ASSERT_TRUE(src.ok());
  EXPECT_EQ(*ReadAll(src->get()), "first\nsecond\n");
}

// Audit 2026-11-24: zero padding after the last member was read as a corrupt member.
TEST_F(ByteSourceTest, ZeroPaddingAfterAMemberIsSkipped) {
  const std::string padded = Gzip("first\n") + std::string(4096, '\0');
  auto src = OpenFileSource(Write("padded.gz", padded));
  ASSERT_TRUE(src.ok());
  auto all = ReadAll(src->get(), 1 << 16);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(*all, "first\n");
  // Padding between members, too; other bytes after a member are still an error.
  src = OpenFileSource(Write("between.gz", Gzip("a\n") + std::string(3, '\0') + Gzip("b\n")));
  EXPECT_EQ(*ReadAll(src->get()), "a\nb\n");
  src = OpenFileSource(Write("garbage.gz", Gzip("a\n") + "junk"));
  EXPECT_FALSE(ReadAll(src->get()).ok());
}

// Defect 2026-11-24: a truncated gzip's dead-letter reason named its former raw/ key. Data
// errors name no source (its reader does, under the name it has then); I/O errors do.
TEST_F(ByteSourceTest, DataErrorsNameNoSource) {
  std::string gz = Gzip(std::string(50000, 'x'));
  gz.resize(gz.size() / 2);
  const std::string path = Write("cut.gz", gz);
  auto src = OpenFileSource(path);
  ASSERT_TRUE(src.ok());
  auto all = ReadAll(src->get(), 1 << 16);
  ASSERT_FALSE(all.ok());
  EXPECT_TRUE(all.status().message().starts_with("truncated gzip stream (ends at compressed byte "))
      << all.status().message();
  EXPECT_EQ(all.status().message().find(path), std::string::npos) << all.status().message();
  auto memory = OpenMemorySource(gz);
  auto from_memory = ReadAll(memory.get(), 1 << 16);
  ASSERT_FALSE(from_memory.ok());
  EXPECT_EQ(from_memory.status().message(), all.status().message());
}

TEST_F(ByteSourceTest, TruncatedGzipIsBadInput) {
  std::string gz = Gzip(std::string(50000, 'x') + "tail");
  gz.resize(gz.size() / 2);
  auto src = OpenFileSource(Write("cut.gz", gz));
  ASSERT_TRUE(src.ok());
  auto all = ReadAll(src->get(), 1 << 16);
  ASSERT_FALSE(all.ok());
  EXPECT_EQ(KindOf(all.status()), ErrorKind::kBadInput);
  EXPECT_NE(all.status().message().find("truncated gzip"), std::string::npos)
      << all.status().message();
}

TEST_F(ByteSourceTest, CorruptGzipIsBadInputWithOffset) {
  std::string gz = Gzip(std::string(1000, 'y'));
  for (size_t i = 12; i < 30; ++i) gz[i] = static_cast<char>(0xff);
  auto src = OpenFileSource(Write("bad.gz", gz));
  ASSERT_TRUE(src.ok());
  auto all = ReadAll(src->get(), 1 << 16);
  ASSERT_FALSE(all.ok());
  EXPECT_EQ(KindOf(all.status()), ErrorKind::kBadInput);
  EXPECT_NE(all.status().message().find("compressed byte"), std::string::npos);
}

TEST_F(ByteSourceTest, DecompressionLimitStopsGzipBombs) {
  ByteSourceOptions options;
  options.max_decompressed_bytes = 1 << 20;
  auto src = OpenFileSource(Write("bomb.gz", Gzip(std::string(8 << 20, '\0'))), options);
  ASSERT_TRUE(src.ok());
  auto all = ReadAll(src->get(), 1 << 16);
  ASSERT_FALSE(all.ok());
  EXPECT_EQ(KindOf(all.status()), ErrorKind::kTooLarge);
}

TEST_F(ByteSourceTest, MissingFileAndDirectory) {
  auto missing = OpenFileSource((dir_ / "nope").string());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(KindOf(missing.status()), ErrorKind::kNotFound);
  auto directory = OpenFileSource(dir_.string());
  ASSERT_FALSE(directory.ok());
  EXPECT_EQ(KindOf(directory.status()), ErrorKind::kBadInput);
}

TEST_F(ByteSourceTest, EmptyFile) {
  auto src = OpenFileSource(Write("empty", ""));
  ASSERT_TRUE(src.ok());
  EXPECT_EQ(*ReadAll(src->get()), "");
}

}  // namespace
}  // namespace latebind
