// The JSON form of promotion outcomes: what `latebind promote --json` prints and what
// POST /v1/promotions answers (docs/promotion.md, docs/openapi.json `PromotionReport`).
// One rendering for both, so the CLI and the API cannot drift apart. Stable: members are
// only ever added.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "latebind/promotion/promoter.h"

namespace latebind::promotion {

// One source's outcome: {"source", "table", "status", "version", "objects", "rows",
// "rescued_rows", "run_id", "files", "retired_files", "breaking_versions", "seconds"}, plus
// "error" when it failed.
nlohmann::ordered_json PromotionToJson(const SourcePromotion& result);

// {"sources": [PromotionToJson(...), ...]} in the order given.
nlohmann::ordered_json PromotionsToJson(const std::vector<SourcePromotion>& results);

}  // namespace latebind::promotion
