// Corrupted plans never crash the loader, a kernel or the runtime: every load returns a clear
// error Status, or the plan loads and runs. Two families:
//   - field-level: valid plans rebuilt through the FlatBuffers object API with one field edited
//     (each optional table and vector nulled, each union type without its table, with another
//     table or none, every enum and index out of range, sizes and offsets at their limits);
//   - byte-level: randomly flipped bytes and truncations of a valid plan.
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "plan_edit.h"
#include "plan_test_plans.h"
#include "runtime/plan/loaded_plan.h"
#include "tidemark/runtime.h"
#include "gtest/gtest.h"

namespace tidemark {
namespace {

// A plan that exercises views, constants, attributes and every location.
std::vector<uint8_t> richPlan() {
  testing_plans::PerceptronIds ids;
  PlanBuilder builder = testing_plans::PerceptronBuilder(&ids);
  int scale = builder.AddConstant("scale", {5}, {1.0f, 2.0f, 3.0f, 4.0f, 5.0f});
  int flat = builder.AddView("y_flat", {20}, ids.y);
  int sum = builder.AddOutput("sum", {});
  int scaled = builder.AddArenaTensor("scaled", {4, 5}, 0, 3, 4);
  builder.AddStep(KernelId::kMul, {ids.y, scale}, {scaled}, {}, "scale");
  builder.AddStep(KernelId::kReduceSum, {scaled}, {sum}, ReduceAttributes{{0, 1}, false});
  builder.AddStep(KernelId::kFill, {}, {flat}, FillAttributes{0.5f});
  return builder.Finish();
}

// Loads (decode + verify) and, when that succeeds, loads the runtime (memory capped at 64 MiB,
// so a corrupt size is refused instead of allocated) and runs two steps on two threads. Returns 1
// when the plan was accepted by the verifier. Every failure must be a non-Internal status with a
// message; a plan that loads must run.
int tryLoad(const std::vector<uint8_t> &bytes, const std::string &what = "") {
  LoadedPlan plan;
  Status status = LoadAndVerifyPlan(bytes.data(), bytes.size(), &plan);
  if (!status.ok()) {
    EXPECT_FALSE(status.message().empty()) << what;
    EXPECT_NE(status.code(), StatusCode::kInternal) << what << ": " << status.ToString();
    return 0;
  }
  RuntimeOptions options;
  options.num_threads = 2;
  options.max_memory_bytes = 64 << 20;
  std::unique_ptr<Runtime> runtime;
  Status load =
      Runtime::LoadFromMemory(bytes.data(), bytes.size(), PlanMemory::kCopy, options, &runtime);
  if (!load.ok()) {
    // The verifier accepted it: only the environment may refuse it (memory cap, weights file).
    EXPECT_TRUE(load.code() == StatusCode::kResourceExhausted ||
                load.code() == StatusCode::kNotFound || load.code() == StatusCode::kDataLoss ||
                load.code() == StatusCode::kInvalidArgument)
        << what << ": " << load.ToString();
    EXPECT_FALSE(load.message().empty()) << what;
    return 1;
  }
  for (int step = 0; step < 2; ++step) {
    Status run = runtime->Run();
    EXPECT_TRUE(run.ok()) << what << ": step " << step << ": " << run.ToString();
  }
  return 1;
}

TEST(PlanCorruptionTest, FlippedAndTruncatedPlansNeverCrash) {
  const std::vector<uint8_t> valid = richPlan();
  LoadedPlan plan;
  Status status = LoadAndVerifyPlan(valid.data(), valid.size(), &plan);
  ASSERT_TRUE(status.ok()) << status.ToString();
  ASSERT_EQ(tryLoad(valid), 1);
  std::mt19937 rng(20261127);
  int accepted = 0;
  for (int trial = 0; trial < 10000; ++trial) {
    std::vector<uint8_t> bytes = valid;
    switch (trial % 4) {
    case 0: // One random byte replaced.
      bytes[rng() % bytes.size()] = static_cast<uint8_t>(rng());
      break;
    case 1: // A few single-bit flips.
      for (int flips = 1 + static_cast<int>(rng() % 4); flips > 0; --flips)
        bytes[rng() % bytes.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
      break;
    case 2: // Truncated.
      bytes.resize(rng() % bytes.size());
      break;
    default: // Truncated and flipped.
      bytes.resize(1 + rng() % bytes.size());
      bytes[rng() % bytes.size()] = static_cast<uint8_t>(rng());
      break;
    }
    accepted += tryLoad(bytes);
  }
  std::printf("corrupted plans still accepted (and run): %d of 10000\n", accepted);
  // Most corruptions are caught; some land in bytes that do not matter (padding, names, values).
  EXPECT_GT(accepted, 0);
  EXPECT_LT(accepted, 9000);
}

// --- Field-level corruption ---------------------------------------------------------------------

namespace fb = ::tidemark::plan;
using testing_plans::AttrsEdit;
using testing_plans::PackPlan;
using testing_plans::UnpackPlan;
using Edits = std::map<size_t, AttrsEdit>;

// Softmax cross-entropy with its gradient: logits [4,3], labels i32 [4] (zero-filled inputs are
// valid labels), loss [1], d_logits [4,3].
std::vector<uint8_t> crossEntropyPlan() {
  PlanBuilder builder;
  builder.SetArena(64);
  int logits = builder.AddInput("logits", {4, 3});
  int labels = builder.AddInput("labels", {4}, DType::kI32);
  int one = builder.AddConstant("one", {1}, {1.0f});
  int loss = builder.AddArenaTensor("loss", {1}, 0);
  int out = builder.AddOutput("loss_out", {1});
  int dlogits = builder.AddOutput("d_logits", {4, 3});
  builder.AddStep(KernelId::kSoftmaxCrossEntropy, {logits, labels}, {loss});
  builder.AddStep(KernelId::kCopy, {loss}, {out});
  builder.AddStep(KernelId::kSoftmaxCrossEntropyGrad, {logits, labels, one}, {dlogits});
  builder.AssignLiveIntervalsFromSteps();
  return builder.Finish();
}

// A transpose and a reduce-mean-gradient (the attribute kinds richPlan and MixedBuilder lack).
std::vector<uint8_t> transposePlan() {
  PlanBuilder builder;
  builder.SetArena(256);
  int x = builder.AddInput("x", {2, 3, 4});
  int t = builder.AddArenaTensor("t", {4, 2, 3}, 0);
  int m = builder.AddArenaTensor("m", {4, 3}, 128);
  int dm = builder.AddOutput("dm", {4, 2, 3});
  builder.AddStep(KernelId::kTranspose, {x}, {t}, TransposeAttributes{{2, 0, 1}});
  builder.AddStep(KernelId::kReduceMean, {t}, {m}, ReduceAttributes{{1}, false});
  builder.AddStep(KernelId::kReduceMeanGrad, {m}, {dm}, ReduceAttributes{{1}, false});
  builder.AssignLiveIntervalsFromSteps();
  return builder.Finish();
}

struct BasePlan {
  const char *name;
  std::vector<uint8_t> bytes;
};

std::vector<BasePlan> basePlans() {
  return {{"rich", richPlan()},
          {"mixed", testing_plans::MixedBuilder().Finish()},
          {"adam", testing_plans::OptimizerPlan(/*adam=*/true, 0.01f)},
          {"sgd", testing_plans::OptimizerPlan(/*adam=*/false, 0.01f)},
          {"cross-entropy", crossEntropyPlan()},
          {"transpose", transposePlan()}};
}

// One edit of a plan. `expect` (when set) is the status code the load must fail with.
struct Mutation {
  std::string name;
  std::function<void(fb::PlanT &, Edits &)> apply;
  bool has_expectation = false;
  StatusCode expect = StatusCode::kOk;
};

Mutation edit(std::string name, std::function<void(fb::PlanT &, Edits &)> apply) {
  return {std::move(name), std::move(apply)};
}
Mutation mustFail(std::string name, StatusCode code, std::function<void(fb::PlanT &, Edits &)> f) {
  return {std::move(name), std::move(f), true, code};
}

constexpr uint64_t kU64Max = std::numeric_limits<uint64_t>::max();
constexpr int32_t kI32Max = std::numeric_limits<int32_t>::max();
constexpr int32_t kI32Min = std::numeric_limits<int32_t>::min();
constexpr int64_t kI64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kI64Min = std::numeric_limits<int64_t>::min();
const float kNaN = std::numeric_limits<float>::quiet_NaN();
const float kInf = std::numeric_limits<float>::infinity();

void addPlanMutations(const fb::PlanT &plan, std::vector<Mutation> *out) {
  for (uint32_t v : {0u, 2u, 0xffffffffu})
    out->push_back(mustFail("version=" + std::to_string(v), StatusCode::kUnimplemented,
                            [v](fb::PlanT &p, Edits &) { p.version = v; }));
  for (uint64_t bytes : {uint64_t{0}, uint64_t{1}, uint64_t{1} << 40, kU64Max}) {
    out->push_back(edit("arena_bytes=" + std::to_string(bytes),
                        [bytes](fb::PlanT &p, Edits &) { p.arena_bytes = bytes; }));
    out->push_back(edit("state_bytes=" + std::to_string(bytes),
                        [bytes](fb::PlanT &p, Edits &) { p.state_bytes = bytes; }));
  }
  out->push_back(mustFail("arena_bytes=2^40+1", StatusCode::kOutOfRange,
                          [](fb::PlanT &p, Edits &) { p.arena_bytes = (uint64_t{1} << 40) + 1; }));
  for (uint32_t a : {0u, 1u, 2u, 3u, 48u, 8192u, 1u << 31, 0xffffffffu}) {
    out->push_back(mustFail("arena_alignment=" + std::to_string(a), StatusCode::kInvalidArgument,
                            [a](fb::PlanT &p, Edits &) { p.arena_alignment = a; }));
    out->push_back(mustFail("state_alignment=" + std::to_string(a), StatusCode::kInvalidArgument,
                            [a](fb::PlanT &p, Edits &) { p.state_alignment = a; }));
  }
  out->push_back(edit("no state_init", [](fb::PlanT &p, Edits &) { p.state_init.clear(); }));
  for (size_t i = 0; i < plan.state_init.size(); ++i) {
    const std::string at = "state_init[" + std::to_string(i) + "]";
    out->push_back(
        edit(at + " no data", [i](fb::PlanT &p, Edits &) { p.state_init[i]->data.clear(); }));
    for (uint64_t offset : {kU64Max, kU64Max - 3, uint64_t{1} << 63})
      out->push_back(
          mustFail(at + " offset=" + std::to_string(offset), StatusCode::kOutOfRange,
                   [i, offset](fb::PlanT &p, Edits &) { p.state_init[i]->offset = offset; }));
    out->push_back(
        mustFail(at + " past the region", StatusCode::kOutOfRange, [i](fb::PlanT &p, Edits &) {
          p.state_init[i]->offset = p.state_bytes;
          p.state_init[i]->data.resize(1);
        }));
  }
  out->push_back(edit("no tensors", [](fb::PlanT &p, Edits &) { p.tensors.clear(); }));
  out->push_back(edit("no steps", [](fb::PlanT &p, Edits &) { p.steps.clear(); }));
  out->push_back(edit("no stats", [](fb::PlanT &p, Edits &) { p.stats.reset(); }));
  out->push_back(edit("no producer", [](fb::PlanT &p, Edits &) { p.producer.clear(); }));
}

// External weights the verifier accepts but the file does not back: each is refused by the load,
// before it allocates the state.
void addWeightsMutations(std::vector<Mutation> *out, const std::string &small_file) {
  auto weights = [](std::string path, uint64_t offset, uint64_t size) {
    return [=](fb::PlanT &p, Edits &) {
      p.external_weights.reset(new fb::ExternalWeightsT());
      p.external_weights->path = path;
      p.external_weights->file_offset = offset;
      p.external_weights->byte_size = size;
      if (p.state_bytes < size && size <= 4096)
        p.state_bytes = 4096;
    };
  };
  out->push_back(mustFail("weights: empty path", StatusCode::kInvalidArgument, weights("", 0, 4)));
  out->push_back(edit("weights: missing file", weights("/nonexistent/tidemark/w.bin", 0, 4)));
  out->push_back(edit("weights: directory", weights("/", 0, 4)));
  out->push_back(edit("weights: /dev/zero", weights("/dev/zero", 0, 4)));
  out->push_back(edit("weights: beyond the file", weights(small_file, 0, 4096)));
  out->push_back(edit("weights: offset beyond the file", weights(small_file, 1 << 20, 4)));
  out->push_back(
      mustFail("weights: offset 2^64-1", StatusCode::kOutOfRange, weights(small_file, kU64Max, 4)));
  out->push_back(mustFail("weights: byte_size 2^64-1", StatusCode::kOutOfRange,
                          weights(small_file, 0, kU64Max)));
  out->push_back(edit("weights: fits", weights(small_file, 8, 16)));
}

void addTensorMutations(const fb::PlanT &plan, std::vector<Mutation> *out) {
  const int n = static_cast<int>(plan.tensors.size());
  const int steps = static_cast<int>(plan.steps.size());
  for (int i = 0; i < n; ++i) {
    const std::string at = "tensor " + std::to_string(i);
    auto tensor = [i](fb::PlanT &p) -> fb::TensorT & { return *p.tensors[size_t(i)]; };
    out->push_back(edit(at + " no name", [=](fb::PlanT &p, Edits &) { tensor(p).name.clear(); }));
    out->push_back(edit(at + " name of tensor 0",
                        [=](fb::PlanT &p, Edits &) { tensor(p).name = p.tensors[0]->name; }));
    out->push_back(edit(at + " no shape", [=](fb::PlanT &p, Edits &) { tensor(p).shape.clear(); }));
    out->push_back(mustFail(at + " rank 7", StatusCode::kInvalidArgument,
                            [=](fb::PlanT &p, Edits &) { tensor(p).shape.assign(7, 1); }));
    out->push_back(edit(at + " dims 2^20 x 5", [=](fb::PlanT &p, Edits &) {
      tensor(p).shape.assign(5, int64_t{1} << 20); // 2^100 elements: the product overflows.
    }));
    for (size_t d = 0; d < plan.tensors[size_t(i)]->shape.size(); ++d) {
      for (int64_t value : {int64_t{-1}, kI64Min, (int64_t{1} << 40) + 1, kI64Max})
        out->push_back(mustFail(at + " dim " + std::to_string(d) + "=" + std::to_string(value),
                                StatusCode::kInvalidArgument,
                                [=](fb::PlanT &p, Edits &) { tensor(p).shape[d] = value; }));
      for (int64_t value : {int64_t{0}, int64_t{1}, int64_t{3}, int64_t{1} << 40})
        out->push_back(edit(at + " dim " + std::to_string(d) + "=" + std::to_string(value),
                            [=](fb::PlanT &p, Edits &) { tensor(p).shape[d] = value; }));
    }
    for (int dtype : {1, 0, 2, 127, -1, -128})
      out->push_back(edit(at + " dtype=" + std::to_string(dtype), [=](fb::PlanT &p, Edits &) {
        tensor(p).dtype = static_cast<fb::DType>(dtype);
      }));
    for (int location : {0, 1, 2, 3, 4, 5, 127, -1})
      out->push_back(edit(at + " location=" + std::to_string(location), [=](fb::PlanT &p, Edits &) {
        tensor(p).location = static_cast<fb::Location>(location);
      }));
    for (uint64_t offset : {uint64_t{0}, uint64_t{4}, uint64_t{64}, uint64_t{1} << 40,
                            uint64_t{1} << 63, kU64Max - 63, kU64Max})
      out->push_back(edit(at + " offset=" + std::to_string(offset),
                          [=](fb::PlanT &p, Edits &) { tensor(p).offset = offset; }));
    out->push_back(edit(at + " offset=arena_bytes",
                        [=](fb::PlanT &p, Edits &) { tensor(p).offset = p.arena_bytes; }));
    for (int view : {-2, -1, 0, i - 1, i, i + 1, n, kI32Max, kI32Min})
      out->push_back(edit(at + " view_of=" + std::to_string(view),
                          [=](fb::PlanT &p, Edits &) { tensor(p).view_of = view; }));
    const std::pair<int, int> intervals[] = {{-1, -1}, {0, kI32Max},   {kI32Min, 0},  {-1, 0},
                                             {0, -1},  {steps, steps}, {0, steps - 1}};
    for (auto [first, last] : intervals)
      out->push_back(edit(at + " live=[" + std::to_string(first) + "," + std::to_string(last) + "]",
                          [=](fb::PlanT &p, Edits &) {
                            tensor(p).live_first = first;
                            tensor(p).live_last = last;
                          }));
    out->push_back(edit(at + " swapped interval", [=](fb::PlanT &p, Edits &) {
      std::swap(tensor(p).live_first, tensor(p).live_last);
    }));
    out->push_back(edit(at + " no constant data",
                        [=](fb::PlanT &p, Edits &) { tensor(p).constant_data.clear(); }));
    out->push_back(edit(at + " one more constant byte",
                        [=](fb::PlanT &p, Edits &) { tensor(p).constant_data.push_back(1); }));
  }
}

// Attribute tables with every kind, at default and extreme values.
std::vector<std::pair<std::string, fb::AttrsUnion>> attributeVariants() {
  std::vector<std::pair<std::string, fb::AttrsUnion>> variants;
  auto add = [&](std::string name, auto table) {
    fb::AttrsUnion u;
    u.Set(std::move(table));
    variants.emplace_back(std::move(name), std::move(u));
  };
  add("matmul default", fb::MatMulAttrsT());
  for (float alpha : {kNaN, kInf, 0.0f}) {
    fb::MatMulAttrsT a;
    a.alpha = alpha;
    a.transpose_a = a.transpose_b = a.accumulate = true;
    add("matmul alpha=" + std::to_string(alpha) + " all flags", a);
  }
  for (float eps : {kNaN, -1.0f, kInf, 0.0f}) {
    fb::LayerNormAttrsT a;
    a.epsilon = eps;
    add("layernorm eps=" + std::to_string(eps), a);
  }
  const std::vector<std::vector<int>> axes_lists = {{},
                                                    {-1},
                                                    {0},
                                                    {1},
                                                    {6},
                                                    {0, 0},
                                                    {31},
                                                    {32},
                                                    {kI32Max},
                                                    {kI32Min},
                                                    {0, 1, 2, 3, 4, 5, 0},
                                                    std::vector<int>(1000, 0)};
  for (const std::vector<int> &axes : axes_lists) {
    fb::ReduceAttrsT r;
    r.axes = axes;
    r.keep_dims = axes.size() % 2 == 1;
    add("reduce axes x" + std::to_string(axes.size()), r);
    fb::TransposeAttrsT t;
    t.perm = axes;
    add("transpose perm x" + std::to_string(axes.size()), t);
  }
  for (float lr : {kNaN, -1.0f, kInf}) {
    fb::SgdAttrsT s;
    s.learning_rate = lr;
    add("sgd lr=" + std::to_string(lr), s);
  }
  for (float m : {2.0f, -1.0f, kNaN, 0.5f}) {
    fb::SgdAttrsT s;
    s.learning_rate = 0.1f;
    s.momentum = m;
    s.weight_decay = m == 0.5f ? kNaN : 0.0f;
    add("sgd momentum=" + std::to_string(m), s);
  }
  for (float beta : {1.0f, -0.1f, kNaN}) {
    fb::AdamAttrsT a;
    a.learning_rate = 0.01f;
    a.beta1 = beta;
    add("adam beta1=" + std::to_string(beta), a);
    a.beta1 = 0.9f;
    a.beta2 = beta;
    add("adam beta2=" + std::to_string(beta), a);
  }
  for (float eps : {0.0f, kNaN, kInf, -1.0f}) {
    fb::AdamAttrsT a;
    a.learning_rate = 0.01f;
    a.epsilon = eps;
    a.decoupled_weight_decay = true;
    add("adam eps=" + std::to_string(eps), a);
  }
  for (int chunk : {0, -1, 1, kI32Max, kI32Min}) {
    fb::AttentionAttrsT a;
    a.q_chunk = chunk;
    a.k_chunk = 3;
    a.causal = true;
    add("attention q_chunk=" + std::to_string(chunk), a);
    a.q_chunk = 3;
    a.k_chunk = chunk;
    add("attention k_chunk=" + std::to_string(chunk), a);
  }
  for (float scale : {kNaN, kInf, -2.0f}) {
    fb::AttentionAttrsT a;
    a.scale = scale;
    add("attention scale=" + std::to_string(scale), a);
  }
  for (float value : {kNaN, kInf}) {
    fb::FillAttrsT f;
    f.value = value;
    add("fill value=" + std::to_string(value), f);
  }
  for (int operand : {-1, 0, 1, 2, kI32Max, kI32Min}) {
    fb::BinaryGradAttrsT b;
    b.operand = operand;
    add("binary grad operand=" + std::to_string(operand), b);
  }
  for (int axis : {kI32Min, kI32Max, -7, -1, 0, 6}) {
    fb::SoftmaxAttrsT a;
    a.axis = axis;
    add("softmax axis=" + std::to_string(axis), a);
  }
  return variants;
}

void addStepMutations(const fb::PlanT &plan, std::vector<Mutation> *out) {
  const int n = static_cast<int>(plan.tensors.size());
  const auto variants =
      std::make_shared<std::vector<std::pair<std::string, fb::AttrsUnion>>>(attributeVariants());
  for (size_t s = 0; s < plan.steps.size(); ++s) {
    const std::string at = "step " + std::to_string(s);
    const fb::StepT &original = *plan.steps[s];
    auto step = [s](fb::PlanT &p) -> fb::StepT & { return *p.steps[s]; };
    for (int kernel = 0; kernel <= static_cast<int>(fb::KernelId::MAX); ++kernel)
      out->push_back(edit(at + " kernel=" + std::to_string(kernel), [=](fb::PlanT &p, Edits &) {
        step(p).kernel = static_cast<fb::KernelId>(kernel);
      }));
    for (int kernel : {static_cast<int>(fb::KernelId::MAX) + 1, 65535})
      out->push_back(mustFail(
          at + " kernel=" + std::to_string(kernel), StatusCode::kUnimplemented,
          [=](fb::PlanT &p, Edits &) { step(p).kernel = static_cast<fb::KernelId>(kernel); }));
    out->push_back(
        edit(at + " no operands", [=](fb::PlanT &p, Edits &) { step(p).operands.clear(); }));
    out->push_back(
        edit(at + " no results", [=](fb::PlanT &p, Edits &) { step(p).results.clear(); }));
    out->push_back(edit(at + " one more operand",
                        [=](fb::PlanT &p, Edits &) { step(p).operands.push_back(0); }));
    out->push_back(edit(at + " result also an operand", [=](fb::PlanT &p, Edits &) {
      if (!step(p).results.empty())
        step(p).operands.push_back(step(p).results[0]);
    }));
    for (size_t count : {size_t{9}, size_t{100000}})
      out->push_back(mustFail(at + " " + std::to_string(count) + " operands",
                              StatusCode::kInvalidArgument,
                              [=](fb::PlanT &p, Edits &) { step(p).operands.assign(count, 0); }));
    out->push_back(mustFail(at + " 5 results", StatusCode::kInvalidArgument,
                            [=](fb::PlanT &p, Edits &) { step(p).results.assign(5, 0); }));
    for (const char *list : {"operand", "result"}) {
      const bool is_operand = list[0] == 'o';
      const size_t count = is_operand ? original.operands.size() : original.results.size();
      for (size_t k = 0; k < count; ++k) {
        auto ids = [=](fb::PlanT &p) -> std::vector<int32_t> & {
          return is_operand ? step(p).operands : step(p).results;
        };
        for (int id : {-1, n, kI32Max, kI32Min})
          out->push_back(mustFail(
              at + " " + list + " " + std::to_string(k) + "=" + std::to_string(id),
              StatusCode::kInvalidArgument, [=](fb::PlanT &p, Edits &) { ids(p)[k] = id; }));
        for (int id = 0; id < n; ++id) // Every other tensor in its place.
          out->push_back(edit(at + " " + list + " " + std::to_string(k) + "=" + std::to_string(id),
                              [=](fb::PlanT &p, Edits &) { ids(p)[k] = id; }));
      }
    }
    // The attribute union: the table without its type, the type without its table (issue 9's
    // crash), another type for the same table, unknown types, and every kind of table.
    const fb::Attrs type = original.attrs.type;
    if (type != fb::Attrs::NONE) {
      out->push_back(mustFail(at + " attrs type without table", StatusCode::kDataLoss,
                              [=](fb::PlanT &, Edits &e) { e[s].drop_table = true; }));
      out->push_back(mustFail(at + " attrs table with type NONE", StatusCode::kDataLoss,
                              [=](fb::PlanT &, Edits &e) {
                                e[s].override_type = true;
                                e[s].type = fb::Attrs::NONE;
                              }));
      for (int other = 1; other <= static_cast<int>(fb::Attrs::MAX); ++other)
        out->push_back(edit(at + " attrs table read as type " + std::to_string(other),
                            [=](fb::PlanT &, Edits &e) {
                              e[s].override_type = true;
                              e[s].type = static_cast<fb::Attrs>(other);
                            }));
    }
    for (int other = 1; other <= static_cast<int>(fb::Attrs::MAX); ++other)
      out->push_back(mustFail(at + " attrs type " + std::to_string(other) + " without table",
                              StatusCode::kDataLoss, [=](fb::PlanT &p, Edits &e) {
                                step(p).attrs.Reset();
                                e[s].override_type = true;
                                e[s].type = static_cast<fb::Attrs>(other);
                              }));
    for (int unknown : {static_cast<int>(fb::Attrs::MAX) + 1, 255})
      out->push_back(mustFail(at + " attrs type " + std::to_string(unknown),
                              StatusCode::kUnimplemented, [=](fb::PlanT &, Edits &e) {
                                e[s].override_type = true;
                                e[s].type = static_cast<fb::Attrs>(unknown);
                              }));
    out->push_back(edit(at + " no attrs", [=](fb::PlanT &p, Edits &) { step(p).attrs.Reset(); }));
    for (size_t v = 0; v < variants->size(); ++v)
      out->push_back(edit(at + " attrs " + (*variants)[v].first,
                          [=](fb::PlanT &p, Edits &) { step(p).attrs = (*variants)[v].second; }));
    out->push_back(edit(at + " no name", [=](fb::PlanT &p, Edits &) { step(p).name.clear(); }));
  }
}

// Applies every mutation to a fresh copy of `base` and loads the result.
void runMutations(const BasePlan &base, const std::vector<Mutation> &mutations, int *accepted) {
  for (const Mutation &mutation : mutations) {
    std::unique_ptr<fb::PlanT> plan = UnpackPlan(base.bytes);
    Edits edits;
    mutation.apply(*plan, edits);
    const std::vector<uint8_t> bytes = PackPlan(*plan, edits);
    const std::string what = std::string(base.name) + ": " + mutation.name;
    if (mutation.has_expectation) {
      LoadedPlan loaded;
      Status status = LoadAndVerifyPlan(bytes.data(), bytes.size(), &loaded);
      EXPECT_EQ(status.code(), mutation.expect) << what << ": " << status.ToString();
    }
    *accepted += tryLoad(bytes, what);
  }
}

std::string writeSmallFile() {
  const std::string path = ::testing::TempDir() + "tidemark_corruption_weights.bin";
  std::FILE *file = std::fopen(path.c_str(), "wb");
  EXPECT_NE(file, nullptr);
  const std::vector<uint8_t> bytes(64, 0x3c); // Floats of about 0.0115.
  if (file) {
    std::fwrite(bytes.data(), 1, bytes.size(), file);
    std::fclose(file);
  }
  return path;
}

TEST(PlanCorruptionTest, PackingAValidPlanKeepsItValid) {
  for (const BasePlan &base : basePlans()) {
    const std::vector<uint8_t> bytes = PackPlan(*UnpackPlan(base.bytes));
    LoadedPlan original, repacked;
    ASSERT_TRUE(LoadAndVerifyPlan(base.bytes.data(), base.bytes.size(), &original).ok())
        << base.name;
    Status status = LoadAndVerifyPlan(bytes.data(), bytes.size(), &repacked);
    ASSERT_TRUE(status.ok()) << base.name << ": " << status.ToString();
    EXPECT_EQ(repacked.tensors.size(), original.tensors.size());
    EXPECT_EQ(repacked.steps.size(), original.steps.size());
    for (size_t s = 0; s < original.steps.size(); ++s)
      EXPECT_EQ(repacked.steps[s].attrs.index(), original.steps[s].attrs.index()) << base.name;
    EXPECT_EQ(tryLoad(bytes, base.name), 1);
  }
}

// Issue 9: a step whose union type names an attribute table that is absent. The FlatBuffers
// verifier accepts it; decoding used to read through the null table.
TEST(PlanCorruptionTest, AttributeTypeWithoutItsTableIsAnError) {
  const std::vector<uint8_t> base = testing_plans::PerceptronPlan();
  Edits edits;
  edits[0].drop_table = true; // Step 0 is the MatMul with MatMulAttrs.
  const std::vector<uint8_t> bytes = PackPlan(*UnpackPlan(base), edits);
  LoadedPlan plan;
  Status status = LoadAndVerifyPlan(bytes.data(), bytes.size(), &plan);
  EXPECT_EQ(status.code(), StatusCode::kDataLoss) << status.ToString();
  EXPECT_NE(status.message().find("step 0 declares attribute type MatMulAttrs but carries no "
                                  "attribute table"),
            std::string::npos)
      << status.message();
  std::unique_ptr<Runtime> runtime;
  status = Runtime::LoadFromMemory(bytes.data(), bytes.size(), PlanMemory::kCopy, {}, &runtime);
  EXPECT_EQ(status.code(), StatusCode::kDataLoss) << status.ToString();
}

TEST(PlanCorruptionTest, EveryFieldEditIsAnErrorOrAPlanThatRuns) {
  const std::string weights_file = writeSmallFile();
  int total = 0, accepted = 0;
  for (const BasePlan &base : basePlans()) {
    const std::unique_ptr<fb::PlanT> plan = UnpackPlan(base.bytes);
    std::vector<Mutation> mutations;
    addPlanMutations(*plan, &mutations);
    addWeightsMutations(&mutations, weights_file);
    addTensorMutations(*plan, &mutations);
    addStepMutations(*plan, &mutations);
    total += static_cast<int>(mutations.size());
    runMutations(base, mutations, &accepted);
  }
  std::printf("field edits: %d, accepted by the verifier (then loaded or refused, and run): %d\n",
              total, accepted);
  EXPECT_GT(total, 10000);
  // Most edits break a rule; the rest (names, unused fields, equivalent ids) must still run.
  EXPECT_GT(accepted, 0);
  EXPECT_LT(accepted, total / 2);
}

// Edits that change nothing the steps compute give the same outputs, bit for bit.
TEST(PlanCorruptionTest, NeutralEditsRunLikeTheOriginal) {
  const std::vector<uint8_t> base = testing_plans::PerceptronPlan();
  auto outputOf = [](const std::vector<uint8_t> &bytes) {
    std::vector<float> y(20, -1.0f);
    std::unique_ptr<Runtime> runtime;
    Status status =
        Runtime::LoadFromMemory(bytes.data(), bytes.size(), PlanMemory::kCopy, {}, &runtime);
    EXPECT_TRUE(status.ok()) << status.ToString();
    if (!status.ok())
      return y;
    void *x = nullptr;
    EXPECT_TRUE(runtime->InputBuffer("x", &x).ok());
    for (int i = 0; i < 12; ++i)
      static_cast<float *>(x)[i] = 0.25f * float(i) - 1.0f;
    EXPECT_TRUE(runtime->Run().ok());
    EXPECT_TRUE(runtime->ReadOutput("y", y.data(), y.size() * sizeof(float)).ok());
    return y;
  };
  const std::vector<float> expected = outputOf(base);
  const std::function<void(fb::PlanT &, Edits &)> neutral[] = {
      [](fb::PlanT &p, Edits &) { p.producer.clear(); },
      [](fb::PlanT &p, Edits &) { p.stats.reset(); },
      [](fb::PlanT &p, Edits &) { p.steps[1]->name.clear(); },
      [](fb::PlanT &p, Edits &) { p.tensors[3]->name.clear(); },    // An arena tensor.
      [](fb::PlanT &p, Edits &) { p.steps[0]->attrs.Reset(); },     // MatMul defaults.
      [](fb::PlanT &p, Edits &) { p.arena_bytes = 1 << 20; },       // Room to spare.
      [](fb::PlanT &p, Edits &) { p.tensors[4]->live_first = 0; }}; // A wider interval.
  for (const auto &apply : neutral) {
    std::unique_ptr<fb::PlanT> plan = UnpackPlan(base);
    Edits edits;
    apply(*plan, edits);
    EXPECT_EQ(outputOf(PackPlan(*plan, edits)), expected);
  }
}

} // namespace
} // namespace tidemark
