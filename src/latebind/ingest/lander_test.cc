#include "latebind/ingest/lander.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "latebind/common/gzip_for_tests.h"
#include "latebind/common/status.h"
#include "latebind/storage/faulty_store.h"
#include "latebind/storage/memory_store.h"
#include "latebind/storage/zone_keys.h"

namespace latebind::ingest {
namespace {

using storage::FaultyStore;
using storage::MemoryStore;

// Counts PutBatch calls, to see that concurrent arrivals share them.
class CountingStore : public MemoryStore {
 public:
  arrow::Status PutBatch(const std::vector<storage::PutItem>& items) override {
    ++batches;
    // Hold the batch a moment, as a real sync does, so that arrivals queue up behind it.
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    return MemoryStore::PutBatch(items);
  }
  std::atomic<int> batches{0};
};

Arrival MakeArrival(std::string source, std::string body, std::string type = "") {
  Arrival a;
  a.source = std::move(source);
  a.body = std::move(body);
  a.content_type = std::move(type);
  return a;
}

TEST(LanderTest, LandsPayloadAndMetaDurablyWithReceipt) {
  auto store = std::make_shared<MemoryStore>();
  Lander lander(store);
  auto a = MakeArrival("bank", "{\"a\":1}\n", "application/x-ndjson");
  a.idempotency_key = "k-1";
  auto r = lander.Land(a).get();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->object.starts_with("raw/source=bank/date=")) << r->object;
  EXPECT_TRUE(r->object.ends_with("/" + r->object_id + ".ndjson")) << r->object;
  EXPECT_EQ(r->bytes, 8u);
  EXPECT_EQ(r->sha256, Sha256Hex("{\"a\":1}\n"));
  EXPECT_EQ(r->sha256.size(), 64u);
  EXPECT_EQ(*store->Get(r->object), "{\"a\":1}\n");
  const auto meta = nlohmann::json::parse(*store->Get(storage::MetaKeyOf(r->object)));
  EXPECT_EQ(meta["sha256"], r->sha256);
  EXPECT_EQ(meta["bytes"], 8);
  EXPECT_EQ(meta["source"], "bank");
  EXPECT_EQ(meta["received_at"], r->received_at);
  EXPECT_EQ(meta["idempotency_key"], "k-1");
}

TEST(LanderTest, Sha256KnownVector) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(LanderTest, ExtensionFromContentTypeOrContent) {
  auto store = std::make_shared<MemoryStore>();
  Lander lander(store);
  auto ext_of = [&](Arrival a) {
    auto r = lander.Land(std::move(a)).get();
    EXPECT_TRUE(r.ok());
    return r->object.substr(r->object.rfind('/') + 1 + 26);
  };
  EXPECT_EQ(ext_of(MakeArrival("s", "x", "application/json; charset=utf-8")), ".json");
  EXPECT_EQ(ext_of(MakeArrival("s", "x", "text/csv")), ".csv");
  // Media types are case-insensitive, with blanks allowed before parameters (audit: a
  // CSV sent as Text/CSV was sniffed, named .json and dead-lettered).
  EXPECT_EQ(ext_of(MakeArrival("s", "[a],[b]\n1,2\n", "Text/CSV")), ".csv");
  EXPECT_EQ(ext_of(MakeArrival("s", "x", "Application/X-NDJSON ;charset=utf-8")), ".ndjson");
  EXPECT_EQ(ext_of(MakeArrival("s", "x", " application/json\t; q=1")), ".json");
  EXPECT_EQ(ext_of(MakeArrival("s", "{\"a\":1}\n{\"a\":2}\n")), ".ndjson");
  EXPECT_EQ(ext_of(MakeArrival("s", "[{\"a\":1}]")), ".json");
  EXPECT_EQ(ext_of(MakeArrival("s", "a,b\n1,2\n", "text/plain")), ".csv");
  EXPECT_EQ(ext_of(MakeArrival("s", "\xEF\xBB\xBF{\"a\":1}\n")), ".ndjson");  // after a BOM
  // gzip: stored as received, named by its decoded content.
  const std::string gz = GzipForTests("{\"a\":1}\n");
  Arrival g = MakeArrival("s", gz);
  g.gzip = true;
  EXPECT_EQ(ext_of(g), ".ndjson.gz");
  EXPECT_EQ(storage::MetaKeyOf("raw/source=s/date=2026-11-23/01ABC.ndjson.gz"),
            "raw/source=s/date=2026-11-23/01ABC.meta.json");
}

TEST(LanderTest, BadSourceIdsTouchNothing) {
  auto store = std::make_shared<MemoryStore>();
  Lander lander(store);
  for (std::string id : {std::string("../etc"), std::string("UPPER"), std::string("a/b"),
                         std::string(80, 'a'), std::string("%2e%2e"), std::string("a\0b", 3),
                         std::string(""), std::string("-lead"), std::string("_lead")}) {
    auto r = lander.Land(MakeArrival(id, "{}")).get();
    ASSERT_FALSE(r.ok()) << id;
    EXPECT_EQ(KindOf(r.status()), ErrorKind::kBadInput) << id;
  }
  EXPECT_TRUE(store->List("")->empty());
  EXPECT_TRUE(ValidateSourceId(std::string(64, 'a')).ok());
  EXPECT_TRUE(ValidateSourceId("a-b_c9").ok());
}

TEST(LanderTest, ConcurrentArrivalsShareCommitsAndAllLand) {
  auto store = std::make_shared<CountingStore>();
  std::vector<arrow::Result<Receipt>> results;
  std::mutex mu;
  {
    Lander lander(store);
    std::vector<std::thread> clients;
    for (int c = 0; c < 16; ++c) {
      clients.emplace_back([&, c] {
        for (int i = 0; i < 20; ++i) {
          auto r = lander
                       .Land(MakeArrival("src", fmt::format("{{\"c\":{},\"i\":{}}}\n", c, i),
                                         "application/x-ndjson"))
                       .get();
          std::lock_guard lock(mu);
          results.push_back(std::move(r));
        }
      });
    }
    for (auto& t : clients) t.join();
  }
  ASSERT_EQ(results.size(), 320u);
  std::set<std::string> ids;
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok());
    ids.insert(r->object_id);
    EXPECT_EQ(Sha256Hex(*store->Get(r->object)), r->sha256);
  }
  EXPECT_EQ(ids.size(), 320u);
  EXPECT_EQ(store->List("raw/")->size(), 640u);  // payload + meta each
  EXPECT_LT(store->batches.load(), 320) << "arrivals were not grouped";
}

TEST(LanderTest, StorageFailureAcknowledgesNothingAndRecovers) {
  auto inner = std::make_shared<MemoryStore>();
  auto faulty = std::make_shared<FaultyStore>(inner);
  Lander lander(faulty);
  faulty->FailNext(FaultyStore::Op::kPut, 1,
                   MakeError(ErrorKind::kUnavailable, "No space left on device"));
  auto failed = lander.Land(MakeArrival("s", "{}", "application/json")).get();
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(KindOf(failed.status()), ErrorKind::kUnavailable);
  EXPECT_TRUE(inner->List("")->empty());
  auto ok = lander.Land(MakeArrival("s", "{}", "application/json")).get();
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(inner->List("")->size(), 2u);
}

TEST(LanderTest, IdempotentRetriesStoreNothingNew) {
  auto store = std::make_shared<MemoryStore>();
  Receipt first;
  {
    Lander lander(store);
    auto a = MakeArrival("s", "{\"a\":1}", "application/json");
    a.idempotency_key = "order-42";
    first = *lander.Land(a).get();
    EXPECT_FALSE(first.replayed);
    auto again = lander.Land(a).get();
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->object, first.object);
    EXPECT_EQ(again->sha256, first.sha256);
    EXPECT_TRUE(again->replayed);  // the first receipt, given again: nothing stored now
    // Another source with the same key is another payload.
    a.source = "t";
    EXPECT_NE(lander.Land(a).get()->object, first.object);
  }
  // Across a restart: a new lander over the same store answers from the stored receipt.
  Lander restarted(store);
  auto a = MakeArrival("s", "{\"a\":1}", "application/json");
  a.idempotency_key = "order-42";
  auto after = restarted.Land(a).get();
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->object, first.object);
  EXPECT_EQ(after->received_at, first.received_at);
  EXPECT_TRUE(after->replayed);
  EXPECT_EQ(store->List("raw/source=s/")->size(), 2u);  // one payload + its meta
}

TEST(LanderTest, ConcurrentRetriesShareTheFirstOutcome) {
  auto store = std::make_shared<CountingStore>();
  Lander lander(store);
  std::vector<std::future<arrow::Result<Receipt>>> futures;
  for (int i = 0; i < 8; ++i) {
    auto a = MakeArrival("s", "{}", "application/json");
    a.idempotency_key = "same";
    futures.push_back(lander.Land(a));
  }
  std::set<std::string> objects;
  int replayed = 0;
  for (auto& f : futures) {
    auto r = f.get();
    ASSERT_TRUE(r.ok());
    objects.insert(r->object);
    replayed += r->replayed;
  }
  EXPECT_EQ(objects.size(), 1u);
  EXPECT_EQ(replayed, 7);  // all but the one that landed
  EXPECT_EQ(store->List("raw/")->size(), 2u);
}

// A key reused for other bytes is refused, not answered with the first receipt: that
// 202 would say the new bytes landed. In flight, in the store, and after a restart alike.
TEST(LanderTest, AKeyReusedForOtherContentIsAConflict) {
  auto store = std::make_shared<MemoryStore>();
  auto first = MakeArrival("s", "{\"a\":1}", "application/json");
  first.idempotency_key = "order-42";
  auto other = first;
  other.body = "{\"a\":2}";
  auto expect_conflict = [&](arrow::Result<Receipt> r) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(KindOf(r.status()), ErrorKind::kConflict);
    EXPECT_NE(r.status().message().find("order-42"), std::string::npos) << r.status().message();
  };
  {
    Lander lander(store);
    auto a = lander.Land(first);
    auto b = lander.Land(other);  // likely while the first is committing
    ASSERT_TRUE(a.get().ok());
    expect_conflict(b.get());
    expect_conflict(lander.Land(other).get());  // answered from the stored receipt
    EXPECT_TRUE(lander.Land(first).get().ok());
  }
  Lander restarted(store);
  expect_conflict(restarted.Land(other).get());
  EXPECT_EQ(store->List("raw/source=s/")->size(), 2u);  // only the first payload + its meta
}

TEST(LanderTest, FailedKeyedArrivalCanBeRetried) {
  auto inner = std::make_shared<MemoryStore>();
  auto faulty = std::make_shared<FaultyStore>(inner);
  Lander lander(faulty);
  auto a = MakeArrival("s", "{}", "application/json");
  a.idempotency_key = "k";
  faulty->FailNext(FaultyStore::Op::kPut, 1, MakeError(ErrorKind::kUnavailable, "EIO"));
  EXPECT_FALSE(lander.Land(a).get().ok());
  auto retry = lander.Land(a).get();
  ASSERT_TRUE(retry.ok()) << retry.status().ToString();
  EXPECT_EQ(inner->List("raw/")->size(), 2u);
}

}  // namespace
}  // namespace latebind::ingest
