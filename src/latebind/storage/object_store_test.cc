// One suite for every ObjectStore (STYLE.md §6): memory, local directory, and the faulty
// wrapper while healthy. Implementation-specific cases follow the suite.
#include "latebind/storage/object_store.h"

#include <arrow/buffer.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "latebind/common/gzip_for_tests.h"
#include "latebind/common/status.h"
#include "latebind/storage/faulty_store.h"
#include "latebind/storage/local_store.h"
#include "latebind/storage/memory_store.h"
#include "latebind/storage/zone_keys.h"

namespace latebind::storage {
namespace {

namespace fs = std::filesystem;

struct Backend {
  std::string name;
  std::function<std::shared_ptr<ObjectStore>(const fs::path& dir)> make;
};

void PrintTo(const Backend& backend, std::ostream* os) { *os << backend.name; }

class ObjectStoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("latebind_store_" + GetParam().name + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    store_ = GetParam().make(dir_);
    ASSERT_NE(store_, nullptr);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
  std::shared_ptr<ObjectStore> store_;
};

TEST_P(ObjectStoreTest, PutGetReplace) {
  const std::string binary("a\0b\xff\n", 5);
  ASSERT_TRUE(store_->Put("raw/source=a/date=2026-11-23/x.ndjson", binary).ok());
  EXPECT_EQ(*store_->Get("raw/source=a/date=2026-11-23/x.ndjson"), binary);
  ASSERT_TRUE(store_->Put("raw/source=a/date=2026-11-23/x.ndjson", "second").ok());
  EXPECT_EQ(*store_->Get("raw/source=a/date=2026-11-23/x.ndjson"), "second");
  ASSERT_TRUE(store_->Put("empty", "").ok());
  EXPECT_EQ(*store_->Get("empty"), "");
}

TEST_P(ObjectStoreTest, MissingIsNotFound) {
  auto r = store_->Get("raw/nope");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(KindOf(r.status()), ErrorKind::kNotFound);
  EXPECT_EQ(KindOf(store_->OpenDecoded("raw/nope").status()), ErrorKind::kNotFound);
}

TEST_P(ObjectStoreTest, InvalidKeysAreRefusedAndTouchNothing) {
  const std::vector<std::string> keys = {
      "",         "/abs", "a//b", "a/../b", "..",
      "a/./b",    "a b",  "a\\b", "%2e%2e", std::string("a\0b", 3),
      "trailing/"};
  for (const std::string& key : keys) {
    arrow::Status st = store_->Put(key, "x");
    EXPECT_EQ(KindOf(st), ErrorKind::kBadInput) << "'" << key << "': " << st.ToString();
  }
  EXPECT_TRUE(store_->List("")->empty());
}

TEST_P(ObjectStoreTest, ListIsSortedAndByPrefix) {
  for (const char* key :
       {"raw/source=b/1", "raw/source=a/2", "raw/source=a/1", "dead-letter/x", "raw/source=ab/1"}) {
    ASSERT_TRUE(store_->Put(key, key).ok());
  }
  auto all = *store_->List("raw/");
  std::vector<std::string> keys;
  for (const auto& o : all) keys.push_back(o.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"raw/source=a/1", "raw/source=a/2", "raw/source=ab/1",
                                            "raw/source=b/1"}));
  EXPECT_EQ(all[0].size, std::string("raw/source=a/1").size());
  EXPECT_EQ(store_->List("raw/source=a")->size(), 3u);  // a and ab: a prefix, not a folder
  EXPECT_EQ(store_->List("raw/source=a/")->size(), 2u);
  EXPECT_TRUE(store_->List("curated/")->empty());
  EXPECT_EQ(store_->List("")->size(), 5u);
}

TEST_P(ObjectStoreTest, DeleteIsIdempotent) {
  ASSERT_TRUE(store_->Put("a/b", "x").ok());
  ASSERT_TRUE(store_->Delete("a/b").ok());
  EXPECT_EQ(KindOf(store_->Get("a/b").status()), ErrorKind::kNotFound);
  EXPECT_TRUE(store_->Delete("a/b").ok());
  EXPECT_TRUE(store_->List("a/")->empty());
}

TEST_P(ObjectStoreTest, BatchStoresEveryItem) {
  std::vector<std::string> bodies;
  std::vector<PutItem> items;
  for (int i = 0; i < 40; ++i) bodies.push_back("body-" + std::to_string(i));
  for (int i = 0; i < 40; ++i) {
    items.push_back({"raw/source=s" + std::to_string(i % 5) + "/o" + std::to_string(i), bodies[i]});
  }
  ASSERT_TRUE(store_->PutBatch(items).ok());
  for (int i = 0; i < 40; ++i) EXPECT_EQ(*store_->Get(items[i].key), bodies[i]);
  EXPECT_EQ(store_->List("raw/")->size(), 40u);
}

// Deferred: the same publication without the flushes (their durability is Sync's, which
// the power-cut test checks); every object is there whole at once, replaced whole, and no
// temporary is left under any name.
TEST_P(ObjectStoreTest, DeferredBatchPublishesWholeObjectsAndSyncs) {
  std::vector<std::string> bodies;
  for (int i = 0; i < 20; ++i) bodies.emplace_back(100 + i, static_cast<char>('a' + i));
  std::vector<PutItem> items;
  for (int i = 0; i < 20; ++i) {
    items.push_back({"raw/source=s" + std::to_string(i % 3) + "/o" + std::to_string(i), bodies[i]});
  }
  ASSERT_TRUE(store_->PutBatchDeferred(items).ok());
  items[0].bytes = "replaced";
  ASSERT_TRUE(store_->PutBatchDeferred({items[0]}).ok());
  ASSERT_TRUE(store_->Sync().ok());
  for (const PutItem& item : items) EXPECT_EQ(*store_->Get(item.key), item.bytes);
  EXPECT_EQ(store_->List("raw/")->size(), 20u);
  EXPECT_EQ(KindOf(store_->PutBatchDeferred({{"../x", "y"}})), ErrorKind::kBadInput);
}

TEST_P(ObjectStoreTest, OpenDecodedReadsGzipDecoded) {
  const std::string text = "{\"a\":1}\n";
  const std::string gz = GzipForTests(text);
  ASSERT_TRUE(store_->Put("p.ndjson.gz", gz).ok());
  EXPECT_EQ(*store_->Get("p.ndjson.gz"), gz);  // stored as received
  auto src = *store_->OpenDecoded("p.ndjson.gz");
  std::string out(64, '\0');
  out.resize(*src->Read(reinterpret_cast<uint8_t*>(out.data()), out.size()));
  EXPECT_EQ(out, text);
}

TEST_P(ObjectStoreTest, ConcurrentWritersLoseNothing) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        const std::string key = "raw/t" + std::to_string(t) + "/" + std::to_string(i);
        EXPECT_TRUE(store_->Put(key, key).ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  const auto all = *store_->List("raw/");
  ASSERT_EQ(all.size(), 200u);
  for (const auto& o : all) EXPECT_EQ(*store_->Get(o.key), o.key);
}

// --- Streamed writers ---

std::vector<std::string> KeysOf(const std::vector<ObjectInfo>& objects) {
  std::vector<std::string> keys;
  for (const auto& o : objects) keys.push_back(o.key);
  return keys;
}

// Temporaries on disk under `dir` (none for the stores that have no directory).
std::vector<std::string> TemporariesUnder(const fs::path& dir) {
  std::vector<std::string> out;
  if (!fs::exists(dir)) return out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.path().filename().string().starts_with(".tmp-")) out.push_back(e.path().string());
  }
  return out;
}

arrow::Status WriteString(ObjectWriter* writer, std::string_view bytes) {
  return writer->Write(bytes.data(), static_cast<int64_t>(bytes.size()));
}

TEST_P(ObjectStoreTest, WriterPublishesOnlyOnCommit) {
  const std::string key = "curated/t/part-0.parquet";
  auto writer = *store_->OpenWriter(key);
  ASSERT_TRUE(WriteString(writer.get(), "hello ").ok());
  ASSERT_TRUE(writer->Flush().ok());
  ASSERT_TRUE(WriteString(writer.get(), "world").ok());
  EXPECT_EQ(*writer->Tell(), 11);
  EXPECT_FALSE(writer->closed());
  EXPECT_EQ(KindOf(store_->Get(key).status()), ErrorKind::kNotFound);
  EXPECT_TRUE(store_->List("curated/")->empty());
  EXPECT_TRUE(store_->List("")->empty());

  ASSERT_TRUE(writer->Commit().ok());
  EXPECT_TRUE(writer->closed());
  EXPECT_EQ(*store_->Get(key), "hello world");
  const auto listed = *store_->List("curated/");
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].key, key);
  EXPECT_EQ(listed[0].size, 11u);
  EXPECT_TRUE(TemporariesUnder(dir_).empty());
  // Closed for good: further writes and commits fail, Close is a no-op.
  EXPECT_FALSE(WriteString(writer.get(), "more").ok());
  EXPECT_FALSE(writer->Commit().ok());
  EXPECT_TRUE(writer->Close().ok());
  EXPECT_EQ(*store_->Get(key), "hello world");
}

TEST_P(ObjectStoreTest, WriterReplacesAnExistingObject) {
  ASSERT_TRUE(store_->Put("curated/t/p", "old").ok());
  auto writer = *store_->OpenWriter("curated/t/p");
  ASSERT_TRUE(WriteString(writer.get(), "new").ok());
  EXPECT_EQ(*store_->Get("curated/t/p"), "old");  // still the old one until Commit
  ASSERT_TRUE(writer->Commit().ok());
  EXPECT_EQ(*store_->Get("curated/t/p"), "new");
}

TEST_P(ObjectStoreTest, WriterWithoutCommitLeavesNothing) {
  {
    auto dropped = *store_->OpenWriter("staging/run-1/dropped");
    ASSERT_TRUE(WriteString(dropped.get(), std::string(3 << 20, 'x')).ok());
    ASSERT_TRUE(dropped->Flush().ok());
  }  // destroyed without Commit
  auto closed = *store_->OpenWriter("staging/run-1/closed");
  ASSERT_TRUE(WriteString(closed.get(), "abc").ok());
  ASSERT_TRUE(closed->Close().ok());
  EXPECT_TRUE(closed->closed());
  EXPECT_FALSE(closed->Commit().ok());  // Close discarded: nothing left to commit
  auto aborted = *store_->OpenWriter("staging/run-1/aborted");
  ASSERT_TRUE(WriteString(aborted.get(), "abc").ok());
  ASSERT_TRUE(aborted->Abort().ok());
  EXPECT_TRUE(store_->List("staging/")->empty());
  EXPECT_EQ(KindOf(store_->Get("staging/run-1/closed").status()), ErrorKind::kNotFound);
  EXPECT_TRUE(TemporariesUnder(dir_).empty());
}

TEST_P(ObjectStoreTest, WriterRoundTripsALargeObjectInSmallWrites) {
  constexpr size_t kSize = 8 << 20;
  std::string expected;
  expected.reserve(kSize + (3 << 20));
  uint32_t state = 12345;
  auto writer = *store_->OpenWriter("curated/t/big.parquet");
  while (expected.size() < kSize) {
    state = state * 1103515245u + 12345u;
    // Mostly small writes as Parquet issues them, now and then one larger than the buffer.
    const size_t n = (state >> 8) % 97 == 0 ? (3 << 20) : 1 + (state >> 16) % 5000;
    std::string chunk(n, static_cast<char>('a' + state % 26));
    chunk[0] = static_cast<char>(state >> 24);
    ASSERT_TRUE(WriteString(writer.get(), chunk).ok());
    expected += chunk;
    ASSERT_EQ(*writer->Tell(), static_cast<int64_t>(expected.size()));
  }
  auto buffer = std::make_shared<arrow::Buffer>(reinterpret_cast<const uint8_t*>("tail"), 4);
  ASSERT_TRUE(writer->Write(buffer).ok());  // the Buffer overload goes the same way
  expected += "tail";
  EXPECT_TRUE(store_->List("curated/")->empty());
  ASSERT_TRUE(writer->Commit().ok());
  const std::string got = *store_->Get("curated/t/big.parquet");
  ASSERT_EQ(got.size(), expected.size());
  EXPECT_TRUE(got == expected);
  EXPECT_EQ((*store_->List("curated/"))[0].size, expected.size());
}

TEST_P(ObjectStoreTest, WriterEmptyObjectAndInvalidKey) {
  auto writer = *store_->OpenWriter("curated/empty");
  EXPECT_EQ(*writer->Tell(), 0);
  ASSERT_TRUE(writer->Commit().ok());
  EXPECT_EQ(*store_->Get("curated/empty"), "");
  for (const char* key : {"", "a//b", "../x", "trailing/"}) {
    EXPECT_EQ(KindOf(store_->OpenWriter(key).status()), ErrorKind::kBadInput) << key;
  }
}

TEST_P(ObjectStoreTest, ConcurrentWritersPublishEachObject) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        const std::string key = "curated/t/part-" + std::to_string(t) + "-" + std::to_string(i);
        auto writer = store_->OpenWriter(key);
        ASSERT_TRUE(writer.ok());
        EXPECT_TRUE(WriteString(writer->get(), key).ok());
        EXPECT_TRUE((*writer)->Commit().ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  const auto all = *store_->List("curated/");
  ASSERT_EQ(all.size(), 20u);
  for (const auto& o : all) EXPECT_EQ(*store_->Get(o.key), o.key);
}

// --- Move ---

TEST_P(ObjectStoreTest, MoveRenamesOneObject) {
  ASSERT_TRUE(store_->Put("staging/run-1/part-0", "data").ok());
  ASSERT_TRUE(store_->Move("staging/run-1/part-0", "curated/t/date=2026-11-23/part-0").ok());
  EXPECT_EQ(*store_->Get("curated/t/date=2026-11-23/part-0"), "data");
  EXPECT_EQ(KindOf(store_->Get("staging/run-1/part-0").status()), ErrorKind::kNotFound);
  EXPECT_TRUE(store_->List("staging/")->empty());
}

TEST_P(ObjectStoreTest, MoveReplacesTheTarget) {
  ASSERT_TRUE(store_->Put("a/new", "new").ok());
  ASSERT_TRUE(store_->Put("b/target", "old").ok());
  ASSERT_TRUE(store_->Move("a/new", "b/target").ok());
  EXPECT_EQ(*store_->Get("b/target"), "new");
  EXPECT_EQ(KindOf(store_->Get("a/new").status()), ErrorKind::kNotFound);
}

TEST_P(ObjectStoreTest, MoveIsSafeToRepeatAfterACrash) {
  ASSERT_TRUE(store_->Put("a/x", "x").ok());
  ASSERT_TRUE(store_->Move("a/x", "b/x").ok());
  // The caller crashed before recording the move and repeats it.
  EXPECT_TRUE(store_->Move("a/x", "b/x").ok());
  EXPECT_EQ(*store_->Get("b/x"), "x");
  // In the same folder, and onto itself.
  ASSERT_TRUE(store_->Move("b/x", "b/y").ok());
  EXPECT_TRUE(store_->Move("b/x", "b/y").ok());
  EXPECT_TRUE(store_->Move("b/y", "b/y").ok());
  EXPECT_EQ(*store_->Get("b/y"), "x");
  EXPECT_EQ(KeysOf(*store_->List("")), (std::vector<std::string>{"b/y"}));
}

TEST_P(ObjectStoreTest, MoveOfNothingIsNotFound) {
  EXPECT_EQ(KindOf(store_->Move("a/none", "b/none")), ErrorKind::kNotFound);
  EXPECT_EQ(KindOf(store_->Move("a/none", "a/none")), ErrorKind::kNotFound);
  // A folder is not an object: Move never moves one.
  ASSERT_TRUE(store_->Put("staging/run-1/part-0", "p").ok());
  EXPECT_EQ(KindOf(store_->Move("staging/run-1", "curated/run-1")), ErrorKind::kNotFound);
  EXPECT_EQ(*store_->Get("staging/run-1/part-0"), "p");
  EXPECT_EQ(KindOf(store_->Move("a//b", "c")), ErrorKind::kBadInput);
  EXPECT_EQ(KindOf(store_->Move("staging/run-1/part-0", "../c")), ErrorKind::kBadInput);
  EXPECT_EQ(*store_->Get("staging/run-1/part-0"), "p");
}

// --- DeletePrefix ---

TEST_P(ObjectStoreTest, DeletePrefixRemovesOneFolderOnly) {
  for (const char* key :
       {"staging/run-1/part-0", "staging/run-1/date=1/part-1", "staging/run-1/date=1/deep/part-2",
        "staging/run-2/part-0", "staging/run-10/part-0", "staging/run-1x", "curated/t/part-0"}) {
    ASSERT_TRUE(store_->Put(key, key).ok());
  }
  ASSERT_TRUE(store_->DeletePrefix("staging/run-1/").ok());
  EXPECT_EQ(KeysOf(*store_->List("")),
            (std::vector<std::string>{"curated/t/part-0", "staging/run-10/part-0", "staging/run-1x",
                                      "staging/run-2/part-0"}));
  EXPECT_TRUE(store_->DeletePrefix("staging/run-1/").ok());  // safe to repeat
  EXPECT_TRUE(store_->DeletePrefix("never/was/").ok());
  ASSERT_TRUE(store_->DeletePrefix("curated/t/part-0/").ok());  // an object, not a folder
  EXPECT_EQ(*store_->Get("curated/t/part-0"), "curated/t/part-0");
  // The folder can be used again (a store that remembers which folders it made durable
  // must forget the deleted ones).
  ASSERT_TRUE(store_->Put("staging/run-1/part-0", "again").ok());
  EXPECT_EQ(*store_->Get("staging/run-1/part-0"), "again");
  auto writer = *store_->OpenWriter("staging/run-1/date=1/part-1");
  ASSERT_TRUE(WriteString(writer.get(), "again").ok());
  ASSERT_TRUE(writer->Commit().ok());
  EXPECT_EQ(store_->List("staging/run-1/")->size(), 2u);
}

TEST_P(ObjectStoreTest, DeletePrefixRefusesWhatIsNotAFolder) {
  ASSERT_TRUE(store_->Put("staging/run-1/part-0", "p").ok());
  for (const char* prefix :
       {"", "/", "staging", "staging/run-1", "staging//", "../", "staging/../"}) {
    EXPECT_EQ(KindOf(store_->DeletePrefix(prefix)), ErrorKind::kBadInput) << prefix;
  }
  EXPECT_EQ(store_->List("")->size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(
    Backends, ObjectStoreTest,
    ::testing::Values(
        Backend{"memory", [](const fs::path&) { return std::make_shared<MemoryStore>(); }},
        Backend{"local",
                [](const fs::path& dir) -> std::shared_ptr<ObjectStore> {
                  auto s = LocalStore::Open(dir.string());
                  return s.ok() ? std::shared_ptr<ObjectStore>(std::move(*s)) : nullptr;
                }},
        Backend{"faulty_healthy",
                [](const fs::path&) {
                  return std::make_shared<FaultyStore>(std::make_shared<MemoryStore>());
                }}),
    [](const auto& info) { return info.param.name; });

// --- Local directory specifics ------------------------------------------------------------

class LocalStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("latebind_local_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(LocalStoreTest, LayoutIsPlainFilesAndNoTemporaryRemains) {
  auto store = *LocalStore::Open(dir_.string());
  ASSERT_TRUE(store->Put("raw/source=a/date=2026-11-23/o1.csv", "a,b\n").ok());
  std::ifstream in(dir_ / "raw/source=a/date=2026-11-23/o1.csv");
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, "a,b\n");
  for (const auto& e : fs::recursive_directory_iterator(dir_)) {
    EXPECT_FALSE(e.path().filename().string().starts_with(".tmp-")) << e.path();
  }
}

TEST_F(LocalStoreTest, OpenSweepsTemporariesACrashLeft) {
  fs::create_directories(dir_ / "raw/source=a");
  std::ofstream(dir_ / "raw/source=a/.tmp-o1.ndjson-123-0") << "half a payl";
  std::ofstream(dir_ / "raw/source=a/o0.ndjson") << "{}\n";
  auto store = *LocalStore::Open(dir_.string());
  EXPECT_FALSE(fs::exists(dir_ / "raw/source=a/.tmp-o1.ndjson-123-0"));
  const auto all = *store->List("raw/");
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].key, "raw/source=a/o0.ndjson");
}

// Concurrency audit 2026-11-24: a server whose executable was not named latebind* had its
// in-flight temporaries swept by another command's Open, and its clients got 404. A
// temporary names its writer by pid and start time (ADR-118): kept while that process runs,
// whatever it is called; swept once the pid is another process's or none.
TEST_F(LocalStoreTest, OpenKeepsTheTemporariesOfARunningWriterWhateverItsName) {
  std::ifstream stat("/proc/1/stat");
  std::string line;
  ASSERT_TRUE(std::getline(stat, line));
  std::istringstream fields(line.substr(line.rfind(')') + 1));
  std::string start;
  for (int i = 3; i <= 22; ++i) fields >> start;  // field 22: when pid 1 started
  fs::create_directories(dir_ / "raw/source=a");
  const fs::path live = dir_ / ("raw/source=a/.tmp-o2.ndjson-1_" + start + "-0");
  const fs::path reused = dir_ / "raw/source=a/.tmp-o3.ndjson-1_1-0";
  std::ofstream(live) << "in flight";
  std::ofstream(reused) << "a crash's";
  auto store = *LocalStore::Open(dir_.string());
  EXPECT_TRUE(fs::exists(live));
  EXPECT_FALSE(fs::exists(reused));
}

TEST_F(LocalStoreTest, StorageFailureIsUnavailableAndLeavesNothing) {
  auto store = *LocalStore::Open(dir_.string());
  // A file where a directory must go: mkdir fails as it would on a broken device.
  std::ofstream(dir_ / "raw") << "not a directory";
  arrow::Status st = store->Put("raw/source=a/o1", "x");
  EXPECT_EQ(KindOf(st), ErrorKind::kUnavailable) << st.ToString();
  std::vector<PutItem> items = {{"ok/1", "1"}, {"raw/x/2", "2"}};
  st = store->PutBatch(items);
  EXPECT_EQ(KindOf(st), ErrorKind::kUnavailable);
  for (const auto& e : fs::recursive_directory_iterator(dir_)) {
    EXPECT_FALSE(e.path().filename().string().starts_with(".tmp-")) << e.path();
  }
}

TEST_F(LocalStoreTest, WriterTemporaryIsHiddenBesideItsTargetAndRemoved) {
  auto store = *LocalStore::Open(dir_.string());
  auto writer = *store->OpenWriter("curated/t/part-0.parquet");
  ASSERT_TRUE(WriteString(writer.get(), "PAR1").ok());
  ASSERT_TRUE(writer->Flush().ok());
  const auto temps = TemporariesUnder(dir_);
  ASSERT_EQ(temps.size(), 1u);
  EXPECT_EQ(fs::path(temps[0]).parent_path(), dir_ / "curated/t");
  EXPECT_TRUE(fs::path(temps[0]).filename().string().starts_with(".tmp-part-0.parquet-"));
  EXPECT_EQ(fs::file_size(temps[0]), 4u);  // Flush handed the bytes to the OS
  EXPECT_TRUE(store->List("curated/")->empty());
  writer.reset();
  EXPECT_TRUE(TemporariesUnder(dir_).empty());
  EXPECT_TRUE(fs::is_empty(dir_ / "curated/t"));
}

TEST_F(LocalStoreTest, CrashedWriterTemporaryIsSweptByOpen) {
  {
    auto store = *LocalStore::Open(dir_.string());
    auto writer = *store->OpenWriter("curated/t/part-0");
    ASSERT_TRUE(WriteString(writer.get(), "half").ok());
    ASSERT_TRUE(writer->Flush().ok());
    // A crash: the process dies with the temporary on disk.
    const auto temps = TemporariesUnder(dir_);
    ASSERT_EQ(temps.size(), 1u);
    fs::copy_file(temps[0], dir_ / "curated/t" / (fs::path(temps[0]).filename().string() + "x"));
  }
  ASSERT_EQ(TemporariesUnder(dir_).size(), 1u);
  auto store = *LocalStore::Open(dir_.string());
  EXPECT_TRUE(TemporariesUnder(dir_).empty());
  EXPECT_TRUE(store->List("")->empty());
}

TEST_F(LocalStoreTest, WriterStorageFailureIsUnavailableAndPublishesNothing) {
  auto store = *LocalStore::Open(dir_.string());
  std::ofstream(dir_ / "raw") << "not a directory";
  auto opened = store->OpenWriter("raw/x/part-0");
  EXPECT_EQ(KindOf(opened.status()), ErrorKind::kUnavailable) << opened.status().ToString();
  // The rename fails: a directory stands where the object must go.
  ASSERT_TRUE(store->Put("curated/t/part-0/inner", "x").ok());
  auto writer = *store->OpenWriter("curated/t/part-0");
  ASSERT_TRUE(WriteString(writer.get(), "data").ok());
  const arrow::Status st = writer->Commit();
  EXPECT_EQ(KindOf(st), ErrorKind::kUnavailable) << st.ToString();
  EXPECT_NE(st.message().find("curated/t/part-0"), std::string::npos) << st.ToString();
  EXPECT_TRUE(writer->closed());
  EXPECT_TRUE(TemporariesUnder(dir_).empty());
  EXPECT_EQ(KeysOf(*store->List("curated/")), (std::vector<std::string>{"curated/t/part-0/inner"}));
}

TEST_F(LocalStoreTest, MoveFailureIsUnavailableAndKeepsTheSource) {
  auto store = *LocalStore::Open(dir_.string());
  ASSERT_TRUE(store->Put("staging/run-1/part-0", "p").ok());
  ASSERT_TRUE(store->Put("curated/t/part-0/inner", "x").ok());
  const arrow::Status st = store->Move("staging/run-1/part-0", "curated/t/part-0");
  EXPECT_EQ(KindOf(st), ErrorKind::kUnavailable) << st.ToString();
  EXPECT_EQ(*store->Get("staging/run-1/part-0"), "p");
}

TEST_F(LocalStoreTest, DeletePrefixRemovesFilesTemporariesAndEmptyFolders) {
  auto store = *LocalStore::Open(dir_.string());
  ASSERT_TRUE(store->Put("staging/run-1/date=1/part-0", "p").ok());
  ASSERT_TRUE(store->Put("staging/run-2/part-0", "p").ok());
  fs::create_directories(dir_ / "staging/run-1/empty/deeper");
  std::ofstream(dir_ / "staging/run-1/date=1/.tmp-part-1-99-0") << "left by a crash";
  auto writer = *store->OpenWriter("staging/run-1/part-9");  // in flight: its temporary goes too
  ASSERT_TRUE(WriteString(writer.get(), "p").ok());
  ASSERT_TRUE(writer->Flush().ok());

  ASSERT_TRUE(store->DeletePrefix("staging/run-1/").ok());
  EXPECT_FALSE(fs::exists(dir_ / "staging/run-1"));
  EXPECT_TRUE(fs::exists(dir_ / "staging/run-2/part-0"));
  EXPECT_EQ(KindOf(writer->Commit()), ErrorKind::kUnavailable);
  EXPECT_FALSE(fs::exists(dir_ / "staging/run-1"));

  ASSERT_TRUE(store->DeletePrefix("staging/run-2/").ok());
  EXPECT_TRUE(fs::is_directory(dir_ / "staging"));  // the parent stays, even empty
  EXPECT_TRUE(fs::is_empty(dir_ / "staging"));
}

// --- Fault injection -------------------------------------------------------------------

TEST(FaultyStoreTest, FailsChosenCallsThenHeals) {
  auto inner = std::make_shared<MemoryStore>();
  FaultyStore store(inner);
  store.FailNext(FaultyStore::Op::kPut, 2, MakeError(ErrorKind::kUnavailable, "ENOSPC"));
  EXPECT_EQ(KindOf(store.Put("a", "1")), ErrorKind::kUnavailable);
  EXPECT_EQ(KindOf(store.PutBatch({{"b", "2"}})), ErrorKind::kUnavailable);
  EXPECT_TRUE(store.Put("c", "3").ok());
  EXPECT_EQ(inner->List("")->size(), 1u);  // the failed calls reached nothing
  store.FailAlways(FaultyStore::Op::kGet, MakeError(ErrorKind::kUnavailable, "EIO"));
  EXPECT_FALSE(store.Get("c").ok());
  store.Heal();
  EXPECT_EQ(*store.Get("c"), "3");
  EXPECT_EQ(store.failures(), 3);
}

class FaultyWriterTest : public ::testing::TestWithParam<FaultyStore::Op> {};

// A failed writer publishes nothing, whichever call failed, and reports the injected error.
TEST_P(FaultyWriterTest, FailedWriterPublishesNothing) {
  const fs::path dir = fs::temp_directory_path() / "latebind_faulty_writer";
  fs::remove_all(dir);
  std::shared_ptr<ObjectStore> local = std::move(*LocalStore::Open(dir.string()));
  FaultyStore store(local);
  store.FailNext(GetParam(), 1, MakeError(ErrorKind::kUnavailable, "ENOSPC"));
  arrow::Status st = [&]() -> arrow::Status {
    ARROW_ASSIGN_OR_RAISE(auto writer, store.OpenWriter("curated/t/part-0"));
    // A caller may go on after a failed write; Commit must not publish then either.
    const arrow::Status first = WriteString(writer.get(), "first");
    const arrow::Status second = WriteString(writer.get(), "second");
    EXPECT_TRUE(first.Equals(second)) << first.ToString() << " then " << second.ToString();
    return writer->Commit();
  }();
  EXPECT_EQ(KindOf(st), ErrorKind::kUnavailable) << st.ToString();
  EXPECT_EQ(st.message(), "ENOSPC");
  EXPECT_TRUE(local->List("")->empty());
  EXPECT_TRUE(TemporariesUnder(dir).empty());
  EXPECT_EQ(store.failures(), 1);
  // Healed, the same writes go through.
  auto writer = *store.OpenWriter("curated/t/part-0");
  ASSERT_TRUE(WriteString(writer.get(), "data").ok());
  ASSERT_TRUE(writer->Commit().ok());
  EXPECT_EQ(*local->Get("curated/t/part-0"), "data");
  fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Ops, FaultyWriterTest,
                         ::testing::Values(FaultyStore::Op::kOpenWriter,
                                           FaultyStore::Op::kWriterWrite,
                                           FaultyStore::Op::kWriterCommit));

TEST(FaultyStoreTest, FailedMoveAndDeletePrefixChangeNothing) {
  auto inner = std::make_shared<MemoryStore>();
  FaultyStore store(inner);
  ASSERT_TRUE(store.Put("staging/run-1/part-0", "p").ok());
  store.FailNext(FaultyStore::Op::kMove, 1, MakeError(ErrorKind::kUnavailable, "EIO"));
  EXPECT_EQ(KindOf(store.Move("staging/run-1/part-0", "curated/part-0")), ErrorKind::kUnavailable);
  store.FailNext(FaultyStore::Op::kDelete, 1, MakeError(ErrorKind::kUnavailable, "EIO"));
  EXPECT_EQ(KindOf(store.DeletePrefix("staging/")), ErrorKind::kUnavailable);
  EXPECT_EQ(KeysOf(*inner->List("")), (std::vector<std::string>{"staging/run-1/part-0"}));
  ASSERT_TRUE(store.Move("staging/run-1/part-0", "curated/part-0").ok());
  ASSERT_TRUE(store.DeletePrefix("staging/").ok());
  EXPECT_EQ(KeysOf(*inner->List("")), (std::vector<std::string>{"curated/part-0"}));
  EXPECT_EQ(store.failures(), 2);
}

}  // namespace
}  // namespace latebind::storage

namespace latebind::storage {
namespace {

TEST(ZoneKeysTest, ReadsSourceDateAndMetaKeyFromAZoneKey) {
  const std::string raw = "raw/source=bank-eu/date=2026-11-23/01ABC.ndjson.gz";
  EXPECT_EQ(SourceOfKey(raw), "bank-eu");
  EXPECT_EQ(DateOfKey(raw), "2026-11-23");
  EXPECT_EQ(MetaKeyOf(raw), "raw/source=bank-eu/date=2026-11-23/01ABC.meta.json");
  EXPECT_EQ(MetaKeyOf("dead-letter/source=s/date=2026-01-02/01X.csv"),
            "dead-letter/source=s/date=2026-01-02/01X.meta.json");
  EXPECT_EQ(SourceOfKey("staging/run/t/x.parquet"), "");
  EXPECT_EQ(DateOfKey("staging/run/t/x.parquet"), "");
}

}  // namespace
}  // namespace latebind::storage
