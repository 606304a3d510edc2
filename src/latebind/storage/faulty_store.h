// A fault-injecting ObjectStore wrapper for tests (STYLE.md §6, LevelDB's faulty Env).
// Chosen operations fail with a chosen status — the whole call, before it reaches the
// wrapped store, as a full disk or a dead device would look to the caller. Thread-safe.
#pragma once

#include <atomic>
#include <mutex>

#include "latebind/storage/object_store.h"

namespace latebind::storage {

class FaultyStore : public ObjectStore {
 public:
  enum class Op { kPut, kGet, kList, kDelete };

  explicit FaultyStore(std::shared_ptr<ObjectStore> inner) : inner_(std::move(inner)) {}

  // The next `count` calls of `op` (PutBatch counts as kPut) fail with `status`.
  void FailNext(Op op, int count, arrow::Status status);
  // Every call of `op` fails with `status` until Heal().
  void FailAlways(Op op, arrow::Status status) { FailNext(op, INT32_MAX, std::move(status)); }
  void Heal();
  int failures() const { return failures_; }

  arrow::Status Put(std::string_view key, std::string_view bytes) override;
  arrow::Status PutBatch(const std::vector<PutItem>& items) override;
  arrow::Result<std::string> Get(std::string_view key) override;
  arrow::Result<std::unique_ptr<ByteSource>> OpenDecoded(std::string_view key,
                                                         ByteSourceOptions options) override;
  arrow::Result<std::vector<ObjectInfo>> List(std::string_view prefix) override;
  arrow::Status Delete(std::string_view key) override;

 private:
  arrow::Status Check(Op op);

  std::shared_ptr<ObjectStore> inner_;
  std::mutex mu_;
  int remaining_[4] = {};
  arrow::Status status_[4];
  std::atomic<int> failures_{0};
};

}  // namespace latebind::storage
