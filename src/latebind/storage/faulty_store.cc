#include "latebind/storage/faulty_store.h"

namespace latebind::storage {

// Wraps the inner store's writer; an injected failure closes it, which discards its bytes,
// and is sticky as a real one: Commit reports it.
class FaultyStore::Writer : public ObjectWriter {
 public:
  Writer(FaultyStore* store, std::unique_ptr<ObjectWriter> inner)
      : store_(store), inner_(std::move(inner)) {}

  using ObjectWriter::Write;
  arrow::Status Write(const void* data, int64_t nbytes) override {
    ARROW_RETURN_NOT_OK(Inject(Op::kWriterWrite));
    return inner_->Write(data, nbytes);
  }
  arrow::Status Flush() override { return failed_.ok() ? inner_->Flush() : failed_; }
  arrow::Result<int64_t> Tell() const override { return inner_->Tell(); }
  bool closed() const override { return inner_->closed(); }
  arrow::Status Close() override { return inner_->Close(); }
  arrow::Status Commit() override {
    ARROW_RETURN_NOT_OK(Inject(Op::kWriterCommit));
    return inner_->Commit();
  }

 private:
  arrow::Status Inject(Op op) {
    if (!failed_.ok()) return failed_;
    if (inner_->closed()) return arrow::Status::OK();  // the inner writer reports misuse
    failed_ = store_->Check(op);
    if (!failed_.ok()) (void)inner_->Close();  // discards; the injected error is reported
    return failed_;
  }

  FaultyStore* store_;
  std::unique_ptr<ObjectWriter> inner_;
  arrow::Status failed_;
};

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

arrow::Status FaultyStore::PutBatchDeferred(const std::vector<PutItem>& items) {
  ARROW_RETURN_NOT_OK(Check(Op::kPut));
  return inner_->PutBatchDeferred(items);
}

arrow::Status FaultyStore::Sync() {
  ARROW_RETURN_NOT_OK(Check(Op::kSync));
  return inner_->Sync();
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

arrow::Result<std::unique_ptr<ObjectWriter>> FaultyStore::OpenWriter(std::string_view key) {
  ARROW_RETURN_NOT_OK(Check(Op::kOpenWriter));
  ARROW_ASSIGN_OR_RAISE(auto inner, inner_->OpenWriter(key));
  return std::make_unique<Writer>(this, std::move(inner));
}

arrow::Status FaultyStore::Move(std::string_view from, std::string_view to) {
  ARROW_RETURN_NOT_OK(Check(Op::kMove));
  return inner_->Move(from, to);
}

arrow::Status FaultyStore::DeletePrefix(std::string_view prefix) {
  ARROW_RETURN_NOT_OK(Check(Op::kDelete));
  return inner_->DeletePrefix(prefix);
}

}  // namespace latebind::storage
