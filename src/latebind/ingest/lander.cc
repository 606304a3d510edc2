#include "latebind/ingest/lander.h"

#include <fmt/format.h>

#include <cctype>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "latebind/common/status.h"
#include "latebind/profiler/format_detector.h"
#include "latebind/storage/zone_keys.h"

namespace latebind::ingest {
namespace {

// Bytes of a body (decoded when gzip) looked at to pick an extension when the client sent
// no usable Content-Type. Content is never judged here: a wrong guess only names the file.
constexpr size_t kSniffBytes = 64 << 10;

std::string ExtensionFor(const Arrival& a) {
  // A media type is case-insensitive and may have blanks before its parameters (RFC 9110
  // §8.3.1): "Text/CSV ; charset=utf-8" is text/csv.
  std::string type(a.content_type.substr(0, a.content_type.find(';')));
  type.erase(0, type.find_first_not_of(" \t"));
  type.erase(type.find_last_not_of(" \t") + 1);
  for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (type == "application/json") return "json";
  if (type == "application/x-ndjson" || type == "application/ndjson") return "ndjson";
  if (type == "text/csv") return "csv";
  auto source = OpenMemorySource(a.body);
  std::string head(kSniffBytes, '\0');
  size_t n = 0;
  while (n < head.size()) {
    auto r = source->Read(reinterpret_cast<uint8_t*>(head.data() + n), head.size() - n);
    if (!r.ok() || *r == 0) break;  // a corrupt gzip body is the profiler's to report
    n += *r;
  }
  head.resize(n);
  const bool complete = n < kSniffBytes;
  std::string_view text = head;
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // a UTF-8 BOM
  return profiler::FormatName(profiler::DetectFormat(text, complete));
}

}  // namespace

arrow::Status ValidateSourceId(std::string_view id) {
  auto bad = [&](std::string_view why) {
    return MakeError(ErrorKind::kBadInput, fmt::format("invalid source id: {} (must match "
                                                       "^[a-z0-9][a-z0-9_-]{{0,63}}$)",
                                                       why));
  };
  if (id.empty()) return bad("empty");
  if (id.size() > 64) return bad(fmt::format("{} characters", id.size()));
  for (size_t i = 0; i < id.size(); ++i) {
    const char c = id[i];
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || (c != '_' && c != '-'))) {
      return bad(fmt::format("byte 0x{:02x} at position {}", static_cast<unsigned char>(c), i));
    }
  }
  return arrow::Status::OK();
}

std::string Lander::RawKey(const Arrival& arrival, const std::string& object_id,
                           const std::string& date) {
  return fmt::format("raw/source={}/date={}/{}.{}{}", arrival.source, date, object_id,
                     ExtensionFor(arrival), arrival.gzip ? ".gz" : "");
}

Lander::Lander(std::shared_ptr<storage::ObjectStore> store, LanderOptions options,
               std::unique_ptr<WriteAheadLog> wal)
    : store_(std::move(store)), options_(options), wal_(std::move(wal)) {
  for (int i = 0; i < std::max(1, options_.committers); ++i) {
    committers_.emplace_back([this] { Run(); });
  }
  if (wal_) materializer_ = std::thread([this] { Materialize(); });
}

Lander::~Lander() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  room_cv_.notify_all();
  for (auto& t : committers_) t.join();
  if (materializer_.joinable()) {
    {
      std::lock_guard lock(mu_);
      committers_done_ = true;
    }
    materialize_cv_.notify_all();
    materializer_.join();
  }
}

std::future<arrow::Result<Receipt>> Lander::Land(Arrival arrival) {
  auto promise = std::make_shared<std::promise<arrow::Result<Receipt>>>();
  auto future = promise->get_future();
  Land(std::move(arrival),
       [promise](arrow::Result<Receipt> r) { promise->set_value(std::move(r)); });
  return future;
}

void Lander::Land(Arrival arrival, Callback done) {
  if (arrow::Status st = ValidateSourceId(arrival.source); !st.ok()) {
    done(st);
    return;
  }
  if (!arrival.idempotency_key.empty()) {
    const std::string record = IdempotencyKey(arrival.source, arrival.idempotency_key);
    // A retry gets the first answer, but only for the same bytes: a 202 for other content
    // under a reused key would tell the client that bytes landed which never did.
    auto as_retry = [&] {
      return [done = std::move(done), sha256 = Sha256Hex(arrival.body),
              key = arrival.idempotency_key](arrow::Result<Receipt> r) {
        if (r.ok() && r->sha256 != sha256) {
          return done(MakeError(
              ErrorKind::kConflict,
              fmt::format("Idempotency-Key '{}' was first used for other content ({}, sha256 "
                          "{}): nothing was stored; send new content under a new key",
                          key, r->object, r->sha256)));
        }
        if (r.ok()) r->replayed = true;
        done(std::move(r));
      };
    };
    {
      std::unique_lock lock(mu_);
      if (auto it = in_flight_.find(record); it != in_flight_.end()) {
        it->second.push_back(as_retry());  // a retry while the first is committing
        return;
      }
      if (auto it = logged_receipts_.find(record); it != logged_receipts_.end()) {
        const Receipt r = it->second;  // durable in the log, not yet in the store
        lock.unlock();
        as_retry()(r);
        return;
      }
    }
    if (auto stored = store_->Get(record); stored.ok()) {
      const auto j = nlohmann::json::parse(*stored, nullptr, /*allow_exceptions=*/false);
      if (j.is_object()) {
        Receipt r;
        r.object = j.value("object", "");
        r.object_id = j.value("object_id", "");
        r.bytes = j.value("bytes", uint64_t{0});
        r.sha256 = j.value("sha256", "");
        r.received_at = j.value("received_at", "");
        as_retry()(std::move(r));
        return;
      }
    } else if (KindOf(stored.status()) != ErrorKind::kNotFound) {
      done(stored.status());
      return;
    }
    std::lock_guard lock(mu_);
    if (auto it = in_flight_.find(record); it != in_flight_.end()) {
      it->second.push_back(as_retry());
      return;
    }
    in_flight_[record];  // the first: later ones wait on its outcome
  }
  {
    std::lock_guard lock(mu_);
    queue_.push_back(Pending{std::move(arrival), std::move(done)});
  }
  cv_.notify_one();
}

std::vector<Lander::Callback> Lander::Settle(const std::string& record) {
  std::lock_guard lock(mu_);
  auto it = in_flight_.find(record);
  if (it == in_flight_.end()) return {};
  std::vector<Callback> waiting = std::move(it->second);
  in_flight_.erase(it);
  return waiting;
}

std::string Lander::IdempotencyKey(const std::string& source, const std::string& key) {
  // Hashed: the client's key may hold any bytes, and its length is the client's choice.
  return fmt::format("idempotency/source={}/{}.json", source, Sha256Hex(key));
}

size_t Lander::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

size_t Lander::materializing() const {
  std::lock_guard lock(mu_);
  return to_store_.size();
}

size_t Lander::unstored_bytes() const {
  std::lock_guard lock(mu_);
  return unstored_bytes_;
}

arrow::Status Lander::WaitForRoom() {
  std::unique_lock lock(mu_);
  // While stopping, what is queued still goes to the log, which replay stores later.
  const auto room = [&] { return unstored_bytes_ < options_.max_unstored_bytes || stopping_; };
  if (room()) return arrow::Status::OK();
  if (!backlog_stuck_ && room_cv_.wait_for(lock, options_.max_backlog_wait, room)) {
    return arrow::Status::OK();
  }
  backlog_stuck_ = true;
  return MakeError(
      ErrorKind::kUnavailable,
      fmt::format("the raw zone is {:.1f} MiB behind the write-ahead log (at most {:.1f} MiB), "
                  "longer than {} ms; refusing new payloads until it catches up{}",
                  static_cast<double>(unstored_bytes_) / (1 << 20),
                  static_cast<double>(options_.max_unstored_bytes) / (1 << 20),
                  options_.max_backlog_wait.count(),
                  store_error_.empty() ? "" : "; the store fails: " + store_error_));
}

void Lander::Run() {
  std::vector<Pending> batch;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return !queue_.empty() || stopping_; });
      if (queue_.empty()) return;  // stopping, and everything queued was committed
      while (!queue_.empty() && batch.size() < options_.max_batch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    Commit(&batch);
    batch.clear();
  }
}

void Lander::Commit(std::vector<Pending>* batch) {
  std::vector<Receipt> receipts;
  std::vector<std::string> metas;
  std::vector<storage::PutItem> items;
  receipts.reserve(batch->size());
  metas.reserve(batch->size());
  for (Pending& p : *batch) {
    const auto now = std::chrono::system_clock::now();
    Receipt r;
    r.object_id = ids_.Next(now);
    r.object = RawKey(p.arrival, r.object_id, UtcDate(now));
    r.bytes = p.arrival.body.size();
    r.sha256 = Sha256Hex(p.arrival.body);
    r.received_at = UtcTimestamp(now);
    nlohmann::ordered_json meta = {{"object", r.object},
                                   {"source", p.arrival.source},
                                   {"received_at", r.received_at},
                                   {"bytes", r.bytes},
                                   {"sha256", r.sha256},
                                   {"content_type", p.arrival.content_type},
                                   {"content_encoding", p.arrival.gzip ? "gzip" : ""},
                                   {"idempotency_key", p.arrival.idempotency_key}};
    metas.push_back(meta.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
    receipts.push_back(std::move(r));
  }
  // Payloads before their metas: a crash between the renames can leave a payload without
  // meta (not acknowledged, recovered as such), never a meta without its payload.
  for (size_t i = 0; i < batch->size(); ++i) {
    items.push_back({receipts[i].object, (*batch)[i].arrival.body});
  }
  for (size_t i = 0; i < batch->size(); ++i) {
    items.push_back({storage::MetaKeyOf(receipts[i].object), metas[i]});
  }
  // Receipts of keyed arrivals last: present only if the payload and meta are.
  std::vector<std::string> records(batch->size());
  std::vector<std::string> receipt_docs;
  receipt_docs.reserve(batch->size());
  for (size_t i = 0; i < batch->size(); ++i) {
    const Arrival& a = (*batch)[i].arrival;
    if (a.idempotency_key.empty()) continue;
    records[i] = IdempotencyKey(a.source, a.idempotency_key);
    const Receipt& r = receipts[i];
    receipt_docs.push_back(nlohmann::json{
        {"object", r.object},
        {"object_id", r.object_id},
        {"bytes", r.bytes},
        {"sha256", r.sha256},
        {"received_at",
         r.received_at}}.dump());
    items.push_back({records[i], receipt_docs.back()});
  }
  // Backpressure: no more acknowledgements from the log while the store is far behind.
  arrow::Status st = wal_ ? WaitForRoom() : arrow::Status::OK();
  const bool refused = !st.ok();
  const auto start = std::chrono::steady_clock::now();
  if (!wal_) {
    st = store_->PutBatch(items);
  } else if (!refused) {  // refused: nothing was written, and a retry lands the arrivals anew
    // One append and one fdatasync make the whole batch durable; the store write follows.
    arrow::Result<uint64_t> segment = wal_->Append(items);
    st = segment.status();
    if (st.ok()) {
      Materialization m;
      m.segment = *segment;
      for (const auto& item : items) {
        m.items.push_back({item.key, std::string(item.bytes)});
        m.bytes += item.bytes.size();
      }
      for (const Receipt& r : receipts) m.payload_keys.push_back(r.object);
      std::lock_guard lock(mu_);
      for (size_t i = 0; i < batch->size(); ++i) {
        if (records[i].empty()) continue;
        logged_receipts_[records[i]] = receipts[i];
        m.records.push_back(records[i]);
      }
      unstored_bytes_ += m.bytes;
      to_store_.push_back(std::move(m));
    }
  }
  if (on_commit_ && !refused) {
    on_commit_(batch->size(),
               std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  if (wal_) {
    materialize_cv_.notify_one();
  } else if (st.ok() && on_stored_) {
    for (const Receipt& r : receipts) on_stored_(r.object);
  }
  for (size_t i = 0; i < batch->size(); ++i) {
    const arrow::Result<Receipt> result =
        st.ok() ? arrow::Result<Receipt>(receipts[i]) : arrow::Result<Receipt>(st);
    // The record leaves in_flight_ before anyone hears back: a retry that follows the
    // answer must find the stored (or logged) receipt, or after a failure land anew.
    std::vector<Callback> waiting =
        records[i].empty() ? std::vector<Callback>{} : Settle(records[i]);
    (*batch)[i].done(result);
    for (Callback& cb : waiting) cb(result);
  }
}

void Lander::Materialize() {
  for (;;) {
    std::vector<Materialization> jobs;
    {
      std::unique_lock lock(mu_);
      materialize_cv_.wait(lock, [&] { return !to_store_.empty() || committers_done_; });
      if (to_store_.empty()) {  // committers stopped and everything is stored
        lock.unlock();
        wal_->Seal();  // a clean stop leaves nothing to replay
        RetireLogSegments();
        return;
      }
      // Everything logged so far, up to a bound: one flush per PutBatch is the cost, so the
      // further behind the materializer is, the more each flush must carry to catch up
      // (16 jobs at a time fell seconds behind at 1,000 payloads/s, bench/README.md).
      size_t items = 0, bytes = 0;
      while (!to_store_.empty() && items < 2048 && bytes < (64u << 20)) {
        bytes += to_store_.front().bytes;
        items += to_store_.front().items.size();
        jobs.push_back(std::move(to_store_.front()));
        to_store_.pop_front();
      }
    }
    std::vector<storage::PutItem> items;
    for (const auto& job : jobs) {
      for (const auto& item : job.items) items.push_back({item.key, item.bytes});
    }
    // The log holds these durably, so they are written without syncs (ADR-037): the store
    // is synced once per log segment, before the segment is deleted. On a storage failure,
    // wait and try again; if the process dies meanwhile, the next start replays them.
    bool stored = false;
    for (int attempt = 0;; ++attempt) {
      const arrow::Status put = store_->PutBatchDeferred(items);
      if (put.ok()) {
        stored = true;
        break;
      }
      {
        // Shutting down while the store fails: leave the batches to the log's replay.
        std::lock_guard lock(mu_);
        store_error_ = put.message();
        if (committers_done_) break;
      }
      std::this_thread::sleep_for(
          std::chrono::milliseconds(std::min(1000, 10 << std::min(attempt, 7))));
    }
    if (!stored) return;
    {
      std::lock_guard lock(mu_);
      for (const auto& job : jobs) {
        for (const auto& record : job.records) logged_receipts_.erase(record);
        unstored_bytes_ -= job.bytes;
      }
      store_error_.clear();
      if (unstored_bytes_ < options_.max_unstored_bytes) backlog_stuck_ = false;
    }
    room_cv_.notify_all();
    for (const auto& job : jobs) wal_->Done(job.segment);
    RetireLogSegments();
    if (on_stored_) {
      for (const auto& job : jobs) {
        for (const auto& key : job.payload_keys) on_stored_(key);
      }
    }
  }
}

void Lander::RetireLogSegments() {
  const std::vector<uint64_t> segments = wal_->Retirable();
  if (segments.empty()) return;
  // One syncfs makes every object written so far durable, those of these segments
  // included; if it fails, the segments stay for a later try (or the next start's replay).
  if (store_->Sync().ok()) wal_->Retire(segments);
}

arrow::Result<std::vector<std::string>> ReplayWal(WriteAheadLog* wal, storage::ObjectStore* store) {
  ARROW_ASSIGN_OR_RAISE(auto records, wal->Replay());
  // Most records of a segment usually reached the store before the crash, but were written
  // without syncs (ADR-037): after a power loss one may be there empty or in part. An object
  // is written again unless it holds exactly the logged bytes — one listing per directory
  // and a read of each object listed at the logged size keep a restart quick.
  std::map<std::string, std::map<std::string, uint64_t>> listed;  // directory → key → size
  // The size of object `key`, or nullopt when there is none.
  auto size_of = [&](const std::string& key) -> arrow::Result<std::optional<uint64_t>> {
    const std::string dir = key.substr(0, key.rfind('/') + 1);
    auto it = listed.find(dir);
    if (it == listed.end()) {
      ARROW_ASSIGN_OR_RAISE(auto objects, store->List(dir));
      std::map<std::string, uint64_t> sizes;
      for (auto& o : objects) sizes.emplace(std::move(o.key), o.size);
      it = listed.emplace(dir, std::move(sizes)).first;
    }
    const auto found = it->second.find(key);
    if (found == it->second.end()) return std::nullopt;
    return found->second;
  };
  auto stored = [&](const WalItem& item) -> arrow::Result<bool> {
    ARROW_ASSIGN_OR_RAISE(const auto size, size_of(item.key));
    if (size != item.bytes.size()) return false;
    auto bytes = store->Get(item.key);
    return bytes.ok() && *bytes == item.bytes;
  };
  // A raw object gone from raw/ whose dead-letter twin exists was profiled and moved
  // there: written again, it would be profiled and dead-lettered a second time (ADR-119).
  auto dead_lettered = [&](const std::string& key) -> arrow::Result<bool> {
    if (!key.starts_with("raw/")) return false;
    ARROW_ASSIGN_OR_RAISE(const auto size, size_of("dead-letter/" + key.substr(4)));
    return size.has_value();
  };
  std::vector<std::string> payloads;
  for (const auto& [segment, items] : records) {
    std::vector<storage::PutItem> puts;
    for (const auto& item : items) {
      ARROW_ASSIGN_OR_RAISE(bool done, stored(item));
      if (!done) {
        ARROW_ASSIGN_OR_RAISE(const bool moved, dead_lettered(item.key));
        if (moved) continue;
      }
      if (!done) puts.push_back({item.key, item.bytes});
      if (item.key.starts_with("raw/") && !item.key.ends_with(".meta.json")) {
        payloads.push_back(item.key);
      }
    }
    if (!puts.empty()) ARROW_RETURN_NOT_OK(store->PutBatch(puts));
  }
  // The objects found complete may still be only in the page cache (a crash of the process
  // before their segment was synced): sync before the log lets go of them.
  ARROW_RETURN_NOT_OK(store->Sync());
  wal->ReleaseReplayed();
  return payloads;
}

}  // namespace latebind::ingest
