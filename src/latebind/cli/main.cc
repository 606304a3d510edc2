// latebind: schema-on-read ingestion for data lakes. Git-style subcommands (CLI11).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>

#include "latebind/cli/commands.h"
#include "latebind/cli/exit_codes.h"

namespace {

// The deepest command given that needs a subcommand and got none (`latebind`, `latebind
// schema`), or nullptr.
CLI::App* MissingSubcommand(CLI::App* app) {
  const auto chosen = app->get_subcommands();
  if (!chosen.empty()) return MissingSubcommand(chosen.front());
  return app->get_require_subcommand_min() > 0 ? app : nullptr;
}

// For `latebind bogus` or `latebind schema` CLI11 says only "A subcommand is required":
// says which word is not a command, and which the commands are. False (nothing printed)
// when the parse failed for another reason.
bool ReportMissingCommand(CLI::App& app, const CLI::ParseError& error) {
  if (dynamic_cast<const CLI::RequiredError*>(&error) == nullptr &&
      dynamic_cast<const CLI::ExtrasError*>(&error) == nullptr) {
    return false;
  }
  CLI::App* parent = MissingSubcommand(&app);
  const std::vector<std::string> words = app.remaining(/*recurse=*/true);
  if (parent == nullptr || (!words.empty() && words.front().starts_with('-'))) return false;
  std::string path = parent->get_name();
  for (const CLI::App* p = parent->get_parent(); p != nullptr; p = p->get_parent()) {
    path = p->get_name() + " " + path;
  }
  std::vector<std::string> names;
  for (const CLI::App* sub : parent->get_subcommands({})) names.push_back(sub->get_name());
  const std::string what =
      words.empty() ? "a command is required" : fmt::format("unknown command '{}'", words.front());
  fmt::print(stderr, "{}: {}; the commands are: {}\nRun '{} --help' for more information.\n", path,
             what, fmt::join(names, ", "), path);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace latebind::cli;
  CLI::App app{
      "latebind: lands raw JSON and CSV payloads, profiles every record, keeps a versioned\n"
      "schema registry per source and promotes raw data to typed Parquet.",
      "latebind"};
  app.set_version_flag("--version", "latebind 0.1.0");
  app.require_subcommand(1);
  // Global options are accepted before or after the subcommand.
  app.fallthrough();

  GlobalOptions global;
  const char* env_home = std::getenv("LATEBIND_HOME");
  global.home = env_home && *env_home ? env_home : "./latebind-data";
  app.add_option("--home", global.home,
                 "Data directory (raw/, dead-letter/, curated/, the registry); "
                 "default $LATEBIND_HOME or ./latebind-data")
      ->capture_default_str();

  int exit_code = kExitOk;
  RegisterProfileCommand(app, global, &exit_code);
  RegisterIngestCommand(app, global, &exit_code);
  RegisterServeCommand(app, global, &exit_code);
  RegisterDeadLetterCommand(app, global, &exit_code);
  RegisterSourcesCommand(app, global, &exit_code);
  RegisterSchemaCommand(app, global, &exit_code);
  RegisterPromoteCommand(app, global, &exit_code);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (ReportMissingCommand(app, e)) return kExitBadInput;
    // A command's unknown options fall through to the program's (for --home), so
    // `schema history SRC --version 2` would print the program's version and exit 0.
    if (dynamic_cast<const CLI::CallForVersion*>(&e) != nullptr && !app.get_subcommands().empty()) {
      std::string path = "latebind";
      for (const CLI::App* sub = app.get_subcommands().front(); sub != nullptr;
           sub = sub->get_subcommands().empty() ? nullptr : sub->get_subcommands().front()) {
        path += " " + sub->get_name();
      }
      fmt::print(stderr,
                 "{}: --version is not an option of this command (the program's version: "
                 "latebind --version)\nRun '{} --help' for more information.\n",
                 path, path);
      return kExitBadInput;
    }
    const int rc = app.exit(e);  // prints help, version or the usage error
    return rc == 0 ? kExitOk : kExitBadInput;
  }
  return exit_code;
}
