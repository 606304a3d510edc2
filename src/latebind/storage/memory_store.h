// ObjectStore in memory: the fast test double and the reference behaviour every other
// store is checked against (object_store_test.cc). Thread-safe.
#pragma once

#include <map>
#include <mutex>

#include "latebind/storage/object_store.h"

namespace latebind::storage {

class MemoryStore : public ObjectStore {
 public:
  arrow::Status Put(std::string_view key, std::string_view bytes) override;
  arrow::Status PutBatch(const std::vector<PutItem>& items) override;
  arrow::Result<std::string> Get(std::string_view key) override;
  arrow::Result<std::unique_ptr<ByteSource>> OpenDecoded(std::string_view key,
                                                         ByteSourceOptions options) override;
  arrow::Result<std::vector<ObjectInfo>> List(std::string_view prefix) override;
  arrow::Status Delete(std::string_view key) override;
  // Buffers in memory; Commit publishes the whole object under the store's lock.
  arrow::Result<std::unique_ptr<ObjectWriter>> OpenWriter(std::string_view key) override;
  arrow::Status Move(std::string_view from, std::string_view to) override;
  arrow::Status DeletePrefix(std::string_view prefix) override;

 private:
  class Writer;

  std::mutex mu_;
  std::map<std::string, std::shared_ptr<const std::string>, std::less<>> objects_;
};

}  // namespace latebind::storage
