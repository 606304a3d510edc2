// Subcommands of the `latebind` binary, one file each. Register adds the subcommand and
// its options to the app; the callback it installs stores the exit code in *exit_code.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace latebind::cli {

struct GlobalOptions {
  std::string home;  // --home, default $LATEBIND_HOME or ./latebind-data
};

void RegisterProfileCommand(CLI::App& app, const GlobalOptions& global, int* exit_code);
void RegisterIngestCommand(CLI::App& app, const GlobalOptions& global, int* exit_code);
void RegisterServeCommand(CLI::App& app, const GlobalOptions& global, int* exit_code);
void RegisterDeadLetterCommand(CLI::App& app, const GlobalOptions& global, int* exit_code);
void RegisterSourcesCommand(CLI::App& app, const GlobalOptions& global, int* exit_code);
void RegisterSchemaCommand(CLI::App& app, const GlobalOptions& global, int* exit_code);
// promote and tables.
void RegisterPromoteCommand(CLI::App& app, const GlobalOptions& global, int* exit_code);

// The lock a running `serve` holds on its home (ADR-047).
std::string ServeLockPath(const std::string& home);
// Whether a `serve` runs on `home` now.
bool ServerRuns(const std::string& home);

}  // namespace latebind::cli
