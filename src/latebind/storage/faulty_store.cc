#include "latebind/storage/faulty_store.h"

namespace latebind::storage {

void FaultyStore::FailNext(Op op, int count, arrow::Status status) {
  std::lock_guard lock(mu_);
  remaining_[static_cast<int>(op)] = count;
  status_[static_cast<int>(op)] = std::move(status);
}

void FaultyStore::Heal() {
  std::lock_guard lock(mu_);
  for (int& r : remaining_) r = 0;
}

arrow::Status FaultyStore::Check(Op op) {
  std::lock_guard lock(mu_);
  int& remaining = remaining_[static_cast<int>(op)];
  if (remaining == 0) return arrow::Status::OK();
  if (remaining != INT32_MAX) --remaining;
  ++failures_;
  return status_[static_cast<int>(op)];
}

arrow::Status FaultyStore::Put(std::string_view key, std::string_view bytes) {
  ARROW_RETURN_NOT_OK(Check(Op::kPut));
  return inner_->Put(key, bytes);
}

arrow::Status FaultyStore::PutBatch(const std::vector<PutItem>& items) {
  ARROW_RETURN_NOT_OK(Check(Op::kPut));
  return inner_->PutBatch(items);
}

arrow::Result<std::string> FaultyStore::Get(std::string_view key) {
  ARROW_RETURN_NOT_OK(Check(Op::kGet));
  return inner_->Get(key);
}

arrow::Result<std::unique_ptr<ByteSource>> FaultyStore::OpenDecoded(std::string_view key,
                                                                    ByteSourceOptions options) {
  ARROW_RETURN_NOT_OK(Check(Op::kGet));
  return inner_->OpenDecoded(key, options);
}

arrow::Result<std::vector<ObjectInfo>> FaultyStore::List(std::string_view prefix) {
  ARROW_RETURN_NOT_OK(Check(Op::kList));
  return inner_->List(prefix);
}

arrow::Status FaultyStore::Delete(std::string_view key) {
  ARROW_RETURN_NOT_OK(Check(Op::kDelete));
  return inner_->Delete(key);
}

}  // namespace latebind::storage
