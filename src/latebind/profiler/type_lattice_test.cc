#include "latebind/profiler/type_lattice.h"

#include <gtest/gtest.h>

namespace latebind::profiler {
namespace {

TEST(ClassifyStringTest, DatesAndTimestamps) {
  EXPECT_EQ(ClassifyString("2024-02-29"), FieldType::kDate);
  EXPECT_EQ(ClassifyString("2023-02-29"), FieldType::kString);  // not a leap year
  EXPECT_EQ(ClassifyString("2024-13-01"), FieldType::kString);
  EXPECT_EQ(ClassifyString("2024-04-31"), FieldType::kString);
  EXPECT_EQ(ClassifyString("2024-01-15T10:20:30Z"), FieldType::kTimestamp);
  EXPECT_EQ(ClassifyString("2024-01-15 10:20"), FieldType::kTimestamp);
  EXPECT_EQ(ClassifyString("2024-01-15T10:20:30.123456+02:00"), FieldType::kTimestamp);
  EXPECT_EQ(ClassifyString("2024-01-15T10:20:30-0500"), FieldType::kTimestamp);
  EXPECT_EQ(ClassifyString("2024-01-15T25:00:00Z"), FieldType::kString);
  EXPECT_EQ(ClassifyString("2024-01-15T10:20:30Zjunk"), FieldType::kString);
  EXPECT_EQ(ClassifyString("2024-01-15x"), FieldType::kString);
  EXPECT_EQ(ClassifyString("15/01/2024"), FieldType::kString);
  EXPECT_EQ(ClassifyString(""), FieldType::kString);
}

TEST(CalendarInstantTest, ZonesSeparatorsFractionsAndDates) {
  auto at = [](std::string_view s) { return CalendarInstantOf(s); };
  EXPECT_EQ(at("1970-01-01"), (CalendarInstant{0, 0}));
  EXPECT_EQ(at("1970-01-02T00:00Z"), (CalendarInstant{86400, 0}));
  EXPECT_EQ(at("1969-12-31"), (CalendarInstant{-86400, 0}));
  EXPECT_EQ(at("2024-02-29T12:00:00Z"), (CalendarInstant{1709208000, 0}));
  // The same instant written five ways.
  const CalendarInstant noon_utc{1705320000, 0};  // 2024-01-15T12:00:00Z
  EXPECT_EQ(at("2024-01-15 12:00"), noon_utc);
  EXPECT_EQ(at("2024-01-15t12:00:00z"), noon_utc);
  EXPECT_EQ(at("2024-01-15T14:00:00+02:00"), noon_utc);
  EXPECT_EQ(at("2024-01-15T06:30:00-0530"), noon_utc);
  EXPECT_EQ(at("2024-01-16T01:00+13"), noon_utc);
  EXPECT_EQ(at("2024-01-15T12:00:00.5Z"), (CalendarInstant{1705320000, 500000000}));
  EXPECT_EQ(at("2024-01-15T12:00:00,000000001"), (CalendarInstant{1705320000, 1}));
  EXPECT_EQ(at("2024-01-15T11:59:60Z"), noon_utc);  // a leap second
  // Text order and instant order disagree across zones.
  EXPECT_LT(std::string_view("2024-01-15 11:00"), "2024-01-15T10:00:00+02:00");
  EXPECT_LT(*at("2024-01-15T10:00:00+02:00"), *at("2024-01-15 11:00"));
  EXPECT_EQ(at("2024-01-15x"), std::nullopt);
  EXPECT_EQ(at("2023-02-29"), std::nullopt);
  EXPECT_EQ(at("2024-01-15T24:00Z"), std::nullopt);
}

TEST(CalendarInstantTest, BeforeComparesInstantsWhateverTheLayout) {
  // One layout and zone: text order is instant order.
  EXPECT_TRUE(CalendarBefore("2024-01-15T10:00:00Z", "2024-01-15T10:00:01Z"));
  EXPECT_FALSE(CalendarBefore("2024-01-15T10:00:01Z", "2024-01-15T10:00:00Z"));
  EXPECT_FALSE(CalendarBefore("2024-01-15T10:00:00Z", "2024-01-15T10:00:00Z"));
  EXPECT_TRUE(CalendarBefore("2024-01-09", "2024-01-10"));
  // Zones of the same length but other offsets: 10:00+03:00 is before 09:30+02:00.
  EXPECT_TRUE(CalendarBefore("2024-01-15T10:00:00+03:00", "2024-01-15T09:30:00+02:00"));
  EXPECT_FALSE(CalendarBefore("2024-01-15T09:30:00+02:00", "2024-01-15T10:00:00+03:00"));
  EXPECT_TRUE(CalendarBefore("2024-01-15T10:00:00-01:00", "2024-01-15T10:00:00-02:00"));
  // Other separators, lengths and kinds.
  EXPECT_TRUE(CalendarBefore("2024-01-15T10:00:00+02:00", "2024-01-15 09:00"));
  EXPECT_TRUE(CalendarBefore("2024-01-15 09:00", "2024-01-15t09:00:00.5z"));
  EXPECT_TRUE(CalendarBefore("2024-01-15", "2024-01-15T00:00:00.000001Z"));
  EXPECT_FALSE(CalendarBefore("2024-01-15T00:00Z", "2024-01-15"));
}

TEST(ClassifyCellTest, Numbers) {
  EXPECT_EQ(ClassifyCell("42").type, FieldType::kInt64);
  EXPECT_EQ(ClassifyCell("-42").int_value, -42);
  EXPECT_EQ(ClassifyCell("+7").int_value, 7);
  EXPECT_EQ(ClassifyCell("9223372036854775807").type, FieldType::kInt64);
  const CellValue big = ClassifyCell("9223372036854775808");
  EXPECT_EQ(big.type, FieldType::kFloat64);
  EXPECT_TRUE(big.int_overflow);
  EXPECT_EQ(ClassifyCell("3.25").float_value, 3.25);
  EXPECT_EQ(ClassifyCell("1e5").type, FieldType::kFloat64);
  EXPECT_EQ(ClassifyCell(".5").type, FieldType::kFloat64);
  EXPECT_EQ(ClassifyCell("007").type, FieldType::kString);  // an identifier
  EXPECT_EQ(ClassifyCell("0").type, FieldType::kInt64);
  EXPECT_EQ(ClassifyCell("0.5").type, FieldType::kFloat64);
  EXPECT_EQ(ClassifyCell("-inf").type, FieldType::kString);
  EXPECT_EQ(ClassifyCell("nan").type, FieldType::kString);
  EXPECT_EQ(ClassifyCell("1e999").type, FieldType::kString);
  EXPECT_EQ(ClassifyCell("12abc").type, FieldType::kString);
  EXPECT_EQ(ClassifyCell("-").type, FieldType::kString);
}

TEST(ClassifyCellTest, OtherKinds) {
  EXPECT_EQ(ClassifyCell("").type, FieldType::kNull);
  EXPECT_EQ(ClassifyCell("TRUE").type, FieldType::kBoolean);
  EXPECT_EQ(ClassifyCell("false").int_value, 0);
  EXPECT_EQ(ClassifyCell("2024-01-02").type, FieldType::kDate);
  EXPECT_EQ(ClassifyCell("2024-01-02T03:04:05Z").type, FieldType::kTimestamp);
  EXPECT_EQ(ClassifyCell("hello").type, FieldType::kString);
}

TypeCounts Counts(std::initializer_list<std::pair<FieldType, uint64_t>> items) {
  TypeCounts c{};
  for (auto [t, n] : items) c[static_cast<int>(t)] = n;
  return c;
}

TEST(DecideTypeTest, Lattice) {
  EXPECT_EQ(DecideType(Counts({})).type, FieldType::kNull);
  EXPECT_EQ(DecideType(Counts({{FieldType::kNull, 3}})).type, FieldType::kNull);
  EXPECT_EQ(DecideType(Counts({{FieldType::kInt64, 3}, {FieldType::kNull, 1}})).type,
            FieldType::kInt64);

  const TypeDecision widened =
      DecideType(Counts({{FieldType::kInt64, 3}, {FieldType::kFloat64, 1}}));
  EXPECT_EQ(widened.type, FieldType::kFloat64);
  EXPECT_TRUE(widened.widened);
  EXPECT_FALSE(widened.conflict);

  const TypeDecision conflict =
      DecideType(Counts({{FieldType::kInt64, 3}, {FieldType::kString, 1}}));
  EXPECT_EQ(conflict.type, FieldType::kString);
  EXPECT_TRUE(conflict.conflict);

  EXPECT_TRUE(DecideType(Counts({{FieldType::kObject, 1}, {FieldType::kArray, 1}})).conflict);
  EXPECT_TRUE(DecideType(Counts({{FieldType::kBoolean, 1}, {FieldType::kInt64, 1}})).conflict);

  const TypeDecision dates =
      DecideType(Counts({{FieldType::kDate, 3}, {FieldType::kTimestamp, 1}}));
  EXPECT_EQ(dates.type, FieldType::kTimestamp);
  EXPECT_FALSE(dates.conflict);
  const TypeDecision text = DecideType(Counts({{FieldType::kDate, 3}, {FieldType::kString, 1}}));
  EXPECT_EQ(text.type, FieldType::kString);
  EXPECT_FALSE(text.conflict);
  EXPECT_EQ(DecideType(Counts({{FieldType::kObject, 2}})).type, FieldType::kObject);
}

}  // namespace
}  // namespace latebind::profiler
