// One suite for every ObjectStore (STYLE.md §6): memory, local directory, and the faulty
// wrapper while healthy. Implementation-specific cases follow the suite.
#include "latebind/storage/object_store.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include "latebind/common/gzip_for_tests.h"
#include "latebind/common/status.h"
#include "latebind/storage/faulty_store.h"
#include "latebind/storage/local_store.h"
#include "latebind/storage/memory_store.h"

namespace latebind::storage {
namespace {

namespace fs = std::filesystem;

struct Backend {
  std::string name;
  std::function<std::shared_ptr<ObjectStore>(const fs::path& dir)> make;
};

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

}  // namespace
}  // namespace latebind::storage
