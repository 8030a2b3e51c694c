// Replacement global operator new/delete that count allocations (relaxed atomic increment: the
// count is read only between steps, after the thread pool has joined the step's work).
#include "alloc_counter.h"

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

namespace {

std::atomic<uint64_t> g_allocations{0};

void *countedAllocate(std::size_t size, std::size_t alignment) {
  if (size == 0)
    size = 1;
  void *p = nullptr;
  if (alignment <= alignof(std::max_align_t)) {
    p = std::malloc(size);
  } else {
    // aligned_alloc needs a size that is a multiple of the alignment.
    std::size_t rounded = (size + alignment - 1) / alignment * alignment;
    p = std::aligned_alloc(alignment, rounded);
  }
  if (p)
    g_allocations.fetch_add(1, std::memory_order_relaxed);
  return p;
}

void *allocateOrThrow(std::size_t size, std::size_t alignment) {
  void *p = countedAllocate(size, alignment);
  if (!p)
    throw std::bad_alloc();
  return p;
}

} // namespace

namespace tidemark {
namespace tiderun {
uint64_t HeapAllocations() { return g_allocations.load(std::memory_order_relaxed); }
} // namespace tiderun
} // namespace tidemark

void *operator new(std::size_t size) { return allocateOrThrow(size, 0); }
void *operator new[](std::size_t size) { return allocateOrThrow(size, 0); }
void *operator new(std::size_t size, const std::nothrow_t &) noexcept {
  return countedAllocate(size, 0);
}
void *operator new[](std::size_t size, const std::nothrow_t &) noexcept {
  return countedAllocate(size, 0);
}
void *operator new(std::size_t size, std::align_val_t alignment) {
  return allocateOrThrow(size, static_cast<std::size_t>(alignment));
}
void *operator new[](std::size_t size, std::align_val_t alignment) {
  return allocateOrThrow(size, static_cast<std::size_t>(alignment));
}
void *operator new(std::size_t size, std::align_val_t alignment, const std::nothrow_t &) noexcept {
  return countedAllocate(size, static_cast<std::size_t>(alignment));
}
void *operator new[](std::size_t size, std::align_val_t alignment,
                     const std::nothrow_t &) noexcept {
  return countedAllocate(size, static_cast<std::size_t>(alignment));
}

void operator delete(void *p) noexcept { std::free(p); }
void operator delete[](void *p) noexcept { std::free(p); }
void operator delete(void *p, std::size_t) noexcept { std::free(p); }
void operator delete[](void *p, std::size_t) noexcept { std::free(p); }
void operator delete(void *p, const std::nothrow_t &) noexcept { std::free(p); }
void operator delete[](void *p, const std::nothrow_t &) noexcept { std::free(p); }
void operator delete(void *p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void *p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void *p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void *p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void *p, std::align_val_t, const std::nothrow_t &) noexcept { std::free(p); }
void operator delete[](void *p, std::align_val_t, const std::nothrow_t &) noexcept { std::free(p); }
