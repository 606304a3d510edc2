// ObjectStore over a local directory (the embedded default, DESIGN.md §1).
#pragma once

#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "latebind/storage/object_store.h"

namespace latebind::storage {

// Objects are files under `root`; a key's '/' are directories. Writes follow the one
// durable protocol (ADR-015): write a temporary file ".tmp-<name>-<n>" beside the target,
// fsync it, rename it over the target, fsync the directory — the rename is atomic, and the
// two fsyncs make the bytes and the name survive a crash. PutBatch shares the syncs: all
// temporaries are written, then flushed with one syncfs(2) (or fsyncs when there are few),
// renamed, and the touched directories flushed once each. PutBatchDeferred skips those
// flushes, which Sync (one syncfs(2)) makes up for later, and writes unnamed O_TMPFILE files
// that linkat(2) names once whole (ADR-038). A directory on a key's path is
// created, and its parent flushed, before any object goes into it — also when another
// thread created it a moment earlier, or an earlier process did — so a flushed name is never
// lost with its directory. Temporaries left by a crash are removed by Open. An ObjectWriter
// follows the same protocol: it writes (through a 1 MiB buffer) into a temporary named as
// Put's, and Commit fdatasyncs, renames and flushes the directory. Move is one rename(2)
// with both directories flushed; DeletePrefix unlinks, removes the emptied folders and
// flushes the parent. Every flush goes through common/durability.h. Thread-safe.
class LocalStore : public ObjectStore {
 public:
  // Creates `root` if needed and removes temporaries a crash left behind.
  // Errors: kUnavailable when the directory cannot be created or read.
  static arrow::Result<std::unique_ptr<LocalStore>> Open(const std::string& root);

  arrow::Status Put(std::string_view key, std::string_view bytes) override;
  arrow::Status PutBatch(const std::vector<PutItem>& items) override;
  arrow::Status PutBatchDeferred(const std::vector<PutItem>& items) override;
  arrow::Status Sync() override;
  arrow::Result<std::string> Get(std::string_view key) override;
  arrow::Result<std::unique_ptr<ByteSource>> OpenDecoded(std::string_view key,
                                                         ByteSourceOptions options) override;
  arrow::Result<std::vector<ObjectInfo>> List(std::string_view prefix) override;
  arrow::Status Delete(std::string_view key) override;
  arrow::Result<std::unique_ptr<ObjectWriter>> OpenWriter(std::string_view key) override;
  arrow::Status Move(std::string_view from, std::string_view to) override;
  arrow::Status DeletePrefix(std::string_view prefix) override;

  const std::string& root() const { return root_; }

 private:
  explicit LocalStore(std::string root) : root_(std::move(root)), durable_dirs_{root_} {}
  std::string PathOf(std::string_view key) const;
  // PutBatch, with (durable) or without its syncs.
  arrow::Status PutObjects(const std::vector<PutItem>& items, bool durable);
  // Creates `dir` and its missing ancestors below the root, and flushes the parent of each
  // one this process has not flushed yet; threads wait here for each other.
  arrow::Status EnsureDurableDir(const std::string& dir);

  std::string root_;
  std::mutex dirs_mu_;
  // Directories whose entry in their parent this process flushed (the root: Open did).
  std::set<std::string> durable_dirs_;  // guarded by dirs_mu_
};

}  // namespace latebind::storage
