// fuzz_pack_csv: libFuzzer target for tide-pack's MiniMalloc CSV reader and the packers behind it.
//
// Each input is CSV text. It is parsed (parseMiniMallocCsv); a file that parses is written back
// with formatMiniMallocCsv and parsed again, and, when it is small, packed by the heuristics and
// by `exact` under a short time limit through packProblem, which runs the independent verifier.
// Findings besides sanitizer reports (each aborts with a message):
//   - an error status with an empty message;
//   - the written CSV does not parse back to the same buffers and ids;
//   - packProblem returns Internal (the verifier rejected a packer's placement).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "compiler/planning/MiniMallocCsv.h"
#include "compiler/planning/Packing.h"

namespace {

using tidemark::planning::CsvBufferList;

// Packing costs O(n^2) and more; larger inputs exercise the reader only.
constexpr size_t kMaxPackedBuffers = 64;

[[noreturn]] void finding(const char *what, const std::string &detail) {
  std::fprintf(stderr, "fuzz_pack_csv finding: %s: %s\n", what, detail.c_str());
  std::abort();
}

void checkMessage(const char *call, const absl::Status &status) {
  if (!status.ok() && status.message().empty())
    finding(call, "failed with an empty message");
}

bool sameBuffers(const CsvBufferList &a, const CsvBufferList &b) {
  if (a.names != b.names || a.problem.buffers.size() != b.problem.buffers.size())
    return false;
  for (size_t i = 0; i < a.problem.buffers.size(); ++i) {
    const tidemark::planning::Buffer &x = a.problem.buffers[i], &y = b.problem.buffers[i];
    if (x.id != y.id || x.size != y.size || x.start != y.start || x.end != y.end)
      return false;
  }
  return true;
}

void pack(const CsvBufferList &list, int64_t alignment) {
  tidemark::planning::Problem problem = list.problem;
  problem.alignment = alignment;
  tidemark::planning::PackOptions options;
  options.timeLimitSeconds = 0.005;
  options.polishSeconds = 0.005;
  for (const char *algorithm : {"naive", "greedy-size", "best-fit", "exact", "default"}) {
    absl::StatusOr<tidemark::planning::PackReport> report =
        tidemark::planning::packProblem(problem, algorithm, options);
    checkMessage(algorithm, report.status());
    if (report.status().code() == absl::StatusCode::kInternal)
      finding(algorithm, std::string(report.status().message()));
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string_view text(reinterpret_cast<const char *>(data), size);
  // tide-pack's default alignment is 1; some inputs also try a power of two the packers round to.
  const int64_t alignment = size % 3 == 0 ? int64_t{1} << (size % 13) : 1;
  absl::StatusOr<CsvBufferList> list = tidemark::planning::parseMiniMallocCsv(text, alignment);
  checkMessage("parseMiniMallocCsv", list.status());
  if (!list.ok())
    return 0;

  tidemark::planning::Solution placed;
  placed.offsets.assign(list->problem.buffers.size(), 0);
  std::string written = tidemark::planning::formatMiniMallocCsv(*list, placed);
  absl::StatusOr<CsvBufferList> again = tidemark::planning::parseMiniMallocCsv(written, alignment);
  if (!again.ok())
    finding("the written CSV does not parse", std::string(again.status().message()));
  if (!sameBuffers(*list, *again))
    finding("round trip", "parse(format(list)) differs from list");

  if (list->problem.buffers.size() <= kMaxPackedBuffers)
    pack(*list, alignment);
  return 0;
}
