#include "latebind/promotion/record_binder.h"

#include <arrow/builder.h>
#include <arrow/type.h>
#include <arrow/util/key_value_metadata.h>
#include <arrow/util/value_parsing.h>
#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "latebind/common/field_path.h"
#include "latebind/common/status.h"
#include "latebind/profiler/csv_sniffer.h"
#include "latebind/profiler/csv_tokenizer.h"
#include "latebind/profiler/json_profiler.h"
#include "latebind/profiler/type_lattice.h"
#include "latebind/promotion/column_names.h"
#include "latebind/promotion/json_text.h"
#include "latebind/promotion/memory_pool.h"
#include "latebind/promotion/value_fit.h"
#include "latebind/registry/arrow_schema.h"

namespace latebind::promotion {
namespace {

namespace dom = simdjson::dom;

// simdjson's parse_many batch: large enough for most records, small enough that its index
// of a batch's structure stays in the CPU cache (the whole 8 MiB item at once was ~8 %
// slower). A record longer than this is parsed again with the rest as one batch.
constexpr size_t kJsonBatch = 1 << 20;

// How a column takes values.
enum class Kind : uint8_t {
  kBool,
  kInt,
  kDouble,
  kString,  // strings; numbers and booleans as their JSON text
  kText,    // anything, as JSON text (an object or array never seen with members, or null)
  kDate,
  kTimestamp,
  kStruct,
  kList,
};

// One column, struct member or list element, with the builder its values go to.
struct Node {
  Kind kind = Kind::kString;
  arrow::ArrayBuilder* builder = nullptr;
  std::vector<Node> children;  // struct members; a list's element
  // Names records use for the children (a renamed field answers to its old and new name),
  // with the child each one binds to. Records mostly repeat their key order, so
  // `follows[i]` is the entry whose key came after entry i's in the last object
  // (`follows[names.size()]`: its first key); an absent optional member costs one miss.
  std::vector<std::pair<std::string, uint32_t>> names;
  std::unordered_map<std::string_view, uint32_t> by_name;  // into `names`
  std::vector<uint32_t> follows;
  uint64_t stamp = 0;  // the object that last set this node (a child of a struct or the root)

  // The entry of `names` for `key`, which came after entry `prev` (names.size() for the
  // first key), or -1.
  int64_t Find(std::string_view key, size_t prev) {
    const uint32_t guess = follows[prev];
    if (guess < names.size() && names[guess].first == key) return guess;
    const auto it = by_name.find(key);
    if (it == by_name.end()) return -1;
    follows[prev] = it->second;
    return it->second;
  }
};

// Where a value sits in its record, built into a path string only when it is rescued.
struct Frame {
  const Frame* parent = nullptr;
  std::string_view key;  // a member's key, or empty for a list element
  int64_t index = -1;    // a list element's index
  // Its place among its parent's members (duplicate keys counted) or elements, to find its
  // text (Binder::ValueStart); -1 for the record itself.
  int64_t position = -1;
};

void AppendPath(const Frame* f, std::string* out) {
  if (f == nullptr) return;
  AppendPath(f->parent, out);
  if (f->index >= 0) {
    fmt::format_to(std::back_inserter(*out), "[{}]", f->index);
  } else {
    if (!out->empty() || f->key.empty()) out->push_back('.');  // as MemberPath joins them
    out->append(EscapeKey(f->key));
  }
}

Kind KindOf(const arrow::DataType& type, FieldType registry_type) {
  switch (type.id()) {
    case arrow::Type::BOOL:
      return Kind::kBool;
    case arrow::Type::INT64:
      return Kind::kInt;
    case arrow::Type::DOUBLE:
      return Kind::kDouble;
    case arrow::Type::DATE32:
      return Kind::kDate;
    case arrow::Type::TIMESTAMP:
      return Kind::kTimestamp;
    case arrow::Type::STRUCT:
      return Kind::kStruct;
    case arrow::Type::LIST:
      return Kind::kList;
    default:
      return registry_type == FieldType::kString ? Kind::kString : Kind::kText;
  }
}

std::string RegistryPath(const arrow::Field& field, const std::string& fallback) {
  if (field.metadata() != nullptr) {
    const auto path = field.metadata()->Get(registry::kArrowPathKey);
    if (path.ok()) return *path;
  }
  return fallback;
}

class Binder final : public RecordBinder {
 public:
  explicit Binder(std::shared_ptr<arrow::Schema> schema) : schema_(std::move(schema)) {}

  arrow::Status Init(const arrow::Schema& bound, const arrow::Schema& named,
                     const registry::SchemaVersion& version) {
    const int n = named.num_fields();
    for (int i = 0; i < n; ++i) {
      std::unique_ptr<arrow::ArrayBuilder> b;
      ARROW_RETURN_NOT_OK(arrow::MakeBuilder(PromotionMemoryPool(), named.field(i)->type(), &b));
      columns_.push_back(std::move(b));
    }
    root_.kind = Kind::kStruct;
    root_.children.resize(n);
    for (int i = 0; i < n; ++i) {
      const auto& field = *bound.field(i);
      Build(version, field, RegistryPath(field, MemberPath("", field.name())), columns_[i].get(),
            &root_.children[i]);
      AddNames(root_, "", field, i);
    }
    Index(root_);
    for (arrow::StringBuilder* b : {&rescued_, &source_object_}) sizing_.push_back({b, b});
    sizing_.push_back({&ingested_at_, nullptr});
    return arrow::Status::OK();
  }

  const std::shared_ptr<arrow::Schema>& schema() const override { return schema_; }
  int64_t rows() const override { return rows_; }
  int64_t rescued_rows() const override { return rescued_rows_; }

  arrow::Status BindJson(std::string_view data, const Lineage& lineage) override {
    size_t start = 0;  // the bytes before it are bound
    size_t batch = kJsonBatch;
    for (;;) {
      const std::string_view rest = data.substr(start);
      ARROW_ASSIGN_OR_RAISE(const Progress done, BindDocuments(rest, batch, start, lineage));
      const size_t left = rest.find_first_not_of(" \t\r\n", done.bound);
      if (left == std::string_view::npos) return arrow::Status::OK();
      // What simdjson left (a record longer than the batch, or cut short) is parsed again
      // as one batch: if that fails too, the record is the error.
      if (!done.widened) {
        if (batch >= rest.size() - done.bound) {
          return MakeError(ErrorKind::kBadInput,
                           fmt::format("{} (byte {}): JSON does not parse: a record is cut short",
                                       lineage.source_object, lineage.offset + start + left));
        }
        batch = rest.size() - done.bound;
      }
      start += done.bound;
    }
  }

  arrow::Status BindCsv(std::string_view data, const profiler::CsvDialect& dialect,
                        bool skip_header, const Lineage& lineage) override {
    std::vector<int> column_of;            // CSV column → index in root_.children, or -1
    std::vector<std::string> column_path;  // CSV column → its field path, for rescues
    for (const std::string& name : dialect.columns) {
      column_path.push_back(MemberPath("", name));
      const auto it = root_.by_name.find(name);
      column_of.push_back(
          it == root_.by_name.end() ? -1 : static_cast<int>(root_.names[it->second].second));
    }
    // A cell past the header is named as an unnamed header cell is (the sniffer's
    // ColumnNames): columnN, suffixed while the header or an earlier cell has that name.
    std::unordered_set<std::string> taken(column_path.begin(), column_path.end());
    auto path_of = [&](size_t i) -> const std::string& {
      while (column_path.size() <= i) {
        std::string name =
            profiler::SuffixedColumnName(fmt::format("column{}", column_path.size()),
                                         [&](const std::string& s) { return taken.count(s) > 0; });
        taken.insert(name);
        column_path.push_back(std::move(name));  // a path already: no character to escape
      }
      return column_path[i];
    };
    profiler::CsvTokenizer tokenizer(dialect);
    bool header = skip_header;
    tokenizer.Tokenize(data.data(), data.size(), [&](const profiler::CsvRow& row) {
      if (header) {
        header = false;
        return true;
      }
      const uint64_t stamp = ++stamp_;
      for (size_t i = 0; i < row.cells.size(); ++i) {
        const std::string_view cell = row.cells[i];
        const int c = i < column_of.size() ? column_of[i] : -1;
        if (c < 0 || root_.children[c].stamp == stamp) {
          if (!cell.empty()) RescueText(path_of(i), cell);
          continue;
        }
        Node& node = root_.children[c];
        node.stamp = stamp;
        if (cell.empty()) {
          Check(node.builder->AppendNull());
          continue;
        }
        const Fit fit = BindText(node, cell);
        if (fit == Fit::kNo) Check(node.builder->AppendNull());
        if (fit != Fit::kYes) RescueText(column_path[i], cell);
      }
      for (Node& child : root_.children) {
        if (child.stamp != stamp) Check(child.builder->AppendNull());
      }
      EndRow(lineage);
      return true;
    });
    return status_;
  }

  arrow::Result<std::shared_ptr<arrow::RecordBatch>> Flush() override {
    ARROW_RETURN_NOT_OK(status_);
    for (Sizing& s : sizing_) {
      s.length = s.builder->length();
      if (s.text != nullptr) s.data = s.text->value_data_length();
    }
    std::vector<std::shared_ptr<arrow::Array>> arrays;
    for (auto& b : columns_) {
      std::shared_ptr<arrow::Array> a;
      ARROW_RETURN_NOT_OK(b->Finish(&a));
      arrays.push_back(std::move(a));
    }
    for (arrow::ArrayBuilder* b : {static_cast<arrow::ArrayBuilder*>(&rescued_),
                                   static_cast<arrow::ArrayBuilder*>(&source_object_),
                                   static_cast<arrow::ArrayBuilder*>(&ingested_at_)}) {
      std::shared_ptr<arrow::Array> a;
      ARROW_RETURN_NOT_OK(b->Finish(&a));
      arrays.push_back(std::move(a));
    }
    auto batch = arrow::RecordBatch::Make(schema_, rows_, std::move(arrays));
    // The next batch is likely the size of this one: reserving that up front saves growing
    // (copying, and faulting in) every buffer step by step.
    for (const Sizing& s : sizing_) {
      Check(s.builder->Reserve(s.length + s.length / 8));
      if (s.text != nullptr) Check(s.text->ReserveData(s.data + s.data / 8));
    }
    rows_ = 0;
    rescued_rows_ = 0;
    return batch;
  }

 private:
  void Build(const registry::SchemaVersion& version, const arrow::Field& field,
             const std::string& registry_path, arrow::ArrayBuilder* builder, Node* node) {
    const registry::FieldSchema* f = version.Find(registry_path);
    node->kind = KindOf(*field.type(), f != nullptr ? f->type : FieldType::kNull);
    node->builder = builder;
    const bool text = field.type()->id() == arrow::Type::STRING;
    sizing_.push_back({builder, text ? static_cast<arrow::StringBuilder*>(builder) : nullptr});
    if (node->kind == Kind::kStruct) {
      const int n = field.type()->num_fields();
      node->children.resize(n);
      for (int i = 0; i < n; ++i) {
        const auto& member = *field.type()->field(i);
        Build(version, member, RegistryPath(member, MemberPath(registry_path, member.name())),
              builder->child_builder(i).get(), &node->children[i]);
        AddNames(*node, registry_path, member, i);
      }
    } else if (node->kind == Kind::kList) {
      node->children.resize(1);
      Build(version, *field.type()->field(0), ElementPath(registry_path),
            static_cast<arrow::ListBuilder*>(builder)->value_builder(), &node->children[0]);
    }
  }

  // A member answers to its bound name and, when confirmed renames moved fields there, to
  // each of their names (the one it is typed from, and a chain's others: c, b for a). A
  // field under another parent is not among them: the registry refuses such a mapping
  // (ADR-105), and one confirmed before would capture a sibling of that name here; its
  // values stay where they are, in their parent's column or rescued.
  static void AddNames(Node& parent, std::string_view parent_path, const arrow::Field& member,
                       int index) {
    parent.names.emplace_back(member.name(), index);
    for (const std::string& path : registry::FilledFrom(member)) {
      if (ParentPath(path) != parent_path) continue;
      std::string from = UnescapeKey(LastSegment(path));
      const bool known = std::any_of(parent.names.begin(), parent.names.end(), [&](const auto& n) {
        return n.second == static_cast<uint32_t>(index) && n.first == from;
      });
      if (!known) parent.names.emplace_back(std::move(from), index);
    }
  }

  static void Index(Node& node) {
    for (uint32_t i = 0; i < node.names.size(); ++i) node.by_name.emplace(node.names[i].first, i);
    node.follows.assign(node.names.size() + 1, UINT32_MAX);
    for (Node& child : node.children) Index(child);
  }

  void Check(const arrow::Status& st) {
    if (!st.ok() && status_.ok()) status_ = st;
  }

  // Appends to a scalar builder, skipping Arrow's per-value Reserve (an out-of-line call
  // with a virtual length()) while the capacity reserved at Flush lasts. The qualified
  // length() is not virtual: these builders keep it in ArrayBuilder.
  template <typename Builder, typename T>
  void Append(Builder* b, T value) {
    if (b->arrow::ArrayBuilder::length() < b->capacity()) {
      b->UnsafeAppend(value);
    } else {
      Check(b->Append(value));
    }
  }

  void AppendString(arrow::StringBuilder* b, std::string_view s) {
    if (b->arrow::ArrayBuilder::length() < b->capacity() &&
        b->value_data_length() + static_cast<int64_t>(s.size()) <= b->value_data_capacity()) {
      b->UnsafeAppend(s);
    } else {
      Check(b->Append(s));
    }
  }

  // How far BindDocuments got in its data.
  struct Progress {
    size_t bound = 0;      // where the last document bound ends
    bool widened = false;  // that one had integers beyond 64 bits: parse on from there
  };

  // Binds the documents of `data` (starting at byte `start` of the caller's data), parsed
  // `batch` bytes at a time. Stops after a document with integers beyond 64 bits, which
  // simdjson stops at and the profiler read as float64 (WidenBigIntegers), bound here the
  // same way; at a document simdjson cannot take in one batch, or cut short at the end;
  // and returns the error of any other bad document.
  arrow::Result<Progress> BindDocuments(std::string_view data, size_t batch, size_t start,
                                        const Lineage& lineage) {
    dom::document_stream stream;
    auto err = parser_
                   .parse_many(reinterpret_cast<const uint8_t*>(data.data()), data.size(),
                               std::max<size_t>(batch, 1 << 10))
                   .get(stream);
    if (err) return JsonError(lineage, start, err);
    Progress done;
    for (auto it = stream.begin(); it != stream.end(); ++it) {
      dom::element doc;
      err = (*it).get(doc);
      if (err) {
        // Only whitespace after the last record ends the stream with an error whose code
        // differs between simdjson builds (EMPTY): judge the bytes, not the code.
        const size_t at = std::min(it.current_index(), data.size());
        if (data.find_first_not_of(" \t\r\n", at) == std::string_view::npos) break;
        if (err == simdjson::NUMBER_ERROR) {
          const std::string_view text = data.substr(at, JsonValueEnd(data, at) - at);
          const auto widened = profiler::WidenBigIntegers(text.data(), text.size());
          if (widened && !widened_parser_.parse(*widened).get(doc)) {
            BindDocument(doc, text, lineage, /*widened=*/true);
            return Progress{at + text.size(), true};
          }
        }
        // A record longer than the batch: the caller parses the rest again as one batch.
        if (batch < data.size() - done.bound) break;
        return JsonError(lineage, start + at, err);
      }
      done.bound = it.current_index() + it.source().size();
      BindDocument(doc, data.substr(it.current_index()), lineage);
    }
    return done;
  }

  // Binds a document whose text starts `text` (which may go on past its end): its records
  // are the elements of a top-level array, else the document itself. `widened`: `doc` was
  // parsed from WidenBigIntegers' copy of `text`.
  void BindDocument(dom::element doc, std::string_view text, const Lineage& lineage,
                    bool widened = false) {
    doc_text_ = text;
    widened_doc_ = widened;
    element_seen_ = -1;
    doc_is_array_ = doc.type() == dom::element_type::ARRAY;
    if (!doc_is_array_) {
      BindRecord(doc, lineage);
      return;
    }
    record_ = 0;
    for (dom::element record : dom::array(doc)) {
      BindRecord(record, lineage);
      ++record_;
    }
  }

  arrow::Status JsonError(const Lineage& lineage, size_t offset, simdjson::error_code err) {
    return MakeError(ErrorKind::kBadInput,
                     fmt::format("{} (byte {}): JSON does not parse: {}", lineage.source_object,
                                 lineage.offset + offset, simdjson::error_message(err)));
  }

  void BindRecord(dom::element record, const Lineage& lineage) {
    if (record.type() == dom::element_type::OBJECT) {
      BindMembers(root_, dom::object(record), nullptr);
    } else {
      for (Node& child : root_.children) Check(child.builder->AppendNull());
      const Frame root{nullptr, "$", -1};
      Rescue(&root, record);
    }
    EndRow(lineage);
  }

  // Appends one value per child of `node` from `object`'s members.
  void BindMembers(Node& node, dom::object object, const Frame* at) {
    const uint64_t stamp = ++stamp_;
    size_t prev = node.names.size();
    int64_t position = 0;
    for (dom::key_value_pair member : object) {
      const Frame here{at, member.key, -1, position++};
      const int64_t entry = node.Find(member.key, prev);
      if (entry >= 0) prev = static_cast<size_t>(entry);
      const int64_t c = entry < 0 ? int64_t{-1} : int64_t{node.names[entry].second};
      if (c < 0 || node.children[c].stamp == stamp) {  // unknown, or a second value for it
        Rescue(&here, member.value);
        continue;
      }
      Node& child = node.children[c];
      child.stamp = stamp;
      BindValue(child, member.value, &here);
    }
    for (Node& child : node.children) {
      if (child.stamp != stamp) Check(child.builder->AppendNull());
    }
  }

  // Appends exactly one slot to node.builder: the value, or null (rescuing the value when
  // it does not fit).
  void BindValue(Node& node, dom::element v, const Frame* at) {
    const dom::element_type t = v.type();
    if (t == dom::element_type::NULL_VALUE) {
      Check(node.builder->AppendNull());
      return;
    }
    if (IsBeyondFloat64(v)) {
      // A number no float64 holds: a text column takes its JSON text, any other rescues it.
      if (node.kind == Kind::kString || node.kind == Kind::kText) {
        text_.clear();
        AppendJsonText(v, at, &text_);
        AppendString(static_cast<arrow::StringBuilder*>(node.builder), text_);
      } else {
        Check(node.builder->AppendNull());
        Rescue(at, v);
      }
      return;
    }
    bool fits = true;
    switch (node.kind) {
      case Kind::kBool:
        fits = t == dom::element_type::BOOL;
        if (fits) Append(static_cast<arrow::BooleanBuilder*>(node.builder), bool(v));
        break;
      case Kind::kInt:
        fits = t == dom::element_type::INT64;
        if (fits) Append(static_cast<arrow::Int64Builder*>(node.builder), int64_t(v));
        break;
      case Kind::kDouble:
        fits = t == dom::element_type::INT64 || t == dom::element_type::UINT64 ||
               t == dom::element_type::DOUBLE;
        if (fits) {
          double d = t == dom::element_type::INT64    ? static_cast<double>(int64_t(v))
                     : t == dom::element_type::UINT64 ? static_cast<double>(uint64_t(v))
                                                      : double(v);
          if (d == 0 && IsMinusZero(v, at)) d = -0.0;
          Append(static_cast<arrow::DoubleBuilder*>(node.builder), d);
          // Coarse (Fit::kCoarse): an integer the double holds only as its nearest (past
          // 2^53, or beyond 64 bits in a widened document), or a number too small for it
          // (1e-400, read as 0), is rescued exactly too.
          const bool coarse =
              (t == dom::element_type::INT64 && !ExactAsDouble(int64_t(v))) ||
              (t == dom::element_type::UINT64 && !ExactAsDouble(uint64_t(v))) ||
              (t == dom::element_type::DOUBLE &&
               ((d == 0 && IsUnderflow(at)) ||
                (widened_doc_ && IsWidenedInteger(d) && RoundedAsDouble(NumberText(at), d))));
          if (coarse) Rescue(at, v);
        }
        break;
      case Kind::kString:
      case Kind::kText: {
        auto* b = static_cast<arrow::StringBuilder*>(node.builder);
        if (t == dom::element_type::STRING) {
          AppendString(b, std::string_view(v));
        } else if (node.kind == Kind::kText ||
                   (t != dom::element_type::OBJECT && t != dom::element_type::ARRAY)) {
          text_.clear();
          AppendJsonText(v, at, &text_);
          AppendString(b, text_);
        } else {
          fits = false;
        }
        break;
      }
      case Kind::kDate:
      case Kind::kTimestamp: {
        const Fit fit =
            t == dom::element_type::STRING ? BindText(node, std::string_view(v)) : Fit::kNo;
        fits = fit != Fit::kNo;
        if (fit == Fit::kCoarse) Rescue(at, v);
        break;
      }
      case Kind::kStruct:
        fits = t == dom::element_type::OBJECT;
        if (fits) {
          Check(static_cast<arrow::StructBuilder*>(node.builder)->Append());
          BindMembers(node, dom::object(v), at);
        }
        break;
      case Kind::kList:
        fits = t == dom::element_type::ARRAY;
        if (fits) {
          Check(static_cast<arrow::ListBuilder*>(node.builder)->Append());
          int64_t i = 0;
          for (dom::element e : dom::array(v)) {
            const Frame here{at, {}, i, i};
            ++i;
            BindValue(node.children[0], e, &here);
          }
        }
        break;
    }
    if (!fits) {
      Check(node.builder->AppendNull());
      Rescue(at, v);
    }
  }

  // Text (a CSV cell, a JSON string) cast to a scalar column. It fits when the profiler
  // types it as the column's type, or as one that widens into it (an integer into a double
  // column, a date into a timestamp column): ClassifyCell and ClassifyString decide, so a
  // value the registry counted as not fitting is rescued, never reshaped ("007", "0x1F",
  // "inf", "1" into a boolean). Appends nothing when it does not fit; kCoarse for a value
  // bound as its nearest (a timestamp past microseconds, an integer past 2^53 as a double).
  Fit BindText(Node& node, std::string_view s) {
    switch (node.kind) {
      case Kind::kString:
      case Kind::kText:
        AppendString(static_cast<arrow::StringBuilder*>(node.builder), s);
        return Fit::kYes;
      case Kind::kDate: {
        int32_t days = 0;
        if (profiler::ClassifyString(s) != FieldType::kDate ||
            !arrow::internal::ParseValue<arrow::Date32Type>(s.data(), s.size(), &days)) {
          return Fit::kNo;
        }
        Append(static_cast<arrow::Date32Builder*>(node.builder), days);
        return Fit::kYes;
      }
      case Kind::kTimestamp: {
        int64_t us = 0;
        const Fit fit = ParseTimestamp(s, &us);
        if (fit != Fit::kNo) Append(static_cast<arrow::TimestampBuilder*>(node.builder), us);
        return fit;
      }
      case Kind::kStruct:
      case Kind::kList:
        return Fit::kNo;
      case Kind::kBool:
      case Kind::kInt:
      case Kind::kDouble:
        break;
    }
    const profiler::CellValue cell = profiler::ClassifyCell(s);
    if (node.kind == Kind::kBool && cell.type == FieldType::kBoolean) {
      Append(static_cast<arrow::BooleanBuilder*>(node.builder), cell.int_value != 0);
    } else if (node.kind == Kind::kInt && cell.type == FieldType::kInt64) {
      Append(static_cast<arrow::Int64Builder*>(node.builder), cell.int_value);
    } else if (node.kind == Kind::kDouble &&
               (cell.type == FieldType::kInt64 || cell.type == FieldType::kFloat64)) {
      const bool integer = cell.type == FieldType::kInt64;
      double d = integer ? static_cast<double>(cell.int_value) : cell.float_value;
      if (integer && cell.int_value == 0 && s.front() == '-') d = -0.0;  // as JSON's -0
      Append(static_cast<arrow::DoubleBuilder*>(node.builder), d);
      if (integer ? !ExactAsDouble(cell.int_value)
                  : cell.int_overflow && RoundedAsDouble(s, cell.float_value)) {
        return Fit::kCoarse;
      }
    } else {
      return Fit::kNo;
    }
    return Fit::kYes;
  }

  // The first byte of the record being bound in doc_text_. A top-level array's elements are
  // found walking on from the last one found: records are bound in order.
  size_t RecordStart() {
    if (!doc_is_array_) return 0;
    if (element_seen_ < 0 || element_seen_ > record_) {
      element_seen_ = 0;
      element_at_ = JsonChild(doc_text_, 0, 0);
    }
    for (; element_seen_ < record_; ++element_seen_) {
      element_at_ = JsonNextElement(doc_text_, element_at_);
    }
    return element_at_;
  }

  size_t ValueStart(const Frame* f) {
    if (f == nullptr) return RecordStart();
    const size_t parent = ValueStart(f->parent);
    return f->position < 0 ? parent
                           : JsonChild(doc_text_, parent, static_cast<size_t>(f->position));
  }

  // The placeholder WidenBigIntegers left for a number beyond float64.
  bool IsBeyondFloat64(dom::element v) const {
    return widened_doc_ && v.type() == dom::element_type::STRING &&
           std::string_view(v) == profiler::kBeyondFloat64;
  }

  // The text of the number at `at` in the record being bound.
  std::string_view NumberText(const Frame* at) {
    const size_t begin = std::min(ValueStart(at), doc_text_.size());
    return doc_text_.substr(begin, JsonValueEnd(doc_text_, begin) - begin);
  }

  // Whether the number at `at`, which the parser read as 0.0, is not zero in its text: its
  // digits before any exponent are not all zeros (1e-400, 5E-330).
  bool IsUnderflow(const Frame* at) {
    size_t i = ValueStart(at);
    if (i < doc_text_.size() && doc_text_[i] == '-') ++i;
    for (; i < doc_text_.size(); ++i) {
      const char c = doc_text_[i];
      if (c >= '1' && c <= '9') return true;
      if (c != '0' && c != '.') return false;  // the exponent, or the number's end
    }
    return false;
  }

  // JSON's `-0`, at `at`: an integer the DOM holds as 0, its sign only in the text.
  bool IsMinusZero(dom::element v, const Frame* at) {
    if (v.type() != dom::element_type::INT64 || int64_t(v) != 0) return false;
    const size_t begin = ValueStart(at);
    return begin < doc_text_.size() && doc_text_[begin] == '-';
  }

  // Appends the JSON text of `v`, at `at` in the record being bound. The DOM holds a
  // number as a double, whose text can differ from the record's ("1.10", "1E5", digits
  // beyond a double's, an integer beyond 64 bits), and `-0` as the integer 0: a number
  // that is not an integer, an integer 0, and an object or array holding either, is copied
  // from the record's text (minified); the rest is written from the DOM, as exact.
  void AppendJsonText(dom::element v, const Frame* at, std::string* out) {
    const dom::element_type t = v.type();
    if (t != dom::element_type::DOUBLE && t != dom::element_type::OBJECT &&
        t != dom::element_type::ARRAY && !IsBeyondFloat64(v) &&
        !(t == dom::element_type::INT64 && int64_t(v) == 0)) {
      *out += simdjson::minify(v);
      return;
    }
    const size_t begin = ValueStart(at);
    const std::string_view text =
        doc_text_.substr(std::min(begin, doc_text_.size()), JsonValueEnd(doc_text_, begin) - begin);
    const size_t size = out->size();
    out->resize(size + text.size());
    size_t n = 0;
    if (text.empty() || simdjson::minify(text.data(), text.size(), out->data() + size, n)) {
      out->resize(size);
      *out += simdjson::minify(v);
      return;
    }
    out->resize(size + n);
  }

  // A key of the row's _rescued_data object. A path rescued twice in one record (a JSON key
  // given twice) gets "#2", "#3"… so the object has no duplicate keys, which JSON readers
  // would each resolve to one value, losing the others.
  void OpenRescue(std::string_view path) {
    rescue_.push_back(rescue_.empty() ? '{' : ',');
    std::string key(path);
    for (int n = 2; rescue_keys_.contains(key); ++n) {
      key = fmt::format("{}#{}", path, n);
    }
    rescue_ += nlohmann::json(key).dump();
    rescue_keys_.insert(std::move(key));
    rescue_.push_back(':');
  }

  void Rescue(const Frame* at, dom::element v) {
    std::string path;
    AppendPath(at, &path);
    OpenRescue(path);
    AppendJsonText(v, at, &rescue_);
  }

  void RescueText(std::string_view path, std::string_view text) {
    OpenRescue(path);
    rescue_ += nlohmann::json(std::string(text))
                   .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }

  void EndRow(const Lineage& lineage) {
    if (rescue_.empty()) {
      Check(rescued_.AppendNull());
    } else {
      rescue_.push_back('}');
      Check(rescued_.Append(rescue_));
      rescue_.clear();
      rescue_keys_.clear();
      ++rescued_rows_;
    }
    AppendString(&source_object_, lineage.source_object);
    Append(&ingested_at_, lineage.ingested_at_us);
    ++rows_;
  }

  std::shared_ptr<arrow::Schema> schema_;
  std::vector<std::unique_ptr<arrow::ArrayBuilder>> columns_;
  Node root_;
  // Every builder, nested ones too, with what its last batch held (Flush).
  struct Sizing {
    arrow::ArrayBuilder* builder;
    arrow::StringBuilder* text;  // the same builder when it takes strings, else null
    int64_t length = 0;
    int64_t data = 0;  // bytes of string data
  };
  std::vector<Sizing> sizing_;
  arrow::StringBuilder rescued_{PromotionMemoryPool()};
  arrow::StringBuilder source_object_{PromotionMemoryPool()};
  arrow::TimestampBuilder ingested_at_{arrow::timestamp(arrow::TimeUnit::MICRO, "UTC"),
                                       PromotionMemoryPool()};
  dom::parser parser_;
  dom::parser widened_parser_;  // a document with numbers beyond 64 bits, widened
  bool widened_doc_ = false;    // the document being bound is widened_parser_'s
  // The JSON document being bound: its text, whether it is a top-level array of records,
  // the record being bound (its element index), and the last element found in the text.
  std::string_view doc_text_;
  bool doc_is_array_ = false;
  int64_t record_ = 0;
  int64_t element_seen_ = -1;
  size_t element_at_ = 0;
  std::string text_;    // a value's JSON text, while it is written
  std::string rescue_;  // the current row's _rescued_data, while it is built
  std::unordered_set<std::string> rescue_keys_;  // and its keys
  uint64_t stamp_ = 0;
  int64_t rows_ = 0;
  int64_t rescued_rows_ = 0;
  arrow::Status status_;  // the first builder failure (out of memory), reported by Flush
};

}  // namespace

arrow::Result<std::unique_ptr<RecordBinder>> RecordBinder::Make(
    std::shared_ptr<arrow::Schema> bound, std::shared_ptr<arrow::Schema> named,
    const registry::SchemaVersion& version) {
  if (bound->num_fields() != named->num_fields()) {
    return MakeError(ErrorKind::kInternal, "bound and named schemas differ in columns");
  }
  arrow::FieldVector fields = named->fields();
  fields.push_back(arrow::field(kRescuedColumn, arrow::utf8()));
  fields.push_back(arrow::field(kSourceObjectColumn, arrow::utf8()));
  fields.push_back(
      arrow::field(kIngestedAtColumn, arrow::timestamp(arrow::TimeUnit::MICRO, "UTC")));
  auto binder = std::make_unique<Binder>(arrow::schema(std::move(fields), named->metadata()));
  ARROW_RETURN_NOT_OK(binder->Init(*bound, *named, version));
  return binder;
}

}  // namespace latebind::promotion
