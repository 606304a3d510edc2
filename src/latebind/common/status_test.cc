#include "latebind/common/status.h"

#include <gtest/gtest.h>

namespace latebind {
namespace {

TEST(StatusTest, KindTravelsOnTheStatus) {
  for (ErrorKind kind : {ErrorKind::kBadInput, ErrorKind::kNotFound, ErrorKind::kConflict,
                         ErrorKind::kTooLarge, ErrorKind::kUnavailable, ErrorKind::kInternal}) {
    arrow::Status st = MakeError(kind, "what happened");
    EXPECT_FALSE(st.ok());
    EXPECT_EQ(KindOf(st), kind) << ErrorKindName(kind);
    EXPECT_EQ(st.message(), "what happened");
  }
}

TEST(StatusTest, LibraryStatusesMapByCode) {
  EXPECT_EQ(KindOf(arrow::Status::IOError("disk")), ErrorKind::kUnavailable);
  EXPECT_EQ(KindOf(arrow::Status::Invalid("bad")), ErrorKind::kBadInput);
  EXPECT_EQ(KindOf(arrow::Status::KeyError("k")), ErrorKind::kNotFound);
  EXPECT_EQ(KindOf(arrow::Status::UnknownError("?")), ErrorKind::kInternal);
}

}  // namespace
}  // namespace latebind
