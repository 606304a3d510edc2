// The lander: makes arriving payloads durable in the raw zone, sharing syncs between
// concurrent arrivals (group commit), before anyone is told "accepted" (DESIGN.md §2, §8).
#pragma once

#include <arrow/result.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "latebind/common/ids.h"
#include "latebind/ingest/digest.h"
#include "latebind/ingest/wal.h"
#include "latebind/storage/object_store.h"

namespace latebind::ingest {

struct Arrival {
  std::string source;           // must match ^[a-z0-9][a-z0-9_-]{0,63}$ (ValidateSourceId)
  std::string body;             // the bytes exactly as received
  std::string content_type;     // application/json, application/x-ndjson, text/csv or ""
  bool gzip = false;            // Content-Encoding: gzip — stored as received, key ends .gz
  std::string idempotency_key;  // recorded in the meta; "" when none
};

// What the caller may acknowledge once the payload is durable.
struct Receipt {
  std::string object;     // key of the raw object
  std::string object_id;  // its ULID
  uint64_t bytes = 0;
  std::string sha256;       // hex of the body
  std::string received_at;  // ISO-8601 UTC, milliseconds
  // The first receipt of (source, idempotency key), given again to a retry: nothing was
  // stored for this arrival.
  bool replayed = false;
};

struct LanderOptions {
  // Arrivals committed together at most (default 64). Larger batches share syncs among
  // more payloads; the sync time grows with the bytes, so latency grows too.
  size_t max_batch = 64;
  // Committer threads (default 2): while one waits for its flush, the next batch is
  // already being written. Each batch is still durable before any of it is acknowledged.
  int committers = 2;
  // With a log: the bytes acknowledged from it and not yet written to the store, at most
  // (default 256 MiB). Past it a committer waits for the materializer before appending
  // more, so a store slower than the arrivals slows the acknowledgements instead of
  // growing memory without bound (ADR-045). One batch may pass it.
  size_t max_unstored_bytes = size_t{256} << 20;
  // How long a batch waits for that room (default 2 s). Then it fails with kUnavailable,
  // nothing of it logged, and so does every batch after it until there is room again: a
  // store that is down or far too slow sheds load with quick errors instead of holding
  // every request until its client gives up (ADR-046).
  std::chrono::milliseconds max_backlog_wait{2000};
};

// Group commit: Land() queues an arrival; a committer thread takes everything queued,
// writes each payload and its .meta.json with one ObjectStore::PutBatch (temp files, one
// shared flush, renames, directory flushes) and completes the futures. A lone arrival is
// committed at once — no timer waits for company; arrivals that come while a batch syncs
// form the next batch. Protocol and crash analysis: ADR-016. Thread-safe.
class Lander {
 public:
  // Without `wal`, a batch is acknowledged once PutBatch made it durable in the store.
  // With it (ADR-021), once one append + fdatasync made it durable in the log; a
  // materializer thread then writes it into the store in the background. Records the log
  // held at open must have been replayed into the store first (ReplayWal).
  Lander(std::shared_ptr<storage::ObjectStore> store, LanderOptions options = {},
         std::unique_ptr<WriteAheadLog> wal = nullptr);
  ~Lander();  // commits and materializes what is queued, then stops

  // Completes with a Receipt once the payload and its meta are durable, or with the
  // store's error (kUnavailable): then nothing of this arrival is acknowledged, and a
  // retry lands it anew. kBadInput for an invalid source id, before anything is written.
  // With an idempotency key, an arrival whose (source, key) already landed completes
  // with the first receipt and stores nothing — also across restarts, since the receipt
  // is committed in the same batch as the payload; concurrent arrivals with one key share
  // the first one's outcome.
  std::future<arrow::Result<Receipt>> Land(Arrival arrival);

  // The same, completing through `done`, called on the committer thread (keep it short:
  // post the work elsewhere). For servers that must not block a thread per request.
  using Callback = std::function<void(arrow::Result<Receipt>)>;
  void Land(Arrival arrival, Callback done);

  // Arrivals queued and not yet committed (for the queue-depth metric).
  size_t queued() const;
  // Logged batches not yet written into the store (with a write-ahead log; else 0).
  size_t materializing() const;
  // Their bytes: what the store is behind the log (with a write-ahead log; else 0).
  size_t unstored_bytes() const;
  // Called after each committed batch with its size and the seconds its flush took.
  // Set before the first Land.
  void OnCommit(std::function<void(size_t, double)> observer) { on_commit_ = std::move(observer); }
  // Called with each payload's raw key once it is in the store (with a log: after the
  // materializer wrote it; without: at commit). Set before the first Land.
  void OnStored(std::function<void(const std::string&)> observer) {
    on_stored_ = std::move(observer);
  }

  // The raw-zone key of a payload: raw/source=<id>/date=<YYYY-MM-DD>/<ulid>.<ext>[.gz]
  static std::string RawKey(const Arrival& arrival, const std::string& object_id,
                            const std::string& date);
  // Where the receipt of (source, idempotency key) is kept.
  static std::string IdempotencyKey(const std::string& source, const std::string& key);

 private:
  struct Pending {
    Arrival arrival;
    Callback done;
  };
  // A committed batch on its way into the store (log mode).
  struct Materialization {
    uint64_t segment;
    std::vector<WalItem> items;
    size_t bytes = 0;  // of items
    std::vector<std::string> payload_keys;
    std::vector<std::string> records;  // idempotency records it carries
  };
  void Run();
  void Commit(std::vector<Pending>* batch);
  // OK once the log may take another batch (LanderOptions::max_unstored_bytes), else
  // kUnavailable after max_backlog_wait, or at once while an earlier batch timed out and
  // the store has not caught up since.
  arrow::Status WaitForRoom();
  void Materialize();
  // Syncs the store and deletes the log segments whose records it now holds (ADR-037).
  void RetireLogSegments();
  // Ends the commit of idempotency record `record`; returns the arrivals waiting on it.
  std::vector<Callback> Settle(const std::string& record);

  std::shared_ptr<storage::ObjectStore> store_;
  LanderOptions options_;
  UlidGenerator ids_;
  std::function<void(size_t, double)> on_commit_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;
  // Idempotency records being committed → callers waiting for the same outcome.
  std::map<std::string, std::vector<Callback>> in_flight_;
  bool stopping_ = false;
  std::vector<std::thread> committers_;

  // Log mode only.
  std::unique_ptr<WriteAheadLog> wal_;
  std::function<void(const std::string&)> on_stored_;
  std::condition_variable materialize_cv_;
  std::deque<Materialization> to_store_;
  size_t unstored_bytes_ = 0;            // of to_store_ and the batch being stored
  std::condition_variable room_cv_;      // unstored_bytes_ fell, or stopping_
  bool backlog_stuck_ = false;           // a batch timed out waiting for room; cleared by room
  std::string store_error_;              // the materializer's last failure; "" once it succeeds
  std::map<uint64_t, int> outstanding_;  // segment → batches not yet stored
  std::map<std::string, Receipt> logged_receipts_;  // idempotency record → receipt, until stored
  bool committers_done_ = false;
  std::thread materializer_;
};

// Writes every record `wal` held when it was opened into `store` (durably) and returns the
// payload keys, so that a restart serves only after acknowledged payloads are in the raw
// zone. Idempotent: replaying twice writes the same objects again.
arrow::Result<std::vector<std::string>> ReplayWal(WriteAheadLog* wal, storage::ObjectStore* store);

// OK when `id` matches ^[a-z0-9][a-z0-9_-]{0,63}$ (DESIGN.md §3); else kBadInput saying why.
arrow::Status ValidateSourceId(std::string_view id);

}  // namespace latebind::ingest
