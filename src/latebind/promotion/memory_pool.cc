#include "latebind/promotion/memory_pool.h"

namespace latebind::promotion {

arrow::MemoryPool* PromotionMemoryPool() {
  static arrow::MemoryPool* const pool = [] {
    arrow::MemoryPool* jemalloc = nullptr;
    return arrow::jemalloc_memory_pool(&jemalloc).ok() ? jemalloc : arrow::default_memory_pool();
  }();
  return pool;
}

}  // namespace latebind::promotion
