// Embedding example: build (or load) a plan, bind inputs, run steps, print outputs and statistics.
//
// Usage: embed [PLAN.tplan]
// Without an argument it builds a small plan with tidemark::PlanBuilder: a two-layer perceptron
// y = relu(x W1 + b1) W2 and its MSE loss against a target, batch 2. With a plan file it loads
// it, leaves every input at zero (runtime-owned buffers) and prints every output.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "tidemark/plan_builder.h"
#include "tidemark/runtime.h"

namespace {

using tidemark::KernelId;

// Arena (128 bytes): h [2,4] at 0 for steps 0-1; a [2,4] at 64 for steps 1-2; r [2,4] at 0 for
// steps 2-3 (h is dead after step 1, so r reuses its bytes). State: W1 at 0, b1 at 64, W2 at 128.
std::vector<uint8_t> buildPlan() {
  tidemark::PlanBuilder b;
  b.SetArena(128);
  b.SetState(192);
  int x = b.AddInput("x", {2, 3});
  int target = b.AddInput("target", {2, 2});
  int w1 = b.AddStateTensor("W1", {3, 4}, 0);
  int b1 = b.AddStateTensor("b1", {4}, 64);
  int w2 = b.AddStateTensor("W2", {4, 2}, 128);
  b.SetStateTensorValues(w1, {1, 0, -1, 0.5f, 0, 1, 1, 0.5f, 1, 1, 0, 0.5f});
  b.SetStateTensorValues(b1, {0, -1, 0.5f, -3});
  b.SetStateTensorValues(w2, {1, 0, 0, 1, 2, -2, 1, 1});
  int h = b.AddArenaTensor("h", {2, 4}, 0, 0, 1);
  int a = b.AddArenaTensor("a", {2, 4}, 64, 1, 2);
  int r = b.AddArenaTensor("r", {2, 4}, 0, 2, 3);
  int y = b.AddOutput("y", {2, 2});
  int loss = b.AddOutput("loss", {});
  b.AddStep(KernelId::kMatMul, {x, w1}, {h}, tidemark::MatMulAttributes{}, "fc1");
  b.AddStep(KernelId::kAdd, {h, b1}, {a}, {}, "bias1");
  b.AddStep(KernelId::kRelu, {a}, {r}, {}, "relu1");
  b.AddStep(KernelId::kMatMul, {r, w2}, {y}, tidemark::MatMulAttributes{}, "fc2");
  b.AddStep(KernelId::kMseLoss, {y, target}, {loss}, {}, "mse");
  tidemark::PlanStatistics stats;
  stats.load_bytes = 64; // Two [2,4] values live at once (steps 1 and 2).
  b.SetStatistics(stats);
  b.SetProducer("examples/embed");
  return b.Finish();
}

int fail(const char *what, const tidemark::Status &status) {
  std::fprintf(stderr, "embed: %s: %s\n", what, status.ToString().c_str());
  return 1;
}

void printOutputs(tidemark::Runtime &runtime) {
  for (const tidemark::TensorInfo &info : runtime.outputs()) {
    std::vector<float> values(info.size_bytes / sizeof(float));
    if (info.dtype != tidemark::DType::kF32 ||
        !runtime.ReadOutput(info.name, values.data(), info.size_bytes).ok())
      continue;
    std::printf("%s =", info.name.c_str());
    for (size_t i = 0; i < values.size() && i < 16; ++i)
      std::printf(" %g", values[i]);
    std::printf("%s\n", values.size() > 16 ? " ..." : "");
  }
}

} // namespace

int main(int argc, char **argv) {
  std::unique_ptr<tidemark::Runtime> runtime;
  tidemark::RuntimeOptions options;
  options.num_threads = 2;
  const bool built_in = argc < 2;
  std::vector<uint8_t> plan; // Must outlive the runtime only with PlanMemory::kBorrow.
  tidemark::Status status;
  if (built_in) {
    plan = buildPlan();
    status = tidemark::Runtime::LoadFromMemory(plan.data(), plan.size(),
                                               tidemark::PlanMemory::kCopy, options, &runtime);
  } else {
    status = tidemark::Runtime::LoadFromFile(argv[1], options, &runtime);
  }
  if (!status.ok())
    return fail("load", status);
  std::printf("arena %llu bytes, state %llu bytes\n",
              static_cast<unsigned long long>(runtime->arena_bytes()),
              static_cast<unsigned long long>(runtime->state_bytes()));

  // Inputs from caller memory (the built-in plan), or the zero-filled runtime-owned buffers.
  const float x[6] = {1, 2, 3, 0, -1, 1};
  const float target[4] = {6, 1, 1, 2};
  if (built_in) {
    status = runtime->BindInput("x", x, sizeof(x), tidemark::DType::kF32, {2, 3});
    if (status.ok())
      status = runtime->BindInput("target", target, sizeof(target), tidemark::DType::kF32, {2, 2});
    if (!status.ok())
      return fail("bind", status);
  }
  for (int step = 0; step < 3; ++step) {
    status = runtime->Run();
    if (!status.ok())
      return fail("run", status);
  }
  printOutputs(*runtime);
  const tidemark::RuntimeStatistics stats = runtime->statistics();
  std::printf("steps %llu, mean step %.3g ms, threads %d, planned LOAD %llu bytes\n",
              static_cast<unsigned long long>(stats.steps_run), stats.mean_step_seconds * 1e3,
              stats.num_threads, static_cast<unsigned long long>(stats.planned_load_bytes));
  return 0;
}
