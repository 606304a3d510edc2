#include "latebind/ingest/arrivals.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "latebind/common/gzip_for_tests.h"
#include "latebind/common/status.h"
#include "latebind/ingest/digest.h"
#include "latebind/ingest/lander.h"
#include "latebind/registry/sqlite_registry.h"
#include "latebind/storage/faulty_store.h"
#include "latebind/storage/local_store.h"
#include "latebind/storage/memory_store.h"
#include "latebind/storage/zone_keys.h"

namespace latebind::ingest {
namespace {

using storage::FaultyStore;
using storage::MemoryStore;

std::string LandOne(Lander& lander, std::string body, std::string type = "application/x-ndjson") {
  Arrival a;
  a.source = "bank";
  a.body = std::move(body);
  a.content_type = std::move(type);
  auto r = lander.Land(std::move(a)).get();
  EXPECT_TRUE(r.ok());
  return r->object;
}

// A registry in a fresh temp file, removed with the fixture.
class ArrivalProcessorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("latebind-arrivals-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto r = registry::SqliteRegistry::Open((dir_ / "registry.db").string());
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    registry_ = *r;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
  std::shared_ptr<registry::Registry> registry_;
};

TEST_F(ArrivalProcessorTest, GoodPayloadIsAppliedToItsSourceSchema) {
  auto store = std::make_shared<MemoryStore>();
  Lander lander(store);
  ArrivalProcessor arrivals(store, registry_, {});
  const std::string key = LandOne(lander, "{\"a\":1}\n{\"a\":2.5}\n");
  EXPECT_EQ(*arrivals.Pending(), std::vector<std::string>{key});
  auto out = arrivals.Process(key);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_FALSE(out->dead_lettered);
  EXPECT_EQ(out->profile.records, 2u);
  auto v = registry_->Version("bank", 0);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->records, 2u);
  EXPECT_EQ(v->fields[0].type, FieldType::kFloat64);
  EXPECT_TRUE(arrivals.Pending()->empty());
}

TEST_F(ArrivalProcessorTest, MalformedPayloadMovesToDeadLetterWithReason) {
  auto store = std::make_shared<MemoryStore>();
  Lander lander(store);
  ArrivalProcessor arrivals(store, registry_, {});
  const std::string body = "{\"a\":1}\n{\"a\":1 \"b\":2}\n";
  const std::string key = LandOne(lander, body);
  auto out = arrivals.Process(key);
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(out->dead_lettered);
  EXPECT_TRUE(out->object.starts_with("dead-letter/source=bank/date=")) << out->object;
  EXPECT_EQ(*store->Get(out->object), body);  // unmodified
  const auto meta = nlohmann::json::parse(*store->Get(storage::MetaKeyOf(out->object)));
  EXPECT_EQ(meta["reason"]["line"], 2);
  EXPECT_EQ(meta["reason"]["column"], 8);
  EXPECT_EQ(meta["reason"]["byte"], 15);
  EXPECT_EQ(meta["sha256"], Sha256Hex(body));  // the landing meta is kept
  EXPECT_EQ(meta["raw_object"], key);
  EXPECT_TRUE(store->List("raw/")->empty());
  EXPECT_TRUE(arrivals.Pending()->empty());
}

TEST_F(ArrivalProcessorTest, CrashBetweenStepsIsCompletedByARetry) {
  auto inner = std::make_shared<MemoryStore>();
  auto faulty = std::make_shared<FaultyStore>(inner);
  Lander lander(inner);
  ArrivalProcessor arrivals(faulty, registry_, {});
  const std::string key = LandOne(lander, "not json at all {\n", "application/x-ndjson");
  // The dead-letter copy is written, then deleting the raw payload fails: as if the
  // process died right after the copy became durable.
  faulty->FailNext(FaultyStore::Op::kDelete, 1,
                   MakeError(ErrorKind::kUnavailable, "Input/output error"));
  auto first = arrivals.Process(key);
  EXPECT_FALSE(first.ok());
  EXPECT_EQ(inner->List("dead-letter/")->size(), 2u);
  // The raw payload is still there and still pending; processing again completes.
  EXPECT_EQ(*arrivals.Pending(), std::vector<std::string>{key});
  auto second = arrivals.Process(key);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_TRUE(second->dead_lettered);
  EXPECT_TRUE(inner->List("raw/")->empty());
  EXPECT_EQ(inner->List("dead-letter/")->size(), 2u);
}

TEST_F(ArrivalProcessorTest, OrphanMetaOfADeadLetteredPayloadIsCleaned) {
  auto store = std::make_shared<MemoryStore>();
  Lander lander(store);
  ArrivalProcessor arrivals(store, registry_, {});
  const std::string key = LandOne(lander, "[1,2]\n");
  ASSERT_TRUE(arrivals.Process(key)->dead_lettered);
  // Simulate the crash window: the raw meta survived its payload's deletion.
  ASSERT_TRUE(store->Put(storage::MetaKeyOf(key), "{}").ok());
  EXPECT_TRUE(arrivals.Pending()->empty());
  EXPECT_TRUE(store->List("raw/")->empty());
}

TEST_F(ArrivalProcessorTest, ReplayReturnsWhatNowParses) {
  auto store = std::make_shared<MemoryStore>();
  Lander lander(store);
  ArrivalProcessor arrivals(store, registry_, {});
  // Landed as NDJSON but is a pretty-printed JSON object: dead-lettered as NDJSON.
  const std::string body = "{\n  \"a\": 1\n}\n";
  auto out = arrivals.Process(LandOne(lander, body));
  ASSERT_TRUE(out->dead_lettered);
  // Still broken under the same reading: stays in dead-letter.
  auto same = arrivals.Replay(out->object);
  ASSERT_TRUE(same.ok());
  EXPECT_TRUE(same->dead_lettered);
  EXPECT_TRUE(store->Get(out->object).ok());
  // Replayed as JSON (the fix): back to raw with its meta, applied, dead-letter emptied.
  profiler::ProfileOptions as_json;
  as_json.format = profiler::Format::kJson;
  ArrivalProcessor fixed(store, registry_, as_json);
  auto back = fixed.Replay(out->object);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_FALSE(back->dead_lettered);
  EXPECT_TRUE(back->object.starts_with("raw/source=bank/"));
  EXPECT_TRUE(back->object.ends_with(".json")) << back->object;  // named as it parsed
  EXPECT_EQ(*store->Get(back->object), body);
  const auto meta = nlohmann::json::parse(*store->Get(storage::MetaKeyOf(back->object)));
  EXPECT_TRUE(meta.contains("replayed_at"));
  EXPECT_EQ(meta["replayed_as"], "json");
  EXPECT_FALSE(meta.contains("edited_before_replay"));  // the bytes as they arrived
  EXPECT_FALSE(meta.contains("reason"));
  ASSERT_TRUE(back->schema.has_value());
  EXPECT_EQ(back->schema->version, 1);
  EXPECT_TRUE(store->List("dead-letter/")->empty());
  EXPECT_TRUE(arrivals.Pending()->empty());
  EXPECT_EQ(KindOf(arrivals.Replay("raw/source=bank/x.ndjson").status()), ErrorKind::kBadInput);
}

// An operator fixes the payload in the dead-letter zone, then replays it: the meta
// describes the bytes now stored and keeps what arrived, so sha256 and bytes never lie.
TEST_F(ArrivalProcessorTest, ReplayOfAFixedPayloadRecordsBothVersions) {
  auto store = std::make_shared<MemoryStore>();
  Lander lander(store);
  ArrivalProcessor arrivals(store, registry_, {});
  const std::string broken = "{\"a\": 1,}\n";
  auto out = arrivals.Process(LandOne(lander, broken));
  ASSERT_TRUE(out->dead_lettered);
  const std::string fixed = "{\"a\": 1}\n";
  ASSERT_TRUE(store->Put(out->object, fixed).ok());
  auto back = arrivals.Replay(out->object);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_FALSE(back->dead_lettered);
  const auto meta = nlohmann::json::parse(*store->Get(storage::MetaKeyOf(back->object)));
  EXPECT_EQ(meta["sha256"], Sha256Hex(fixed));
  EXPECT_EQ(meta["bytes"], fixed.size());
  EXPECT_EQ(meta["received_sha256"], Sha256Hex(broken));
  EXPECT_EQ(meta["received_bytes"], broken.size());
  EXPECT_EQ(meta["edited_before_replay"], true);
  EXPECT_EQ(meta["replayed_as"], "ndjson");
}

// Lands `gz` as a gzip NDJSON payload of source "bank" (its raw key into `*key` when given)
// and processes it.
arrow::Result<ArrivalOutcome> LandGzip(Lander& lander, ArrivalProcessor& arrivals,
                                       const std::string& gz, std::string* key = nullptr) {
  Arrival a;
  a.source = "bank";
  a.body = gz;
  a.gzip = true;
  a.content_type = "application/x-ndjson";
  const std::string landed = lander.Land(a).get()->object;
  if (key != nullptr) *key = landed;
  return arrivals.Process(landed);
}

TEST_F(ArrivalProcessorTest, GzipBombIsDeadLetteredInBoundedMemory) {
  auto store = std::make_shared<MemoryStore>();
  Lander lander(store);
  profiler::ProfileOptions options;
  options.source.max_decompressed_bytes = 1 << 20;
  ArrivalProcessor arrivals(store, registry_, options);
  // 64 MiB of NDJSON lines in a few hundred kilobytes of gzip.
  std::string line = "{\"pad\":\"" + std::string(100, 'x') + "\"}\n";
  std::string plain;
  for (int i = 0; i < (64 << 20) / static_cast<int>(line.size()); ++i) plain += line;
  const std::string gz = GzipForTests(plain, 9);
  plain.clear();
  auto out = LandGzip(lander, arrivals, gz);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_TRUE(out->dead_lettered);
  const auto meta = nlohmann::json::parse(*store->Get(storage::MetaKeyOf(out->object)));
  EXPECT_NE(meta["reason"]["message"].get<std::string>().find("decompresses to more than 1048576"),
            std::string::npos)
      << meta.dump();
  // Audit 2026-11-24: the reason says what is wrong and which flag raises the limit.
  EXPECT_TRUE(meta["reason"]["message"].get<std::string>().starts_with("payload too large"))
      << meta.dump();
  EXPECT_NE(meta["reason"]["message"].get<std::string>().find("--max-decoded-bytes"),
            std::string::npos)
      << meta.dump();
  EXPECT_EQ(*store->Get(out->object), gz);  // kept as received
}

// Defect 2026-11-24: a truncated gzip was dead-lettered with a reason that named its raw/
// key, which no longer exists once the payload moved. Like every other reason, it names no
// object now (the meta's "object" does) and keeps the compressed byte offset. On a local
// store, whose sources were opened under the key.
TEST_F(ArrivalProcessorTest, TruncatedGzipReasonNamesNoFormerKey) {
  auto opened = storage::LocalStore::Open((dir_ / "home").string());
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  std::shared_ptr<storage::ObjectStore> store = std::move(*opened);
  Lander lander(store);
  ArrivalProcessor arrivals(store, registry_, {});
  std::string plain;
  for (int i = 0; i < 2000; ++i) plain += "{\"id\":" + std::to_string(i) + ",\"pad\":\"xyz\"}\n";
  std::string gz = GzipForTests(plain);
  gz.resize(gz.size() / 2);
  std::string key;
  auto out = LandGzip(lander, arrivals, gz, &key);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_TRUE(out->dead_lettered);
  const auto meta = nlohmann::json::parse(*store->Get(storage::MetaKeyOf(out->object)));
  EXPECT_EQ(meta["object"], out->object);
  const std::string message = meta["reason"]["message"].get<std::string>();
  EXPECT_TRUE(message.starts_with("truncated gzip stream (ends at compressed byte ")) << message;
  EXPECT_EQ(message.find("raw/"), std::string::npos) << message;
  EXPECT_EQ(message.find(dir_.string()), std::string::npos) << message;
  EXPECT_EQ(out->profile.problems.front().message, message);
  EXPECT_FALSE(store->Get(key).ok());
}

TEST_F(ArrivalProcessorTest, BatchIsAppliedTogetherAndDeadLettersTheBad) {
  auto store = std::make_shared<MemoryStore>();
  Lander lander(store);
  ArrivalProcessor arrivals(store, registry_, {});
  std::vector<std::string> keys;
  for (int i = 0; i < 10; ++i) {
    keys.push_back(LandOne(lander, i == 4 ? "{broken\n" : "{\"i\":" + std::to_string(i) + "}\n"));
  }
  keys.push_back("raw/source=bank/date=2026-01-01/gone.ndjson");
  const auto results = arrivals.ProcessBatch(keys);
  ASSERT_EQ(results.size(), 11u);
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(results[i].ok()) << i;
    EXPECT_EQ(results[i]->dead_lettered, i == 4) << i;
  }
  EXPECT_EQ(KindOf(results[10].status()), ErrorKind::kNotFound);
  EXPECT_EQ(results[9]->schema->version, 1);  // all nine in one version: one schema
  EXPECT_EQ((*registry_->Sources())[0].payloads, 9u);
  EXPECT_EQ(store->List("dead-letter/")->size(), 2u);
  EXPECT_TRUE(arrivals.Pending()->empty());
}

TEST_F(ArrivalProcessorTest, GoneObjectIsNotFound) {
  ArrivalProcessor arrivals(std::make_shared<MemoryStore>(), registry_, {});
  EXPECT_EQ(KindOf(arrivals.Process("raw/source=a/date=2026-01-01/x.ndjson").status()),
            ErrorKind::kNotFound);
}

TEST_F(ArrivalProcessorTest, ParsedPayloadUpdatesItsSourceSchemaExactlyOnce) {
  auto store = std::make_shared<MemoryStore>();
  Lander lander(store);
  ArrivalProcessor arrivals(store, registry_, {});
  const std::string key = LandOne(lander, "{\"a\":1,\"b\":\"x\"}\n{\"a\":2,\"b\":\"y\"}\n");
  auto out = arrivals.Process(key);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_TRUE(out->schema.has_value());
  EXPECT_EQ(out->schema->version, 1);
  EXPECT_TRUE(out->schema->new_version);
  // Processed again (a key handed over twice, or a retry): counted once.
  auto again = arrivals.Process(key);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->schema->already_applied);
  auto sources = registry_->Sources();
  ASSERT_TRUE(sources.ok());
  ASSERT_EQ(sources->size(), 1u);
  EXPECT_EQ((*sources)[0].source_id, "bank");
  EXPECT_EQ((*sources)[0].payloads, 1u);
  EXPECT_EQ((*sources)[0].records, 2u);
}

TEST_F(ArrivalProcessorTest, DeadLetterIsRecordedAndReplayClearsIt) {
  auto store = std::make_shared<MemoryStore>();
  Lander lander(store);
  ArrivalProcessor arrivals(store, registry_, {});
  const std::string key = LandOne(lander, "{\"a\":1}\n{\"a\":1 \"b\":2}\n");
  auto out = arrivals.Process(key);
  ASSERT_TRUE(out.ok());
  ASSERT_TRUE(out->dead_lettered);
  EXPECT_EQ((*registry_->Sources())[0].dead_letters, 1u);
  // Fixed in place (as an operator would after correcting the producer's bytes).
  ASSERT_TRUE(store->Put(out->object, "{\"a\":1}\n{\"a\":1,\"b\":2}\n").ok());
  auto replayed = arrivals.Replay(out->object);
  ASSERT_TRUE(replayed.ok()) << replayed.status().ToString();
  EXPECT_FALSE(replayed->dead_lettered);
  ASSERT_TRUE(replayed->schema.has_value());
  const auto s = (*registry_->Sources())[0];
  EXPECT_EQ(s.dead_letters, 0u);
  EXPECT_EQ(s.payloads, 1u);
  EXPECT_EQ(s.latest_version, 1);
}

TEST_F(ArrivalProcessorTest, RegistryFailureLeavesThePayloadPending) {
  auto store = std::make_shared<MemoryStore>();
  Lander lander(store);
  // Another connection holds the write lock; a short busy timeout makes Apply fail fast.
  auto locked = registry::SqliteRegistry::Open((dir_ / "registry.db").string(), 100);
  ASSERT_TRUE(locked.ok());
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ / "registry.db").c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  ArrivalProcessor arrivals(store, *locked, {});
  const std::string key = LandOne(lander, "{\"a\":1}\n");
  auto out = arrivals.Process(key);
  EXPECT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("locked"), std::string::npos) << out.status().ToString();
  EXPECT_EQ(*arrivals.Pending(), std::vector<std::string>{key});  // not marked: retried later
  ASSERT_EQ(sqlite3_exec(raw, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(raw);
  ASSERT_TRUE(arrivals.Process(key).ok());
  EXPECT_TRUE(arrivals.Pending()->empty());
}

TEST_F(ArrivalProcessorTest, MarkersOfAnOlderHomeAreNotPayloads) {
  auto store = std::make_shared<MemoryStore>();
  Lander lander(store);
  ArrivalProcessor arrivals(store, registry_, {});
  const std::string key = LandOne(lander, "{\"a\":1}\n");
  // A home written before the registry recorded profiling (ADR-026) has marker files.
  const std::string marker = key.substr(0, key.rfind('.')) + ".profile.json";
  ASSERT_TRUE(store->Put(marker, "{\"records\": 1}").ok());
  EXPECT_EQ(*arrivals.Pending(), std::vector<std::string>{key});  // profiled again, once
  ASSERT_TRUE(arrivals.Process(key).ok());
  EXPECT_TRUE(arrivals.Pending()->empty());
}

}  // namespace
}  // namespace latebind::ingest
