// latebind: schema-on-read ingestion for data lakes. Git-style subcommands (CLI11).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <CLI/CLI.hpp>
#include <algorithm>
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

// "deadletter.replay" → "deadletter replay " (a config section as the command's words).
std::string CommandPath(std::string section) {
  std::replace(section.begin(), section.end(), '.', ' ');
  return section.empty() ? section : section + " ";
}

// A --config file that could not be used: unreadable, or a key no command has. CLI11 says
// only "INI was not able to parse serve.bogus" or "FILE was not readable (missing?)":
// names the file, the key and where the keys come from. False (nothing printed) for other
// errors.
bool ReportConfigError(const CLI::App& app, const CLI::ParseError& error) {
  const bool file_error = dynamic_cast<const CLI::FileError*>(&error) != nullptr;
  if (!file_error && dynamic_cast<const CLI::ConfigError*>(&error) == nullptr) return false;
  const CLI::Option* config = app.get_config_ptr();
  std::string file = "(none)";
  if (config != nullptr && config->count() > 0) file = config->as<std::string>();
  if (file_error) {
    fmt::print(stderr,
               "latebind: --config {}: cannot read it (missing, not a regular file, or no "
               "permission)\n",
               file);
    return true;
  }
  std::string key = error.what();
  constexpr std::string_view kExtras = "INI was not able to parse ";
  if (key.starts_with(kExtras)) {
    key = key.substr(kExtras.size());
    const size_t dot = key.rfind('.');
    const std::string section = dot == std::string::npos ? "" : key.substr(0, dot);
    const std::string name = dot == std::string::npos ? key : key.substr(dot + 1);
    if (name == "++" || name == "--") {  // CLI11's markers of a section's start and end
      fmt::print(stderr,
                 "latebind: --config {}: unknown section [{}]: a section is named after a "
                 "command ([serve], [promote], [deadletter.replay])\n",
                 file, section);
      return true;
    }
    fmt::print(stderr,
               "latebind: --config {}: unknown key '{}'{}: keys are the long options without "
               "'--', those of a command in its section ([serve], [deadletter.replay]); see "
               "'latebind {}--help'\n",
               file, name, section.empty() ? " at the top level" : " in [" + section + "]",
               CommandPath(section));
    return true;
  }
  fmt::print(stderr, "latebind: --config {}: {}\n", file, key);
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
  // A --config key no command has is an error, not ignored: a typo must not silently leave
  // a limit or an address at its default. Set before the commands are added, which copy it.
  app.allow_config_extras(CLI::config_extras_mode::error);
  app.set_config("--config", "",
                 "TOML file of option values: keys are the long options without '--' "
                 "(home = \"/data/lb\"), a command's in its section ([serve], [promote], "
                 "[deadletter.replay]); options given on the command line win");

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
  // After the commands: a footer set earlier would be copied into each command's help.
  app.footer(
      "Configuration: every option can also come from --config FILE (TOML), e.g.\n"
      "  home = \"/var/lib/latebind\"\n"
      "  [serve]\n"
      "  listen = \"127.0.0.1:9000\"\n"
      "  max-body-bytes = 1048576\n"
      "  alert-webhook = [\"https://hooks.example.com/a\"]\n"
      "  [deadletter.replay]\n"
      "  max-decoded-bytes = 4294967296\n"
      "A key is a long option's name; a flag takes true or false. An option given on the\n"
      "command line wins over the file; an unknown key or an unreadable file is a usage\n"
      "error (exit code 2). Example: docs/latebind.example.toml.");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (ReportMissingCommand(app, e) || ReportConfigError(app, e)) return kExitBadInput;
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
