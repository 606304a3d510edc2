#include "latebind/promotion/column_names.h"

#include <arrow/type.h>
#include <arrow/util/key_value_metadata.h>

#include <set>
#include <vector>

#include "latebind/common/field_path.h"
#include "latebind/registry/arrow_schema.h"

namespace latebind::promotion {
namespace {

// The keys a field's name may be known under, the first found wins. A column that confirmed
// renames fill from several fields is known first by its bound path (where the chain
// started), then by the other fields', and last by the one it is typed from (its
// ColumnKey), which moves to the chain's newest field with every rename: a table promoted
// while c=b bound c to a column of its own knows c by that column's name.
std::vector<std::string> KnownKeys(const arrow::Field& field, const std::string& bound_path) {
  std::vector<std::string> paths = registry::FilledFrom(field);
  if (paths.size() <= 1) return {ColumnKey(field, bound_path)};
  std::vector<std::string> out{bound_path};
  out.insert(out.end(), paths.begin() + 1, paths.end());
  out.push_back(paths.front());
  return out;
}

class Namer {
 public:
  Namer(const std::map<std::string, std::string>& known, NamedSchema* out)
      : known_(known), out_(out) {}

  // Renames `fields` (siblings under `parent`, a bound path) and what lies under them.
  arrow::FieldVector NameSiblings(const arrow::FieldVector& fields, const std::string& parent,
                                  std::set<std::string> taken) {
    // Known names first, so a new field never takes a name the table already gave.
    std::vector<std::string> names(fields.size());
    for (size_t i = 0; i < fields.size(); ++i) {
      for (const std::string& key : KnownKeys(*fields[i], MemberPath(parent, fields[i]->name()))) {
        const auto k = known_.find(key);
        if (k != known_.end() && taken.insert(k->second).second) {
          names[i] = k->second;
          break;
        }
      }
    }
    // Then a key that is a normal name already (a_b), before any key normalised to it
    // (a-b) may take its name, whatever their order; then the rest, in field order.
    for (const bool normal_keys : {true, false}) {
      for (size_t i = 0; i < fields.size(); ++i) {
        if (!names[i].empty()) continue;
        const std::string base = NormaliseName(fields[i]->name());
        if (normal_keys && base != fields[i]->name()) continue;
        std::string name = base;
        for (int n = 2; !taken.insert(name).second; ++n) name = base + "_" + std::to_string(n);
        names[i] = name;
        out_->assigned[ColumnKey(*fields[i], MemberPath(parent, fields[i]->name()))] = name;
      }
    }
    arrow::FieldVector renamed;
    for (size_t i = 0; i < fields.size(); ++i) {
      const std::string path = MemberPath(parent, fields[i]->name());
      renamed.push_back(fields[i]->WithName(names[i])->WithType(Rename(fields[i]->type(), path)));
    }
    return renamed;
  }

 private:
  std::shared_ptr<arrow::DataType> Rename(const std::shared_ptr<arrow::DataType>& type,
                                          const std::string& path) {
    if (type->id() == arrow::Type::STRUCT) {
      return arrow::struct_(NameSiblings(type->fields(), path, {}));
    }
    if (type->id() == arrow::Type::LIST) {
      const auto& item = type->field(0);
      return arrow::list(item->WithType(Rename(item->type(), ElementPath(path))));
    }
    return type;
  }

  const std::map<std::string, std::string>& known_;
  NamedSchema* out_;
};

}  // namespace

std::string NormaliseName(std::string_view name) {
  std::string out;
  out.reserve(name.size() + 1);
  for (const char c : name) {
    // One '_' per character: a UTF-8 continuation byte adds nothing.
    if ((static_cast<unsigned char>(c) & 0xC0) == 0x80) continue;
    if (c >= 'A' && c <= 'Z') {
      out.push_back(static_cast<char>(c - 'A' + 'a'));
    } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_') {
      out.push_back(c);
    } else {
      out.push_back('_');
    }
  }
  if (out.empty() || (out[0] >= '0' && out[0] <= '9')) out.insert(out.begin(), '_');
  return out;
}

std::string ColumnKey(const arrow::Field& field, const std::string& bound_path) {
  if (field.metadata() != nullptr) {
    const auto path = field.metadata()->Get(registry::kArrowPathKey);
    if (path.ok()) return *path;
  }
  return bound_path;
}

std::string ColumnsOf(const arrow::Schema& named) {
  return named.ToString(/*show_metadata=*/false);
}

NamedSchema NameColumns(const arrow::Schema& bound,
                        const std::map<std::string, std::string>& known) {
  NamedSchema out;
  Namer namer(known, &out);
  auto fields = namer.NameSiblings(
      bound.fields(), "",
      {kRescuedColumn, kSourceObjectColumn, kIngestedAtColumn, kPartitionColumn});
  out.schema = arrow::schema(std::move(fields), bound.metadata());
  return out;
}

}  // namespace latebind::promotion
