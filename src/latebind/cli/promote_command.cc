// latebind promote : raw objects → typed Parquet in the curated zone (docs/promotion.md).
// latebind tables  : the curated tables, with the SQL that opens each in DuckDB.
#include <arrow/util/thread_pool.h>
#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <string_view>

#include "latebind/cli/commands.h"
#include "latebind/cli/exit_codes.h"
#include "latebind/cli/progress.h"
#include "latebind/cli/registry_access.h"
#include "latebind/cli/text_table.h"
#include "latebind/common/status.h"
#include "latebind/promotion/promoter.h"
#include "latebind/promotion/promotion_json.h"
#include "latebind/storage/local_store.h"

namespace latebind::cli {
namespace {

using json = nlohmann::ordered_json;

struct PromoteArgs {
  std::vector<std::string> sources;
  bool override_breaking = false;
  bool repromote = false;
  int64_t since_version = 0;
  int64_t row_group_mib = 128;
  int64_t file_mib = 1024;
  int threads = 0;
  bool json = false;
};

std::string Describe(const promotion::SourcePromotion& r) {
  switch (r.status) {
    case promotion::PromoteStatus::kPromoted:
      return fmt::format("{} objects, {} rows ({} with rescued values) under v{} → {} file(s)",
                         r.objects, r.rows, r.rescued_rows, r.version, r.files.size());
    case promotion::PromoteStatus::kUpToDate:
      return "nothing new";
    case promotion::PromoteStatus::kBlocked:
      return fmt::format(
          "blocked: version(s) {} BREAKING — resolve with `latebind schema resolve` or pass "
          "--override-breaking",
          fmt::join(r.breaking_versions, ", "));
    case promotion::PromoteStatus::kBusy:
      return "skipped: another promotion of this source is running";
    case promotion::PromoteStatus::kFailed:
      return "failed: " + r.error;
  }
  return "";
}

int RunPromote(const GlobalOptions& global, const PromoteArgs& args) {
  // A failure on stderr and, with --json, as {"error": {"code", "message"}} on stdout.
  auto fail = [&](const arrow::Status& st, std::string_view context = {}) {
    return ReportFailure("promote", st.WithMessage(context, st.message()), args.json);
  };
  if (args.repromote != (args.since_version > 0)) {
    return fail(MakeError(ErrorKind::kBadInput,
                          "--repromote and --since-version N go together (re-promote what was "
                          "applied under version N or later)"));
  }
  auto registry = OpenExistingRegistry(global.home, RegistryAccess::kWrite);
  if (!registry.ok() && KindOf(registry.status()) == ErrorKind::kNotFound && args.sources.empty()) {
    // A home with nothing ingested yet: no sources, which is an answer (as `sources` and
    // `tables` give it), not an error. A named source there is unknown: an error.
    if (args.json) {
      std::cout << promotion::PromotionsToJson({}).dump(2) << "\n";
    } else {
      fmt::print("no sources to promote\n");
    }
    return kExitOk;
  }
  if (!registry.ok()) return fail(registry.status());
  auto store = storage::LocalStore::Open(global.home);
  if (!store.ok()) return fail(store.status());
  if (args.repromote) {
    // A version a named source does not have would re-promote nothing and say "nothing
    // new": a typo, told as such, like `schema diff` tells it. A source without versions is
    // left to the promoter, which reports it as it reports it without --repromote.
    for (const std::string& source : args.sources) {
      auto versions = LoadVersions(**registry, source);
      if (!versions.ok()) continue;
      if (auto picked = PickVersion(*versions, args.since_version); !picked.ok()) {
        return fail(picked.status(), fmt::format("--since-version {}: ", args.since_version));
      }
    }
  }
  promotion::PromoteOptions options;
  options.sources = args.sources;
  options.override_breaking = args.override_breaking;
  options.repromote_since_version = args.since_version;
  options.parquet.row_group_bytes = args.row_group_mib << 20;
  options.file_bytes = args.file_mib << 20;
  options.threads = args.threads;
  if (args.threads > 0) {
    // Parquet encodes a row group's columns on Arrow's CPU pool: the same bound holds there.
    if (arrow::Status st = arrow::SetCpuThreadPoolCapacity(args.threads); !st.ok()) {
      return fail(st);
    }
  }
  options.lock_dir = global.home + "/locks";
  std::unique_ptr<ProgressBar> bar;
  std::string bar_source;
  options.progress = [&](const std::string& source, uint64_t done, uint64_t total) {
    if (bar == nullptr || bar_source != source) {
      bar = std::make_unique<ProgressBar>("promote " + source);
      bar_source = source;
    }
    bar->Update(done, total);
  };
  promotion::Promoter promoter(store->get(), registry->get());
  auto results = promoter.Run(options);
  bar.reset();
  if (!results.ok()) return fail(results.status());
  int code = kExitOk;
  for (const auto& r : *results) {
    if (r.status == promotion::PromoteStatus::kFailed) {
      code = kExitFailure;
    } else if ((r.status == promotion::PromoteStatus::kBlocked ||
                r.status == promotion::PromoteStatus::kBusy) &&
               code == kExitOk) {
      code = kExitPartial;
    }
  }
  if (args.json) {
    std::cout << promotion::PromotionsToJson(*results).dump(2) << "\n";
    return code;
  }
  if (results->empty()) fmt::print("no sources to promote\n");
  for (const auto& r : *results) {
    fmt::print("{:<24} {}\n", r.source, Describe(r));
    for (const auto& f : r.files) fmt::print("  + {}\n", f);
    for (const auto& f : r.retired_files) fmt::print("  - {}\n", f);
  }
  return code;
}

// `text` as an SQL string literal: quoted, a quote inside doubled (a home such as
// /data/o'brien must not end the literal).
std::string SqlString(std::string_view text) {
  std::string out = "'";
  for (const char c : text) {
    if (c == '\'') out.push_back('\'');
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

std::string TableSql(const std::string& home, const std::string& table) {
  return fmt::format(
      "SELECT * FROM read_parquet({}, hive_partitioning = true, union_by_name = true)",
      SqlString(fmt::format("{}/curated/{}/**/*.parquet", home, table)));
}

int RunTables(const GlobalOptions& global, bool as_json) {
  std::vector<registry::CuratedTable> tables;
  std::map<std::string, std::vector<std::string>> unpublished;  // table → run ids
  auto registry = OpenExistingRegistry(global.home, RegistryAccess::kRead);
  if (registry.ok()) {
    auto listed = (*registry)->Tables();
    if (!listed.ok()) return ReportFailure("tables", listed.status(), as_json);
    tables = std::move(*listed);
    auto runs = (*registry)->UnpublishedRuns();
    if (!runs.ok()) return ReportFailure("tables", runs.status(), as_json);
    for (const auto& run : *runs) {
      unpublished[run.table].push_back(run.run_id);
      // The catalog lists the run's files, which are not all in curated/ yet: readers see
      // the table short until a promotion of the source (or a server's start) publishes it.
      fmt::print(stderr,
                 "latebind tables: {}: run {} committed but was not published (a crash or a "
                 "storage failure): readers miss rows until `latebind promote --source {}` "
                 "finishes it\n",
                 run.table, run.run_id, run.source_id);
    }
  } else if (KindOf(registry.status()) != ErrorKind::kNotFound) {
    return ReportFailure("tables", registry.status(), as_json);
  }
  std::error_code ec;
  const std::string home = std::filesystem::absolute(global.home, ec).lexically_normal().string();
  if (as_json) {
    json out = {{"tables", json::array()}};
    for (const auto& t : tables) {
      json keys = json::array();
      for (const auto& f : t.files) keys.push_back(f.key);
      out["tables"].push_back({{"table", t.table},
                               {"source", t.source_id},
                               {"version", t.version},
                               {"files", t.files.size()},
                               {"rows", t.rows},
                               {"bytes", t.bytes},
                               {"created_at", t.created_at},
                               {"updated_at", t.updated_at},
                               {"path", home + "/curated/" + t.table},
                               {"file_keys", keys},
                               {"sql", TableSql(home, t.table)},
                               {"unpublished_runs", unpublished[t.table]}});
    }
    std::cout << out.dump(2) << "\n";
    return kExitOk;
  }
  if (tables.empty()) {
    fmt::print("no curated tables yet (run `latebind promote`)\n");
    return kExitOk;
  }
  for (const auto& t : tables) {
    fmt::print("{}  (source {}, schema v{}): {} rows in {} file(s), {:.1f} MiB, updated {}\n",
               t.table, t.source_id, t.version, t.rows, t.files.size(),
               static_cast<double>(t.bytes) / (1 << 20), t.updated_at);
    fmt::print("  duckdb -c \"{}\"\n", TableSql(home, t.table));
  }
  return kExitOk;
}

}  // namespace

void RegisterPromoteCommand(CLI::App& app, const GlobalOptions& global, int* exit_code) {
  auto args = std::make_shared<PromoteArgs>();
  CLI::App* cmd = app.add_subcommand(
      "promote", "Promote raw objects into typed Parquet tables in the curated zone");
  cmd->footer(
      "Per source: the raw objects not promoted yet are bound to the source's ACTIVE schema\n"
      "(values cast to their column types, confirmed renames applied, values that do not fit\n"
      "kept in _rescued_data), written as zstd Parquet to staging/, committed in the registry\n"
      "and published to curated/<table>/ingest_date=<day>/. A crash leaves the old table or\n"
      "the new one; the next run finishes or rolls back what a crashed run left.\n\n"
      "A source whose pending objects fall in a BREAKING version is skipped (exit code 3)\n"
      "unless --override-breaking is given; it then binds to the ACTIVE version and rescues\n"
      "what does not fit. After `schema resolve`, --repromote --since-version N rebinds what\n"
      "was promoted under version N or later. Details: docs/promotion.md.\n\n"
      "Exit codes: 0 done, 1 a source failed, 2 bad usage, 3 some source blocked or busy.\n\n"
      "Examples:\n"
      "  latebind promote\n"
      "  latebind promote --source bank --override-breaking --json\n"
      "  latebind promote --source bank --repromote --since-version 3");
  cmd->add_option("--source", args->sources, "Promote only this source (repeatable)")
      ->check(SourceIdValidator());
  cmd->add_flag("--override-breaking", args->override_breaking,
                "Promote sources with a BREAKING version, binding the ACTIVE schema");
  cmd->add_flag("--repromote", args->repromote,
                "Also re-promote objects already promoted (with --since-version)");
  cmd->add_option("--since-version", args->since_version,
                  "With --repromote: objects applied under this version or later")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--row-group-mib", args->row_group_mib, "Row group size, MiB of Arrow data")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  cmd->add_option("--file-mib", args->file_mib, "Start a new file past this many MiB")
      ->check(CLI::Range(1, 1 << 20))
      ->capture_default_str();
  cmd->add_option("--threads", args->threads,
                  "Threads for binding records and for encoding Parquet; 0 = one per core")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_flag("--json", args->json, "Print the outcome per source as JSON");
  cmd->callback([args, &global, exit_code] { *exit_code = RunPromote(global, *args); });

  auto as_json = std::make_shared<bool>(false);
  CLI::App* tables = app.add_subcommand(
      "tables", "List the curated tables: rows, files, schema version, and the SQL to query each");
  tables->footer(
      "Every table promotion wrote, from the registry's catalog (exactly the committed files).\n\n"
      "Example:\n"
      "  latebind tables\n"
      "  duckdb -c \"$(latebind tables --json | jq -r '.tables[0].sql') LIMIT 10\"");
  tables->add_flag("--json", *as_json, "Print the tables as JSON");
  tables->callback([as_json, &global, exit_code] { *exit_code = RunTables(global, *as_json); });
}

}  // namespace latebind::cli
