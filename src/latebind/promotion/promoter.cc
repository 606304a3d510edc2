#include "latebind/promotion/promoter.h"

#include <arrow/type.h>
#include <arrow/util/key_value_metadata.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <set>

#include "latebind/common/file_lock.h"
#include "latebind/common/ids.h"
#include "latebind/common/json_log.h"
#include "latebind/common/status.h"
#include "latebind/promotion/column_names.h"
#include "latebind/promotion/table_stager.h"
#include "latebind/registry/arrow_schema.h"

namespace latebind::promotion {
namespace {

// The version promotion binds: the ACTIVE one; else the latest that is not BREAKING; else
// the latest.
const registry::SchemaVersion* BoundVersion(const std::vector<registry::SchemaVersion>& versions) {
  const registry::SchemaVersion* fallback = nullptr;
  for (auto it = versions.rbegin(); it != versions.rend(); ++it) {
    if (it->status == registry::VersionStatus::kActive) return &*it;
    if (fallback == nullptr && it->status != registry::VersionStatus::kBreaking) fallback = &*it;
  }
  if (fallback != nullptr) return fallback;
  return versions.empty() ? nullptr : &versions.back();
}

// The run id of a staged key "staging/<run-id>/<table>/...", and its table.
std::pair<std::string, std::string> RunAndTableOf(const std::string& key) {
  const size_t a = key.find('/');
  const size_t b = key.find('/', a + 1);
  const size_t c = key.find('/', b + 1);
  if (a == std::string::npos || b == std::string::npos || c == std::string::npos) return {};
  return {key.substr(a + 1, b - a - 1), key.substr(b + 1, c - b - 1)};
}

// Leaf columns whose values the registry saw as near-unique within a payload (ids, amounts,
// timestamps): written PLAIN, as DuckDB does, since a dictionary of them only costs hashing.
// Judged by the largest payload estimate against the mean values per payload, as measured
// for ADR-033: the distinct count over all payloads answers another question (ADR-066).
void PlainColumns(const arrow::FieldVector& fields, const std::string& prefix,
                  const registry::SchemaVersion& version, std::vector<std::string>* out) {
  for (const auto& field : fields) {
    const std::string path = prefix.empty() ? field->name() : prefix + "." + field->name();
    const arrow::Type::type id = field->type()->id();
    if (id == arrow::Type::STRUCT) {
      PlainColumns(field->type()->fields(), path, version, out);
      continue;
    }
    if (id == arrow::Type::LIST || id == arrow::Type::BOOL || field->metadata() == nullptr)
      continue;
    const auto registry_path = field->metadata()->Get(registry::kArrowPathKey);
    const registry::FieldSchema* f = registry_path.ok() ? version.Find(*registry_path) : nullptr;
    if (f == nullptr || version.payloads == 0) continue;
    const double per_payload = static_cast<double>(f->stats.present - f->stats.nulls) /
                               static_cast<double>(version.payloads);
    if (per_payload >= 64 &&
        static_cast<double>(f->stats.distinct_payload_max) >= 0.9 * per_payload) {
      out->push_back(path);
    }
  }
}

}  // namespace

const char* PromoteStatusName(PromoteStatus status) {
  switch (status) {
    case PromoteStatus::kPromoted:
      return "promoted";
    case PromoteStatus::kUpToDate:
      return "up_to_date";
    case PromoteStatus::kBlocked:
      return "blocked";
    case PromoteStatus::kBusy:
      return "busy";
    case PromoteStatus::kFailed:
      return "failed";
  }
  return "failed";
}

arrow::Result<std::vector<SourcePromotion>> Promoter::Run(const PromoteOptions& options) {
  ARROW_ASSIGN_OR_RAISE(auto summaries, registry_->Sources());
  std::vector<std::string> sources;
  for (const auto& s : summaries) {
    if (s.versions > 0) sources.push_back(s.source_id);
  }
  if (!options.sources.empty()) {
    for (const std::string& wanted : options.sources) {
      if (std::find(sources.begin(), sources.end(), wanted) == sources.end()) {
        return MakeError(ErrorKind::kNotFound,
                         fmt::format("unknown source '{}': the registry has no schema for it "
                                     "(`latebind sources` and GET /v1/sources list the sources)",
                                     wanted));
      }
    }
    sources = options.sources;
  }
  std::vector<SourcePromotion> results;
  for (const std::string& source : sources) results.push_back(PromoteSource(source, options));
  return results;
}

SourcePromotion Promoter::PromoteSource(const std::string& source_id,
                                        const PromoteOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  SourcePromotion out;
  out.source = source_id;
  out.table = source_id;
  arrow::Status st = Promote(source_id, options, &out);
  if (!st.ok()) {
    out.status = PromoteStatus::kFailed;
    out.error = st.message();
    if (options.log)
      Log("error", "promotion failed", {{"source", source_id}, {"error", out.error}});
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

arrow::Status Promoter::Promote(const std::string& source_id, const PromoteOptions& options,
                                SourcePromotion* out) {
  // One promotion per source at a time, across processes (the kernel drops the lock of a
  // crashed run).
  std::optional<FileLock> lock;
  if (!options.lock_dir.empty()) {
    ARROW_ASSIGN_OR_RAISE(
        lock, FileLock::TryAcquire(options.lock_dir + "/promote-" + source_id + ".lock"));
    if (!lock) {
      out->status = PromoteStatus::kBusy;
      return arrow::Status::OK();
    }
  }
  ARROW_RETURN_NOT_OK(Recover(source_id));

  // What to promote: new objects, and with --repromote those a newer schema rebinds.
  ARROW_ASSIGN_OR_RAISE(auto pending, registry_->Unpromoted(source_id));
  std::vector<std::string> retired;
  bool repromotion = false;
  // Adds what was promoted under version `since` or later, retiring its files.
  auto promote_again = [&](int64_t since) -> arrow::Status {
    ARROW_ASSIGN_OR_RAISE(auto again, registry_->PromotedSince(source_id, since));
    pending.insert(pending.end(), again.objects.begin(), again.objects.end());
    std::sort(pending.begin(), pending.end(),
              [](const auto& a, const auto& b) { return a.object < b.object; });
    pending.erase(std::unique(pending.begin(), pending.end(),
                              [](const auto& a, const auto& b) { return a.object == b.object; }),
                  pending.end());
    retired.insert(retired.end(), again.files.begin(), again.files.end());
    std::sort(retired.begin(), retired.end());
    retired.erase(std::unique(retired.begin(), retired.end()), retired.end());
    repromotion = true;
    return arrow::Status::OK();
  };
  if (options.repromote_since_version > 0) {
    ARROW_RETURN_NOT_OK(promote_again(options.repromote_since_version));
  }

  ARROW_ASSIGN_OR_RAISE(auto versions, registry_->Versions(source_id));
  const registry::SchemaVersion* version = BoundVersion(versions);
  if (version == nullptr) {
    if (pending.empty()) {
      out->status = PromoteStatus::kUpToDate;
      return arrow::Status::OK();
    }
    return MakeError(ErrorKind::kNotFound, fmt::format("source {} has no schema", source_id));
  }
  ARROW_ASSIGN_OR_RAISE(auto bound, registry::ToArrowSchema(*version));
  ARROW_ASSIGN_OR_RAISE(auto known, registry_->ColumnNames(out->table));
  NamedSchema named = NameColumns(*bound, known);

  // Every file of a table has the same columns, so that readers need no options (no
  // union_by_name, no mergeSchema, no first-file guess): when the bound schema's columns
  // changed since the table's files were written, they are all rewritten in this run —
  // a repromotion from a later version included, and with nothing new to promote (a
  // version resolved or a rename confirmed since the last run).
  ARROW_ASSIGN_OR_RAISE(bool drifted, ColumnsChanged(out->table, versions, *named.schema, known));
  if (drifted) {
    if (options.log) {
      Log("info", "the bound schema changed: rewriting the table",
          {{"source", source_id}, {"version", version->version}});
    }
    ARROW_RETURN_NOT_OK(promote_again(1));
  }
  if (pending.empty()) {
    out->status = PromoteStatus::kUpToDate;
    return arrow::Status::OK();
  }

  // The window: every version from the oldest pending object's to the latest.
  int64_t oldest = INT64_MAX;
  for (const auto& p : pending) oldest = std::min(oldest, p.version);
  for (const auto& v : versions) {
    if (v.version >= oldest && v.status == registry::VersionStatus::kBreaking) {
      out->breaking_versions.push_back(v.version);
    }
  }
  if (!out->breaking_versions.empty() && !options.override_breaking) {
    out->status = PromoteStatus::kBlocked;
    if (options.log)
      Log("warn", "promotion blocked by a BREAKING version",
          {{"source", source_id}, {"versions", out->breaking_versions}});
    return registry_->RecordBlocked(source_id, out->breaking_versions);
  }
  out->version = version->version;

  // Sizes for progress; an object the registry lists but the store lost is an error.
  ARROW_ASSIGN_OR_RAISE(auto listed, store_->List("raw/source=" + source_id + "/"));
  std::map<std::string, uint64_t> sizes;
  for (const auto& o : listed) sizes.emplace(o.key, o.size);
  std::vector<RawObject> objects;
  for (const auto& p : pending) {
    const auto it = sizes.find(p.object);
    if (it == sizes.end()) {
      return MakeError(
          ErrorKind::kNotFound,
          fmt::format("raw object {} is in the registry but not in the store", p.object));
    }
    objects.push_back({p.object, it->second, p.layout});
  }

  const std::string run_id = UlidGenerator().Next();
  StageOptions stage;
  stage.run_id = run_id;
  stage.table = out->table;
  stage.bound = bound;
  stage.named = named.schema;
  stage.version = version;
  stage.parquet = options.parquet;
  PlainColumns(named.schema->fields(), "", *version, &stage.parquet.plain_columns);
  stage.file_bytes = options.file_bytes;
  stage.threads = options.threads;
  if (options.progress) {
    stage.progress = [&](uint64_t done, uint64_t total) {
      options.progress(source_id, done, total);
    };
  }
  auto staged = StageTable(store_, objects, stage);
  if (!staged.ok()) {
    (void)store_->DeletePrefix(StagingPrefix(run_id));  // the next run deletes it otherwise
    return staged.status();
  }

  registry::PromotionRun run;
  run.run_id = run_id;
  run.source_id = source_id;
  run.table = out->table;
  run.version = version->version;
  run.files = std::move(staged->files);
  run.retired = retired;
  run.new_columns = std::move(named.assigned);
  arrow::Status committed = registry_->CommitPromotion(run, repromotion);
  if (!committed.ok()) {
    (void)store_->DeletePrefix(StagingPrefix(run_id));
    return committed;
  }
  // From here the new table state exists; publishing only makes the files visible where
  // readers look, and Recover finishes it if this process dies first.
  ARROW_RETURN_NOT_OK(Publish(run));

  out->status = PromoteStatus::kPromoted;
  out->run_id = run_id;
  out->objects = static_cast<int64_t>(objects.size());
  out->rows = staged->rows;
  out->rescued_rows = staged->rescued_rows;
  for (const auto& f : run.files) out->files.push_back(f.key);
  out->retired_files = retired;
  if (options.log)
    Log("info", "promoted",
        {{"source", source_id},
         {"run_id", run_id},
         {"version", version->version},
         {"objects", out->objects},
         {"rows", out->rows},
         {"rescued_rows", out->rescued_rows},
         {"files", out->files.size()}});
  return arrow::Status::OK();
}

arrow::Result<bool> Promoter::ColumnsChanged(const std::string& table,
                                             const std::vector<registry::SchemaVersion>& versions,
                                             const arrow::Schema& named,
                                             const std::map<std::string, std::string>& known) {
  ARROW_ASSIGN_OR_RAISE(auto curated, registry_->Table(table));
  if (!curated) return false;
  // A file knows the columns it was written with (ADR-117). One written before that is
  // judged by its version's bound schema as it is now, which a mapping confirmed on the
  // version since has changed unseen.
  const std::string columns = ColumnsOf(named);
  std::set<int64_t> legacy;
  for (const auto& f : curated->files) {
    if (f.columns.empty()) {
      legacy.insert(f.version);
    } else if (f.columns != columns) {
      return true;
    }
  }
  for (const auto& v : versions) {
    if (!legacy.count(v.version)) continue;
    ARROW_ASSIGN_OR_RAISE(auto bound, registry::ToArrowSchema(v));
    if (!NameColumns(*bound, known).schema->Equals(named, /*check_metadata=*/false)) return true;
  }
  return false;
}

arrow::Status Promoter::Publish(const registry::PromotionRun& run) {
  // Retired files go first: a folder reader in between misses rows for a moment, but never
  // sees a row twice.
  for (const auto& key : run.retired) ARROW_RETURN_NOT_OK(store_->Delete(key));
  for (const auto& f : run.files) ARROW_RETURN_NOT_OK(store_->Move(f.staging_key, f.key));
  ARROW_RETURN_NOT_OK(registry_->MarkPublished(run.run_id));
  return store_->DeletePrefix(StagingPrefix(run.run_id));
}

arrow::Status Promoter::Recover(const std::string& source_id) {
  ARROW_ASSIGN_OR_RAISE(auto unpublished, registry_->UnpublishedRuns());
  for (const auto& run : unpublished) {
    if (run.source_id != source_id) continue;
    Log("info", "publishing a run committed before a crash",
        {{"source", source_id}, {"run_id", run.run_id}});
    ARROW_RETURN_NOT_OK(Publish(run));
  }
  ARROW_ASSIGN_OR_RAISE(auto staged, store_->List("staging/"));
  std::set<std::string> abandoned;
  for (const auto& o : staged) {
    auto [run_id, table] = RunAndTableOf(o.key);
    if (table != source_id || abandoned.count(run_id)) continue;
    ARROW_ASSIGN_OR_RAISE(bool committed, registry_->RunCommitted(run_id));
    if (!committed) abandoned.insert(run_id);
  }
  for (const auto& run_id : abandoned) {
    Log("info", "deleting the staging of a run that never committed",
        {{"source", source_id}, {"run_id", run_id}});
    ARROW_RETURN_NOT_OK(store_->DeletePrefix(StagingPrefix(run_id)));
  }
  return arrow::Status::OK();
}

}  // namespace latebind::promotion
