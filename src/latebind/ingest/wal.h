// The ingest write-ahead log (ADR-021): where a batch of arrivals becomes durable with one
// append and one fdatasync, before it is written into the raw zone in the background.
#pragma once

#include <arrow/result.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "latebind/common/file_lock.h"
#include "latebind/common/unique_fd.h"
#include "latebind/storage/object_store.h"

namespace latebind::ingest {

// One object to write into the store, as logged.
struct WalItem {
  std::string key;
  std::string bytes;
};

// Segments `<dir>/segment-<seq>.log`, each a sequence of records:
//   u32 magic "LBW1" | u32 crc32 (zlib) of the rest | u64 length | length bytes of items,
// each item being u32 key length | key | u64 byte length | bytes. A record is written whole
// by one write(2) and made durable by fdatasync before Append returns; a torn record at the
// end of the last segment (a crash mid-append, never acknowledged) fails its CRC and ends
// the replay. Thread-safe.
class WriteAheadLog {
 public:
  // Opens (creating) `dir`, locking it (`<dir>/LOCK`) for as long as the log lives.
  // Records already there are returned by Replay, once. Errors: kUnavailable, also when
  // another process has the log open.
  static arrow::Result<std::unique_ptr<WriteAheadLog>> Open(const std::string& dir,
                                                            uint64_t segment_bytes = 64 << 20);

  // Every complete record of the segments present at Open, oldest first, each record's
  // items in order, and the sequence number of the segment it came from.
  arrow::Result<std::vector<std::pair<uint64_t, std::vector<WalItem>>>> Replay();

  // Appends one record durably. Returns the segment it went to. Errors: kUnavailable
  // (ENOSPC, EIO): then the record may be partly written but is never acknowledged; it
  // fails its CRC on replay, or is whole and replayed (an unacknowledged payload kept —
  // bytes are never lost, at worst landed once without a 202).
  arrow::Result<uint64_t> Append(const std::vector<storage::PutItem>& items);

  // One record appended to segment `seq` is now in the store (not necessarily durably).
  void Done(uint64_t seq);

  // Segments whose records are all in the store and that are no longer appended to: once
  // the store is synced they may go (Retire). ADR-037.
  std::vector<uint64_t> Retirable();
  // Deletes those segments (the store holds their records durably now).
  void Retire(const std::vector<uint64_t>& segments);

  // At a clean shutdown, once every appended record is stored: the segment appended to
  // becomes retirable too, so a clean restart has nothing to replay. No-op while any of its
  // records is not stored. A later Append starts a new segment.
  void Seal();

  // After Replay's records are in the store: deletes the segments found at Open.
  void ReleaseReplayed();

 private:
  explicit WriteAheadLog(std::string dir, uint64_t segment_bytes)
      : dir_(std::move(dir)), segment_bytes_(segment_bytes) {}
  std::string SegmentPath(uint64_t seq) const;
  arrow::Status Rotate();

  std::string dir_;
  uint64_t segment_bytes_;
  std::mutex mu_;
  uint64_t seq_ = 0;      // the segment being appended to
  uint64_t written_ = 0;  // its size
  UniqueFd fd_;
  std::optional<FileLock> lock_;           // <dir>/LOCK: one process per log
  std::vector<uint64_t> replayable_;       // segments found at Open
  std::map<uint64_t, uint64_t> unstored_;  // segment → appended records not yet stored
  std::vector<uint64_t> stored_;           // segments whose records are all stored
};

}  // namespace latebind::ingest
