// latebind: schema-on-read ingestion for data lakes. Git-style subcommands (CLI11).
#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>

#include "latebind/cli/commands.h"
#include "latebind/cli/exit_codes.h"

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
    const int rc = app.exit(e);  // prints help, version or the usage error
    return rc == 0 ? kExitOk : kExitBadInput;
  }
  return exit_code;
}
