// latebind schema history|show|diff|resolve|export : reading a source's schema versions,
// resolving a BREAKING one, and exporting the bound schema for other engines.
#include <arrow/type.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <charconv>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "latebind/cli/commands.h"
#include "latebind/cli/exit_codes.h"
#include "latebind/cli/registry_access.h"
#include "latebind/cli/schema_diff.h"
#include "latebind/cli/schema_export.h"
#include "latebind/cli/schema_render.h"
#include "latebind/cli/text_table.h"
#include "latebind/common/status.h"
#include "latebind/registry/arrow_schema.h"
#include "latebind/registry/rename_chain.h"
#include "latebind/registry/schema_json.h"

namespace latebind::cli {
namespace {

using registry::Json;
using registry::SchemaVersion;

struct SchemaArgs {
  std::string source;
  int64_t version = 0;  // 0: the command's default
  int64_t a = 0, b = 0;
  bool json = false;
  std::string color = "auto";
  std::string status;
  std::string note;
  std::vector<std::string> maps;
  std::string format;
};

// Reports why `status` failed (ReportFailure), and gives its exit code.
int Fail(const std::string& command, const arrow::Status& status, bool json) {
  return ReportFailure("schema " + command, status, json);
}

int FailBadInput(const std::string& command, const std::string& message, bool json) {
  return Fail(command, MakeError(ErrorKind::kBadInput, message), json);
}

void PrintJson(const Json& j) {
  std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

struct Loaded {
  std::shared_ptr<registry::Registry> registry;
  std::vector<SchemaVersion> versions;  // oldest first, never empty
};

arrow::Result<Loaded> Load(const GlobalOptions& global, const std::string& source,
                           RegistryAccess access) {
  auto opened = OpenExistingRegistry(global.home, access);
  if (!opened.ok() && KindOf(opened.status()) == ErrorKind::kNotFound) {
    return MakeError(ErrorKind::kNotFound,
                     fmt::format("unknown source '{}': {}", source, opened.status().message()));
  }
  ARROW_ASSIGN_OR_RAISE(auto reg, std::move(opened));
  ARROW_ASSIGN_OR_RAISE(auto versions, LoadVersions(*reg, source));
  return Loaded{std::move(reg), std::move(versions)};
}

arrow::Result<const SchemaVersion*> Pick(const Loaded& l, int64_t number) {
  if (number < 1) {
    return MakeError(ErrorKind::kBadInput,
                     fmt::format("--version {}: versions are numbered from 1", number));
  }
  return PickVersion(l.versions, number);
}

int RunHistory(const GlobalOptions& global, const SchemaArgs& args) {
  auto loaded = Load(global, args.source, RegistryAccess::kRead);
  if (!loaded.ok()) return Fail("history", loaded.status(), args.json);
  auto history = loaded->registry->StatusHistory(args.source);
  if (!history.ok()) return Fail("history", history.status(), args.json);
  if (args.json) {
    Json versions = Json::array(), changes = Json::array();
    for (const auto& v : loaded->versions) versions.push_back(registry::VersionToJson(v));
    for (const auto& c : *history) changes.push_back(registry::StatusChangeToJson(c));
    PrintJson({{"source_id", args.source},
               {"versions", std::move(versions)},
               {"status_history", std::move(changes)}});
    return kExitOk;
  }
  std::cout << RenderHistory(args.source, loaded->versions, *history, UseColor(args.color));
  return kExitOk;
}

int RunShow(const GlobalOptions& global, const SchemaArgs& args) {
  auto loaded = Load(global, args.source, RegistryAccess::kRead);
  if (!loaded.ok()) return Fail("show", loaded.status(), args.json);
  const int64_t latest = loaded->versions.back().version;
  auto v = Pick(*loaded, args.version == 0 ? latest : args.version);
  if (!v.ok()) return Fail("show", v.status(), args.json);
  if (args.json) {
    PrintJson(registry::VersionToJson(**v));
  } else {
    std::cout << RenderVersion(**v, latest, UseColor(args.color));
  }
  return kExitOk;
}

int RunDiff(const GlobalOptions& global, const SchemaArgs& args) {
  auto loaded = Load(global, args.source, RegistryAccess::kRead);
  if (!loaded.ok()) return Fail("diff", loaded.status(), args.json);
  for (int64_t n : {args.a, args.b}) {
    if (auto v = Pick(*loaded, n); !v.ok()) return Fail("diff", v.status(), args.json);
  }
  const SchemaDiff diff = DiffVersions(loaded->versions, args.a, args.b);
  if (args.json) {
    PrintJson(SchemaDiffToJson(diff));
  } else {
    std::cout << RenderSchemaDiff(diff, UseColor(args.color));
  }
  return kExitOk;
}

// Splits "NEW=OLD" at its first `=` that no `\` escapes, and turns each side's `\=` into
// `=`: a key holding `=` is written `a\=b`. Other escapes (`\.`, `\\`) stay, as paths
// write them. Nothing unless exactly one `=` is unescaped.
std::optional<std::pair<std::string, std::string>> SplitMap(std::string_view m) {
  std::pair<std::string, std::string> out;
  std::string* side = &out.first;
  for (size_t i = 0; i < m.size(); ++i) {
    if (m[i] == '\\' && i + 1 < m.size()) {
      if (m[i + 1] != '=') side->push_back('\\');
      side->push_back(m[++i]);
    } else if (m[i] == '=') {
      if (side == &out.second) return std::nullopt;  // a second one: which is the split?
      side = &out.second;
    } else {
      side->push_back(m[i]);
    }
  }
  if (side == &out.first) return std::nullopt;
  return out;
}

// "NEW=OLD" pairs into new → old; kBadInput naming the bad one.
arrow::Result<std::map<std::string, std::string>> ParseMaps(const std::vector<std::string>& maps) {
  std::map<std::string, std::string> out;
  for (const std::string& m : maps) {
    const auto pair = SplitMap(m);
    if (!pair || pair->first.empty() || pair->second.empty()) {
      return MakeError(ErrorKind::kBadInput,
                       fmt::format("--map '{}': want NEW=OLD, the new field's path = the column "
                                   "it keeps filling (e.g. --map txn_date=transaction_date; a "
                                   "key's own = is written \\=)",
                                   m));
    }
    const auto& [to, from] = *pair;
    if (auto [it, fresh] = out.emplace(to, from); !fresh && it->second != from) {
      return MakeError(ErrorKind::kBadInput, fmt::format("--map {}: mapped twice ({}={} and {}={})",
                                                         to, to, it->second, to, from));
    }
  }
  return out;
}

// What a resolution of `version` did, read back from the versions before and after it.
struct Resolution {
  std::vector<std::pair<const SchemaVersion*, const SchemaVersion*>> changed;  // before, after
  const SchemaVersion* active = nullptr;  // the ACTIVE version after, if any
  std::vector<int64_t> mapped;            // newer versions whose mappings the call confirmed
};

Resolution Compare(const std::vector<SchemaVersion>& before,
                   const std::vector<SchemaVersion>& after, int64_t version) {
  Resolution r;
  for (const auto& v : after) {
    if (v.status == registry::VersionStatus::kActive) r.active = &v;
    auto old = PickVersion(before, v.version);
    if (!old.ok()) continue;
    if ((*old)->status != v.status) r.changed.emplace_back(*old, &v);
    if (v.version > version && (*old)->mappings != v.mappings) r.mapped.push_back(v.version);
  }
  return r;
}

void PrintResolution(const SchemaArgs& args, const SchemaVersion& before,
                     const SchemaVersion& updated, const Resolution& r, const std::string& who) {
  const bool color = UseColor(args.color);
  fmt::print("{} version {}: {} → {} by {}\n", args.source, args.version,
             registry::StatusName(before.status), registry::StatusName(updated.status), who);
  fmt::print("  note: {}\n", Clip(updated.note, 200));
  if (registry::ParseStatus(args.status) == registry::VersionStatus::kActive &&
      updated.status != registry::VersionStatus::kActive && r.active != nullptr &&
      r.active->version > args.version) {
    fmt::print(
        "  accepted, not made ACTIVE: version {} is newer, built on version {} (it carries\n"
        "  this change), and stays ACTIVE; promotion binds it\n",
        r.active->version, args.version);
  }
  for (const auto& [to, from] : updated.mappings) {
    // A chain (c=b after b=a) fills the column it started from: say which, and through what.
    const registry::RenameChain chain = registry::RenameChains(updated).Follow(to);
    if (chain.through.size() > 1 && chain.through.front() == from) {
      const std::vector<std::string> via(chain.through.begin(), chain.through.end() - 1);
      fmt::print("  mapping: {} → column {} (through {})\n", to, chain.column,
                 fmt::join(via, " → "));
    } else {
      fmt::print("  mapping: {} → column {}\n", to, from);
    }
  }
  for (int64_t v : r.mapped) {
    fmt::print("  mappings also confirmed on version {} (newer, built on {})\n", v, args.version);
  }
  for (const auto& [was, now] : r.changed) {
    if (now->version == args.version) continue;
    fmt::print("  version {}: {} → {}\n", now->version, registry::StatusName(was->status),
               Paint(registry::StatusName(now->status), Style::kDim, color));
  }
}

int RunResolve(const GlobalOptions& global, const SchemaArgs& args) {
  const auto status = registry::ParseStatus(args.status);
  if (!status) {
    return FailBadInput(
        "resolve", fmt::format("--status '{}': want ACTIVE or DEPRECATED", args.status), args.json);
  }
  auto mappings = ParseMaps(args.maps);
  if (!mappings.ok()) return Fail("resolve", mappings.status(), args.json);
  auto loaded = Load(global, args.source, RegistryAccess::kWrite);
  if (!loaded.ok()) return Fail("resolve", loaded.status(), args.json);
  auto before = Pick(*loaded, args.version);
  if (!before.ok()) return Fail("resolve", before.status(), args.json);

  registry::StatusUpdate update;
  update.status = *status;  // BREAKING is refused by the registry, with its reason
  update.note = args.note;
  update.mappings = std::move(*mappings);
  const char* user = std::getenv("USER");
  update.who = user != nullptr && *user != '\0' ? user : "cli";
  auto resolved = loaded->registry->SetStatus(args.source, args.version, update);
  if (!resolved.ok()) return Fail("resolve", resolved.status(), args.json);

  // What changed, read back: the registry may have deprecated the version active before,
  // or, accepting an older BREAKING version under a newer ACTIVE one, deprecated this one.
  auto after = LoadVersions(*loaded->registry, args.source);
  if (!after.ok()) return Fail("resolve", after.status(), args.json);
  auto updated = PickVersion(*after, args.version);
  if (!updated.ok()) return Fail("resolve", updated.status(), args.json);
  const Resolution r = Compare(loaded->versions, *after, args.version);
  if (args.json) {
    Json list = Json::array();
    for (const auto& [was, now] : r.changed) {
      list.push_back({{"version", now->version},
                      {"from", registry::StatusName(was->status)},
                      {"to", registry::StatusName(now->status)}});
    }
    Json active = r.active != nullptr ? Json(r.active->version) : Json();
    PrintJson({{"resolved", registry::VersionToJson(**updated)},
               {"changed", std::move(list)},
               {"active_version", std::move(active)},
               {"mappings_also_on", r.mapped}});
    return kExitOk;
  }
  PrintResolution(args, **before, **updated, r, update.who);
  return kExitOk;
}

// The version export binds by default: the latest ACTIVE one, as promotion does; else the
// latest (a source whose every version is BREAKING or DEPRECATED).
const SchemaVersion& DefaultExportVersion(const std::vector<SchemaVersion>& versions) {
  for (auto it = versions.rbegin(); it != versions.rend(); ++it) {
    if (it->status == registry::VersionStatus::kActive) return *it;
  }
  return versions.back();
}

int RunExport(const GlobalOptions& global, const SchemaArgs& args) {
  auto loaded = Load(global, args.source, RegistryAccess::kRead);
  if (!loaded.ok()) return Fail("export", loaded.status(), false);
  const SchemaVersion* v = &DefaultExportVersion(loaded->versions);
  if (args.version != 0) {
    auto picked = Pick(*loaded, args.version);
    if (!picked.ok()) return Fail("export", picked.status(), false);
    v = *picked;
  }
  if (args.format == "jsonschema") {  // the raw records, not the bound columns
    PrintJson(JsonSchemaOf(*v, fmt::format("{} schema version {}", v->source_id, v->version)));
    return kExitOk;
  }
  auto schema = registry::ToArrowSchema(*v);
  if (!schema.ok()) return Fail("export", schema.status(), false);
  if (args.format == "arrow") {
    std::cout << (*schema)->ToString() << "\n";
    return kExitOk;
  }
  auto out = SparkSchemaJson(**schema);
  if (!out.ok()) return Fail("export", out.status(), false);
  PrintJson(*out);
  return kExitOk;
}

// A version number: 1, 2, ... (CLI11's PositiveNumber prints a range up to DBL_MAX).
CLI::Validator VersionNumber() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        int64_t n = 0;
        const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
        if (ec != std::errc() || end != s.data() + s.size() || n < 1) {
          return fmt::format("'{}' is not a version number (1, 2, ...)", s);
        }
        return "";
      },
      "N");
}

void AddColor(CLI::App* cmd, SchemaArgs* args) {
  cmd->add_option("--color", args->color, "Color: auto (a terminal, NO_COLOR unset), always, never")
      ->check(CLI::IsMember(kColorChoices))
      ->capture_default_str();
}

}  // namespace

void RegisterSchemaCommand(CLI::App& app, const GlobalOptions& global, int* exit_code) {
  CLI::App* schema = app.add_subcommand(
      "schema", "Read a source's schema versions, resolve a BREAKING one, export the schema");
  schema->require_subcommand(1);
  auto run = [&global, exit_code](CLI::App* cmd, std::shared_ptr<SchemaArgs> args,
                                  int (*fn)(const GlobalOptions&, const SchemaArgs&)) {
    cmd->callback([args, &global, exit_code, fn] { *exit_code = fn(global, *args); });
  };

  auto history_args = std::make_shared<SchemaArgs>();
  CLI::App* history = schema->add_subcommand(
      "history", "Every schema version of a source, oldest first, and its status changes");
  history->footer(
      "One line per version: status, compatibility against the version before, when it was\n"
      "created, payloads and records observed under it, what it changed (+added, -removed,\n"
      "~renamed, type changes) and its note; then every status change with who, when, why.\n\n"
      "Example:\n  latebind schema history orders\n  latebind schema history orders --json");
  history->add_option("SOURCE", history_args->source, "Source id")
      ->check(SourceIdValidator())
      ->required();
  history->add_flag("--json", history_args->json, "Print versions and status_history as JSON");
  AddColor(history, history_args.get());
  run(history, history_args, RunHistory);

  auto show_args = std::make_shared<SchemaArgs>();
  CLI::App* show = schema->add_subcommand("show", "One schema version with its fields and stats");
  show->footer(
      "The version's status, compatibility, fingerprint, dates, note and confirmed rename\n"
      "mappings, then every field (nested ones indented under their parent): type, required,\n"
      "optional or removed, the version it appeared in, and its statistics.\n\n"
      "Example:\n  latebind schema show orders            # the latest version\n"
      "  latebind schema show orders --version 2 --json");
  show->add_option("SOURCE", show_args->source, "Source id")
      ->check(SourceIdValidator())
      ->required();
  show->add_option("--version", show_args->version, "Version number (default: the latest)")
      ->check(VersionNumber());
  show->add_flag("--json", show_args->json, "Print the version as JSON");
  AddColor(show, show_args.get());
  run(show, show_args, RunShow);

  auto diff_args = std::make_shared<SchemaArgs>();
  CLI::App* diff =
      schema->add_subcommand("diff", "Field-level difference between two versions of a source");
  diff->footer(
      "Any two versions, not only adjacent ones: + added, - removed, ~ type or\n"
      "required/optional changed, R renamed (as recorded by the versions in between, with\n"
      "its confidence and whether a person confirmed it), rejected rename candidates, and\n"
      "the status and compatibility of B. Colored like git diff on a terminal.\n\n"
      "Example:\n  latebind schema diff orders 2 3\n  latebind schema diff orders 1 3 --json");
  diff->add_option("SOURCE", diff_args->source, "Source id")
      ->check(SourceIdValidator())
      ->required();
  diff->add_option("A", diff_args->a, "From this version")->required()->check(VersionNumber());
  diff->add_option("B", diff_args->b, "To this version")->required()->check(VersionNumber());
  diff->add_flag("--json", diff_args->json, "Print the diff as JSON");
  AddColor(diff, diff_args.get());
  run(diff, diff_args, RunDiff);

  auto resolve_args = std::make_shared<SchemaArgs>();
  CLI::App* resolve = schema->add_subcommand(
      "resolve", "A person's decision on a version: set it ACTIVE or DEPRECATED, with a note");
  resolve->footer(
      "Setting a version ACTIVE (typically a BREAKING one, after review) unblocks promotion\n"
      "of the source and deprecates the version that was active. A version older than the\n"
      "ACTIVE one is accepted but goes (or stays) DEPRECATED instead: the ACTIVE version is\n"
      "newer and built on it (versions are linear, each carries the changes before it), so\n"
      "it stays ACTIVE and promotion keeps binding it; running a resolve twice changes\n"
      "nothing more.\n\n"
      "--map NEW=OLD confirms a rename: promotion keeps filling the curated column OLD from\n"
      "the new field NEW. OLD must be a removed field (a live one would be overwritten)\n"
      "of the same parent object as NEW (a field moved elsewhere keeps its own column),\n"
      "NEW's type must continue OLD's (int64/float64, date/timestamp/string, anything into\n"
      "string) and one column takes one NEW, on the version and on every newer one (each is\n"
      "built on it and gets the mapping too); else nothing changes and the exit code is 2.\n"
      "A renamed field renamed again continues its chain: after --map b=a, confirm c=b (not\n"
      "c=a); a, b and c then fill the one column a, and only one of them may be live.\n"
      "NEW and OLD are field paths as `schema show` lists them (a.b, a[].b; a key's own\n"
      ". [ ] \\ escaped with \\, and its own = written \\= in --map). The change is kept\n"
      "in the status history with who ($USER), when and the note.\n\n"
      "Example:\n"
      "  latebind schema resolve orders --version 3 --status ACTIVE \\\n"
      "      --note \"rename confirmed with the producer\" --map txn_date=transaction_date");
  resolve->add_option("SOURCE", resolve_args->source, "Source id")
      ->check(SourceIdValidator())
      ->required();
  resolve->add_option("--version", resolve_args->version, "Version number")
      ->required()
      ->check(VersionNumber());
  resolve->add_option("--status", resolve_args->status, "ACTIVE or DEPRECATED")->required();
  resolve->add_option("--note", resolve_args->note, "Why (kept in the history)")->required();
  resolve->add_option("--map", resolve_args->maps, "NEW=OLD: a confirmed rename (repeatable)");
  resolve->add_flag("--json", resolve_args->json, "Print the resolved version as JSON");
  AddColor(resolve, resolve_args.get());
  run(resolve, resolve_args, RunResolve);

  auto export_args = std::make_shared<SchemaArgs>();
  CLI::App* exp = schema->add_subcommand(
      "export", "Print a version's bound schema for other engines (Arrow, Spark, JSON Schema)");
  exp->footer(
      "The schema promotion binds raw records to: removed fields kept (typed as they were\n"
      "last, at their place; new records hold null there), confirmed renames under their\n"
      "old column name, nested objects as structs, arrays as lists; every column nullable.\n"
      "Formats: arrow (Arrow's schema text), spark (StructType JSON, for\n"
      "StructType.fromJson), jsonschema (JSON Schema 2020-12 of one raw record, as\n"
      "producers send it: fields under their own keys, required only when present since\n"
      "their object first appeared and not removed, so every record ingested validates;\n"
      "timestamps by pattern (latebind's ISO 8601 grammar), values of mixed types\n"
      "unconstrained).\n"
      "Default version: the latest ACTIVE one, else the latest.\n\n"
      "Example:\n"
      "  latebind schema export orders --format spark > orders.json\n"
      "  # PySpark: spark.read.schema(StructType.fromJson(json.load(open(\"orders.json\"))))");
  exp->add_option("SOURCE", export_args->source, "Source id")
      ->check(SourceIdValidator())
      ->required();
  exp->add_option("--version", export_args->version,
                  "Version number (default: the latest ACTIVE, else the latest)")
      ->check(VersionNumber());
  exp->add_option("--format", export_args->format, "arrow, spark or jsonschema")
      ->required()
      ->check(CLI::IsMember({"arrow", "spark", "jsonschema"}));
  run(exp, export_args, RunExport);
}

}  // namespace latebind::cli
