// How the read and resolve commands reach the registry: open it without creating one
// where none exists (a mistyped --home must not leave a new data directory behind), and
// pick a source's version with messages that name what is missing.
#pragma once

#include <arrow/result.h>

#include <memory>
#include <string>
#include <vector>

#include "latebind/registry/registry.h"

namespace latebind::cli {

// `<home>/registry.db`, opened. kNotFound, naming the path, when it does not exist (nothing
// was ever ingested under this home); else OpenRegistry's errors.
arrow::Result<std::shared_ptr<registry::Registry>> OpenExistingRegistry(const std::string& home);

// Every version of `source_id`, oldest first. kNotFound "unknown source …" for a source the
// registry does not know or that has no schema version yet (all its payloads were
// dead-lettered).
arrow::Result<std::vector<registry::SchemaVersion>> LoadVersions(registry::Registry& registry,
                                                                 const std::string& source_id);

// The version numbered `number` in `versions` (a source's, as LoadVersions gives them).
// kNotFound "source S has no version N (it has versions 1 to M)" when absent.
arrow::Result<const registry::SchemaVersion*> PickVersion(
    const std::vector<registry::SchemaVersion>& versions, int64_t number);

}  // namespace latebind::cli
