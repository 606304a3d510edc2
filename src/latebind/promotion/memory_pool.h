// The memory pool promotion's builders and Parquet writer allocate from (ADR-034).
#pragma once

#include <arrow/memory_pool.h>

namespace latebind::promotion {

// Arrow's jemalloc pool where this Arrow build has it, else Arrow's default pool.
// Promotion allocates and frees a batch's worth of builder and page buffers per batch,
// across threads; the default (mimalloc) pool hands those pages back to the kernel
// between batches and faults them in again, zeroed, which cost ~10 % of the CPU.
arrow::MemoryPool* PromotionMemoryPool();

}  // namespace latebind::promotion
