#include "latebind/common/status.h"

#include <memory>

namespace latebind {
namespace {

constexpr char kDetailTypeId[] = "latebind::ErrorKindDetail";

class ErrorKindDetail : public arrow::StatusDetail {
 public:
  explicit ErrorKindDetail(ErrorKind kind) : kind_(kind) {}
  const char* type_id() const override { return kDetailTypeId; }
  std::string ToString() const override { return ErrorKindName(kind_); }
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

arrow::StatusCode CodeFor(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kBadInput:
      return arrow::StatusCode::Invalid;
    case ErrorKind::kNotFound:
      return arrow::StatusCode::KeyError;
    case ErrorKind::kConflict:
      return arrow::StatusCode::AlreadyExists;
    case ErrorKind::kTooLarge:
      return arrow::StatusCode::CapacityError;
    case ErrorKind::kUnavailable:
      return arrow::StatusCode::IOError;
    case ErrorKind::kInternal:
      break;
  }
  return arrow::StatusCode::UnknownError;
}

}  // namespace

const char* ErrorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kBadInput:
      return "bad_input";
    case ErrorKind::kNotFound:
      return "not_found";
    case ErrorKind::kConflict:
      return "conflict";
    case ErrorKind::kTooLarge:
      return "too_large";
    case ErrorKind::kUnavailable:
      return "unavailable";
    case ErrorKind::kInternal:
      break;
  }
  return "internal";
}

arrow::Status MakeError(ErrorKind kind, std::string message) {
  return arrow::Status(CodeFor(kind), std::move(message), std::make_shared<ErrorKindDetail>(kind));
}

ErrorKind KindOf(const arrow::Status& status) {
  if (auto detail = status.detail(); detail && detail->type_id() == std::string(kDetailTypeId)) {
    return static_cast<const ErrorKindDetail&>(*detail).kind();
  }
  switch (status.code()) {
    case arrow::StatusCode::Invalid:
    case arrow::StatusCode::TypeError:
    case arrow::StatusCode::SerializationError:
      return ErrorKind::kBadInput;
    case arrow::StatusCode::KeyError:
      return ErrorKind::kNotFound;
    case arrow::StatusCode::AlreadyExists:
      return ErrorKind::kConflict;
    case arrow::StatusCode::CapacityError:
    case arrow::StatusCode::OutOfMemory:
      return ErrorKind::kTooLarge;
    case arrow::StatusCode::IOError:
      return ErrorKind::kUnavailable;
    default:
      return ErrorKind::kInternal;
  }
}

}  // namespace latebind
