// latebind deadletter list|replay : what could not be parsed, and bringing it back.
#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "latebind/cli/commands.h"
#include "latebind/cli/exit_codes.h"
#include "latebind/cli/registry_access.h"
#include "latebind/common/status.h"
#include "latebind/ingest/arrivals.h"
#include "latebind/ingest/lander.h"
#include "latebind/profiler/profile_json.h"
#include "latebind/profiler/profiler.h"
#include "latebind/registry/registry.h"
#include "latebind/storage/local_store.h"
#include "latebind/storage/zone_keys.h"

namespace latebind::cli {
namespace {

using json = nlohmann::ordered_json;

struct DeadLetterArgs {
  std::string source;
  bool json = false;
  std::vector<std::string> objects;
  std::string format = "auto";
  uint64_t max_decoded_bytes = ingest::ArrivalProcessor::kDefaultMaxDecodedBytes;
};

bool IsPayload(const std::string& key) { return !key.ends_with(".meta.json"); }

std::string Prefix(const std::string& source) {
  return source.empty() ? "dead-letter/" : "dead-letter/source=" + source + "/";
}

// Prints why `status` failed and gives its exit code.
int Fail(const arrow::Status& status, bool json) {
  return ReportFailure("deadletter", status, json);
}

int RunList(const GlobalOptions& global, const DeadLetterArgs& args) {
  // Reading must not create a home: a mistyped --home would list nothing, as if it were one.
  if (arrow::Status st = RequireHome(global.home); !st.ok()) return Fail(st, args.json);
  auto store = storage::LocalStore::Open(global.home);
  if (!store.ok()) return Fail(store.status(), args.json);
  auto listed = (*store)->List(Prefix(args.source));
  if (!listed.ok()) return Fail(listed.status(), args.json);
  json out = json::array();
  for (const auto& o : *listed) {
    if (!IsPayload(o.key)) continue;
    json entry = {{"object", o.key}, {"bytes", o.size}};
    if (auto meta = (*store)->Get(storage::MetaKeyOf(o.key)); meta.ok()) {
      const json m = json::parse(*meta, nullptr, false);
      if (m.is_object()) {
        for (const char* k : {"source", "received_at", "dead_lettered_at", "errors", "reason"}) {
          if (m.contains(k)) entry[k] = m[k];
        }
      }
    }
    out.push_back(std::move(entry));
  }
  if (args.json) {
    std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return kExitOk;
  }
  if (out.empty()) {
    fmt::print("no dead-letter objects{}\n", args.source.empty() ? "" : " for " + args.source);
  }
  for (const auto& e : out) {
    std::string reason = "(no reason recorded)";
    if (e.contains("reason") && e["reason"].is_object()) {
      const auto& r = e["reason"];
      reason = fmt::format("line {}, column {} (byte {}): {}", r.value("line", 0),
                           r.value("column", 0), r.value("byte", 0), r.value("message", ""));
    }
    fmt::print("{}  {} bytes  {}\n  {}\n", e["object"].get<std::string>(),
               e["bytes"].get<uint64_t>(), e.value("dead_lettered_at", ""), reason);
  }
  return kExitOk;
}

int RunReplay(const GlobalOptions& global, const DeadLetterArgs& args) {
  if (args.objects.empty() == args.source.empty()) {
    return Fail(MakeError(ErrorKind::kBadInput, "replay: give OBJECT... or --source ID (not both)"),
                args.json);
  }
  // Only dead letters of an existing home can be replayed: a mistyped --home must not get a
  // new home and registry.
  if (arrow::Status st = RequireHome(global.home); !st.ok()) return Fail(st, args.json);
  auto opened = storage::LocalStore::Open(global.home);
  if (!opened.ok()) return Fail(opened.status(), args.json);
  std::shared_ptr<storage::ObjectStore> store = std::move(*opened);
  auto registry = registry::OpenRegistry(global.home);
  if (!registry.ok()) return Fail(registry.status(), args.json);
  profiler::ProfileOptions options;
  options.format = profiler::ParseFormat(args.format);  // "auto": detect
  options.source.max_decompressed_bytes = args.max_decoded_bytes;
  ingest::ArrivalProcessor arrivals(store, *registry, options);
  std::vector<std::string> keys = args.objects;
  if (!args.source.empty()) {
    auto listed = store->List(Prefix(args.source));
    if (!listed.ok()) return Fail(listed.status(), args.json);
    for (const auto& o : *listed) {
      if (IsPayload(o.key)) keys.push_back(o.key);
    }
  }
  if (keys.empty() && !args.json) fmt::print("no dead-letter objects for {}\n", args.source);
  int exit_code = kExitOk;
  json report = json::array();
  for (const std::string& key : keys) {
    auto out = arrivals.Replay(key);
    if (!out.ok()) {
      fmt::print(stderr, "latebind deadletter replay: {}: {}\n", key, out.status().message());
      exit_code = std::max(exit_code, ExitCodeFor(out.status()));
      report.push_back({{"object", key}, {"error", ErrorJson(out.status())}});
      continue;
    }
    json entry = {{"object", key}, {"now", out->object}, {"restored", !out->dead_lettered}};
    if (out->dead_lettered) {
      const auto& p = out->profile.problems.front();
      entry["reason"] = profiler::ProblemToJson(p);  // as `deadletter list --json` (ADR-116)
      exit_code = std::max(exit_code, kExitPartial);
      if (!args.json) {
        fmt::print("{}: still cannot be parsed: {}\n", key, profiler::FormatProblem(key, p));
      }
    } else if (!args.json) {
      fmt::print("{}: parses now, back in {}\n", key, out->object);
    }
    report.push_back(std::move(entry));
  }
  if (args.json) std::cout << report.dump(2) << "\n";
  return exit_code;
}

}  // namespace

void RegisterDeadLetterCommand(CLI::App& app, const GlobalOptions& global, int* exit_code) {
  auto args = std::make_shared<DeadLetterArgs>();
  CLI::App* cmd =
      app.add_subcommand("deadletter", "List or replay payloads that could not be parsed");
  cmd->require_subcommand(1);
  CLI::App* list = cmd->add_subcommand("list", "List dead-letter objects with their reasons");
  list->add_option("--source", args->source, "Only this source")->check(SourceIdValidator());
  list->add_flag("--json", args->json, "Print as JSON");
  list->callback([args, &global, exit_code] { *exit_code = RunList(global, *args); });

  CLI::App* replay = cmd->add_subcommand(
      "replay", "Profile dead-letter objects again; those that parse now return to raw/");
  replay->footer(
      "An object that parses now goes back to <home>/raw/ with its meta and updates its\n"
      "source's schema in the registry; one that still does not stays in dead-letter/.\n"
      "A gzip payload dead-lettered as too large (its decoded size past serve's or ingest's\n"
      "--max-decoded-bytes) parses with a larger --max-decoded-bytes here.\n"
      "Exit code 3 when some stayed.");
  replay->add_option("OBJECT", args->objects, "Dead-letter object keys (dead-letter/source=…)");
  replay->add_option("--source", args->source, "Every dead-letter object of this source")
      ->check(SourceIdValidator());
  replay
      ->add_option("--format", args->format,
                   "Read as: auto (the format it landed as, from its extension), or json, ndjson "
                   "or csv (e.g. a JSON array landed as .ndjson)")
      ->check(CLI::IsMember({"auto", "json", "ndjson", "csv"}))
      ->capture_default_str();
  replay
      ->add_option("--max-decoded-bytes", args->max_decoded_bytes,
                   "Largest decoded size of a gzip payload (bytes): more than serve's or ingest's "
                   "recovers a payload dead-lettered as too large")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 50))
      ->capture_default_str();
  replay->add_flag("--json", args->json, "Print as JSON");
  replay->callback([args, &global, exit_code] { *exit_code = RunReplay(global, *args); });
}

}  // namespace latebind::cli
