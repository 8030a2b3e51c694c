//===- Report.cpp - tidec's plan report (text and JSON) -------------------===//
//
// Both reports carry the same facts; the JSON keys are documented in docs/tidec.md.
//
//===----------------------------------------------------------------------===//

#include "Report.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>

namespace tidec {
namespace {

double mib(int64_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); }

double ratio(int64_t numerator, int64_t denominator) {
  return denominator > 0 ? static_cast<double>(numerator) / static_cast<double>(denominator) : 0;
}

void bytesLine(llvm::raw_ostream &os, const char *label, int64_t bytes, const char *note = "") {
  os << llvm::format("  %-15s %14lld B  %10.2f MiB", label, static_cast<long long>(bytes),
                     mib(bytes))
     << note << "\n";
}

void writeBuffersAtPeak(llvm::raw_ostream &os, const mlir::tide::PlanSummary &s) {
  if (s.peakStep < 0)
    return;
  os << "peak at step " << s.peakStep << " of " << s.numBlockSteps << ": " << s.peakOp << "\n";
  size_t shown = std::min(kReportedPeakBuffers, s.liveAtPeak.size());
  os << "largest buffers live at the peak (" << shown << " of " << s.liveAtPeak.size() << "):\n";
  os << "           bytes  steps          kind        buffer (op)\n";
  for (size_t i = 0; i < shown; ++i) {
    const mlir::tide::PlanBuffer &b = s.buffers[s.liveAtPeak[i]];
    std::string interval =
        "[" + std::to_string(b.firstStep) + ", " + std::to_string(b.lastStep) + "]";
    os << llvm::format("  %14lld  %-13s  %-10s  ", static_cast<long long>(b.bytes),
                       interval.c_str(), mlir::tide::bufferKindName(b.kind))
       << b.name << " (" << b.opName << (b.location.empty() ? "" : ", " + b.location) << ")\n";
  }
}

/// "  fused: attention 1, layer_norm 1 (not fused: gelu 1)"; patterns with neither are left out.
void writeFusions(llvm::raw_ostream &os, const CompileResult &r) {
  std::string fused, refused;
  for (const auto &[key, count] : r.fusions) {
    if (count == 0)
      continue;
    llvm::StringRef name(key);
    bool isRefused = name.consume_back("_not_fused");
    std::string &list = isRefused ? refused : fused;
    list += (list.empty() ? "" : ", ") + name.str() + " " + std::to_string(count);
  }
  os << "  fused: " << (fused.empty() ? "nothing" : fused);
  if (!refused.empty())
    os << " (candidates not fused: " << refused << ")";
  os << "\n";
}

} // namespace

std::string formatTextReport(const CompileResult &r, const ReportContext &c) {
  const mlir::tide::PlanSummary &s = r.summary;
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "tidec: " << c.input;
  if (!c.output.empty())
    os << " -> " << c.output << " (" << r.plan.size() << " plan bytes)";
  os << "\n  training " << (c.train.empty() ? "none (inference)" : c.train) << ", remat "
     << r.rematPolicy << ", " << s.numPlanSteps << " kernel steps\n";
  if (!r.optimizer.empty())
    os << "  optimizer " << r.optimizer << "\n";
  if (c.maxBatch)
    os << "  max batch       " << *c.maxBatch << "\n";
  bytesLine(os, "state", s.stateBytes, "  parameters + optimizer state");
  bytesLine(os, "arena", s.arenaBytes);
  bytesLine(os, "LOAD", r.loadBytes, "  most bytes live at one step (lower bound)");
  os << llvm::format("  arena / LOAD    %14.4f\n", ratio(s.arenaBytes, r.loadBytes));
  bytesLine(os, "I/O", s.ioBytes, "  inputs + outputs");
  bytesLine(os, "peak", s.peakBytes, "  state + arena + I/O");
  std::string scratchNote = "  kernel scratch on " + std::to_string(s.scratchThreads) +
                            " thread(s), allocated by the runtime on top";
  bytesLine(os, "scratch", s.scratchBytes, scratchNote.c_str());
  if (r.budgetBytes)
    bytesLine(os, "arena budget", *r.budgetBytes);
  os << llvm::format("  recomputation   %14lld FLOPs (%.2f%% of the step's %lld)\n",
                     static_cast<long long>(r.extraFlops),
                     100.0 * ratio(r.extraFlops, r.totalFlops),
                     static_cast<long long>(r.totalFlops));
  os << "  values kept " << r.valuesKept << ", ops recomputed " << r.opsRecomputed << "\n";
  if (r.fused)
    writeFusions(os, r);
  writeBuffersAtPeak(os, s);
  os << "time per pass:\n";
  for (const auto &[name, seconds] : r.passSeconds)
    os << llvm::format("  %-20s %9.3f ms\n", name.c_str(), seconds * 1e3);
  return text;
}

std::string formatJsonReport(const CompileResult &r, const ReportContext &c) {
  const mlir::tide::PlanSummary &s = r.summary;
  std::string text;
  llvm::raw_string_ostream os(text);
  llvm::json::OStream j(os, 2);
  j.object([&] {
    j.attribute("input", c.input);
    j.attribute("output", c.output);
    j.attribute("plan_bytes", static_cast<int64_t>(r.plan.size()));
    j.attribute("training", c.train.empty() ? "none" : c.train);
    j.attribute("remat", r.rematPolicy);
    j.attribute("optimizer", r.optimizer);
    if (c.maxBatch)
      j.attribute("max_batch", *c.maxBatch);
    j.attribute("budget_bytes", r.budgetBytes ? llvm::json::Value(*r.budgetBytes) : nullptr);
    j.attribute("state_bytes", s.stateBytes);
    j.attribute("arena_bytes", s.arenaBytes);
    j.attribute("load_bytes", r.loadBytes);
    j.attribute("arena_over_load", ratio(s.arenaBytes, r.loadBytes));
    j.attribute("io_bytes", s.ioBytes);
    j.attribute("peak_bytes", s.peakBytes);
    j.attribute("scratch_bytes", s.scratchBytes);
    j.attribute("scratch_threads", s.scratchThreads);
    j.attribute("extra_flops", r.extraFlops);
    j.attribute("step_flops", r.totalFlops);
    j.attribute("values_kept", r.valuesKept);
    j.attribute("ops_recomputed", r.opsRecomputed);
    if (r.fused)
      j.attributeObject("fusions", [&] {
        for (const auto &[key, count] : r.fusions)
          j.attribute(key, count);
      });
    else
      j.attribute("fusions", nullptr);
    j.attribute("ops", s.numBlockSteps);
    j.attribute("kernel_steps", s.numPlanSteps);
    j.attribute("peak_step", s.peakStep);
    j.attribute("peak_op", s.peakOp);
    j.attributeArray("largest_at_peak", [&] {
      for (size_t i = 0; i < std::min(kReportedPeakBuffers, s.liveAtPeak.size()); ++i) {
        const mlir::tide::PlanBuffer &b = s.buffers[s.liveAtPeak[i]];
        j.object([&] {
          j.attribute("name", b.name);
          j.attribute("op", b.opName);
          j.attribute("location", b.location);
          j.attribute("bytes", b.bytes);
          j.attribute("offset", b.offset);
          j.attribute("first_step", b.firstStep);
          j.attribute("last_step", b.lastStep);
          j.attribute("kind", mlir::tide::bufferKindName(b.kind));
        });
      }
    });
    j.attributeArray("pass_seconds", [&] {
      for (const auto &[name, seconds] : r.passSeconds)
        j.object([&] {
          j.attribute("pass", name);
          j.attribute("seconds", seconds);
        });
    });
  });
  os << "\n";
  return text;
}

} // namespace tidec
