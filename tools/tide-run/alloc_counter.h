// Counts heap allocations made through the global operator new (replaced in alloc_counter.cc for
// the tide-run binary only), so tide-run can report allocations per step.
#ifndef TIDEMARK_TOOLS_TIDE_RUN_ALLOC_COUNTER_H_
#define TIDEMARK_TOOLS_TIDE_RUN_ALLOC_COUNTER_H_

#include <cstdint>

namespace tidemark {
namespace tiderun {

// Number of successful operator new / new[] calls (every overload, any thread) since start.
uint64_t HeapAllocations();

} // namespace tiderun
} // namespace tidemark

#endif // TIDEMARK_TOOLS_TIDE_RUN_ALLOC_COUNTER_H_
