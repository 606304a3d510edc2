// latebind ingest --source ID FILE... : lands local files through the same path as HTTP
// arrivals (durable raw zone, profiled, dead-lettered when they cannot be parsed).
#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "latebind/cli/commands.h"
#include "latebind/cli/exit_codes.h"
#include "latebind/cli/progress.h"
#include "latebind/cli/registry_access.h"
#include "latebind/common/file_lock.h"
#include "latebind/common/status.h"
#include "latebind/ingest/arrivals.h"
#include "latebind/ingest/lander.h"
#include "latebind/profiler/profile_json.h"
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
  uint64_t max_decoded_bytes = ingest::ArrivalProcessor::kDefaultMaxDecodedBytes;
  std::string format;  // "", "auto", "json", "ndjson" or "csv" (--format)
};

profiler::ProfileOptions ArrivalProfileOptions(const IngestArgs& args) {
  profiler::ProfileOptions options;
  options.source.max_decompressed_bytes = args.max_decoded_bytes;
  return options;
}

// The Content-Type an HTTP client would send for this file, and its Content-Encoding from
// its bytes: gzip named `x.json` lands as `.json.gz`, and text named `x.csv.gz` as `.csv`,
// so readers that go by the raw key's extension or the meta read what is there.
// `format` is --format: "" (by the name), "auto" (by the content) or the format itself.
void TypeOf(std::string name, std::string_view bytes, std::string_view format, ingest::Arrival* a) {
  if (name.ends_with(".gz")) name.resize(name.size() - 3);
  a->gzip = bytes.starts_with("\x1f\x8b");
  if (format == "auto") return;  // sniffed from the content by the lander
  if (!format.empty()) name = fmt::format(".{}", format);
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

// The signal (SIGINT or SIGTERM) that asked a running ingest to stop; 0 while none did.
volatile sig_atomic_t g_stop_signal = 0;

void RecordStopSignal(int signal) { g_stop_signal = signal; }

// While alive, SIGINT and SIGTERM ask the ingest to stop before its next file instead of
// killing it in the middle, so that every file landed so far is reported. Only the first
// one: the handler resets itself (SA_RESETHAND), and a second signal of the same kind kills
// the process as usual, for a user who cannot wait for a large file (what landed stays
// landed, and a payload landed but not yet profiled is profiled by the next run).
// SA_RESTART: the lander's and profiler's threads, which may take the signal, carry on.
// A signal ignored when this starts (nohup, a background job) stays ignored. One at a time
// per process; restores the previous handlers.
class StopSignals {
 public:
  StopSignals() {
    g_stop_signal = 0;
    struct sigaction action = {};
    action.sa_handler = RecordStopSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART | SA_RESETHAND;
    for (size_t i = 0; i < kSignals.size(); ++i) {
      ::sigaction(kSignals[i], &action, &previous_[i]);
      if (previous_[i].sa_handler == SIG_IGN) ::sigaction(kSignals[i], &previous_[i], nullptr);
    }
  }
  ~StopSignals() {
    for (size_t i = 0; i < kSignals.size(); ++i) ::sigaction(kSignals[i], &previous_[i], nullptr);
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  // The signal that asked to stop, or 0.
  int received() const { return g_stop_signal; }

 private:
  static constexpr std::array<int, 2> kSignals = {SIGINT, SIGTERM};
  std::array<struct sigaction, 2> previous_ = {};
};

// One run of `latebind ingest`: profiles what a crash left unprofiled, then lands and
// profiles the files in order. Each file is reported as it is done, on stdout (a line, or
// at the end its entry of the --json array) and its problems on stderr, all through the
// progress bar (ProgressBar::Print). Thread-compatible: Run() once, from one thread.
class IngestRun {
 public:
  // `lock` is the home's ingest lock (<home>/locks/ingest.lock), held exclusively when no
  // other ingest runs, nullopt when one does; `recover` profiles unprofiled arrivals first.
  IngestRun(const IngestArgs& args, std::shared_ptr<storage::ObjectStore> store,
            std::shared_ptr<registry::Registry> registry, std::optional<FileLock> lock,
            std::string lock_path, bool recover)
      : args_(args),
        lock_(std::move(lock)),
        lock_path_(std::move(lock_path)),
        recover_(recover),
        lander_(store),
        arrivals_(store, std::move(registry), ArrivalProfileOptions(args)),
        bar_(fmt::format("ingesting {} file(s)", args.files.size())) {}

  // The exit code: the worst of the files' (see the command's help), or 128 + the signal
  // when SIGINT or SIGTERM stopped the run before its last file.
  int Run();

 private:
  void Say(std::FILE* stream, std::string_view text) { bar_.Print(stream, text); }
  void Fail(int exit_code) { exit_code_ = std::max(exit_code_, exit_code); }

  // Lands `file` and profiles it; its entry of --json. Adds the bytes landed to `*landed`.
  nlohmann::ordered_json IngestFile(const std::string& file, uint64_t* landed);
  // Profiles the landed object `key` and says what came of it; `entry` completed.
  nlohmann::ordered_json Process(const std::string& key, nlohmann::ordered_json entry);
  // The schema version the payload applied to, into `entry`; a note for the text line.
  std::string ReportSchema(const ingest::ArrivalOutcome& out, nlohmann::ordered_json& entry);
  // The payload's problems on stderr as `latebind profile` prints them, under `name`;
  // its warnings and, when dead-lettered, its reason into `entry`.
  void ReportProblems(const std::string& name, const ingest::ArrivalOutcome& out,
                      nlohmann::ordered_json& entry);

  const IngestArgs& args_;
  std::optional<FileLock> lock_;
  const std::string lock_path_;
  const bool recover_;  // profile what a crashed run left unprofiled first
  ingest::Lander lander_;
  ingest::ArrivalProcessor arrivals_;
  ProgressBar bar_;
  int exit_code_ = kExitOk;
};

int IngestRun::Run() {
  const StopSignals stop;
  auto report = nlohmann::ordered_json::array();
  // Arrivals a crash left unprofiled go first: every landed object is profiled once.
  if (recover_) {
    if (auto pending = arrivals_.Pending(); pending.ok()) {
      for (const std::string& key : *pending) report.push_back(Process(key, {{"recovered", true}}));
    }
  }
  // From here on other ingests may run beside this one, and this one's arrivals in flight
  // are not theirs to recover: they find the lock held and leave the arrivals alone.
  const arrow::Status shared = lock_ ? lock_->Share() : [&] {
    auto held = FileLock::AcquireShared(lock_path_);
    if (held.ok()) lock_ = std::move(*held);
    return held.status();
  }();
  if (!shared.ok()) {
    Say(stderr, fmt::format("latebind ingest: {}\n", shared.message()));
    return ExitCodeFor(shared);
  }
  uint64_t total = 0, landed = 0;
  for (const std::string& f : args_.files) {
    struct stat st;
    if (::stat(f.c_str(), &st) == 0) total += static_cast<uint64_t>(st.st_size);
  }
  for (size_t i = 0; i < args_.files.size(); ++i) {
    // Between files only: the file in progress is landed and profiled whole, and each
    // earlier one was reported when it was done.
    if (stop.received() != 0) {
      Say(stderr, fmt::format("latebind ingest: interrupted after {} of {} file(s): the rest, "
                              "from {} on, were not ingested; rerun with the remaining files\n",
                              i, args_.files.size(), args_.files[i]));
      exit_code_ = 128 + stop.received();  // as the shell reports a death by that signal
      break;
    }
    report.push_back(IngestFile(args_.files[i], &landed));
    bar_.Update(landed, total);
  }
  if (args_.json) {
    Say(stdout, report.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  }
  return exit_code_;
}

nlohmann::ordered_json IngestRun::IngestFile(const std::string& file, uint64_t* landed) {
  auto bytes = ReadFile(file, args_.max_bytes);
  if (!bytes.ok()) {
    const arrow::Status st = AsInputFileError(bytes.status());
    Say(stderr, fmt::format("latebind ingest: {}\n", st.message()));
    Fail(ExitCodeFor(st));
    return {{"file", file}, {"error", ErrorJson(st)}};
  }
  ingest::Arrival arrival;
  arrival.source = args_.source;
  TypeOf(file, *bytes, args_.format, &arrival);
  arrival.body = std::move(*bytes);
  auto receipt = lander_.Land(std::move(arrival)).get();
  if (!receipt.ok()) {
    Say(stderr,
        fmt::format("latebind ingest: {}: not landed: {}\n", file, receipt.status().message()));
    Fail(ExitCodeFor(receipt.status()));
    return {{"file", file}, {"error", ErrorJson(receipt.status())}};
  }
  *landed += receipt->bytes;
  return Process(receipt->object, {{"file", file},
                                   {"landed", receipt->object},
                                   {"bytes", receipt->bytes},
                                   {"sha256", receipt->sha256},
                                   {"received_at", receipt->received_at}});
}

nlohmann::ordered_json IngestRun::Process(const std::string& key, nlohmann::ordered_json entry) {
  const std::string name = entry.value("file", key);
  auto out = arrivals_.Process(key);
  if (!out.ok()) {
    Say(stderr,
        fmt::format("latebind ingest: profiling {} failed: {}\n", key, out.status().message()));
    Fail(ExitCodeFor(out.status()));
    entry["error"] = ErrorJson(out.status());
    return entry;
  }
  entry["object"] = out->object;
  entry["records"] = out->profile.records;
  entry["dead_lettered"] = out->dead_lettered;
  const std::string schema_note = ReportSchema(*out, entry);
  ReportProblems(name, *out, entry);
  if (out->dead_lettered) Fail(kExitBadInput);
  if (!args_.json) {
    Say(stdout,
        fmt::format("{} -> {} ({} record(s){}{})\n", name, out->object, out->profile.records,
                    out->dead_lettered ? ", cannot be parsed: kept in dead-letter" : "",
                    schema_note));
  }
  return entry;
}

std::string IngestRun::ReportSchema(const ingest::ArrivalOutcome& out,
                                    nlohmann::ordered_json& entry) {
  if (!out.schema) return "";
  entry["schema_version"] = out.schema->version;
  entry["new_version"] = out.schema->new_version;
  entry["schema_status"] = registry::StatusName(out.schema->status);
  if (!out.schema->new_version) return "";
  if (out.schema->status == registry::VersionStatus::kBreaking) {
    Say(stderr, fmt::format("latebind ingest: schema drift in source {}: version {} is BREAKING; "
                            "see `latebind schema diff {} {} {}`\n",
                            args_.source, out.schema->version, args_.source,
                            out.schema->version - 1, out.schema->version));
  }
  return fmt::format(", new schema version {} {}", out.schema->version,
                     registry::StatusName(out.schema->status));
}

void IngestRun::ReportProblems(const std::string& name, const ingest::ArrivalOutcome& out,
                               nlohmann::ordered_json& entry) {
  const profiler::PayloadProfile& profile = out.profile;
  std::string lines;
  auto warnings = nlohmann::ordered_json::array();
  for (const profiler::Problem& p : profile.problems) {
    lines += profiler::FormatProblem(name, p) + "\n";
    if (p.severity == profiler::Problem::Severity::kWarning) {
      warnings.push_back(profiler::ProblemToJson(p));
    } else if (out.dead_lettered && !entry.contains("reason")) {
      // As `deadletter list --json` gives it (ADR-116); the object is the entry's own.
      entry["reason"] = profiler::ProblemToJson(p);
    }
  }
  const uint64_t hidden = profile.error_count + profile.warning_count - profile.problems.size();
  if (hidden > 0) {
    lines += fmt::format("{}: ... and {} more problem(s) ({} error(s) in all)\n", name, hidden,
                         profile.error_count);
  }
  if (!lines.empty()) Say(stderr, lines);
  entry["warnings"] = std::move(warnings);
}

int RunIngest(const GlobalOptions& global, const IngestArgs& args) {
  auto opened = storage::LocalStore::Open(global.home);
  if (!opened.ok()) return ReportFailure("ingest", opened.status(), args.json);
  auto registry = registry::OpenRegistry(global.home);
  if (!registry.ok()) return ReportFailure("ingest", registry.status(), args.json);
  // Arrivals not yet profiled are recovered only by an ingest that runs alone: beside a
  // running server they are the server's, in progress, and it recovers its own crashes;
  // beside another ingest they are that one's, in flight. Taking them over made both
  // profile one payload, and the other report none of what its own file did.
  const std::string lock_path = global.home + "/locks/ingest.lock";
  auto alone = FileLock::TryAcquire(lock_path);
  if (!alone.ok()) return ReportFailure("ingest", alone.status(), args.json);
  const bool recover = alone->has_value() && !ServerRuns(global.home);
  return IngestRun(args, std::move(*opened), std::move(*registry), std::move(*alone), lock_path,
                   recover)
      .Run();
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
      ".csv, each optionally .gz), else from the content, unless --format says otherwise;\n"
      "gzip from the bytes themselves (stored as .gz whatever the name says).\n\n"
      "Problems go to stderr as `latebind profile` prints them:  FILE:LINE:COL (byte N): reason\n"
      "(warnings, such as a ragged CSV row or an empty payload, too).\n\n"
      "Exit code: 0 when every file landed and parsed (warnings allowed), 2 when one could\n"
      "not be read (missing, permission denied, not a regular file, larger than --max-bytes)\n"
      "or was dead-lettered, 1 when storage of the home failed, 130 when interrupted by\n"
      "SIGINT (Ctrl-C) and 143 by SIGTERM: the file in progress is landed and profiled, every\n"
      "file landed so far is reported (with --json, the array of them), the rest are not\n"
      "ingested and stderr names the first of them; rerun with those. A second Ctrl-C stops\n"
      "at once (a payload landed but not profiled then is profiled by the next run).\n\n"
      "--json prints an array with one entry per file, in order (after entries for arrivals a\n"
      "crash left unprofiled, marked \"recovered\", which only an ingest that runs alone,\n"
      "without a server or another ingest on the home, takes over): file, landed, bytes,\n"
      "sha256, received_at, object, records, dead_lettered, schema_version, new_version,\n"
      "schema_status, warnings (the first ones, each {\"line\", \"column\", \"byte\",\n"
      "\"message\"}) and, when dead-lettered, reason (\"OBJECT:LINE:COL (byte N): message\",\n"
      "OBJECT its dead-letter/ key). A file that could not be read, landed or profiled has\n"
      "\"error\": {\"code\", \"message\"}, code one of bad_input, not_found, too_large,\n"
      "unavailable, conflict, internal.");
  cmd->add_option("--source", args->source, "Source id, ^[a-z0-9][a-z0-9_-]{0,63}$")
      ->required()
      ->check(SourceIdValidator());
  cmd->add_option("FILE", args->files, "Files to land")->required();
  cmd->add_flag("--json", args->json, "Print what happened to each file as JSON");
  cmd->add_option("--format", args->format,
                  "Format of every file: json, ndjson or csv, or auto to judge it from the "
                  "content whatever the name says (default: by the extension, else the content)")
      ->check(CLI::IsMember({"auto", "json", "ndjson", "csv"}));
  cmd->add_option("--max-bytes", args->max_bytes, "Largest file accepted (bytes)")
      ->capture_default_str();
  cmd->add_option("--max-decoded-bytes", args->max_decoded_bytes,
                  "Largest decoded size of a gzip file (bytes); one that inflates past it is "
                  "dead-lettered as too large (`deadletter replay --max-decoded-bytes` with more "
                  "recovers it)")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 50))
      ->capture_default_str();
  cmd->callback([args, &global, exit_code] { *exit_code = RunIngest(global, *args); });
}

}  // namespace latebind::cli
