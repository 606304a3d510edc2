// Flushes that do nothing, linked only into `latebind_nofsync`: the negative control of the
// power-loss test (ADR-022). Never link this into a binary that stores real data: it
// acknowledges bytes that a power cut loses.
#include "latebind/common/durability.h"

namespace latebind {

int SyncFile(int) { return 0; }

int SyncData(int) { return 0; }

int SyncFilesystem(int) { return 0; }

}  // namespace latebind
