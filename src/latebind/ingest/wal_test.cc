#include "latebind/ingest/wal.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "latebind/common/status.h"
#include "latebind/ingest/lander.h"
#include "latebind/storage/faulty_store.h"
#include "latebind/storage/memory_store.h"
#include "latebind/storage/zone_keys.h"

namespace latebind::ingest {
namespace {

namespace fs = std::filesystem;

class WalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("latebind_wal_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::vector<fs::path> Segments() const {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(dir_)) {
      if (e.path().filename().string().starts_with("segment-")) out.push_back(e.path());
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  // Lands `bodies` (NDJSON) through the log while every put to `store` fails, then shuts the
  // lander down with the store still failing: the log alone holds them. Their receipts.
  std::vector<Receipt> LandWhileTheStoreFails(std::shared_ptr<storage::ObjectStore> store,
                                              const std::vector<std::string>& bodies) {
    auto faulty = std::make_shared<storage::FaultyStore>(std::move(store));
    faulty->FailAlways(storage::FaultyStore::Op::kPut,
                       MakeError(ErrorKind::kUnavailable, "Input/output error"));
    Lander lander(faulty, {}, *WriteAheadLog::Open(dir_.string()));
    std::vector<Receipt> acked;
    for (const std::string& body : bodies) {
      Arrival a;
      a.source = "s";
      a.body = body;
      a.content_type = "application/x-ndjson";
      auto r = lander.Land(a).get();
      EXPECT_TRUE(r.ok()) << r.status().ToString();  // durable in the log, the store down
      if (r.ok()) acked.push_back(*r);
    }
    return acked;
  }
  fs::path dir_;
};

TEST_F(WalTest, AppendedRecordsReplayAfterReopen) {
  {
    auto wal = *WriteAheadLog::Open(dir_.string());
    ASSERT_TRUE(wal->Append({{"raw/a", "1"}, {"raw/a.meta.json", "{}"}}).ok());
    ASSERT_TRUE(wal->Append({{"raw/b", std::string("\0\xff", 2)}}).ok());
  }  // a crash: nothing was marked done
  auto wal = *WriteAheadLog::Open(dir_.string());
  auto records = *wal->Replay();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].second.size(), 2u);
  EXPECT_EQ(records[0].second[1].key, "raw/a.meta.json");
  EXPECT_EQ(records[1].second[0].bytes, std::string("\0\xff", 2));
  wal->ReleaseReplayed();
  EXPECT_EQ(Segments().size(), 1u);  // only the fresh segment remains
}

// A second opener would replay the segments and then delete them, the one the first
// appends to included: it is refused while the first holds the log, and then only.
TEST_F(WalTest, OnlyOneOpenerAtATime) {
  auto first = *WriteAheadLog::Open(dir_.string());
  ASSERT_TRUE(first->Append({{"raw/a", "1"}}).ok());
  auto second = WriteAheadLog::Open(dir_.string());
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("in use by another process"), std::string::npos)
      << second.status().message();
  EXPECT_EQ(Segments().size(), 1u);  // untouched
  first.reset();
  auto reopened = WriteAheadLog::Open(dir_.string());
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  EXPECT_EQ((*reopened)->Replay()->size(), 1u);
}

// A clean stop: once everything is stored, the segment being appended to goes too, so the
// next start replays nothing; a segment with a record not yet stored is never sealed.
TEST_F(WalTest, ASealedLogLeavesNothingToReplay) {
  {
    auto wal = *WriteAheadLog::Open(dir_.string());
    const uint64_t seg = *wal->Append({{"raw/a", "1"}});
    wal->Seal();  // not stored yet: stays
    EXPECT_TRUE(wal->Retirable().empty());
    wal->Done(seg);
    wal->Seal();
    wal->Retire(wal->Retirable());
    EXPECT_TRUE(Segments().empty());
    // Appending after a seal starts a new segment.
    const uint64_t next = *wal->Append({{"raw/b", "2"}});
    EXPECT_GT(next, seg);
    wal->Done(next);
    wal->Seal();
    wal->Retire(wal->Retirable());
  }
  auto wal = *WriteAheadLog::Open(dir_.string());
  EXPECT_TRUE(wal->Replay()->empty());
}

TEST_F(WalTest, TornTailIsNotReplayed) {
  {
    auto wal = *WriteAheadLog::Open(dir_.string());
    ASSERT_TRUE(wal->Append({{"raw/a", "first"}}).ok());
    ASSERT_TRUE(wal->Append({{"raw/b", std::string(1000, 'x')}}).ok());
  }
  // A crash mid-append: the last record is cut short.
  const fs::path segment = Segments().back();
  fs::resize_file(segment, fs::file_size(segment) - 10);
  auto wal = *WriteAheadLog::Open(dir_.string());
  auto records = *wal->Replay();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].second[0].key, "raw/a");
}

TEST_F(WalTest, StoredSegmentsAreRetiredOnceRotated) {
  auto wal = *WriteAheadLog::Open(dir_.string(), /*segment_bytes=*/64);
  std::vector<uint64_t> segs;
  for (int i = 0; i < 4; ++i) segs.push_back(*wal->Append({{"raw/k", std::string(100, 'y')}}));
  EXPECT_EQ(Segments().size(), 4u);  // each record filled its own segment
  wal->Done(segs[0]);
  wal->Done(segs[3]);
  EXPECT_EQ(wal->Retirable(), std::vector<uint64_t>{segs[0]});  // not the one appended to
  EXPECT_EQ(Segments().size(), 4u);  // stored is not synced: nothing goes yet
  wal->Done(segs[1]);
  wal->Done(segs[2]);
  wal->Retire(wal->Retirable());
  EXPECT_TRUE(wal->Retirable().empty());
  EXPECT_EQ(Segments().size(), 1u);  // the one still appended to stays
}

// The materializer writes without syncs (ADR-037): a power cut can leave an object empty or
// cut short under its name. Replay writes every object that does not hold the logged bytes.
TEST_F(WalTest, ReplayRewritesObjectsLeftIncomplete) {
  auto store = std::make_shared<storage::MemoryStore>();
  {
    auto wal = *WriteAheadLog::Open(dir_.string());
    ASSERT_TRUE(wal->Append({{"raw/a", "aaaa"}, {"raw/b", "bbbb"}, {"raw/c", "cccc"}}).ok());
  }
  ASSERT_TRUE(store->Put("raw/a", "aaaa").ok());  // complete
  ASSERT_TRUE(store->Put("raw/b", "bb").ok());    // cut short
  ASSERT_TRUE(store->Put("raw/c", "xxxx").ok());  // the right size, other bytes
  auto wal = *WriteAheadLog::Open(dir_.string());
  ASSERT_TRUE(ReplayWal(wal.get(), store.get()).ok());
  EXPECT_EQ(*store->Get("raw/a"), "aaaa");
  EXPECT_EQ(*store->Get("raw/b"), "bbbb");
  EXPECT_EQ(*store->Get("raw/c"), "cccc");
}

// Segments go only after the store is synced: while Sync fails they stay for the replay,
// although every object is stored; once it syncs, the stored ones go.
TEST_F(WalTest, SegmentsStayUntilTheStoreSyncs) {
  auto inner = std::make_shared<storage::MemoryStore>();
  auto faulty = std::make_shared<storage::FaultyStore>(inner);
  faulty->FailAlways(storage::FaultyStore::Op::kSync,
                     MakeError(ErrorKind::kUnavailable, "Input/output error"));
  auto land = [&] {
    Lander lander(faulty, {}, *WriteAheadLog::Open(dir_.string(), /*segment_bytes=*/64));
    for (int i = 0; i < 3; ++i) {
      Arrival a;
      a.source = "s";
      a.body = std::string(100, 'z') + "\n";  // a record per segment
      a.content_type = "application/x-ndjson";
      ASSERT_TRUE(lander.Land(a).get().ok());
    }
  };  // the destructor stores everything logged
  land();
  EXPECT_EQ(inner->List("raw/")->size(), 6u);  // 3 payloads and their metas
  EXPECT_EQ(Segments().size(), 3u);            // one per record: none retired
  faulty->Heal();
  land();  // nobody replays here: this Lander only appends, stores and retires
  // Its segments retired after a sync, the last one sealed at the clean stop; the 3 from
  // before wait for a replay.
  EXPECT_EQ(Segments().size(), 3u);
}

TEST_F(WalTest, LanderAcknowledgesFromTheLogAndStoresInTheBackground) {
  auto store = std::make_shared<storage::MemoryStore>();
  std::vector<std::string> stored;
  std::mutex mu;
  Receipt first;
  {
    Lander lander(store, {}, *WriteAheadLog::Open(dir_.string()));
    lander.OnStored([&](const std::string& key) {
      std::lock_guard lock(mu);
      stored.push_back(key);
    });
    Arrival a;
    a.source = "s";
    a.body = "{\"a\":1}\n";
    a.content_type = "application/x-ndjson";
    a.idempotency_key = "k";
    first = *lander.Land(a).get();
    // A retry before or after the background write gets the same receipt.
    EXPECT_EQ(lander.Land(a).get()->object, first.object);
  }  // the destructor stores what the log holds
  EXPECT_EQ(*store->Get(first.object), "{\"a\":1}\n");
  EXPECT_TRUE(store->Get(storage::MetaKeyOf(first.object)).ok());
  EXPECT_EQ(stored, std::vector<std::string>{first.object});
  EXPECT_EQ(store->List("raw/")->size(), 2u);
}

TEST_F(WalTest, AcknowledgedPayloadsSurviveAStoreThatFailsUntilReplay) {
  auto inner = std::make_shared<storage::MemoryStore>();
  std::vector<std::string> bodies;
  for (int i = 0; i < 5; ++i) bodies.push_back("{\"i\":" + std::to_string(i) + "}\n");
  const std::vector<Receipt> acked = LandWhileTheStoreFails(inner, bodies);
  ASSERT_EQ(acked.size(), 5u);
  EXPECT_TRUE(inner->List("raw/")->empty());
  auto wal = *WriteAheadLog::Open(dir_.string());
  auto replayed = ReplayWal(wal.get(), inner.get());
  ASSERT_TRUE(replayed.ok()) << replayed.status().ToString();
  EXPECT_EQ(replayed->size(), 5u);
  for (const Receipt& r : acked) {
    EXPECT_EQ(Sha256Hex(*inner->Get(r.object)), r.sha256);
    EXPECT_TRUE(inner->Get(storage::MetaKeyOf(r.object)).ok());
  }
}

// Concurrency audit 2026-11-24: after a kill -9, replay wrote every dead-lettered payload of
// the unretired segments back into raw/, to be profiled and dead-lettered again (and left in
// both zones by a stop in between). One whose dead-letter twin exists stays out (ADR-119).
TEST_F(WalTest, ReplayLeavesADeadLetteredPayloadWhereItWent) {
  auto inner = std::make_shared<storage::MemoryStore>();
  const std::vector<Receipt> acked = LandWhileTheStoreFails(inner, {"{\"ok\":1}\n", "{\"broken\n"});
  ASSERT_EQ(acked.size(), 2u);
  // The second was profiled and moved to dead-letter/ before the crash.
  const std::string dead = "dead-letter/" + acked[1].object.substr(4);
  ASSERT_TRUE(inner->Put(dead, "{\"broken\n").ok());
  ASSERT_TRUE(inner->Put(storage::MetaKeyOf(dead), "{}").ok());
  auto wal = *WriteAheadLog::Open(dir_.string());
  auto replayed = ReplayWal(wal.get(), inner.get());
  ASSERT_TRUE(replayed.ok()) << replayed.status().ToString();
  EXPECT_EQ(*replayed, std::vector<std::string>{acked[0].object});
  EXPECT_TRUE(inner->Get(acked[0].object).ok());
  EXPECT_FALSE(inner->Get(acked[1].object).ok());
  EXPECT_FALSE(inner->Get(storage::MetaKeyOf(acked[1].object)).ok());
}

TEST_F(WalTest, AStoreFarBehindHoldsBackAcknowledgements) {
  auto inner = std::make_shared<storage::MemoryStore>();
  auto faulty = std::make_shared<storage::FaultyStore>(inner);
  faulty->FailAlways(storage::FaultyStore::Op::kPut,
                     MakeError(ErrorKind::kUnavailable, "Input/output error"));
  LanderOptions options;
  options.max_unstored_bytes = 1;                       // one batch at a time past the store
  options.max_backlog_wait = std::chrono::seconds(60);  // waits, is not refused
  Lander lander(faulty, options, *WriteAheadLog::Open(dir_.string()));
  Arrival a;
  a.source = "s";
  a.body = "{\"a\":1}\n";
  a.content_type = "application/x-ndjson";
  const Receipt first = *lander.Land(a).get();  // room for one batch: acknowledged from the log
  auto second = lander.Land(a);
  EXPECT_EQ(second.wait_for(std::chrono::milliseconds(300)), std::future_status::timeout);
  EXPECT_GE(faulty->failures(), 1);  // the materializer is retrying the first
  faulty->Heal();
  const arrow::Result<Receipt> r = second.get();  // the first stored, so room again
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(inner->Get(first.object).ok());
  EXPECT_NE(r->object, first.object);
}

TEST_F(WalTest, AStoreThatStaysBehindIsRefusedThenAcceptedAgain) {
  using Clock = std::chrono::steady_clock;
  auto inner = std::make_shared<storage::MemoryStore>();
  auto faulty = std::make_shared<storage::FaultyStore>(inner);
  faulty->FailAlways(storage::FaultyStore::Op::kPut,
                     MakeError(ErrorKind::kUnavailable, "Input/output error"));
  LanderOptions options;
  options.max_unstored_bytes = 1;
  options.max_backlog_wait = std::chrono::milliseconds(1500);
  Lander lander(faulty, options, *WriteAheadLog::Open(dir_.string()));
  Arrival a;
  a.source = "s";
  a.body = "{\"a\":1}\n";
  a.content_type = "application/x-ndjson";
  const Receipt first = *lander.Land(a).get();
  EXPECT_GT(lander.unstored_bytes(), a.body.size());  // the payload and its meta

  // The next waits its full time for room, then is refused with the store's error.
  auto start = Clock::now();
  arrow::Result<Receipt> refused = lander.Land(a).get();
  EXPECT_GE(Clock::now() - start, options.max_backlog_wait);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(KindOf(refused.status()), ErrorKind::kUnavailable);
  EXPECT_NE(refused.status().message().find("behind the write-ahead log"), std::string::npos);
  EXPECT_NE(refused.status().message().find("Input/output error"), std::string::npos);
  // Those after it are refused without waiting (the bound is generous: a loaded machine).
  start = Clock::now();
  Arrival keyed = a;
  keyed.idempotency_key = "k1";
  refused = lander.Land(keyed).get();
  EXPECT_LT(Clock::now() - start, options.max_backlog_wait / 2);
  EXPECT_EQ(KindOf(refused.status()), ErrorKind::kUnavailable);

  faulty->Heal();
  // Once the materializer's next try stores the first there is room again, and the refused
  // keyed arrival lands anew.
  for (int i = 0; i < 500 && lander.unstored_bytes() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(lander.unstored_bytes(), 0u);
  const arrow::Result<Receipt> retried = lander.Land(keyed).get();
  ASSERT_TRUE(retried.ok()) << retried.status().ToString();
  const arrow::Result<Receipt> later = lander.Land(a).get();
  ASSERT_TRUE(later.ok()) << later.status().ToString();
  // Nothing refused was logged: the store ends with exactly the three acknowledged.
  for (int i = 0; i < 500 && lander.unstored_bytes() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::vector<std::string> payloads;
  for (const auto& o : *inner->List("raw/")) {
    if (!o.key.ends_with(".meta.json")) payloads.push_back(o.key);
  }
  std::sort(payloads.begin(), payloads.end());
  std::vector<std::string> expected = {first.object, retried->object, later->object};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(payloads, expected);
}

}  // namespace
}  // namespace latebind::ingest
