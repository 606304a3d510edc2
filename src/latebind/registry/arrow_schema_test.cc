// The bound schema (arrow_schema.h): the registry → Arrow type mapping, nesting, removed
// fields and confirmed rename mappings (issue 5, `schema export`).
#include "latebind/registry/arrow_schema.h"

#include <arrow/type.h>
#include <arrow/util/key_value_metadata.h>
#include <gtest/gtest.h>

namespace latebind::registry {
namespace {

FieldSchema Field(std::string path, FieldType type, bool required = true, bool removed = false) {
  FieldSchema f;
  f.path = std::move(path);
  f.type = type;
  f.required = required;
  f.removed = removed;
  return f;
}

SchemaVersion Version(std::vector<FieldSchema> fields) {
  SchemaVersion v;
  v.source_id = "orders";
  v.version = 3;
  v.fingerprint = "00ff";
  v.fields = std::move(fields);
  return v;
}

std::shared_ptr<arrow::Schema> Bind(const SchemaVersion& v) {
  auto r = ToArrowSchema(v);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ValueOr(nullptr);
}

std::string Meta(const arrow::Field& f, const std::string& key) {
  return f.metadata() ? f.metadata()->Get(key).ValueOr("") : "";
}

// A key holding '.' or "[]" is escaped in its path (common/field_path.h): the column is
// named by the key itself, and sits beside the object whose member has the same dotted path.
TEST(ArrowSchemaTest, EscapedKeysNameTheirColumns) {
  const auto schema =
      Bind(Version({Field("a\\.b", FieldType::kInt64), Field("a", FieldType::kObject),
                    Field("a.b", FieldType::kString), Field("c\\[\\]", FieldType::kString),
                    Field("m", FieldType::kObject), Field("m.x\\.y", FieldType::kBoolean)}));
  ASSERT_NE(schema, nullptr);
  const arrow::Schema expected(
      {arrow::field("a.b", arrow::int64()),
       arrow::field("a", arrow::struct_({arrow::field("b", arrow::utf8())})),
       arrow::field("c[]", arrow::utf8()),
       arrow::field("m", arrow::struct_({arrow::field("x.y", arrow::boolean())}))});
  EXPECT_TRUE(schema->Equals(expected, /*check_metadata=*/false)) << schema->ToString();
  EXPECT_EQ(Meta(*schema->field(0), kArrowPathKey), "a\\.b");
  EXPECT_EQ(Meta(*schema->field(3)->type()->field(0), kArrowPathKey), "m.x\\.y");
}

TEST(ArrowSchemaTest, ScalarTypesAreAllNullableWithTheRequiredFlagAsMetadata) {
  const auto schema =
      Bind(Version({Field("id", FieldType::kInt64), Field("amount", FieldType::kFloat64),
                    Field("ok", FieldType::kBoolean, false), Field("name", FieldType::kString),
                    Field("day", FieldType::kDate), Field("at", FieldType::kTimestamp),
                    Field("nothing", FieldType::kNull, false)}));
  ASSERT_NE(schema, nullptr);
  const arrow::Schema expected(
      {arrow::field("id", arrow::int64()), arrow::field("amount", arrow::float64()),
       arrow::field("ok", arrow::boolean()), arrow::field("name", arrow::utf8()),
       arrow::field("day", arrow::date32()),
       arrow::field("at", arrow::timestamp(arrow::TimeUnit::MICRO, "UTC")),
       arrow::field("nothing", arrow::utf8())});
  EXPECT_TRUE(schema->Equals(expected, /*check_metadata=*/false)) << schema->ToString();
  for (const auto& f : schema->fields()) EXPECT_TRUE(f->nullable()) << f->name();
  EXPECT_EQ(Meta(*schema->GetFieldByName("id"), kArrowRequiredKey), "true");
  EXPECT_EQ(Meta(*schema->GetFieldByName("ok"), kArrowRequiredKey), "false");
  EXPECT_EQ(Meta(*schema->GetFieldByName("day"), kArrowPathKey), "day");
  ASSERT_NE(schema->metadata(), nullptr);
  EXPECT_EQ(schema->metadata()->Get("latebind.source_id").ValueOr(""), "orders");
  EXPECT_EQ(schema->metadata()->Get("latebind.version").ValueOr(""), "3");
  EXPECT_EQ(schema->metadata()->Get("latebind.fingerprint").ValueOr(""), "00ff");
}

TEST(ArrowSchemaTest, ObjectsBecomeStructsAndArraysLists) {
  const auto schema = Bind(Version({
      Field("user", FieldType::kObject), Field("user.name", FieldType::kString),
      Field("user.tags", FieldType::kArray), Field("user.tags[]", FieldType::kString),
      Field("items", FieldType::kArray), Field("items[]", FieldType::kObject),
      Field("items[].sku", FieldType::kString), Field("items[].qty", FieldType::kInt64),
      Field("user.email", FieldType::kString, false),  // added later: still under user
  }));
  ASSERT_NE(schema, nullptr);
  const auto tags = arrow::list(arrow::field("item", arrow::utf8()));
  const auto user = arrow::struct_({arrow::field("name", arrow::utf8()), arrow::field("tags", tags),
                                    arrow::field("email", arrow::utf8())});
  const auto items = arrow::list(arrow::field(
      "item",
      arrow::struct_({arrow::field("sku", arrow::utf8()), arrow::field("qty", arrow::int64())})));
  const arrow::Schema expected({arrow::field("user", user), arrow::field("items", items)});
  EXPECT_TRUE(schema->Equals(expected, false)) << schema->ToString();
}

TEST(ArrowSchemaTest, EmptyObjectsAndArraysBindAsText) {
  const auto schema =
      Bind(Version({Field("attrs", FieldType::kObject), Field("empty", FieldType::kArray),
                    Field("nulls", FieldType::kArray), Field("nulls[]", FieldType::kNull)}));
  ASSERT_NE(schema, nullptr);
  const arrow::Schema expected({arrow::field("attrs", arrow::utf8()),
                                arrow::field("empty", arrow::list(arrow::utf8())),
                                arrow::field("nulls", arrow::list(arrow::utf8()))});
  EXPECT_TRUE(schema->Equals(expected, false)) << schema->ToString();
}

// Profiler audit 2026-11-24: one payload nested 120 levels deep made pyarrow refuse the
// whole table ("current limit is 100"). Columns nest at most kMaxColumnNesting levels of
// structs and lists; a deeper object or array is its JSON text.
TEST(ArrowSchemaTest, NestingPastTheLimitBindsAsJsonText) {
  std::vector<FieldSchema> fields;
  std::string object = "o", list = "l";
  for (int level = 1; level <= kMaxColumnNesting + 3; ++level) {
    fields.push_back(Field(object, FieldType::kObject));
    fields.push_back(Field(list, FieldType::kArray));
    object += ".k";
    list += "[]";
  }
  fields.push_back(Field(object, FieldType::kInt64));
  fields.push_back(Field(list, FieldType::kInt64));
  const auto schema = Bind(Version(std::move(fields)));
  ASSERT_NE(schema, nullptr);
  auto depth_of = [](std::shared_ptr<arrow::DataType> t) {
    int depth = 0;
    for (; t->id() == arrow::Type::STRUCT || t->id() == arrow::Type::LIST; ++depth) {
      t = t->field(0)->type();
    }
    EXPECT_EQ(t->id(), arrow::Type::STRING);  // the deepest value's JSON text
    return depth;
  };
  EXPECT_EQ(depth_of(schema->GetFieldByName("o")->type()), kMaxColumnNesting);
  EXPECT_EQ(depth_of(schema->GetFieldByName("l")->type()), kMaxColumnNesting);
}

// Audit bug B: a removed field was left out, so resolving a removal rewrote the curated
// table without the column and moved every old row's value into _rescued_data. A removal
// is BACKWARD (readers on the new schema read old data): the column stays, typed as it was
// last, at its place, nullable and not required.
TEST(ArrowSchemaTest, RemovedFieldsStayColumnsTypedAsTheyWereLast) {
  const auto schema = Bind(Version(
      {Field("id", FieldType::kInt64), Field("gone", FieldType::kString, true, true),
       Field("obj", FieldType::kObject, false, true),
       Field("obj.x", FieldType::kInt64, false, true), Field("after", FieldType::kDate, false)}));
  ASSERT_NE(schema, nullptr);
  const arrow::Schema expected(
      {arrow::field("id", arrow::int64()), arrow::field("gone", arrow::utf8()),
       arrow::field("obj", arrow::struct_({arrow::field("x", arrow::int64())})),
       arrow::field("after", arrow::date32())});
  ASSERT_TRUE(schema->Equals(expected, /*check_metadata=*/false)) << schema->ToString();
  EXPECT_EQ(Meta(*schema->GetFieldByName("gone"), kArrowRequiredKey), "false");
  EXPECT_EQ(Meta(*schema->GetFieldByName("gone"), kArrowPathKey), "gone");
  EXPECT_EQ(Meta(*schema->GetFieldByName("id"), kArrowRequiredKey), "true");
}

// The version before the removal and the version that removes the field bind the same
// columns: the table is not rewritten for a removal.
TEST(ArrowSchemaTest, ARemovalBindsTheColumnsOfTheVersionBefore) {
  const auto before =
      Bind(Version({Field("id", FieldType::kInt64), Field("x", FieldType::kString)}));
  const auto after =
      Bind(Version({Field("id", FieldType::kInt64), Field("x", FieldType::kString, false, true)}));
  ASSERT_NE(before, nullptr);
  ASSERT_NE(after, nullptr);
  EXPECT_TRUE(before->Equals(*after, /*check_metadata=*/false)) << after->ToString();
}

// The seed's story: transaction_date renamed to txn_date, the rename confirmed with
// --map txn_date=transaction_date: the curated column keeps its name and place.
TEST(ArrowSchemaTest, ConfirmedMappingKeepsTheOldNameTypedFromTheNewField) {
  SchemaVersion v =
      Version({Field("transaction_id", FieldType::kString),
               Field("transaction_date", FieldType::kDate, false, true),
               Field("amount", FieldType::kFloat64), Field("txn_date", FieldType::kTimestamp)});
  v.mappings["txn_date"] = "transaction_date";
  const auto schema = Bind(v);
  ASSERT_NE(schema, nullptr);
  EXPECT_EQ(schema->field_names(),
            (std::vector<std::string>{"transaction_id", "transaction_date", "amount"}));
  const auto& kept = *schema->GetFieldByName("transaction_date");
  EXPECT_TRUE(kept.type()->Equals(arrow::timestamp(arrow::TimeUnit::MICRO, "UTC")));
  EXPECT_EQ(Meta(kept, kArrowPathKey), "txn_date");
  EXPECT_EQ(Meta(kept, kArrowRequiredKey), "true");
}

// Promotion audit 2026-11-24: cost=price (int64 continuing float64) typed column price
// int64, and the table's rewrite moved every promoted 2.5 into _rescued_data. The column
// takes the widest type of the fields filling it (ADR-106).
TEST(ArrowSchemaTest, AMappedColumnTakesTheWidestTypeOfItsFields) {
  SchemaVersion v =
      Version({Field("price", FieldType::kFloat64, false, true), Field("cost", FieldType::kInt64),
               Field("ts", FieldType::kTimestamp, false, true), Field("d", FieldType::kDate),
               Field("s", FieldType::kString, false, true), Field("n", FieldType::kInt64),
               Field("x", FieldType::kInt64, false, true), Field("y", FieldType::kInt64)});
  v.mappings = {{"cost", "price"}, {"d", "ts"}, {"n", "s"}, {"y", "x"}};
  const auto schema = Bind(v);
  ASSERT_NE(schema, nullptr);
  const arrow::Schema expected({arrow::field("price", arrow::float64()),
                                arrow::field("ts", arrow::timestamp(arrow::TimeUnit::MICRO, "UTC")),
                                arrow::field("s", arrow::utf8()),
                                arrow::field("x", arrow::int64())});
  EXPECT_TRUE(schema->Equals(expected, false)) << schema->ToString();
  EXPECT_EQ(Meta(*schema->GetFieldByName("price"), kArrowPathKey), "cost");
}

TEST(ArrowSchemaTest, MappingOfAnObjectMovesItsMembersAndNestedMappingsWork) {
  SchemaVersion v = Version(
      {Field("customer", FieldType::kObject, false, true),
       Field("customer.id", FieldType::kString, false, true), Field("client", FieldType::kObject),
       Field("client.id", FieldType::kString), Field("client.zip", FieldType::kString, false, true),
       Field("client.postcode", FieldType::kInt64)});
  v.mappings["client"] = "customer";
  v.mappings["client.postcode"] = "client.zip";  // under a mapped object: client wins
  const auto schema = Bind(v);
  ASSERT_NE(schema, nullptr);
  // client wins, so client.zip is a removed member of client like any other: it stays, moved
  // with client (customer.id, removed too, gives way to client.id mapped onto it).
  const arrow::Schema expected({arrow::field(
      "customer",
      arrow::struct_({arrow::field("id", arrow::utf8()), arrow::field("zip", arrow::utf8()),
                      arrow::field("postcode", arrow::int64())}))});
  EXPECT_TRUE(schema->Equals(expected, false)) << schema->ToString();

  SchemaVersion nested =
      Version({Field("a", FieldType::kObject), Field("a.b", FieldType::kInt64),
               Field("a.old", FieldType::kDate, false, true), Field("a.new", FieldType::kDate)});
  nested.mappings["a.new"] = "a.old";
  const auto bound = Bind(nested);
  ASSERT_NE(bound, nullptr);
  const arrow::Schema nested_expected({arrow::field(
      "a",
      arrow::struct_({arrow::field("b", arrow::int64()), arrow::field("old", arrow::date32())}))});
  EXPECT_TRUE(bound->Equals(nested_expected, false)) << bound->ToString();
}

// A confirmed rename whose new field is removed in its turn keeps its column: OLD, typed
// from NEW, once (neither removed field a column of its own).
TEST(ArrowSchemaTest, MappingWhoseNewFieldIsGoneKeepsItsColumn) {
  SchemaVersion v =
      Version({Field("id", FieldType::kInt64), Field("old", FieldType::kString, false, true),
               Field("new", FieldType::kString, false, true)});
  v.mappings["new"] = "old";
  const auto schema = Bind(v);
  ASSERT_NE(schema, nullptr);
  EXPECT_EQ(schema->field_names(), (std::vector<std::string>{"id", "old"}));
  const auto kept = schema->GetFieldByName("old");
  ASSERT_NE(kept, nullptr) << schema->ToString();
  EXPECT_EQ(Meta(*kept, kArrowPathKey), "new");
}

// ADR-087: b=a, then c=b when b was renamed in its turn: one column a, at a's place, typed
// from c (the chain's head), filled from c, a and b. It was two, a (from b) and b (from c).
TEST(ArrowSchemaTest, ChainedMappingsBindOneColumnTypedFromTheChainsHead) {
  SchemaVersion v =
      Version({Field("id", FieldType::kInt64), Field("a", FieldType::kDate, false, true),
               Field("amount", FieldType::kFloat64), Field("b", FieldType::kDate, false, true),
               Field("c", FieldType::kTimestamp)});
  v.mappings = {{"b", "a"}, {"c", "b"}};
  const auto schema = Bind(v);
  ASSERT_NE(schema, nullptr);
  EXPECT_EQ(schema->field_names(), (std::vector<std::string>{"id", "a", "amount"}))
      << schema->ToString();
  const auto& a = *schema->GetFieldByName("a");
  EXPECT_TRUE(a.type()->Equals(arrow::timestamp(arrow::TimeUnit::MICRO, "UTC")));
  EXPECT_EQ(Meta(a, kArrowPathKey), "c");
  EXPECT_EQ(Meta(a, kArrowRequiredKey), "true");
  EXPECT_EQ(FilledFrom(a), (std::vector<std::string>{"c", "a", "b"}));
  EXPECT_EQ(FilledFrom(*schema->GetFieldByName("id")), (std::vector<std::string>{"id"}));

  // c removed in its turn: the column stays, typed from c still.
  v.fields.back().removed = true;
  const auto gone = Bind(v);
  ASSERT_NE(gone, nullptr);
  EXPECT_EQ(gone->field_names(), (std::vector<std::string>{"id", "a", "amount"}));
  EXPECT_EQ(Meta(*gone->GetFieldByName("a"), kArrowPathKey), "c");

  // A cycle (b renamed back to a: a=b) binds a and b once, as a, typed from the live a.
  SchemaVersion back =
      Version({Field("a", FieldType::kString), Field("b", FieldType::kDate, false, true)});
  back.mappings = {{"b", "a"}, {"a", "b"}};
  const auto cycle = Bind(back);
  ASSERT_NE(cycle, nullptr);
  EXPECT_EQ(cycle->field_names(), (std::vector<std::string>{"a"})) << cycle->ToString();
  EXPECT_TRUE(cycle->field(0)->type()->Equals(arrow::utf8()));
  EXPECT_EQ(FilledFrom(*cycle->field(0)), (std::vector<std::string>{"a", "b"}));
}

TEST(ArrowSchemaTest, MappingOntoAPathWithNoParentImpliesTheParent) {
  SchemaVersion v = Version({Field("flat_zip", FieldType::kString)});
  v.mappings["flat_zip"] = "address.zip";
  // The registry refuses an OLD it does not hold; a hand-made version still binds sanely.
  const auto schema = Bind(v);
  ASSERT_NE(schema, nullptr);
  const arrow::Schema expected(
      {arrow::field("address", arrow::struct_({arrow::field("zip", arrow::utf8())}))});
  EXPECT_TRUE(schema->Equals(expected, false)) << schema->ToString();
}

}  // namespace
}  // namespace latebind::registry
