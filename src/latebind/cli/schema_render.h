// Human-readable renderings of registry listings: `latebind sources`, `schema history` and
// `schema show`. Pure functions over registry values; thread-safe. (The diff has its own
// file, schema_diff.h.)
#pragma once

#include <string>
#include <vector>

#include "latebind/cli/text_table.h"
#include "latebind/registry/schema.h"

namespace latebind::cli {

// How a status is painted: ACTIVE green, DEPRECATED dim, BREAKING bold red.
Style StatusStyle(registry::VersionStatus status);

// One row per source; BREAKING in bold red when `color`.
std::string RenderSources(const std::vector<registry::SourceSummary>& sources, bool color);

// One line per version, oldest first, with a short diff summary, then the status changes
// (who, when, note) in the order they happened.
std::string RenderHistory(const std::string& source_id,
                          const std::vector<registry::SchemaVersion>& versions,
                          const std::vector<registry::StatusChange>& history, bool color);

// A version's header (status, compatibility, fingerprint, dates, note, mappings) and its
// fields as a tree-ordered table with their statistics. `latest` is the source's newest
// version number, for "3 of 5".
std::string RenderVersion(const registry::SchemaVersion& version, int64_t latest, bool color);

// A confirmed mapping NEW=OLD of `version` as "NEW → OLD", followed on to the column it binds
// to when OLD is mapped in its turn (c=b after b=a: "c → b → a").
std::string MappingChain(const registry::SchemaVersion& version, const std::string& to,
                         const std::string& from);

// "+1 added, -1 removed, ~1 renamed, 1 type change": what a version changed against the one
// before it; "first version" for version 1.
std::string DiffSummary(const registry::SchemaVersion& version);

}  // namespace latebind::cli
