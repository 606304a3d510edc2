// The human-readable rendering of a profile: a header line and an aligned field table.
#pragma once

#include <string>

#include "latebind/profiler/profile.h"

namespace latebind::cli {

std::string RenderProfileTable(const profiler::PayloadProfile& profile);

}  // namespace latebind::cli
