// Resident-set measurements of the current process from /proc/self (Linux).
#ifndef TIDEMARK_TOOLS_TIDE_RUN_PROCESS_MEMORY_H_
#define TIDEMARK_TOOLS_TIDE_RUN_PROCESS_MEMORY_H_

#include <cstdint>

namespace tidemark {
namespace tiderun {

struct ResidentSet {
  bool valid = false;         // False when /proc/self/status could not be read.
  uint64_t current_bytes = 0; // VmRSS.
  uint64_t peak_bytes = 0;    // VmHWM: the high-water mark since start or the last reset.
};

// Reads VmRSS and VmHWM. Allocation-free (reads into a stack buffer).
ResidentSet ReadResidentSet();

// Resets VmHWM to the current RSS (writes "5" to /proc/self/clear_refs). Returns false where the
// kernel does not allow it; the high-water mark then still counts from process start.
bool ResetPeakResidentSet();

} // namespace tiderun
} // namespace tidemark

#endif // TIDEMARK_TOOLS_TIDE_RUN_PROCESS_MEMORY_H_
