// make_plan_seeds: writes the fuzz_plan target's generated seed corpus, and checks seed corpora.
//
//   make_plan_seeds OUT_DIR        writes one small plan per kernel id (and variants: batched
//                                  and transposed MatMul, causal attention, SGD with momentum),
//                                  plus two multi-step plans with arena tensors, a view and a
//                                  constant; every plan must pass the runtime's loader.
//   make_plan_seeds --check DIR..  exits non-zero unless every *.tplan in the directories passes
//                                  the loader (the committed seeds in tests/fuzz/corpus/plan).
// Tiny shapes keep each seed's step fast, so the fuzzer spends its time on mutations.
#include <dirent.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "runtime/plan/loaded_plan.h"
#include "tidemark/plan_builder.h"

namespace {

using tidemark::DType;
using tidemark::KernelId;
using tidemark::PlanBuilder;
using Shape = std::vector<int64_t>;

struct Operand {
  Shape shape;
  DType dtype = DType::kF32;
  bool state = false; // A State tensor (optimizer parameters and slots), else an input.
};

struct Seed {
  std::string name;
  std::vector<uint8_t> bytes;
};

int64_t bytesOf(const Shape &shape) {
  int64_t n = 4;
  for (int64_t d : shape)
    n *= d;
  return (n + 63) / 64 * 64;
}

// One step: the operands are inputs or state tensors, the results outputs, except that a result
// listed in `in_place` (an operand index) updates that operand.
std::vector<uint8_t> oneStep(KernelId kernel, const std::vector<Operand> &operands,
                             const std::vector<Shape> &results, tidemark::StepAttributes attrs,
                             const std::vector<int> &in_place = {}) {
  PlanBuilder b;
  uint64_t state = 0;
  std::vector<int> ins, outs;
  for (size_t i = 0; i < operands.size(); ++i) {
    const Operand &o = operands[i];
    std::string name = "in" + std::to_string(i);
    if (o.state) {
      ins.push_back(b.AddStateTensor(name, o.shape, state, o.dtype));
      state += uint64_t(bytesOf(o.shape));
    } else {
      ins.push_back(b.AddInput(name, o.shape, o.dtype));
    }
  }
  for (size_t i = 0; i < results.size(); ++i) {
    if (i < in_place.size() && in_place[i] >= 0)
      outs.push_back(ins[size_t(in_place[i])]);
    else
      outs.push_back(b.AddOutput("out" + std::to_string(i), results[i]));
  }
  b.SetState(state);
  b.AddStep(kernel, ins, outs, std::move(attrs), tidemark::KernelIdName(kernel));
  b.SetProducer("make_plan_seeds");
  return b.Finish();
}

void addElementwise(std::vector<Seed> &seeds) {
  const Shape x = {2, 3};
  for (KernelId k : {KernelId::kAdd, KernelId::kSub, KernelId::kMul, KernelId::kDiv})
    seeds.push_back({tidemark::KernelIdName(k), oneStep(k, {{x}, {{3}}}, {x}, {})});
  for (KernelId k :
       {KernelId::kAddGrad, KernelId::kSubGrad, KernelId::kMulGrad, KernelId::kDivGrad})
    seeds.push_back({tidemark::KernelIdName(k),
                     oneStep(k, {{x}, {{3}}, {x}}, {{3}}, tidemark::BinaryGradAttributes{1})});
  for (KernelId k : {KernelId::kRelu, KernelId::kTanh, KernelId::kExp, KernelId::kGeluTanh,
                     KernelId::kGeluErf, KernelId::kCopy})
    seeds.push_back({tidemark::KernelIdName(k), oneStep(k, {{x}}, {x}, {})});
  for (KernelId k : {KernelId::kReluGrad, KernelId::kTanhGrad, KernelId::kExpGrad,
                     KernelId::kGeluTanhGrad, KernelId::kGeluErfGrad})
    seeds.push_back({tidemark::KernelIdName(k), oneStep(k, {{x}, {x}}, {x}, {})});
  seeds.push_back({"Reshape", oneStep(KernelId::kReshape, {{x}}, {{6}}, {})});
  seeds.push_back({"Fill", oneStep(KernelId::kFill, {}, {x}, tidemark::FillAttributes{1.5f})});
  seeds.push_back({"Transpose", oneStep(KernelId::kTranspose, {{x}}, {{3, 2}},
                                        tidemark::TransposeAttributes{{1, 0}})});
  seeds.push_back({"ReduceToShape", oneStep(KernelId::kReduceToShape, {{x}}, {{3}}, {})});
}

void addReductionsAndNorms(std::vector<Seed> &seeds) {
  const Shape x = {2, 3};
  seeds.push_back({"ReduceSum", oneStep(KernelId::kReduceSum, {{x}}, {{2}},
                                        tidemark::ReduceAttributes{{1}, false})});
  seeds.push_back({"ReduceMean-keep", oneStep(KernelId::kReduceMean, {{x}}, {{1, 3}},
                                              tidemark::ReduceAttributes{{0}, true})});
  seeds.push_back({"ReduceSumGrad", oneStep(KernelId::kReduceSumGrad, {{{2}}}, {x},
                                            tidemark::ReduceAttributes{{1}, false})});
  seeds.push_back({"ReduceMeanGrad", oneStep(KernelId::kReduceMeanGrad, {{{2}}}, {x},
                                             tidemark::ReduceAttributes{{1}, false})});
  seeds.push_back({"Softmax", oneStep(KernelId::kSoftmax, {{x}}, {x}, {})});
  seeds.push_back({"SoftmaxGrad", oneStep(KernelId::kSoftmaxGrad, {{x}, {x}}, {x},
                                          tidemark::SoftmaxAttributes{0})});
  const Shape row = {2, 4}, d = {4}, stat = {2};
  seeds.push_back({"LayerNorm", oneStep(KernelId::kLayerNorm, {{row}, {d}, {d}}, {row, stat, stat},
                                        tidemark::LayerNormAttributes{})});
  seeds.push_back({"LayerNormGrad", oneStep(KernelId::kLayerNormGrad,
                                            {{row}, {d}, {stat}, {stat}, {row}}, {row, d, d}, {})});
}

void addLossesAndOptimizers(std::vector<Seed> &seeds) {
  const Shape x = {2, 3}, scalar = {};
  const Operand labels = {{2}, DType::kI32};
  seeds.push_back({"MseLoss", oneStep(KernelId::kMseLoss, {{x}, {x}}, {scalar}, {})});
  seeds.push_back({"MseLossGrad", oneStep(KernelId::kMseLossGrad, {{x}, {x}, {scalar}}, {x}, {})});
  seeds.push_back({"SoftmaxCrossEntropy",
                   oneStep(KernelId::kSoftmaxCrossEntropy, {{x}, labels}, {scalar}, {})});
  seeds.push_back({"SoftmaxCrossEntropyGrad",
                   oneStep(KernelId::kSoftmaxCrossEntropyGrad, {{x}, labels, {scalar}}, {x}, {})});
  const Operand param = {x, DType::kF32, true};
  seeds.push_back({"SgdUpdate", oneStep(KernelId::kSgdUpdate, {param, {x}}, {x},
                                        tidemark::SgdAttributes{0.1f, 0.0f, 0.0f}, {0})});
  seeds.push_back(
      {"SgdUpdate-momentum", oneStep(KernelId::kSgdUpdate, {param, {x}, param}, {x, x},
                                     tidemark::SgdAttributes{0.1f, 0.9f, 0.01f}, {0, 2})});
  seeds.push_back({"AdamUpdate", oneStep(KernelId::kAdamUpdate, {param, {x}, param, param},
                                         {x, x, x}, tidemark::AdamAttributes{}, {0, 2, 3})});
}

void addMatMulAndAttention(std::vector<Seed> &seeds) {
  seeds.push_back({"MatMul", oneStep(KernelId::kMatMul, {{{2, 3}}, {{3, 4}}}, {{2, 4}},
                                     tidemark::MatMulAttributes{})});
  seeds.push_back(
      {"MatMul-batched-tb", oneStep(KernelId::kMatMul, {{{2, 2, 3}}, {{4, 3}}}, {{2, 2, 4}},
                                    tidemark::MatMulAttributes{false, true, 0.5f, false})});
  seeds.push_back(
      {"MatMul-ta-accumulate", oneStep(KernelId::kMatMul, {{{3, 2}}, {{3, 4}}}, {{2, 4}},
                                       tidemark::MatMulAttributes{true, false, 1.0f, true})});
  const Shape q = {1, 2, 3, 4}, kv = {1, 2, 5, 4}, lse = {1, 2, 3};
  tidemark::AttentionAttributes attrs;
  attrs.q_chunk = 2;
  attrs.k_chunk = 2;
  seeds.push_back({"Attention", oneStep(KernelId::kAttention, {{q}, {kv}, {kv}}, {q, lse}, attrs)});
  attrs.causal = true;
  attrs.q_chunk = 3;
  seeds.push_back(
      {"Attention-causal", oneStep(KernelId::kAttention, {{q}, {kv}, {kv}}, {q, lse}, attrs)});
  seeds.push_back(
      {"AttentionGrad",
       oneStep(KernelId::kAttentionGrad, {{q}, {kv}, {kv}, {q}, {lse}, {q}}, {q, kv, kv}, attrs)});
}

// y = relu(x W + b) through the arena, with a reshape view and a constant scale.
std::vector<uint8_t> perceptron() {
  PlanBuilder b;
  b.SetArena(512);
  b.SetState(128);
  int x = b.AddInput("x", {4, 3});
  int w = b.AddStateTensor("W", {3, 5}, 0);
  int bias = b.AddStateTensor("b", {5}, 64);
  int scale = b.AddConstant("scale", {1}, {0.5f});
  int h = b.AddArenaTensor("h", {4, 5}, 0);
  int z = b.AddArenaTensor("z", {4, 5}, 128);
  int flat = b.AddView("z.flat", {20}, z);
  int s = b.AddArenaTensor("s", {20}, 256);
  int y = b.AddOutput("y", {20});
  std::vector<float> values(15, 0.25f);
  b.SetStateTensorValues(w, values);
  b.AddStep(KernelId::kMatMul, {x, w}, {h}, tidemark::MatMulAttributes{}, "fc");
  b.AddStep(KernelId::kAdd, {h, bias}, {z}, {}, "bias");
  b.AddStep(KernelId::kMul, {flat, scale}, {s}, {}, "scale");
  b.AddStep(KernelId::kRelu, {s}, {y}, {}, "relu");
  b.AssignLiveIntervalsFromSteps();
  b.SetProducer("make_plan_seeds");
  return b.Finish();
}

// A training step of a linear model with MSE and SGD; arena bytes reused across steps.
std::vector<uint8_t> linearTraining() {
  PlanBuilder b;
  b.SetArena(192);
  b.SetState(64);
  int x = b.AddInput("x", {2, 3});
  int target = b.AddInput("target", {2, 1});
  int w = b.AddStateTensor("w", {3, 1}, 0);
  int loss = b.AddOutput("loss", {});
  int pred = b.AddArenaTensor("pred", {2, 1}, 0);
  int one = b.AddConstant("one", {}, {1.0f});
  int dpred = b.AddArenaTensor("dpred", {2, 1}, 64);
  int dw = b.AddArenaTensor("dw", {3, 1}, 0); // pred is dead by then: same bytes.
  b.AddStep(KernelId::kMatMul, {x, w}, {pred});
  b.AddStep(KernelId::kMseLoss, {pred, target}, {loss});
  b.AddStep(KernelId::kMseLossGrad, {pred, target, one}, {dpred});
  b.AddStep(KernelId::kMatMul, {x, dpred}, {dw}, tidemark::MatMulAttributes{true, false, 1, false});
  b.AddStep(KernelId::kSgdUpdate, {w, dw}, {w}, tidemark::SgdAttributes{0.1f, 0.0f, 0.0f});
  b.AssignLiveIntervalsFromSteps();
  b.SetProducer("make_plan_seeds");
  return b.Finish();
}

bool verify(const std::string &what, const std::vector<uint8_t> &bytes) {
  tidemark::LoadedPlan plan;
  tidemark::Status status = tidemark::LoadAndVerifyPlan(bytes.data(), bytes.size(), &plan);
  if (!status.ok())
    std::fprintf(stderr, "make_plan_seeds: %s: %s\n", what.c_str(), status.ToString().c_str());
  return status.ok();
}

int writeSeeds(const std::string &dir) {
  std::vector<Seed> seeds;
  addElementwise(seeds);
  addReductionsAndNorms(seeds);
  addLossesAndOptimizers(seeds);
  addMatMulAndAttention(seeds);
  seeds.push_back({"perceptron", perceptron()});
  seeds.push_back({"linear-training", linearTraining()});
  bool ok = true;
  for (const Seed &seed : seeds) {
    ok &= verify(seed.name, seed.bytes);
    std::ofstream out(dir + "/" + seed.name + ".tplan", std::ios::binary);
    out.write(reinterpret_cast<const char *>(seed.bytes.data()),
              std::streamsize(seed.bytes.size()));
    if (!out) {
      std::fprintf(stderr, "make_plan_seeds: cannot write %s/%s.tplan\n", dir.c_str(),
                   seed.name.c_str());
      return 1;
    }
  }
  return ok ? 0 : 1;
}

int checkDirectory(const std::string &dir, int *count) {
  DIR *d = opendir(dir.c_str());
  if (!d) {
    std::fprintf(stderr, "make_plan_seeds: cannot open %s\n", dir.c_str());
    return 1;
  }
  bool ok = true;
  while (dirent *entry = readdir(d)) {
    std::string name = entry->d_name;
    if (name.size() < 6 || name.compare(name.size() - 6, 6, ".tplan") != 0)
      continue;
    std::ifstream in(dir + "/" + name, std::ios::binary);
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), {});
    ok &= verify(dir + "/" + name, bytes);
    ++*count;
  }
  closedir(d);
  return ok ? 0 : 1;
}

} // namespace

int main(int argc, char **argv) {
  if (argc >= 3 && std::string(argv[1]) == "--check") {
    int failed = 0, count = 0;
    for (int i = 2; i < argc; ++i)
      failed |= checkDirectory(argv[i], &count);
    std::printf("make_plan_seeds: %d seed plans checked, %s\n", count,
                failed ? "some fail the loader" : "all pass the loader");
    return failed || count == 0 ? 1 : 0;
  }
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_plan_seeds OUT_DIR | make_plan_seeds --check DIR...\n");
    return 1;
  }
  return writeSeeds(argv[1]);
}
