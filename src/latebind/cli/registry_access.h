// How the commands that read a home reach it: never creating one where none exists (a
// mistyped --home must neither leave a new data directory behind nor answer "nothing
// here" as if it were a home), source ids checked as ingest checks them, and a source's
// version picked with messages that name what is missing.
#pragma once

#include <arrow/result.h>

#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <vector>

#include "latebind/registry/registry.h"

namespace latebind::cli {

// OK when `home` is a directory. kBadInput naming it when nothing is there ("no latebind
// home at …") or it is not a directory: the commands that only read a home refuse then,
// instead of creating one (only ingest and serve create a home). Reads only.
arrow::Status RequireHome(const std::string& home);

// What a command does with the registry: kRead opens it read-only (OpenRegistryToRead), so
// a user who may only read the home can run the command.
enum class RegistryAccess { kRead, kWrite };

// `<home>/registry.db`, opened. RequireHome's kBadInput when the home does not exist;
// kNotFound, naming the path, when the home exists but the registry does not (nothing was
// ever ingested under it); else OpenRegistry's (or OpenRegistryToRead's) errors. Creates
// nothing in either case.
arrow::Result<std::shared_ptr<registry::Registry>> OpenExistingRegistry(const std::string& home,
                                                                        RegistryAccess access);

// A CLI11 check that a SOURCE argument or --source value is a valid source id
// (ingest::ValidateSourceId): a bad one is a usage error (exit 2) before anything runs.
CLI::Validator SourceIdValidator();

// Every version of `source_id`, oldest first. kNotFound "unknown source …" for a source the
// registry does not know or that has no schema version yet (all its payloads were
// dead-lettered).
arrow::Result<std::vector<registry::SchemaVersion>> LoadVersions(registry::Registry& registry,
                                                                 const std::string& source_id);

using registry::PickVersion;

}  // namespace latebind::cli
