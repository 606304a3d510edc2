#include "latebind/promotion/promotion_json.h"

namespace latebind::promotion {

nlohmann::ordered_json PromotionToJson(const SourcePromotion& r) {
  nlohmann::ordered_json j = {{"source", r.source},
                              {"table", r.table},
                              {"status", PromoteStatusName(r.status)},
                              {"version", r.version},
                              {"objects", r.objects},
                              {"rows", r.rows},
                              {"rescued_rows", r.rescued_rows},
                              {"run_id", r.run_id},
                              {"files", r.files},
                              {"retired_files", r.retired_files},
                              {"breaking_versions", r.breaking_versions},
                              {"seconds", r.seconds}};
  if (!r.error.empty()) j["error"] = r.error;
  return j;
}

nlohmann::ordered_json PromotionsToJson(const std::vector<SourcePromotion>& results) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const SourcePromotion& r : results) list.push_back(PromotionToJson(r));
  return {{"sources", std::move(list)}};
}

}  // namespace latebind::promotion
