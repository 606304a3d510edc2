// latebind ingest --source ID FILE... : lands local files through the same path as HTTP
// arrivals (durable raw zone, profiled, dead-lettered when they cannot be parsed).
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>

#include "latebind/cli/commands.h"
#include "latebind/cli/exit_codes.h"
#include "latebind/cli/progress.h"
#include "latebind/cli/registry_access.h"
#include "latebind/common/status.h"
#include "latebind/ingest/arrivals.h"
#include "latebind/ingest/lander.h"
#include "latebind/profiler/profiler.h"
#include "latebind/registry/registry.h"
#include "latebind/storage/local_store.h"

namespace latebind::cli {
namespace {

struct IngestArgs {
  std::string source;
  std::vector<std::string> files;
  bool json = false;
  uint64_t max_bytes = 1ull << 30;
};

// The Content-Type and Content-Encoding an HTTP client would send for this file.
void TypeFromName(std::string name, ingest::Arrival* a) {
  if (name.ends_with(".gz")) {
    a->gzip = true;
    name.resize(name.size() - 3);
  }
  if (name.ends_with(".ndjson") || name.ends_with(".jsonl")) {
    a->content_type = "application/x-ndjson";
  } else if (name.ends_with(".json")) {
    a->content_type = "application/json";
  } else if (name.ends_with(".csv")) {
    a->content_type = "text/csv";
  }  // else: sniffed from the content by the lander
}

// The file's bytes exactly (not decoded: the raw zone keeps what was sent). Held in memory
// like an HTTP body, so bounded by --max-bytes.
arrow::Result<std::string> ReadFile(const std::string& path, uint64_t max_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return MakeError(errno == ENOENT ? ErrorKind::kNotFound : ErrorKind::kUnavailable,
                     fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  }
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return MakeError(ErrorKind::kBadInput, fmt::format("{}: not a regular file", path));
  }
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    ::close(fd);
    return MakeError(ErrorKind::kTooLarge, fmt::format("{}: {} bytes is more than --max-bytes {}",
                                                       path, st.st_size, max_bytes));
  }
  std::string bytes(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::read(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return MakeError(ErrorKind::kUnavailable,
                       fmt::format("{}: cannot read: {}", path, std::strerror(err)));
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  bytes.resize(done);
  return bytes;
}

// The entry of `ingest --json` for what failed: {"code", "message"} as HTTP errors are.
nlohmann::ordered_json ErrorJson(const arrow::Status& status) {
  return {{"code", ErrorKindName(KindOf(status))}, {"message", status.message()}};
}

int RunIngest(const GlobalOptions& global, const IngestArgs& args) {
  auto opened = storage::LocalStore::Open(global.home);
  if (!opened.ok()) {
    fmt::print(stderr, "latebind ingest: {}\n", opened.status().message());
    return ExitCodeFor(opened.status());
  }
  std::shared_ptr<storage::ObjectStore> store = std::move(*opened);
  auto registry = registry::OpenRegistry(global.home);
  if (!registry.ok()) {
    fmt::print(stderr, "latebind ingest: {}\n", registry.status().message());
    return ExitCodeFor(registry.status());
  }
  ingest::Lander lander(store);
  ingest::ArrivalProcessor arrivals(store, *registry, profiler::ProfileOptions{});
  int exit_code = kExitOk;
  auto report = nlohmann::ordered_json::array();
  auto process = [&](const std::string& key, nlohmann::ordered_json entry) {
    auto out = arrivals.Process(key);
    if (!out.ok()) {
      fmt::print(stderr, "latebind ingest: profiling {} failed: {}\n", key, out.status().message());
      exit_code = std::max(exit_code, ExitCodeFor(out.status()));
      entry["error"] = ErrorJson(out.status());
      return entry;
    }
    entry["object"] = out->object;
    entry["records"] = out->profile.records;
    entry["dead_lettered"] = out->dead_lettered;
    std::string schema_note;
    if (out->schema) {
      entry["schema_version"] = out->schema->version;
      entry["new_version"] = out->schema->new_version;
      entry["schema_status"] = registry::StatusName(out->schema->status);
      if (out->schema->new_version) {
        schema_note = fmt::format(", new schema version {} {}", out->schema->version,
                                  registry::StatusName(out->schema->status));
      }
      if (out->schema->status == registry::VersionStatus::kBreaking && out->schema->new_version) {
        fmt::print(stderr,
                   "latebind ingest: schema drift in source {}: version {} is BREAKING; see "
                   "`latebind schema diff {} {} {}`\n",
                   args.source, out->schema->version, args.source, out->schema->version - 1,
                   out->schema->version);
      }
    }
    if (out->dead_lettered) {
      const auto& p = out->profile.problems.front();
      entry["reason"] = profiler::FormatProblem(key, p);
      fmt::print(stderr, "{}\n", profiler::FormatProblem(entry.value("file", key), p));
      exit_code = std::max(exit_code, kExitBadInput);
    }
    if (!args.json) {
      fmt::print("{} -> {} ({} record(s){}{})\n", entry.value("file", key), out->object,
                 out->profile.records,
                 out->dead_lettered ? ", cannot be parsed: kept in dead-letter" : "", schema_note);
    }
    return entry;
  };

  // Arrivals a crash left unprofiled go first: every landed object is profiled once.
  if (auto pending = arrivals.Pending(); pending.ok()) {
    for (const std::string& key : *pending) report.push_back(process(key, {{"recovered", true}}));
  }
  uint64_t total = 0, done = 0;
  for (const std::string& f : args.files) {
    struct stat st;
    if (::stat(f.c_str(), &st) == 0) total += static_cast<uint64_t>(st.st_size);
  }
  ProgressBar bar("ingesting " + std::to_string(args.files.size()) + " file(s)");
  for (const std::string& file : args.files) {
    auto bytes = ReadFile(file, args.max_bytes);
    if (!bytes.ok()) {
      const arrow::Status st = AsInputFileError(bytes.status());
      fmt::print(stderr, "latebind ingest: {}\n", st.message());
      exit_code = std::max(exit_code, ExitCodeFor(st));
      report.push_back({{"file", file}, {"error", ErrorJson(st)}});
      continue;
    }
    ingest::Arrival arrival;
    arrival.source = args.source;
    TypeFromName(file, &arrival);
    arrival.body = std::move(*bytes);
    const uint64_t size = arrival.body.size();
    auto receipt = lander.Land(std::move(arrival)).get();
    if (!receipt.ok()) {
      fmt::print(stderr, "latebind ingest: {}: not landed: {}\n", file, receipt.status().message());
      exit_code = std::max(exit_code, ExitCodeFor(receipt.status()));
      report.push_back({{"file", file}, {"error", ErrorJson(receipt.status())}});
      continue;
    }
    report.push_back(process(receipt->object, {{"file", file},
                                               {"landed", receipt->object},
                                               {"bytes", receipt->bytes},
                                               {"sha256", receipt->sha256},
                                               {"received_at", receipt->received_at}}));
    done += size;
    bar.Update(done, total);
  }
  if (args.json)
    std::cout << report.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  return exit_code;
}

}  // namespace

void RegisterIngestCommand(CLI::App& app, const GlobalOptions& global, int* exit_code) {
  auto args = std::make_shared<IngestArgs>();
  CLI::App* cmd = app.add_subcommand(
      "ingest", "Land local files in the raw zone as a source's payloads, and profile them");
  cmd->footer(
      "Each file is landed unmodified and durably under\n"
      "  <home>/raw/source=<ID>/date=<YYYY-MM-DD>/<ulid>.<json|ndjson|csv>[.gz]\n"
      "with a .meta.json (received_at, bytes, sha256, content type), through the same path as\n"
      "HTTP arrivals, then profiled. A file that cannot be parsed is kept, with its reason,\n"
      "under <home>/dead-letter/. The format comes from the extension (.json, .ndjson, .jsonl,\n"
      ".csv, each optionally .gz), else from the content.\n\n"
      "Exit code: 0 when every file landed and parsed, 2 when one could not be read (missing,\n"
      "permission denied, not a regular file, larger than --max-bytes) or was dead-lettered,\n"
      "1 when storage of the home failed.\n\n"
      "--json prints an array with one entry per file, in order (after entries for arrivals a\n"
      "crash left unprofiled, marked \"recovered\"): file, landed, bytes, sha256, received_at,\n"
      "object, records, dead_lettered, schema_version, new_version, schema_status; a file\n"
      "that could not be read, landed or profiled has \"error\": {\"code\", \"message\"}, code\n"
      "one of bad_input, not_found, too_large, unavailable, conflict, internal.");
  cmd->add_option("--source", args->source, "Source id, ^[a-z0-9][a-z0-9_-]{0,63}$")
      ->required()
      ->check(SourceIdValidator());
  cmd->add_option("FILE", args->files, "Files to land")->required();
  cmd->add_flag("--json", args->json, "Print what happened to each file as JSON");
  cmd->add_option("--max-bytes", args->max_bytes, "Largest file accepted (bytes)")
      ->capture_default_str();
  cmd->callback([args, &global, exit_code] { *exit_code = RunIngest(global, *args); });
}

}  // namespace latebind::cli
