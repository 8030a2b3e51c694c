// VmRSS / VmHWM from /proc/self/status, and the high-water-mark reset through clear_refs.
#include "process_memory.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace tidemark {
namespace tiderun {
namespace {

// The value in kB of the line starting with `key` (e.g. "VmRSS:"), times 1024; 0 if absent.
uint64_t fieldBytes(const char *text, const char *key) {
  const char *line = std::strstr(text, key);
  if (!line)
    return 0;
  return std::strtoull(line + std::strlen(key), nullptr, 10) * 1024u;
}

} // namespace

ResidentSet ReadResidentSet() {
  ResidentSet result;
  int fd = ::open("/proc/self/status", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return result;
  char text[8192];
  ssize_t total = 0;
  while (total < static_cast<ssize_t>(sizeof(text)) - 1) {
    ssize_t n = ::read(fd, text + total, sizeof(text) - 1 - static_cast<size_t>(total));
    if (n <= 0)
      break;
    total += n;
  }
  ::close(fd);
  text[total] = '\0';
  result.current_bytes = fieldBytes(text, "VmRSS:");
  result.peak_bytes = fieldBytes(text, "VmHWM:");
  result.valid = result.current_bytes > 0;
  return result;
}

bool ResetPeakResidentSet() {
  int fd = ::open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  bool ok = ::write(fd, "5", 1) == 1;
  ::close(fd);
  return ok;
}

} // namespace tiderun
} // namespace tidemark
