#include "latebind/profiler/profiler.h"

#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <thread>
#include <utility>

#include "latebind/common/status.h"
#include "latebind/profiler/block_pipeline.h"
#include "latebind/profiler/csv_profiler.h"
#include "latebind/profiler/csv_sniffer.h"
#include "latebind/profiler/format_detector.h"
#include "latebind/profiler/json_profiler.h"

namespace latebind::profiler {
namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

// Stands in for a source that already failed while the head was read: it must not be read
// again, so its error is repeated. Returning end of stream instead made the pipeline parse
// the record the failure cut short, and that record's error (an unclosed string of a
// truncated .gz) hid the real one.
class FailedSource : public ByteSource {
 public:
  FailedSource(const ByteSource& failed, arrow::Status error)
      : failed_(failed), error_(std::move(error)) {}
  arrow::Result<size_t> Read(uint8_t*, size_t) override { return error_; }
  bool gzip() const override { return failed_.gzip(); }
  uint64_t raw_bytes_read() const override { return failed_.raw_bytes_read(); }
  uint64_t raw_size() const override { return failed_.raw_size(); }

 private:
  const ByteSource& failed_;
  arrow::Status error_;
};

struct Head {
  std::string bytes;
  bool complete = false;  // the whole payload
  arrow::Status error;    // why reading stopped early, if it did
};

Head ReadHead(ByteSource* source, size_t max_bytes) {
  Head head;
  // The buffer grows with what arrives: a 1 KiB payload must not pay for zeroing (and
  // faulting in) a whole megabyte, which was 9 % of serve's CPU at 6k payloads/s.
  const uint64_t known = source->gzip() ? 0 : source->raw_size();
  head.bytes.resize(std::min<uint64_t>(max_bytes, known > 0 ? known + 1 : 64 << 10));
  size_t n = 0;
  for (;;) {
    if (n == head.bytes.size()) {
      if (n >= max_bytes) break;
      head.bytes.resize(std::min(max_bytes, n * 4));
    }
    auto r = source->Read(reinterpret_cast<uint8_t*>(head.bytes.data() + n), head.bytes.size() - n);
    if (!r.ok()) {
      head.error = r.status();
      head.complete = true;
      break;
    }
    if (*r == 0) {
      head.complete = true;
      break;
    }
    n += *r;
  }
  head.bytes.resize(n);
  return head;
}

// Everything format-specific about one run: the splitter and the per-thread consumers.
struct Plan {
  std::unique_ptr<RecordSplitter> splitter;
  std::vector<std::unique_ptr<RecordConsumer>> consumers;
};

Plan MakePlan(const PayloadProfile& profile, int threads, const RecordConsumerOptions& options) {
  Plan plan;
  if (profile.format == Format::kCsv) {
    plan.splitter = MakeCsvSplitter(*profile.csv);
  } else if (profile.format == Format::kNdjson) {
    plan.splitter = std::make_unique<LineSplitter>();
  } else {
    plan.splitter = std::make_unique<JsonValueSplitter>();
  }
  for (int i = 0; i < threads; ++i) {
    if (profile.format == Format::kCsv) {
      plan.consumers.push_back(std::make_unique<CsvRecordConsumer>(*profile.csv, options));
    } else {
      plan.consumers.push_back(std::make_unique<JsonRecordConsumer>(profile.format, options));
    }
  }
  return plan;
}

// Why `head`, a payload's first decoded bytes, is text in another encoding than UTF-8, or
// compressed once more; nullopt when it is neither. Such a payload would otherwise be
// reported byte by byte as invalid UTF-8 and NUL bytes, which does not say what it is.
std::optional<std::string> ForeignEncoding(std::string_view head) {
  auto foreign = [](std::string_view what, std::string_view encoding) {
    return fmt::format(
        "{}: latebind reads UTF-8 text; convert the payload (e.g. iconv -f {} -t UTF-8)", what,
        encoding);
  };
  auto starts = [&](std::string_view bytes) { return head.starts_with(bytes); };
  using namespace std::string_view_literals;
  if (starts("\x00\x00\xFE\xFF"sv)) {
    return foreign("UTF-32BE text (byte order mark 00 00 FE FF)", "UTF-32");
  }
  if (starts("\xFF\xFE\x00\x00"sv)) {
    return foreign("UTF-32LE text (byte order mark FF FE 00 00)", "UTF-32");
  }
  if (starts("\xFE\xFF"sv)) return foreign("UTF-16BE text (byte order mark FE FF)", "UTF-16");
  if (starts("\xFF\xFE"sv)) return foreign("UTF-16LE text (byte order mark FF FE)", "UTF-16");
  if (head.size() >= 4 && head[0] != 0 && head[1] == 0 && head[2] != 0 && head[3] == 0) {
    return foreign("text that looks like UTF-16LE (every other byte NUL, no byte order mark)",
                   "UTF-16LE");
  }
  if (head.size() >= 4 && head[0] == 0 && head[1] != 0 && head[2] == 0 && head[3] != 0) {
    return foreign("text that looks like UTF-16BE (every other byte NUL, no byte order mark)",
                   "UTF-16BE");
  }
  if (starts("\x1F\x8B"sv)) {
    return "gzip data inside the gzip stream: the payload was compressed twice; send it "
           "compressed once";
  }
  return std::nullopt;
}

// An error that ended the payload (the stream failed, or ended inside a structure).
void AddStop(std::string message, uint64_t byte_offset, uint64_t line, PayloadProfile* profile) {
  ++profile->error_count;
  profile->problems.push_back(
      Problem{Problem::Severity::kError, line, 0, byte_offset, std::move(message)});
}

}  // namespace

const char* FormatName(Format format) {
  switch (format) {
    case Format::kJson:
      return "json";
    case Format::kNdjson:
      return "ndjson";
    case Format::kCsv:
      return "csv";
  }
  return "?";
}

std::optional<Format> ParseFormat(std::string_view name) {
  for (Format f : {Format::kJson, Format::kNdjson, Format::kCsv}) {
    if (name == FormatName(f)) return f;
  }
  return std::nullopt;
}

arrow::Result<PayloadProfile> ProfileFile(const std::string& path, const ProfileOptions& options) {
  ARROW_ASSIGN_OR_RAISE(std::unique_ptr<ByteSource> source, OpenFileSource(path, options.source));
  return ProfileSource(source.get(), path, options);
}

arrow::Result<PayloadProfile> ProfileSource(ByteSource* source, const std::string& path,
                                            const ProfileOptions& options) {
  PayloadProfile profile;
  profile.path = path;
  profile.gzip = source->gzip();

  // Never more than a block, so the record-length limit applies from the first byte.
  Head head = ReadHead(source, std::min(kHeadBytes, options.block_bytes));
  if (!head.error.ok() && KindOf(head.error) == ErrorKind::kUnavailable) return head.error;
  const size_t bom = std::string_view(head.bytes).starts_with(kUtf8Bom) ? kUtf8Bom.size() : 0;
  const std::string_view body = std::string_view(head.bytes).substr(bom);
  // A payload whose head already shows nothing in it can be read as records: one error at
  // byte 0 that says why, and no walk.
  auto refuse = [&](std::string message) {
    profile.bytes = head.bytes.size();
    AddStop(std::move(message), 0, 1, &profile);
    return profile;
  };
  if (std::optional<std::string> foreign = ForeignEncoding(head.bytes)) {
    profile.format = options.format.value_or(FormatOfKey(path).value_or(Format::kJson));
    return refuse(std::move(*foreign));
  }

  if (options.format) {
    profile.format = *options.format;
  } else if (const auto named = FormatOfKey(path);
             named && body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    profile.format = *named;  // blank content cannot tell: an empty .csv is a CSV
  } else {
    profile.format = DetectFormat(body, head.complete);
  }
  if (profile.format == Format::kCsv) {
    profile.csv = SniffCsv(body);
    profile.csv->bom = bom > 0;
    if (!head.complete && body.find(profile.csv->newline) == std::string_view::npos) {
      // The columns are named and counted from the first row: cut, they would be wrong.
      return refuse(
          fmt::format("the first row is longer than the {} bytes read to learn the "
                      "columns: a header row this long is not supported",
                      head.bytes.size()));
    }
  }

  // A stream of one block cannot be shared between threads: it gets one consumer, run on
  // this thread (a payload arriving over HTTP is mostly that small).
  const bool one_block = head.complete || (!source->gzip() && source->raw_size() > 0 &&
                                           source->raw_size() <= options.block_bytes);
  const int threads =
      one_block ? 1
                : (options.threads > 0 ? options.threads
                                       : std::max(1u, std::thread::hardware_concurrency()));
  RecordConsumerOptions consumer_options;
  consumer_options.max_fields = options.max_fields;
  consumer_options.max_problems = options.max_problems;
  consumer_options.base_offset = bom;
  Plan plan = MakePlan(profile, threads, consumer_options);
  std::vector<BlockConsumer*> consumers;
  for (auto& c : plan.consumers) consumers.push_back(c.get());
  PipelineOptions pipeline;
  pipeline.block_bytes = options.block_bytes;
  pipeline.max_record_bytes = options.max_record_bytes;
  pipeline.progress = options.progress;
  if (head.complete) {
    pipeline.size_hint = body.size();
  } else if (!source->gzip()) {
    pipeline.size_hint = source->raw_size();
  }
  FailedSource failed(*source, head.error);
  ByteSource* rest = head.error.ok() ? source : &failed;
  PipelineResult run = RunBlockPipeline(rest, body, plan.splitter.get(), consumers, pipeline);
  if (!run.stop.ok() && KindOf(run.stop) == ErrorKind::kUnavailable) return run.stop;
  profile.bytes = bom + run.bytes;

  // Step 2: merge the per-thread trees and problem logs.
  FieldTree& tree = plan.consumers[0]->tree();
  for (size_t i = 1; i < plan.consumers.size(); ++i) tree.Merge(plan.consumers[i]->tree());
  const LineIndex lines(run.block_newlines);
  for (const auto& c : plan.consumers) {
    const ProblemLog& log = c->problems();
    log.Resolve(lines, &profile.problems);
    profile.error_count += log.errors();
    profile.warning_count += log.warnings();
  }
  uint64_t total_lines = 0;
  for (uint64_t n : run.block_newlines) total_lines += n;
  if (!run.stop.ok()) {
    AddStop(run.stop.message(), profile.bytes, total_lines + 1, &profile);
  } else {
    for (Problem& p : plan.splitter->Problems()) {
      p.byte_offset += bom;
      ++profile.error_count;
      profile.problems.push_back(std::move(p));
    }
  }
  const auto by_offset = [](const Problem& a, const Problem& b) {
    return a.byte_offset < b.byte_offset;
  };
  std::stable_sort(profile.problems.begin(), profile.problems.end(), by_offset);
  if (profile.problems.size() > options.max_problems) {
    // The first errors are kept before any warning: an error decides the payload's fate
    // and a dead-letter names it as its reason, however many warnings came before it.
    std::stable_partition(profile.problems.begin(), profile.problems.end(),
                          [](const Problem& p) { return p.severity == Problem::Severity::kError; });
    profile.problems.resize(options.max_problems);
    std::stable_sort(profile.problems.begin(), profile.problems.end(), by_offset);
  }

  // Step 3: decide types.
  profile.records = tree.records();
  profile.fields = tree.Finalize();
  profile.overflow_occurrences = tree.dropped_lookups();
  if (profile.overflow_occurrences > 0) {
    // Said, not only counted: those fields never reach the registry.
    ++profile.warning_count;
    profile.problems.push_back(Problem{
        Problem::Severity::kWarning, 0, 0, 0,
        fmt::format("{} value(s) of fields past the limit of {} field paths were not profiled: "
                    "those fields are not registered, and promotion keeps their values in "
                    "_rescued_data",
                    profile.overflow_occurrences, options.max_fields)});
  }
  if (profile.records == 0 && profile.error_count == 0) {
    ++profile.warning_count;
    profile.problems.push_back(
        Problem{Problem::Severity::kWarning, 0, 0, 0, "no records: the payload is empty"});
  }
  return profile;
}

std::string FormatProblem(const std::string& path, const Problem& p) {
  std::string where = path;
  if (p.line > 0) where += fmt::format(":{}", p.line);
  if (p.line > 0 && p.column > 0) where += fmt::format(":{}", p.column);
  const char* severity = p.severity == Problem::Severity::kWarning ? "warning: " : "";
  return fmt::format("{} (byte {}): {}{}", where, p.byte_offset, severity, p.message);
}

}  // namespace latebind::profiler
