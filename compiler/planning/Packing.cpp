// The packer registry and packProblem, the verified front door (see Packing.h).
#include "compiler/planning/Packing.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "compiler/planning/ExactPacker.h"
#include "compiler/planning/Heuristics.h"
#include "compiler/planning/LowerBound.h"
#include "compiler/planning/Verifier.h"

namespace tidemark::planning {
namespace {

class NaivePacker final : public Packer {
public:
  std::string_view name() const override { return "naive"; }
  Solution pack(const Problem &problem, const PackOptions &) const override {
    return packNaive(problem);
  }
};

class GreedyBySizePacker final : public Packer {
public:
  std::string_view name() const override { return "greedy-size"; }
  Solution pack(const Problem &problem, const PackOptions &) const override {
    return packGreedyBySize(problem);
  }
};

class BestFitPacker final : public Packer {
public:
  std::string_view name() const override { return "best-fit"; }
  Solution pack(const Problem &problem, const PackOptions &) const override {
    return packBestFit(problem);
  }
};

class ExactPacker final : public Packer {
public:
  std::string_view name() const override { return "exact"; }
  Solution pack(const Problem &problem, const PackOptions &options) const override {
    ExactOptions exact;
    exact.timeLimitSeconds = options.timeLimitSeconds;
    return solveExact(problem, exact).solution;
  }
};

/// Heuristics first (the better of greedy-size and best-fit), then `exact` polish from there
/// under PackOptions::polishSeconds. Never worse than greedy-size: the polish starts from the
/// heuristic placement and only ever replaces it by a smaller one.
class DefaultPacker final : public Packer {
public:
  std::string_view name() const override { return "default"; }
  Solution pack(const Problem &problem, const PackOptions &options) const override {
    Solution greedy = packGreedyBySize(problem);
    Solution bestFit = packBestFit(problem);
    ExactOptions exact;
    exact.timeLimitSeconds = options.polishSeconds;
    exact.initial = bestFit.arenaSize < greedy.arenaSize ? bestFit : greedy;
    if (problem.capacity && exact.initial->arenaSize <= *problem.capacity)
      exact.initial->provenOptimal = exact.initial->arenaSize <= computeLoad(problem);
    Problem minimise = problem; // polish minimises the arena, whatever the capacity
    minimise.capacity.reset();
    return solveExact(minimise, exact).solution;
  }
};

} // namespace

std::vector<std::string> packerNames() {
  return {"naive", "greedy-size", "best-fit", "exact", "default"};
}

absl::StatusOr<std::unique_ptr<Packer>> createPacker(std::string_view name) {
  if (name == "naive")
    return std::make_unique<NaivePacker>();
  if (name == "greedy-size")
    return std::make_unique<GreedyBySizePacker>();
  if (name == "best-fit")
    return std::make_unique<BestFitPacker>();
  if (name == "exact")
    return std::make_unique<ExactPacker>();
  if (name == "default")
    return std::make_unique<DefaultPacker>();
  return absl::InvalidArgumentError(
      absl::StrCat("unknown algorithm '", std::string(name),
                   "'; choose one of: ", absl::StrJoin(packerNames(), ", ")));
}

absl::StatusOr<PackReport> packProblem(const Problem &problem, std::string_view name,
                                       const PackOptions &options) {
  if (absl::Status status = validateProblem(problem); !status.ok())
    return status;
  absl::StatusOr<std::unique_ptr<Packer>> packer = createPacker(name);
  if (!packer.ok())
    return packer.status();
  PackReport report;
  report.load = computeLoad(problem);
  auto start = std::chrono::steady_clock::now();
  report.solution = (*packer)->pack(problem, options);
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  report.solution.provenOptimal |= report.solution.arenaSize <= report.load;
  // The verifier checks the plan against the problem without its capacity first, so that a
  // capacity miss is reported as such and not as a broken plan.
  Problem uncapped = problem;
  uncapped.capacity.reset();
  if (absl::Status status = verifySolution(uncapped, report.solution); !status.ok())
    return absl::InternalError(absl::StrCat("algorithm '", std::string(name),
                                            "' produced an invalid plan (a packer bug; the plan "
                                            "was discarded): ",
                                            status.message()));
  if (problem.capacity && report.solution.arenaSize > *problem.capacity)
    return absl::ResourceExhaustedError(absl::StrCat(
        "cannot fit the buffers in the capacity of ", *problem.capacity,
        " bytes: the smallest arena found by '", std::string(name), "' is ",
        report.solution.arenaSize, " bytes (LOAD, the lower bound, is ", report.load, " bytes)"));
  return report;
}

} // namespace tidemark::planning
