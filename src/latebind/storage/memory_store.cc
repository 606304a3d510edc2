#include "latebind/storage/memory_store.h"

#include <fmt/format.h>

#include "latebind/common/status.h"

namespace latebind::storage {
namespace {

// Keeps the object alive while its stream is read, even if it is replaced meanwhile.
class SharedBytesSource : public ByteSource {
 public:
  SharedBytesSource(std::shared_ptr<const std::string> bytes, ByteSourceOptions options)
      : bytes_(std::move(bytes)), inner_(OpenMemorySource(*bytes_, options)) {}
  arrow::Result<size_t> Read(uint8_t* dst, size_t capacity) override {
    return inner_->Read(dst, capacity);
  }
  bool gzip() const override { return inner_->gzip(); }
  uint64_t raw_bytes_read() const override { return inner_->raw_bytes_read(); }
  uint64_t raw_size() const override { return inner_->raw_size(); }

 private:
  std::shared_ptr<const std::string> bytes_;
  std::unique_ptr<ByteSource> inner_;
};

arrow::Status NotFound(std::string_view key) {
  return MakeError(ErrorKind::kNotFound, fmt::format("no object {}", key));
}

arrow::Status Closed(std::string_view key) {
  return MakeError(ErrorKind::kInternal, fmt::format("writer for {} is closed", key));
}

}  // namespace

class MemoryStore::Writer : public ObjectWriter {
 public:
  Writer(MemoryStore* store, std::string key) : store_(store), key_(std::move(key)) {}

  using ObjectWriter::Write;
  arrow::Status Write(const void* data, int64_t nbytes) override {
    if (closed_) return Closed(key_);
    bytes_.append(static_cast<const char*>(data), static_cast<size_t>(nbytes));
    return arrow::Status::OK();
  }
  arrow::Status Flush() override { return closed_ ? Closed(key_) : arrow::Status::OK(); }
  arrow::Result<int64_t> Tell() const override {
    if (closed_) return Closed(key_);
    return static_cast<int64_t>(bytes_.size());
  }
  bool closed() const override { return closed_; }
  arrow::Status Close() override {
    closed_ = true;
    bytes_.clear();
    return arrow::Status::OK();
  }
  arrow::Status Commit() override {
    if (closed_) return Closed(key_);
    closed_ = true;
    auto object = std::make_shared<const std::string>(std::move(bytes_));
    std::lock_guard lock(store_->mu_);
    store_->objects_[key_] = std::move(object);
    return arrow::Status::OK();
  }

 private:
  MemoryStore* store_;
  std::string key_;
  std::string bytes_;
  bool closed_ = false;
};

arrow::Status MemoryStore::Put(std::string_view key, std::string_view bytes) {
  return PutBatch({PutItem{std::string(key), bytes}});
}

arrow::Status MemoryStore::PutBatch(const std::vector<PutItem>& items) {
  for (const PutItem& item : items) ARROW_RETURN_NOT_OK(ValidateKey(item.key));
  std::lock_guard lock(mu_);
  for (const PutItem& item : items) {
    objects_[item.key] = std::make_shared<const std::string>(item.bytes);
  }
  return arrow::Status::OK();
}

arrow::Result<std::string> MemoryStore::Get(std::string_view key) {
  ARROW_RETURN_NOT_OK(ValidateKey(key));
  std::lock_guard lock(mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return NotFound(key);
  return *it->second;
}

arrow::Result<std::unique_ptr<ByteSource>> MemoryStore::OpenDecoded(std::string_view key,
                                                                    ByteSourceOptions options) {
  ARROW_RETURN_NOT_OK(ValidateKey(key));
  std::lock_guard lock(mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return NotFound(key);
  return std::make_unique<SharedBytesSource>(it->second, options);
}

arrow::Result<std::vector<ObjectInfo>> MemoryStore::List(std::string_view prefix) {
  std::lock_guard lock(mu_);
  std::vector<ObjectInfo> out;
  for (auto it = objects_.lower_bound(prefix);
       it != objects_.end() && it->first.starts_with(prefix); ++it) {
    out.push_back(ObjectInfo{it->first, it->second->size()});
  }
  return out;
}

arrow::Status MemoryStore::Delete(std::string_view key) {
  ARROW_RETURN_NOT_OK(ValidateKey(key));
  std::lock_guard lock(mu_);
  auto it = objects_.find(key);
  if (it != objects_.end()) objects_.erase(it);
  return arrow::Status::OK();
}

arrow::Result<std::unique_ptr<ObjectWriter>> MemoryStore::OpenWriter(std::string_view key) {
  ARROW_RETURN_NOT_OK(ValidateKey(key));
  return std::make_unique<Writer>(this, std::string(key));
}

arrow::Status MemoryStore::Move(std::string_view from, std::string_view to) {
  ARROW_RETURN_NOT_OK(ValidateKey(from));
  ARROW_RETURN_NOT_OK(ValidateKey(to));
  std::lock_guard lock(mu_);
  auto it = objects_.find(from);
  if (it == objects_.end()) {
    // A repeat after a crash between the switch and the reply: already done.
    if (objects_.find(to) != objects_.end()) return arrow::Status::OK();
    return MakeError(ErrorKind::kNotFound, fmt::format("cannot move {}: no such object", from));
  }
  if (from == to) return arrow::Status::OK();
  std::shared_ptr<const std::string> object = it->second;
  objects_.erase(it);
  objects_[std::string(to)] = std::move(object);
  return arrow::Status::OK();
}

arrow::Status MemoryStore::DeletePrefix(std::string_view prefix) {
  ARROW_RETURN_NOT_OK(ValidateFolder(prefix));
  std::lock_guard lock(mu_);
  auto it = objects_.lower_bound(prefix);
  while (it != objects_.end() && it->first.starts_with(prefix)) it = objects_.erase(it);
  return arrow::Status::OK();
}

}  // namespace latebind::storage
