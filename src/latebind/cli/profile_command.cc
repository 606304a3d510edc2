// latebind profile FILE... : structural profile of JSON, NDJSON and CSV files.
#include <fmt/format.h>

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "latebind/cli/commands.h"
#include "latebind/cli/exit_codes.h"
#include "latebind/cli/profile_table.h"
#include "latebind/cli/progress.h"
#include "latebind/profiler/profile_json.h"
#include "latebind/profiler/profiler.h"

namespace latebind::cli {
namespace {

struct ProfileArgs {
  std::vector<std::string> files;
  std::string format = "auto";
  bool json = false;
  int threads = 0;
  size_t max_fields = 10000;
  size_t max_problems = 20;
};

int RunProfile(const ProfileArgs& args) {
  profiler::ProfileOptions options;
  options.format = profiler::ParseFormat(args.format);  // "auto": detect
  options.threads = args.threads;
  options.max_fields = args.max_fields;
  options.max_problems = args.max_problems;

  int exit_code = kExitOk;
  auto out = nlohmann::ordered_json::array();
  auto errors = nlohmann::ordered_json::array();
  for (const std::string& file : args.files) {
    arrow::Result<profiler::PayloadProfile> result;
    {
      // Gone (its line cleared) before anything about the file is printed.
      ProgressBar bar("profiling " + file);
      options.progress = [&bar](uint64_t done, uint64_t total) { bar.Update(done, total); };
      result = profiler::ProfileFile(file, options);
      options.progress = nullptr;
    }
    if (!result.ok()) {
      const arrow::Status st = AsInputFileError(result.status());
      fmt::print(stderr, "latebind profile: {}\n", st.message());
      exit_code = std::max(exit_code, ExitCodeFor(st));
      errors.push_back({{"file", file}, {"error", ErrorJson(st)}});
      continue;
    }
    const profiler::PayloadProfile& profile = *result;
    for (const auto& problem : profile.problems) {
      fmt::print(stderr, "{}\n", profiler::FormatProblem(file, problem));
    }
    const uint64_t hidden = profile.error_count + profile.warning_count - profile.problems.size();
    if (hidden > 0) {
      fmt::print(stderr, "{}: ... and {} more problem(s) ({} error(s) in all)\n", file, hidden,
                 profile.error_count);
    }
    if (!profile.ok()) exit_code = std::max(exit_code, kExitBadInput);
    if (args.json) {
      out.push_back(profiler::ProfileToJson(profile));
    } else {
      std::fputs(RenderProfileTable(profile).c_str(), stdout);
    }
  }
  if (args.json) {
    nlohmann::ordered_json doc;
    doc["latebind_profile"] = profiler::kProfileJsonVersion;
    doc["profiles"] = std::move(out);
    doc["errors"] = std::move(errors);
    // Invalid UTF-8 in CSV cells must not abort the output: replace it with U+FFFD.
    std::cout << doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  }
  return exit_code;
}

}  // namespace

void RegisterProfileCommand(CLI::App& app, const GlobalOptions& global, int* exit_code) {
  auto args = std::make_shared<ProfileArgs>();
  CLI::App* cmd = app.add_subcommand(
      "profile", "Profile JSON, NDJSON or CSV files: every record, type and statistics per field");
  cmd->footer(
      "Every record is profiled, never a sample. Per field path (a.b, a[], a[].b): type,\n"
      "required/optional, presence and null counts, min/max, approximate distinct count and\n"
      "up to five examples. gzip is read transparently; the format and the CSV dialect are\n"
      "detected from the content.\n\n"
      "Problems go to stderr, one per line:  FILE:LINE:COL (byte N): reason\n"
      "Exit code: 0 when every file parsed (warnings allowed), 2 when a file had errors or\n"
      "could not be read.\n\n"
      "Examples:\n"
      "  latebind profile bank.ndjson\n"
      "  latebind profile --json --threads 2 export.csv.gz > profile.json");
  cmd->add_option("FILE", args->files, "Files to profile")->required();
  cmd->add_option("--format", args->format,
                  "auto (from content), json (object, array of objects, concatenated "
                  "values), ndjson or csv")
      ->check(CLI::IsMember({"auto", "json", "ndjson", "csv"}))
      ->capture_default_str();
  cmd->add_flag("--json", args->json,
                "Print the profiles as JSON (shape documented in docs/profile-json.md)");
  cmd->add_option("--threads", args->threads, "Worker threads; 0 = one per core")
      ->check(CLI::Range(0, 256))
      ->capture_default_str();
  cmd->add_option("--max-fields", args->max_fields,
                  "Distinct field paths tracked per file; more are counted, not profiled")
      ->check(CLI::Range(1, 10000000))
      ->capture_default_str();
  cmd->add_option("--max-problems", args->max_problems,
                  "Problems listed per file (all are counted)")
      ->capture_default_str();
  cmd->callback([args, exit_code] { *exit_code = RunProfile(*args); });
  (void)global;
}

}  // namespace latebind::cli
