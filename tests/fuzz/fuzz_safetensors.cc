// fuzz_safetensors: libFuzzer target for the safetensors reader (runtime/weights/safetensors.cc).
//
// Each input is a whole file. It is parsed from memory (ParseSafetensors) and read from a file
// descriptor (ReadSafetensors on /proc/self/fd/N of an in-memory file), which take different
// paths through the reader. Findings besides sanitizer reports (each aborts with a message):
//   - a failed status with an empty message;
//   - the two readers disagree (status code, or the tensors and metadata they return);
//   - a file that parses and serializes again does not parse back to the same tensors.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "tidemark/safetensors.h"

namespace {

using tidemark::Status;
using tidemark::WeightsFile;

[[noreturn]] void finding(const char *what, const std::string &detail) {
  std::fprintf(stderr, "fuzz_safetensors finding: %s: %s\n", what, detail.c_str());
  std::abort();
}

void checkMessage(const char *call, const Status &status) {
  if (!status.ok() && status.message().empty())
    finding(call, "failed with an empty message");
}

bool sameFile(const WeightsFile &a, const WeightsFile &b) {
  if (a.metadata != b.metadata || a.tensors.size() != b.tensors.size())
    return false;
  for (size_t i = 0; i < a.tensors.size(); ++i) {
    const tidemark::WeightTensor &x = a.tensors[i], &y = b.tensors[i];
    if (x.name != y.name || x.dtype != y.dtype || x.shape != y.shape || x.bytes != y.bytes)
      return false;
  }
  return true;
}

// ReadSafetensors on the input, through an anonymous in-memory file (no disk, no cleanup).
Status readThroughFile(const uint8_t *data, size_t size, WeightsFile *out) {
  int fd = memfd_create("fuzz_safetensors", 0);
  if (fd < 0)
    finding("memfd_create", "cannot create an in-memory file");
  for (size_t done = 0; done < size;) {
    ssize_t n = write(fd, data + done, size - done);
    if (n <= 0)
      finding("write", "cannot write the in-memory file");
    done += size_t(n);
  }
  Status status = tidemark::ReadSafetensors("/proc/self/fd/" + std::to_string(fd), out);
  close(fd);
  return status;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  WeightsFile parsed;
  Status status = tidemark::ParseSafetensors(data, size, &parsed);
  checkMessage("ParseSafetensors", status);

  WeightsFile read;
  Status readStatus = readThroughFile(data, size, &read);
  checkMessage("ReadSafetensors", readStatus);
  if (status.code() != readStatus.code())
    finding("ParseSafetensors and ReadSafetensors disagree",
            status.ToString() + " vs " + readStatus.ToString());
  if (!status.ok())
    return 0;
  if (!sameFile(parsed, read))
    finding("ParseSafetensors and ReadSafetensors disagree", "different tensors or metadata");

  std::vector<uint8_t> bytes;
  Status serialized = tidemark::SerializeSafetensors(parsed, &bytes);
  checkMessage("SerializeSafetensors", serialized);
  if (!serialized.ok())
    return 0; // E.g. a name the writer reserves; the reader may accept it.
  WeightsFile again;
  Status reparsed = tidemark::ParseSafetensors(bytes.data(), bytes.size(), &again);
  if (!reparsed.ok())
    finding("a serialized file does not parse", reparsed.ToString());
  if (!sameFile(parsed, again))
    finding("round trip", "parse(serialize(file)) differs from file");
  return 0;
}
