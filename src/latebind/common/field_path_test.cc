#include "latebind/common/field_path.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace latebind {
namespace {

TEST(FieldPathTest, PlainKeysAreTheirOwnSegments) {
  EXPECT_EQ(MemberPath("", "a"), "a");
  EXPECT_EQ(MemberPath("a", "b"), "a.b");
  EXPECT_EQ(ElementPath("a"), "a[]");
  EXPECT_EQ(MemberPath(ElementPath("a"), "b"), "a[].b");
  EXPECT_EQ(ElementPath(ElementPath("m")), "m[][]");
}

TEST(FieldPathTest, SpecialCharactersInKeysAreEscaped) {
  EXPECT_EQ(EscapeKey("a.b"), "a\\.b");
  EXPECT_EQ(EscapeKey("c[]"), "c\\[\\]");
  EXPECT_EQ(EscapeKey("back\\slash"), "back\\\\slash");
  EXPECT_EQ(MemberPath("price.usd", "x"), "price.usd.x");  // the parent is a path already
  EXPECT_EQ(MemberPath("", "price.usd"), "price\\.usd");
  for (const std::string key : {"a.b", "c[]", "x\\", "\\.", "[", "]", "a.b.c", "plain", ""}) {
    EXPECT_EQ(UnescapeKey(EscapeKey(key)), key) << key;
  }
}

// Every path built from keys reads back as the same parent and last key, whatever the keys
// hold; the key "a.b" and the member b of a are two paths.
TEST(FieldPathTest, PathsReadBackOneWay) {
  const std::vector<std::string> keys = {"a", "a.b", "b", "c[]", "x\\", "\\", ".", "[]", "][", ""};
  for (const std::string& parent_key : keys) {
    for (const std::string& key : keys) {
      const std::string parent = MemberPath("", parent_key);
      const std::string member = MemberPath(parent, key);
      EXPECT_EQ(ParentPath(member), parent) << member;
      EXPECT_EQ(UnescapeKey(LastSegment(member)), key) << member;
      EXPECT_FALSE(IsElementPath(member)) << member;
      EXPECT_TRUE(IsWithin(member, parent)) << member;
      EXPECT_EQ(ParentPath(parent), "") << parent;

      const std::string element = ElementPath(parent);
      EXPECT_TRUE(IsElementPath(element)) << element;
      EXPECT_EQ(ParentPath(element), parent) << element;
      EXPECT_EQ(ParentPath(MemberPath(element, key)), element);
      EXPECT_TRUE(IsWithin(MemberPath(element, key), parent));
    }
  }
  EXPECT_NE(MemberPath("", "a.b"), MemberPath("a", "b"));
  EXPECT_NE(MemberPath("", "c[]"), ElementPath("c"));
  EXPECT_EQ(MemberPath("", ""), ".");  // not the record's own path
  EXPECT_EQ(MemberPath(MemberPath("", ""), "x"), "..x");
}

TEST(FieldPathTest, NothingButItselfIsWithinTheEmptyPath) {
  EXPECT_TRUE(IsWithin("", ""));
  EXPECT_FALSE(IsWithin(".", ""));
  EXPECT_FALSE(IsWithin("..x", ""));
  EXPECT_FALSE(IsWithin("a", ""));
}

TEST(FieldPathTest, WithinNeedsAWholeSegment) {
  EXPECT_TRUE(IsWithin("a", "a"));
  EXPECT_TRUE(IsWithin("a.b", "a"));
  EXPECT_TRUE(IsWithin("a[].b", "a"));
  EXPECT_FALSE(IsWithin("ab", "a"));
  EXPECT_FALSE(IsWithin("a\\.b", "a"));
  EXPECT_FALSE(IsWithin("a\\[\\]", "a"));
  EXPECT_TRUE(IsWithin("a\\\\.b", "a\\\\"));  // the key "a\" and its member b
}

TEST(FieldPathTest, ParentAndLastSegment) {
  EXPECT_EQ(ParentPath("a"), "");
  EXPECT_EQ(ParentPath("a.b.c"), "a.b");
  EXPECT_EQ(ParentPath("a.b[]"), "a.b");
  EXPECT_EQ(ParentPath("a[].b"), "a[]");
  EXPECT_EQ(ParentPath("a\\.b"), "");
  EXPECT_EQ(ParentPath("x.a\\.b"), "x");
  EXPECT_EQ(LastSegment("a.b.c"), "c");
  EXPECT_EQ(LastSegment("a"), "a");
  EXPECT_EQ(LastSegment("x.a\\.b"), "a\\.b");
  EXPECT_EQ(LastSegment("a[]"), "[]");
}

}  // namespace
}  // namespace latebind
