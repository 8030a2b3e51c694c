// The packing benchmark: arena/LOAD and time of every algorithm on the MiniMalloc suite (A-K) and
// on seeded random instances; prints one markdown table.
#include <cmath>
#include <cstdio>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "compiler/planning/ExactPacker.h"
#include "compiler/planning/LowerBound.h"
#include "compiler/planning/MiniMallocCsv.h"
#include "compiler/planning/Packing.h"
#include "compiler/planning/Verifier.h"

ABSL_FLAG(std::string, data_dir, TIDEMARK_DEFAULT_MINIMALLOC_DIR,
          "folder with the MiniMalloc instances A.1048576.csv .. K.1048576.csv");
ABSL_FLAG(std::string, instances, "A,B,C,D,E,F,G,H,I,J,K", "MiniMalloc instances to run");
ABSL_FLAG(std::string, random_sizes, "1000,10000,100000", "buffer counts of random instances");
ABSL_FLAG(std::string, algorithms, "naive,greedy-size,best-fit,exact,default", "algorithms");
ABSL_FLAG(double, time_limit, 10.0, "exact: seconds per instance");
ABSL_FLAG(double, polish_time, 1.0, "default: seconds of exact polish");
ABSL_FLAG(int64_t, capacity, 1048576, "exact on MiniMalloc instances: capacity to meet");
ABSL_FLAG(uint32_t, seed, 2026, "seed of the random instances");
ABSL_FLAG(std::string, traces, "",
          "comma-separated MiniMalloc CSV files exported from Tidemark's own plans "
          "(tide-assign-arena buffers-csv=...), packed with 64-byte alignment and no capacity");

namespace tp = tidemark::planning;

namespace {

struct Instance {
  std::string name;
  tp::Problem problem;
  bool miniMalloc = false;
};

/// n buffers on a schedule of 2n steps, 64-byte aligned. Sizes log-uniform over 256 B .. 4 MiB
/// (four orders of magnitude, like activations of different layers); lifetimes log-uniform over
/// 1 .. 2000 steps (most values die soon, a few live long, like saved activations).
tp::Problem randomProblem(int n, uint32_t seed) {
  std::mt19937_64 rng(seed + static_cast<uint32_t>(n));
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::uniform_int_distribution<int64_t> start(0, 2 * static_cast<int64_t>(n) - 1);
  tp::Problem problem;
  problem.alignment = 64;
  for (int i = 0; i < n; ++i) {
    int64_t size = static_cast<int64_t>(std::exp(std::log(256.0) + unit(rng) * std::log(16384.0)));
    int64_t length = static_cast<int64_t>(std::exp(unit(rng) * std::log(2000.0))) + 1;
    int64_t first = start(rng);
    problem.buffers.push_back({i, size, 0, first, first + length});
  }
  return problem;
}

/// CPU time of this thread. The packers are single-threaded, so on an idle machine this is the
/// wall time; on a shared one it is not inflated by other processes (and it is the clock the
/// exact search's time limit uses).
double cpuSeconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + 1e-9 * static_cast<double>(now.tv_nsec);
}

struct Cell {
  double ratio = 0, seconds = 0;
  bool fits = true, proven = false;
};

Cell runOne(const Instance &instance, const std::string &algorithm) {
  tp::Problem problem = instance.problem;
  bool capacityRun = algorithm == "exact" && instance.miniMalloc;
  if (capacityRun)
    problem.capacity = absl::GetFlag(FLAGS_capacity);
  tp::PackOptions options;
  options.timeLimitSeconds = absl::GetFlag(FLAGS_time_limit);
  options.polishSeconds = absl::GetFlag(FLAGS_polish_time);
  auto packer = tp::createPacker(algorithm);
  if (!packer.ok()) {
    std::fprintf(stderr, "%s\n", std::string(packer.status().message()).c_str());
    std::exit(1);
  }
  double start = cpuSeconds();
  tp::Solution solution = (*packer)->pack(problem, options);
  Cell cell;
  cell.seconds = cpuSeconds() - start;
  tp::Problem uncapped = problem;
  uncapped.capacity.reset();
  if (absl::Status status = tp::verifySolution(uncapped, solution); !status.ok()) {
    std::fprintf(stderr, "%s/%s: INVALID PLAN: %s\n", instance.name.c_str(), algorithm.c_str(),
                 std::string(status.message()).c_str());
    std::exit(1);
  }
  int64_t load = tp::computeLoad(problem);
  cell.ratio = load > 0 ? static_cast<double>(solution.arenaSize) / load : 1.0;
  cell.fits = !capacityRun || solution.arenaSize <= *problem.capacity;
  cell.proven = solution.provenOptimal;
  return cell;
}

std::string formatCell(const Cell &cell) {
  std::string time = cell.seconds < 1 ? absl::StrFormat("%.1f ms", cell.seconds * 1e3)
                                      : absl::StrFormat("%.2f s", cell.seconds);
  return absl::StrFormat("%.3f%s%s (%s)", cell.ratio, cell.proven ? "*" : "",
                         cell.fits ? "" : " NO FIT", time);
}

std::vector<Instance> loadInstances() {
  std::vector<Instance> instances;
  for (absl::string_view name :
       absl::StrSplit(absl::GetFlag(FLAGS_instances), ',', absl::SkipEmpty())) {
    std::string path =
        absl::StrFormat("%s/%s.1048576.csv", absl::GetFlag(FLAGS_data_dir), std::string(name));
    auto list = tp::readMiniMallocCsv(path, 1);
    if (!list.ok()) {
      std::fprintf(stderr, "%s\n", std::string(list.status().message()).c_str());
      std::exit(1);
    }
    instances.push_back({std::string(name), list->problem, true});
  }
  for (absl::string_view path :
       absl::StrSplit(absl::GetFlag(FLAGS_traces), ',', absl::SkipEmpty())) {
    auto list = tp::readMiniMallocCsv(std::string(path), 64);
    if (!list.ok()) {
      std::fprintf(stderr, "%s\n", std::string(list.status().message()).c_str());
      std::exit(1);
    }
    std::string name(path.substr(path.find_last_of('/') + 1));
    instances.push_back({name.substr(0, name.find('.')), list->problem, false});
  }
  for (absl::string_view count :
       absl::StrSplit(absl::GetFlag(FLAGS_random_sizes), ',', absl::SkipEmpty())) {
    int n = std::stoi(std::string(count));
    instances.push_back(
        {absl::StrFormat("random-%d", n), randomProblem(n, absl::GetFlag(FLAGS_seed)), false});
  }
  return instances;
}

} // namespace

int main(int argc, char **argv) {
  absl::ParseCommandLine(argc, argv);
  std::vector<std::string> algorithms =
      absl::StrSplit(absl::GetFlag(FLAGS_algorithms), ',', absl::SkipEmpty());
  std::vector<Instance> instances = loadInstances();
  std::printf("| instance | buffers |");
  for (const std::string &algorithm : algorithms)
    std::printf(" %s |", algorithm.c_str());
  std::printf("\n|---|---|");
  for (size_t i = 0; i < algorithms.size(); ++i)
    std::printf("---|");
  std::printf("\n");
  std::vector<double> logSum(algorithms.size(), 0.0);
  int miniMallocCount = 0;
  for (const Instance &instance : instances) {
    std::printf("| %s | %zu |", instance.name.c_str(), instance.problem.buffers.size());
    for (size_t a = 0; a < algorithms.size(); ++a) {
      Cell cell = runOne(instance, algorithms[a]);
      if (instance.miniMalloc)
        logSum[a] += std::log(cell.ratio);
      std::printf(" %s |", formatCell(cell).c_str());
      std::fflush(stdout);
    }
    miniMallocCount += instance.miniMalloc;
    std::printf("\n");
  }
  if (miniMallocCount > 0) {
    std::printf("| geomean A-K | |");
    for (double sum : logSum)
      std::printf(" %.3f |", std::exp(sum / miniMallocCount));
    std::printf("\n");
  }
  std::printf(
      "\nCells: arena/LOAD (CPU time of the packer); * = proven optimal; exact on A-K runs with "
      "--capacity %lld and NO FIT means it did not fit within --time_limit %.0f s.\n",
      static_cast<long long>(absl::GetFlag(FLAGS_capacity)), absl::GetFlag(FLAGS_time_limit));
  return 0;
}
