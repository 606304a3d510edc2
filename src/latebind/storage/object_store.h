// The object store: where raw, dead-letter, staging and curated objects live (DESIGN.md §3).
//
// Keys are relative, '/'-separated paths ("raw/source=bank/date=2026-11-23/01J….ndjson"),
// the same on a local directory and on S3. The interface has no folder rename (S3 has none):
// objects are published one at a time, by Put, by committing an ObjectWriter, or by Move of
// one object (S3: CopyObject then DeleteObject), each atomic at its key. Durability is the
// store's job, in one place: a Put that returned OK is on stable storage (Arrow's filesystems
// do not fsync; ours does). Implementations: local_store.h (a directory), memory_store.h
// (tests), faulty_store.h (fault injection); S3 later.
//
// Thread-safety: every implementation is safe to use from several threads at once.
#pragma once

#include <arrow/io/interfaces.h>
#include <arrow/result.h>
#include <arrow/status.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "latebind/common/byte_source.h"

namespace latebind::storage {

struct ObjectInfo {
  std::string key;
  uint64_t size = 0;
};

struct PutItem {
  std::string key;
  std::string_view bytes;  // not owned: must stay valid during the call
};

// A new object written as a stream, for outputs too large to hold in memory (Parquet files).
// Nothing is visible under its key, nor listed, until Commit() returns OK; from then on the
// object is atomic and durable as after Put, replacing any object there. Write, Flush and
// Tell are arrow::io::OutputStream's (Flush hands buffered bytes to the OS; it does not make
// them durable: only Commit does). Close() and Abort() without Commit discard the bytes — a
// Parquet writer does not close its sink, so close the Parquet writer, then Commit. A writer
// closed or destroyed without Commit leaves nothing behind (a crash may leave a temporary
// that the store's Open removes). After Commit or Close, Close is a no-op and the other
// calls fail. A failed Write or Flush is sticky: Commit then returns that error.
// Owned by the caller; it must not outlive the store that opened it. One thread at a time.
class ObjectWriter : public arrow::io::OutputStream {
 public:
  // Flushes, makes the bytes durable and publishes them under the key; the writer is
  // closed afterwards, whatever the outcome. Errors: kUnavailable (ENOSPC, EIO): the key
  // holds its old object (or none) — except when only the final flush of the directory
  // failed, after the switch: then the new object may be visible without being durable
  // (outcome unknown). Either way, writing the object again with a new writer is safe.
  virtual arrow::Status Commit() = 0;
};

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  // Stores `bytes` under `key`, replacing any object there, atomically and durably: a
  // reader — also after a crash or power loss at any instant — sees the old object or the
  // whole new one, never a part and never a temporary name; after OK it survives a crash.
  // Errors: kBadInput for an invalid key; kUnavailable when storage fails (ENOSPC, EIO),
  // and then the key holds its old object (or none). Safe to repeat.
  virtual arrow::Status Put(std::string_view key, std::string_view bytes) = 0;

  // Put for many objects at once, sharing the expensive syncs (group commit): OK means
  // every item is stored as Put would. On error the outcome per item is unknown — each key
  // holds its old object or the new one, never a part — and repeating the batch is safe.
  virtual arrow::Status PutBatch(const std::vector<PutItem>& items) = 0;

  // PutBatch without the syncs: each object is published whole (a reader, also after a
  // crash of the process, sees the old object or the whole new one), but it survives a
  // power loss only once a later Sync() returns OK; until then the caller must hold the
  // bytes durably elsewhere (the ingest log, ADR-037). Stores whose writes are durable
  // anyway keep the default, PutBatch.
  virtual arrow::Status PutBatchDeferred(const std::vector<PutItem>& items) {
    return PutBatch(items);
  }

  // Makes every object written so far durable, PutBatchDeferred's included.
  virtual arrow::Status Sync() { return arrow::Status::OK(); }

  // The whole object. Errors: kNotFound, kBadInput (invalid key), kUnavailable.
  virtual arrow::Result<std::string> Get(std::string_view key) = 0;

  // A stream over the object, gzip-decoded when the object is gzip (what the profiler
  // reads), for payloads too large to hold in memory; `options` bound the decoded size
  // (gzip bombs). Same errors as Get.
  virtual arrow::Result<std::unique_ptr<ByteSource>> OpenDecoded(
      std::string_view key, ByteSourceOptions options = {}) = 0;

  // Every object whose key starts with `prefix`, sorted by key. Temporary files of
  // in-flight Puts are never listed. A missing prefix is an empty list, not an error.
  virtual arrow::Result<std::vector<ObjectInfo>> List(std::string_view prefix) = 0;

  // Removes the object durably; removing a missing key is OK (safe to repeat).
  virtual arrow::Status Delete(std::string_view key) = 0;

  // A writer for a new object under `key` (see ObjectWriter). Errors: kBadInput for an
  // invalid key, kUnavailable when storage fails.
  virtual arrow::Result<std::unique_ptr<ObjectWriter>> OpenWriter(std::string_view key) = 0;

  // Moves the object at `from` to `to`, replacing any object there: atomic at `to` (a
  // reader sees the old object or none, then the whole moved one), durable when OK, `from`
  // gone afterwards. Safe to repeat after a crash: when `from` is missing and `to` exists it
  // is OK (and `to` is made durable). Moving a key onto itself is OK when it exists.
  // Errors: kNotFound when neither exists, kBadInput for an invalid key, kUnavailable — then
  // `from` still holds the object, or (outcome unknown) it is already at `to`, not known
  // durable; repeating the Move settles it.
  virtual arrow::Status Move(std::string_view from, std::string_view to) = 0;

  // Deletes every object under the folder `prefix` ("staging/<run-id>/": a valid key and a
  // trailing '/', so that "staging/run-1/" never touches "staging/run-10/…"), durably, with
  // the temporaries of writers under it, and on a local directory the folders under it and
  // the folder itself (never its parent). A missing prefix is OK; safe to repeat. Objects
  // written under the prefix during the call may or may not survive it.
  // Errors: kBadInput for a prefix that is not a folder (the root "" among them);
  // kUnavailable, and then part of the objects may be gone.
  virtual arrow::Status DeletePrefix(std::string_view prefix) = 0;
};

// OK for a key latebind may use: non-empty segments of [A-Za-z0-9._=-] separated by '/',
// none of them "." or "..", at most 1024 bytes. Errors: kBadInput naming the key.
arrow::Status ValidateKey(std::string_view key);

// OK for a DeletePrefix folder: a valid key followed by '/'. Errors: kBadInput naming it.
arrow::Status ValidateFolder(std::string_view prefix);

}  // namespace latebind::storage
