#include "latebind/profiler/field_tree.h"

#include <gtest/gtest.h>

namespace latebind::profiler {
namespace {

const FieldProfile* Find(const std::vector<FieldProfile>& fields, const std::string& path) {
  for (const auto& f : fields) {
    if (f.path == path) return &f;
  }
  return nullptr;
}

// {"a": {"b": 1}, "list": [{"x": "s"}, {"x": "t", "y": true}]} then {"a": {"b": 2.5}}
void Feed(FieldTree& t, uint64_t ordinal_base) {
  t.stats(FieldTree::kRoot).AddContainer(FieldType::kObject);
  int32_t a = t.Child(FieldTree::kRoot, "a", ordinal_base);
  t.stats(a).AddContainer(FieldType::kObject);
  t.stats(t.Child(a, "b", ordinal_base)).AddInt(1);
  int32_t list = t.Child(FieldTree::kRoot, "list", ordinal_base);
  t.stats(list).AddContainer(FieldType::kArray);
  int32_t el = t.Element(list, ordinal_base);
  t.stats(el).AddContainer(FieldType::kObject);
  t.stats(t.Child(el, "x", ordinal_base)).AddString("s", FieldType::kString);
  t.stats(el).AddContainer(FieldType::kObject);
  t.stats(t.Child(el, "x", ordinal_base)).AddString("t", FieldType::kString);
  t.stats(t.Child(el, "y", ordinal_base)).AddBool(true);

  t.stats(FieldTree::kRoot).AddContainer(FieldType::kObject);
  a = t.Child(FieldTree::kRoot, "a", ordinal_base + 1);
  t.stats(a).AddContainer(FieldType::kObject);
  t.stats(t.Child(a, "b", ordinal_base + 1)).AddFloat(2.5, false);
}

TEST(FieldTreeTest, PathsTypesAndRequired) {
  FieldTree t;
  Feed(t, 0);
  auto fields = t.Finalize();
  ASSERT_EQ(fields.size(), 6u);
  std::vector<std::string> paths;
  for (const auto& f : fields) paths.push_back(f.path);
  EXPECT_EQ(paths,
            (std::vector<std::string>{"a", "a.b", "list", "list[]", "list[].x", "list[].y"}));
  EXPECT_TRUE(Find(fields, "a")->required);
  EXPECT_TRUE(Find(fields, "a.b")->required);
  EXPECT_EQ(Find(fields, "a.b")->type, FieldType::kFloat64);
  EXPECT_TRUE(Find(fields, "a.b")->widened);
  EXPECT_FALSE(Find(fields, "list")->required);     // missing from the second record
  EXPECT_TRUE(Find(fields, "list[].x")->required);  // in every element
  EXPECT_FALSE(Find(fields, "list[].y")->required);
  EXPECT_EQ(Find(fields, "list[]")->present, 2u);
  EXPECT_EQ(std::get<double>(Find(fields, "a.b")->min), 1.0);
  EXPECT_EQ(std::get<double>(Find(fields, "a.b")->max), 2.5);
  EXPECT_EQ(std::get<std::string>(Find(fields, "list[].x")->max), "t");
  EXPECT_EQ(t.records(), 2u);
}

// Audit 2026-11-24: min/max and examples were cut mid UTF-8 sequence, showing U+FFFD.
TEST(FieldTreeTest, LongTextIsCutBetweenCharacters) {
  FieldStats s;
  std::string text(FieldStats::kMaxStatBytes - 1, 'a');
  text += "\xc3\xa9";  // é across the cut
  text += std::string(100, 'b');
  s.AddString(text, FieldType::kString);
  EXPECT_EQ(s.max_str, std::string(FieldStats::kMaxStatBytes - 1, 'a'));
  EXPECT_EQ(s.min_str, s.max_str);
  EXPECT_TRUE(s.str_truncated);
  FieldStats e;
  std::string long_text(99, 'x');
  long_text += "\xe2\x82\xac tail";  // € across the 100-byte cut of examples
  e.AddString(long_text, FieldType::kString);
  ASSERT_EQ(e.examples.Values().size(), 1u);
  EXPECT_EQ(std::get<std::string>(e.examples.Values()[0]), std::string(99, 'x') + "...");
}

TEST(FieldTreeTest, MergeEqualsSingleTree) {
  FieldTree one, left, right;
  Feed(one, 0);
  Feed(one, 10);
  Feed(left, 0);
  Feed(right, 10);
  left.Merge(right);
  auto a = one.Finalize();
  auto b = left.Finalize();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].path, b[i].path);
    EXPECT_EQ(a[i].present, b[i].present);
    EXPECT_EQ(a[i].required, b[i].required);
    EXPECT_EQ(a[i].type, b[i].type);
    EXPECT_EQ(a[i].distinct_approx, b[i].distinct_approx);
    // The registry unions these sketches across payloads: they must not depend on how
    // the work was split either.
    EXPECT_EQ(a[i].distinct_sketch, b[i].distinct_sketch);
    EXPECT_EQ(a[i].distinct_sketch.Estimate(), a[i].distinct_approx);
    EXPECT_EQ(a[i].examples, b[i].examples);
  }
}

TEST(FieldTreeTest, FieldLimitBoundsMemory) {
  FieldTree t(/*max_fields=*/5);
  for (int i = 0; i < 100; ++i) {
    int32_t c = t.Child(FieldTree::kRoot, "k" + std::to_string(i), i);
    if (c != FieldTree::kNone) t.stats(c).AddInt(i);
  }
  EXPECT_EQ(t.Finalize().size(), 5u);
  EXPECT_EQ(t.dropped_lookups(), 95u);
}

TEST(FieldTreeTest, WideObjectsAndOutOfOrderKeys) {
  FieldTree t;
  for (int rec = 0; rec < 3; ++rec) {
    t.stats(FieldTree::kRoot).AddContainer(FieldType::kObject);
    for (int i = 0; i < 40; ++i) {
      const int k = rec == 1 ? 39 - i : i;  // the second record reverses the order
      t.stats(t.Child(FieldTree::kRoot, "f" + std::to_string(k), rec)).AddInt(k);
    }
  }
  auto fields = t.Finalize();
  ASSERT_EQ(fields.size(), 40u);
  for (const auto& f : fields) {
    EXPECT_EQ(f.present, 3u) << f.path;
    EXPECT_TRUE(f.required);
  }
}

TEST(FieldTreeTest, OrderOfFirstSightingSurvivesMerge) {
  // Record 1 (seen by `late`) lists y before x; record 0 (seen by `early`) x before y.
  FieldTree early, late;
  late.Child(FieldTree::kRoot, "y", KeyOrdinal(RecordOrdinal(0, 1), 0));
  late.Child(FieldTree::kRoot, "x", KeyOrdinal(RecordOrdinal(0, 1), 1));
  early.Child(FieldTree::kRoot, "x", KeyOrdinal(RecordOrdinal(0, 0), 0));
  early.Child(FieldTree::kRoot, "y", KeyOrdinal(RecordOrdinal(0, 0), 1));
  late.Merge(early);
  auto fields = late.Finalize();
  ASSERT_EQ(fields.size(), 2u);
  EXPECT_EQ(fields[0].path, "x");
  EXPECT_EQ(fields[1].path, "y");
}

TEST(StringHeadTest, OrdersLikeTheStrings) {
  const std::vector<std::string> words = {
      "",         "a",         "ab", "abc",  "abcd",  "abcde",   "abcdef",  "abcdefg",
      "abcdefgh", "abcdefghi", "b",  "\xff", "a\xff", "abc\x01", "abcdeff", "zz"};
  for (const auto& x : words) {
    for (const auto& y : words) {
      const uint64_t hx = StringHead(x), hy = StringHead(y);
      if (hx != hy) {
        EXPECT_EQ(hx < hy, x < y) << x << " vs " << y;
      }
      if (x == y) {
        EXPECT_EQ(hx, hy);
      }
    }
  }
}

TEST(ExampleSampleTest, DeterministicAndDistinct) {
  ExampleSample a, b;
  for (uint64_t i = 0; i < 100; ++i) a.Add(i * 7919 % 101, static_cast<int64_t>(i));
  for (uint64_t i = 100; i-- > 0;) b.Add(i * 7919 % 101, static_cast<int64_t>(i));
  b.Add(0, int64_t{0});  // duplicate hash ignored
  EXPECT_EQ(a.Values(), b.Values());
  EXPECT_EQ(a.Values().size(), ExampleSample::kSize);
}

}  // namespace
}  // namespace latebind::profiler
