// A fault-injecting ObjectStore wrapper for tests (STYLE.md §6, LevelDB's faulty Env).
// Chosen operations fail with a chosen status — the whole call, before it reaches the
// wrapped store, as a full disk or a dead device would look to the caller. A writer's
// failed Write or Commit discards the wrapped writer, so nothing is published. Thread-safe;
// its writers must not outlive it.
#pragma once

#include <atomic>
#include <mutex>

#include "latebind/storage/object_store.h"

namespace latebind::storage {

class FaultyStore : public ObjectStore {
 public:
  // kWriterWrite fails an ObjectWriter's Write (ENOSPC mid-stream); kWriterCommit its Commit.
  enum class Op {
    kPut,
    kGet,
    kList,
    kDelete,
    kOpenWriter,
    kWriterWrite,
    kWriterCommit,
    kMove,
    kSync
  };

  explicit FaultyStore(std::shared_ptr<ObjectStore> inner) : inner_(std::move(inner)) {}

  // The next `count` calls of `op` fail with `status` (PutBatch and PutBatchDeferred count
  // as kPut, OpenDecoded as kGet, DeletePrefix as kDelete).
  void FailNext(Op op, int count, arrow::Status status);
  // Every call of `op` fails with `status` until Heal().
  void FailAlways(Op op, arrow::Status status) { FailNext(op, INT32_MAX, std::move(status)); }
  void Heal();
  int failures() const { return failures_; }

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

 private:
  class Writer;
  static constexpr int kOpCount = static_cast<int>(Op::kSync) + 1;

  arrow::Status Check(Op op);

  std::shared_ptr<ObjectStore> inner_;
  std::mutex mu_;
  int remaining_[kOpCount] = {};
  arrow::Status status_[kOpCount];
  std::atomic<int> failures_{0};
};

}  // namespace latebind::storage
