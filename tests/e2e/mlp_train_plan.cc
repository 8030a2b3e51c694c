// e2e-mlp-plan: writes the training-step plan of tide-models' one-hidden-layer MLP (ReLU, softmax
// cross-entropy) by hand with PlanBuilder, for the end-to-end checks while tidec cannot.
//
// usage: e2e-mlp-plan --optimizer sgd|adam --lr LR --batch B --features D --hidden H
//                     --classes C --packing none|reuse -o OUT.tplan
// Steps of the plan (parameter names as tide-models mlp: layers.0.*, layers.1.*):
//   forward  h = x W0; z = h + b0; a = relu(z); u = a W1; y = u + b1; loss = CE(y, labels)
//   backward dy = CE'(y); dW1 = a^T dy; db1 = sum_rows dy; da = dy W1^T; dz = relu'(z, da);
//            dW0 = x^T dz; db0 = sum_rows dz
//   update   SGD (no momentum) or Adam (state slots '<param>.adam_m', '<param>.adam_v').
// Packing `none` gives every arena value its own bytes; `reuse` places each value at the lowest
// 64-byte-aligned offset not used by a value whose live interval overlaps (first fit, O(n^2) in
// the 12 values), so the two plans differ only in arena offsets.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "tidemark/plan_builder.h"

namespace {

struct Config {
  std::string optimizer = "sgd", packing = "none", output;
  float learning_rate = 0.1f;
  int64_t batch = 32, features = 64, hidden = 128, classes = 10;
};

int64_t alignUp(int64_t bytes) { return (bytes + 63) / 64 * 64; }

int64_t tensorBytes(const tidemark::TensorSpec &t) {
  int64_t n = 1;
  for (int64_t d : t.shape)
    n *= d;
  return n * 4;
}

bool intervalsOverlap(const tidemark::TensorSpec &a, const tidemark::TensorSpec &b) {
  return a.live_first <= b.live_last && b.live_first <= a.live_last;
}

// Gives every arena tensor an offset (see the file comment) and returns the arena size.
uint64_t packArena(tidemark::PlanBuilder &builder, bool reuse) {
  std::vector<int> placed;
  int64_t top = 0;
  for (int id = 0; id < builder.num_tensors(); ++id) {
    tidemark::TensorSpec &t = builder.tensor(id);
    if (t.location != tidemark::TensorLocation::kArena)
      continue;
    int64_t offset = reuse ? 0 : top;
    for (bool moved = reuse; moved;) {
      moved = false;
      for (int other : placed) {
        const tidemark::TensorSpec &o = builder.tensor(other);
        int64_t o_end = int64_t(o.offset) + alignUp(tensorBytes(o));
        if (intervalsOverlap(t, o) && offset < o_end &&
            int64_t(o.offset) < offset + alignUp(tensorBytes(t))) {
          offset = o_end;
          moved = true;
        }
      }
    }
    t.offset = uint64_t(offset);
    placed.push_back(id);
    top = std::max<int64_t>(top, offset + alignUp(tensorBytes(t)));
  }
  return uint64_t(top);
}

struct Param {
  int tensor;
  int grad;
};

void addUpdates(tidemark::PlanBuilder &builder, const Config &c, const std::vector<Param> &params,
                uint64_t *state_top) {
  for (const Param &p : params) {
    if (c.optimizer == "sgd") {
      builder.AddStep(tidemark::KernelId::kSgdUpdate, {p.tensor, p.grad}, {p.tensor},
                      tidemark::SgdAttributes{c.learning_rate, 0.0f, 0.0f});
      continue;
    }
    const tidemark::TensorSpec spec = builder.tensor(p.tensor);
    int m = builder.AddStateTensor(spec.name + ".adam_m", spec.shape, *state_top);
    *state_top += uint64_t(alignUp(tensorBytes(spec)));
    int v = builder.AddStateTensor(spec.name + ".adam_v", spec.shape, *state_top);
    *state_top += uint64_t(alignUp(tensorBytes(spec)));
    tidemark::AdamAttributes attrs;
    attrs.learning_rate = c.learning_rate;
    builder.AddStep(tidemark::KernelId::kAdamUpdate, {p.tensor, p.grad, m, v}, {p.tensor, m, v},
                    attrs);
  }
}

std::vector<uint8_t> buildPlan(const Config &c) {
  using tidemark::KernelId;
  tidemark::PlanBuilder builder;
  const int64_t B = c.batch, D = c.features, H = c.hidden, C = c.classes;
  uint64_t state_top = 0;
  auto state = [&](const std::string &name, std::vector<int64_t> shape) {
    int id = builder.AddStateTensor(name, shape, state_top);
    state_top += uint64_t(alignUp(tensorBytes(builder.tensor(id))));
    return id;
  };
  auto arena = [&](const std::string &name, std::vector<int64_t> shape) {
    return builder.AddArenaTensor(name, shape, 0);
  };
  int x = builder.AddInput("x", {B, D});
  int labels = builder.AddInput("labels", {B}, tidemark::DType::kI32);
  int w0 = state("layers.0.weight", {D, H}), b0 = state("layers.0.bias", {H});
  int w1 = state("layers.1.weight", {H, C}), b1 = state("layers.1.bias", {C});
  int one = builder.AddConstant("one", {1}, {1.0f});
  int loss = builder.AddOutput("loss", {1});
  int h = arena("h", {B, H}), z = arena("z", {B, H}), a = arena("a", {B, H});
  int u = arena("u", {B, C}), y = arena("y", {B, C}), dy = arena("dy", {B, C});
  int dw1 = arena("dW1", {H, C}), db1 = arena("db1", {C}), da = arena("da", {B, H});
  int dz = arena("dz", {B, H}), dw0 = arena("dW0", {D, H}), db0 = arena("db0", {H});
  builder.AddStep(KernelId::kMatMul, {x, w0}, {h});
  builder.AddStep(KernelId::kAdd, {h, b0}, {z});
  builder.AddStep(KernelId::kRelu, {z}, {a});
  builder.AddStep(KernelId::kMatMul, {a, w1}, {u});
  builder.AddStep(KernelId::kAdd, {u, b1}, {y});
  builder.AddStep(KernelId::kSoftmaxCrossEntropy, {y, labels}, {loss});
  builder.AddStep(KernelId::kSoftmaxCrossEntropyGrad, {y, labels, one}, {dy});
  builder.AddStep(KernelId::kMatMul, {a, dy}, {dw1}, tidemark::MatMulAttributes{true, false});
  builder.AddStep(KernelId::kReduceSum, {dy}, {db1}, tidemark::ReduceAttributes{{0}, false});
  builder.AddStep(KernelId::kMatMul, {dy, w1}, {da}, tidemark::MatMulAttributes{false, true});
  builder.AddStep(KernelId::kReluGrad, {z, da}, {dz});
  builder.AddStep(KernelId::kMatMul, {x, dz}, {dw0}, tidemark::MatMulAttributes{true, false});
  builder.AddStep(KernelId::kReduceSum, {dz}, {db0}, tidemark::ReduceAttributes{{0}, false});
  addUpdates(builder, c, {{w0, dw0}, {b0, db0}, {w1, dw1}, {b1, db1}}, &state_top);
  builder.AssignLiveIntervalsFromSteps();
  builder.SetArena(packArena(builder, c.packing == "reuse"));
  builder.SetState(state_top);
  builder.SetProducer("e2e-mlp-plan");
  return builder.Finish();
}

bool parseArgs(int argc, char **argv, Config *c) {
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i], value = argv[i + 1];
    char *end = nullptr;
    if (flag == "--optimizer" && (value == "sgd" || value == "adam"))
      c->optimizer = value;
    else if (flag == "--packing" && (value == "none" || value == "reuse"))
      c->packing = value;
    else if (flag == "-o")
      c->output = value;
    else if (flag == "--lr")
      c->learning_rate = std::strtof(value.c_str(), &end);
    else if (flag == "--batch" || flag == "--features" || flag == "--hidden" ||
             flag == "--classes") {
      int64_t n = std::strtoll(value.c_str(), &end, 10);
      if (n < 1 || n > 1 << 20)
        return false;
      (flag == "--batch"      ? c->batch
       : flag == "--features" ? c->features
       : flag == "--hidden"   ? c->hidden
                              : c->classes) = n;
    } else
      return false;
    if (end && *end != '\0')
      return false;
  }
  return argc % 2 == 1 && !c->output.empty();
}

} // namespace

int main(int argc, char **argv) {
  Config config;
  if (!parseArgs(argc, argv, &config)) {
    std::fprintf(stderr, "usage: e2e-mlp-plan --optimizer sgd|adam --lr LR --batch B --features D "
                         "--hidden H --classes C --packing none|reuse -o OUT.tplan\n");
    return 2;
  }
  std::vector<uint8_t> bytes = buildPlan(config);
  std::ofstream out(config.output, std::ios::binary);
  out.write(reinterpret_cast<const char *>(bytes.data()), std::streamsize(bytes.size()));
  if (!out) {
    std::fprintf(stderr, "e2e-mlp-plan: cannot write '%s'\n", config.output.c_str());
    return 1;
  }
  return 0;
}
