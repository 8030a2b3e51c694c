// Plan loader: a valid plan round-trips; every kind of bad plan gets its own precise error.
#include <chrono>
#include <cstring>
#include <string>

#include "plan_test_plans.h"
#include "runtime/plan/loaded_plan.h"
#include "tidemark/plan_builder.h"
#include "tidemark/plan_generated.h"
#include "gtest/gtest.h"

namespace tidemark {
namespace {

using testing_plans::PerceptronBuilder;
using testing_plans::PerceptronIds;

Status load(const std::vector<uint8_t> &bytes) {
  LoadedPlan plan;
  return LoadAndVerifyPlan(bytes.data(), bytes.size(), &plan);
}

// Expects loading to fail with `code` and a message containing `text`.
void expectRejected(const std::vector<uint8_t> &bytes, StatusCode code, const std::string &text) {
  Status status = load(bytes);
  ASSERT_FALSE(status.ok()) << "expected an error mentioning: " << text;
  EXPECT_EQ(status.code(), code) << status.ToString();
  EXPECT_NE(status.message().find(text), std::string::npos)
      << "message '" << status.message() << "' lacks '" << text << "'";
}

TEST(PlanLoaderTest, ValidPlanRoundTrips) {
  std::vector<uint8_t> bytes = testing_plans::PerceptronPlan();
  LoadedPlan plan;
  Status status = LoadAndVerifyPlan(bytes.data(), bytes.size(), &plan);
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(plan.version, kPlanFormatVersion);
  EXPECT_EQ(plan.arena_bytes, 256u);
  EXPECT_EQ(plan.state_bytes, 128u);
  EXPECT_EQ(plan.stats.load_bytes, 160u);
  EXPECT_EQ(plan.producer, "plan_test_plans.h");
  ASSERT_EQ(plan.tensors.size(), 6u);
  EXPECT_EQ(plan.tensors[3].name, "h");
  EXPECT_EQ(plan.tensors[3].shape, (kernels::Shape{4, 5}));
  EXPECT_EQ(plan.tensors[3].size_bytes, 80u);
  EXPECT_EQ(plan.tensors[4].offset, 128u);
  EXPECT_EQ(plan.tensors[4].live_first, 1);
  EXPECT_EQ(plan.tensors[4].live_last, 2);
  ASSERT_EQ(plan.steps.size(), 3u);
  EXPECT_EQ(plan.steps[1].kernel, KernelId::kAdd);
  EXPECT_EQ(plan.steps[1].operands, (std::vector<int>{3, 2}));
  EXPECT_EQ(plan.steps[1].name, "bias");
  ASSERT_EQ(plan.state_inits.size(), 2u);
  EXPECT_EQ(plan.state_inits[1].offset, 64u);
  EXPECT_EQ(plan.state_inits[1].size, 20u);
}

TEST(PlanLoaderTest, RejectsTinyAndTruncatedFiles) {
  std::vector<uint8_t> bytes = testing_plans::PerceptronPlan();
  expectRejected({}, StatusCode::kDataLoss, "at least 8");
  expectRejected(std::vector<uint8_t>(bytes.begin(), bytes.begin() + 5), StatusCode::kDataLoss,
                 "truncated");
  expectRejected(std::vector<uint8_t>(bytes.begin(), bytes.begin() + bytes.size() / 2),
                 StatusCode::kDataLoss, "FlatBuffers verifier rejected");
  EXPECT_EQ(DecodePlan(nullptr, 100, nullptr).code(), StatusCode::kInvalidArgument);
}

TEST(PlanLoaderTest, RejectsWrongIdentifier) {
  std::vector<uint8_t> bytes = testing_plans::PerceptronPlan();
  std::memcpy(bytes.data() + 4, "ONNX", 4);
  expectRejected(bytes, StatusCode::kInvalidArgument, "file identifier is 'ONNX'");
}

TEST(PlanLoaderTest, RejectsOtherFormatVersion) {
  PlanBuilder builder = PerceptronBuilder();
  builder.SetVersion(kPlanFormatVersion + 1);
  expectRejected(builder.Finish(), StatusCode::kUnimplemented, "plan format version 2");
}

TEST(PlanLoaderTest, RejectsOutOfBoundsOffsets) {
  PerceptronIds ids;
  PlanBuilder builder = PerceptronBuilder(&ids);
  builder.tensor(ids.z).offset = 192; // [192, 272) > 256 bytes.
  expectRejected(builder.Finish(), StatusCode::kOutOfRange,
                 "tensor 4 'z' bytes [192, 272) exceed the arena of 256 bytes");
  PlanBuilder state = PerceptronBuilder(&ids);
  state.tensor(ids.b).offset = 1u << 20;
  expectRejected(state.Finish(), StatusCode::kOutOfRange, "exceed the state region");
}

TEST(PlanLoaderTest, RejectsMisalignedOffsets) {
  PerceptronIds ids;
  PlanBuilder builder = PerceptronBuilder(&ids);
  builder.tensor(ids.z).offset = 100;
  expectRejected(builder.Finish(), StatusCode::kInvalidArgument,
                 "offset 100 in the arena is not aligned to 64");
  PlanBuilder alignment = PerceptronBuilder();
  alignment.SetArena(256, 48);
  expectRejected(alignment.Finish(), StatusCode::kInvalidArgument,
                 "arena alignment 48 is not a power of two");
}

TEST(PlanLoaderTest, RejectsOverlappingLiveTensors) {
  PerceptronIds ids;
  PlanBuilder builder = PerceptronBuilder(&ids);
  builder.tensor(ids.z).offset = 64; // h is [0, 80) live [0, 1]; z [64, 144) live [1, 2].
  expectRejected(builder.Finish(), StatusCode::kInvalidArgument,
                 "arena overlap: tensor 3 'h' (bytes [0, 80)) and tensor 4 'z' (bytes [64, 144)) "
                 "are both live at step 1");
}

TEST(PlanLoaderTest, AcceptsReuseOfBytesAfterTheLastUse) {
  // z is dead after step 2, so a value first written at step 3 may take its bytes [128, 208).
  PerceptronIds ids;
  PlanBuilder builder = PerceptronBuilder(&ids);
  int t = builder.AddArenaTensor("t", {4, 5}, 128, 3, 4);
  builder.AddStep(KernelId::kTanh, {ids.y}, {t});
  builder.AddStep(KernelId::kCopy, {t}, {ids.y});
  EXPECT_TRUE(load(builder.Finish()).ok());
}

TEST(PlanLoaderTest, RejectsWrongArity) {
  PerceptronIds ids;
  PlanBuilder builder = PerceptronBuilder(&ids);
  builder.AddStep(KernelId::kAdd, {ids.x}, {ids.y}, {}, "half_add");
  expectRejected(builder.Finish(), StatusCode::kInvalidArgument,
                 "step 3 (Add 'half_add'): has 1 operands and 1 results, expected 2 operands and "
                 "1 results");
}

TEST(PlanLoaderTest, RejectsBadAttributes) {
  PlanBuilder builder;
  builder.SetArena(0);
  int q = builder.AddInput("q", {1, 2, 8, 4});
  int k = builder.AddInput("k", {1, 2, 6, 4});
  int v = builder.AddInput("v", {1, 2, 6, 4});
  int out = builder.AddOutput("out", {1, 2, 8, 4});
  int lse = builder.AddOutput("lse", {1, 2, 8});
  AttentionAttributes attrs;
  attrs.q_chunk = 0;
  builder.AddStep(KernelId::kAttention, {q, k, v}, {out, lse}, attrs);
  expectRejected(builder.Finish(), StatusCode::kInvalidArgument,
                 "chunk sizes must be positive, got q_chunk 0");

  PlanBuilder reduce;
  int x = reduce.AddInput("x", {2, 3});
  int y = reduce.AddOutput("y", {2});
  reduce.AddStep(KernelId::kReduceSum, {x}, {y}, ReduceAttributes{{2}, false});
  expectRejected(reduce.Finish(), StatusCode::kInvalidArgument, "axes must be distinct");

  PlanBuilder missing;
  x = missing.AddInput("x", {2, 3});
  y = missing.AddOutput("y", {3, 2});
  missing.AddStep(KernelId::kTranspose, {x}, {y});
  expectRejected(missing.Finish(), StatusCode::kInvalidArgument, "needs its attribute table");

  PlanBuilder wrong_kind;
  x = wrong_kind.AddInput("x", {2, 3});
  y = wrong_kind.AddOutput("y", {2, 3});
  wrong_kind.AddStep(KernelId::kRelu, {x}, {y}, FillAttributes{1.0f});
  expectRejected(wrong_kind.Finish(), StatusCode::kInvalidArgument, "wrong kind");
}

TEST(PlanLoaderTest, RejectsBadShapes) {
  PlanBuilder matmul;
  int a = matmul.AddInput("a", {4, 3});
  int b = matmul.AddInput("b", {4, 5});
  int c = matmul.AddOutput("c", {4, 5});
  matmul.AddStep(KernelId::kMatMul, {a, b}, {c});
  expectRejected(matmul.Finish(), StatusCode::kInvalidArgument,
                 "inner dimensions differ: [4,3] x [4,5] (3 vs 4)");

  PlanBuilder add;
  a = add.AddInput("a", {4, 3});
  b = add.AddInput("b", {2, 3});
  c = add.AddOutput("c", {4, 3});
  add.AddStep(KernelId::kAdd, {a, b}, {c});
  expectRejected(add.Finish(), StatusCode::kInvalidArgument, "do not broadcast");

  PlanBuilder attention;
  int q = attention.AddInput("q", {1, 2, 8, 4});
  int k = attention.AddInput("k", {1, 3, 8, 4});
  int v = attention.AddInput("v", {1, 3, 8, 4});
  int out = attention.AddOutput("out", {1, 2, 8, 4});
  int lse = attention.AddOutput("lse", {1, 2, 8});
  attention.AddStep(KernelId::kAttention, {q, k, v}, {out, lse});
  expectRejected(attention.Finish(), StatusCode::kInvalidArgument,
                 "q heads 2 are not a multiple of k/v heads 3");

  // Grouped-query attention (4 query heads over 2 kv heads) with key lengths i32 [B]: accepted;
  // key lengths of the wrong shape or dtype are not.
  for (int variant = 0; variant < 3; ++variant) {
    PlanBuilder gqa;
    q = gqa.AddInput("q", {2, 4, 8, 4});
    k = gqa.AddInput("k", {2, 2, 8, 4});
    v = gqa.AddInput("v", {2, 2, 8, 4});
    int lengths = variant == 1   ? gqa.AddInput("key_lengths", {3}, DType::kI32)
                  : variant == 2 ? gqa.AddInput("key_lengths", {2})
                                 : gqa.AddInput("key_lengths", {2}, DType::kI32);
    out = gqa.AddOutput("out", {2, 4, 8, 4});
    lse = gqa.AddOutput("lse", {2, 4, 8});
    gqa.AddStep(KernelId::kAttention, {q, k, v, lengths}, {out, lse});
    if (variant == 0) {
      Status status = load(gqa.Finish());
      EXPECT_TRUE(status.ok()) << status.ToString();
    } else {
      expectRejected(gqa.Finish(), StatusCode::kInvalidArgument,
                     variant == 1 ? "key_lengths" : "operand 3 is f32, expected i32");
    }
  }

  PlanBuilder dtype;
  a = dtype.AddInput("a", {4}, DType::kI32);
  c = dtype.AddOutput("c", {4});
  dtype.AddStep(KernelId::kRelu, {a}, {c});
  expectRejected(dtype.Finish(), StatusCode::kInvalidArgument, "operand 0 is i32, expected f32");
}

TEST(PlanLoaderTest, RejectsDuplicateBindings) {
  PlanBuilder builder = PerceptronBuilder();
  builder.AddOutput("x", {1});
  expectRejected(builder.Finish(), StatusCode::kInvalidArgument,
                 "binding name 'x' is used by more than one tensor");
}

TEST(PlanLoaderTest, RejectsIntervalsInconsistentWithSteps) {
  PerceptronIds ids;
  PlanBuilder builder = PerceptronBuilder(&ids);
  builder.tensor(ids.h).live_last = 0; // Step 1 still reads h.
  expectRejected(builder.Finish(), StatusCode::kInvalidArgument,
                 "tensor 3 'h' is used by step 1 (Add 'bias') outside its live interval [0, 0]");
  PlanBuilder range = PerceptronBuilder(&ids);
  range.tensor(ids.z).live_last = 7;
  expectRejected(range.Finish(), StatusCode::kInvalidArgument, "expected 0 <= first <= last < 3");
}

TEST(PlanLoaderTest, RejectsReadBeforeWrite) {
  PerceptronIds ids;
  PlanBuilder builder = PerceptronBuilder(&ids);
  int u = builder.AddArenaTensor("u", {4, 5}, 0, 2, 3);
  builder.AddStep(KernelId::kCopy, {u}, {ids.y}, {}, "copy");
  builder.tensor(ids.h).live_last = 1;
  expectRejected(builder.Finish(), StatusCode::kInvalidArgument,
                 "step 3 (Copy 'copy') reads tensor 6 'u' before any step writes it");
}

TEST(PlanLoaderTest, RejectsAccumulationIntoUnwrittenArenaBytes) {
  // MatMul with accumulate = true adds to the result's previous contents: h must hold data.
  PerceptronIds ids;
  PlanBuilder builder = PerceptronBuilder(&ids);
  int acc = builder.AddArenaTensor("acc", {4, 5}, 0, 3, 3);
  builder.tensor(ids.h).live_last = 1;
  builder.AddStep(KernelId::kMatMul, {ids.x, ids.w}, {acc},
                  MatMulAttributes{false, false, 1.0f, true}, "acc");
  expectRejected(builder.Finish(), StatusCode::kInvalidArgument,
                 "step 3 (MatMul 'acc') reads tensor 6 'acc' before any step writes it");
}

TEST(PlanLoaderTest, RejectsWritesToInputsAndConstants) {
  PerceptronIds ids;
  PlanBuilder builder = PerceptronBuilder(&ids);
  builder.AddStep(KernelId::kCopy, {ids.y}, {ids.x});
  expectRejected(builder.Finish(), StatusCode::kInvalidArgument,
                 "writes tensor 0 'x', which is read-only");
}

TEST(PlanLoaderTest, RejectsBadIdsViewsAndConstants) {
  PerceptronIds ids;
  PlanBuilder builder = PerceptronBuilder(&ids);
  builder.AddStep(KernelId::kRelu, {42}, {ids.y});
  expectRejected(builder.Finish(), StatusCode::kInvalidArgument,
                 "names tensor 42, but the plan has 6 tensors");

  PlanBuilder view = PerceptronBuilder(&ids);
  view.AddView("h_tail", {4, 5}, ids.h, 40, 0, 1);
  expectRejected(view.Finish(), StatusCode::kOutOfRange, "is not inside its base tensor 3 'h'");

  PlanBuilder constant;
  TensorSpec spec;
  spec.name = "c";
  spec.shape = {4};
  spec.location = TensorLocation::kConstant;
  spec.constant_data.resize(12);
  constant.AddTensor(spec);
  expectRejected(constant.Finish(), StatusCode::kInvalidArgument,
                 "is a constant of 16 bytes but carries 12 bytes of data");
}

TEST(PlanLoaderTest, RejectsUnknownKernelAndStateInitOutOfRange) {
  PerceptronIds ids;
  PlanBuilder builder = PerceptronBuilder(&ids);
  builder.AddStep(static_cast<KernelId>(999), {ids.x}, {ids.y});
  expectRejected(builder.Finish(), StatusCode::kUnimplemented,
                 "step 3 uses kernel id 999, unknown to this runtime");

  PlanBuilder init = PerceptronBuilder();
  float value = 1.0f;
  init.AddStateInit(126, &value, sizeof(value));
  expectRejected(init.Finish(), StatusCode::kOutOfRange,
                 "covers bytes [126, 130) outside the state region of 128 bytes");
}

TEST(PlanLoaderTest, RejectsOverlappingStateTensors) {
  PerceptronIds ids;
  PlanBuilder builder = PerceptronBuilder(&ids);
  builder.SetState(128, 16);
  builder.tensor(ids.b).offset = 48; // W is [0, 60).
  expectRejected(builder.Finish(), StatusCode::kInvalidArgument,
                 "state overlap: tensor 1 'W' and tensor 2 'b' share bytes");
}

TEST(PlanLoaderTest, ChecksInPlaceResults) {
  // relu in place (z's bytes) is fine; softmax in place is not; a shifted view never is.
  PerceptronIds ids;
  PlanBuilder builder = PerceptronBuilder(&ids);
  int z_relu = builder.AddView("z_relu", {4, 5}, ids.z, 0, 3, 3);
  builder.tensor(ids.z).live_last = 3;
  builder.AddStep(KernelId::kRelu, {ids.z}, {z_relu});
  EXPECT_TRUE(load(builder.Finish()).ok());

  PlanBuilder softmax = PerceptronBuilder(&ids);
  int z_soft = softmax.AddView("z_soft", {4, 5}, ids.z, 0, 3, 3);
  softmax.tensor(ids.z).live_last = 3;
  softmax.AddStep(KernelId::kSoftmax, {ids.z}, {z_soft}, {}, "sm");
  expectRejected(softmax.Finish(), StatusCode::kInvalidArgument,
                 "step 3 (Softmax 'sm'): result tensor 6 'z_soft' shares bytes with operand "
                 "tensor 4 'z', and this kernel cannot work in place");

  PlanBuilder shifted = PerceptronBuilder(&ids);
  int z_tail = shifted.AddView("z_tail", {2, 5}, ids.z, 8, 3, 3);
  int z_head = shifted.AddView("z_head", {2, 5}, ids.z, 0, 3, 3);
  shifted.tensor(ids.z).live_last = 3;
  shifted.AddStep(KernelId::kCopy, {z_head}, {z_tail});
  expectRejected(shifted.Finish(), StatusCode::kInvalidArgument, "without being exactly its bytes");
}

TEST(PlanLoaderTest, AcceptsViewsAsPartOfTheirBase) {
  // A reshape view of h shares its bytes; it is part of h for the overlap check.
  PerceptronIds ids;
  PlanBuilder builder = PerceptronBuilder(&ids);
  int flat = builder.AddView("h_flat", {20}, ids.h, 0, 1, 1);
  int out = builder.AddOutput("flat", {20});
  // Extend the plan: step 3 copies the view out; so h must stay live until step 3.
  builder.tensor(flat).live_first = 3;
  builder.tensor(flat).live_last = 3;
  builder.AddStep(KernelId::kCopy, {flat}, {out});
  expectRejected(builder.Finish(), StatusCode::kInvalidArgument,
                 "tensor 3 'h' is used by step 3 (Copy) outside its live interval [0, 1]");
  builder.tensor(ids.h).live_last = 3; // Now h's bytes [0, 80) stay reserved through step 3.
  EXPECT_TRUE(load(builder.Finish()).ok());
}

// A plan whose `count` tensors all point at one shared name string and one shared constant
// vector of `bytes` bytes: small on disk, count x bytes once decoded and copied. The FlatBuffers
// verifier accepts it (sharing is legal); PlanBuilder never writes it.
std::vector<uint8_t> sharedStoragePlan(int count, size_t bytes, bool share_name) {
  namespace fb = ::tidemark::plan;
  flatbuffers::FlatBufferBuilder fbb;
  auto name = fbb.CreateString(std::string(bytes, 'n'));
  auto data = fbb.CreateVector(std::vector<uint8_t>(bytes, 0));
  auto shape = fbb.CreateVector(std::vector<int64_t>{static_cast<int64_t>(bytes / 4)});
  std::vector<flatbuffers::Offset<fb::Tensor>> tensors;
  for (int i = 0; i < count; ++i) {
    if (share_name)
      tensors.push_back(fb::CreateTensor(fbb, name, shape, fb::DType::F32, fb::Location::Arena));
    else
      tensors.push_back(fb::CreateTensor(fbb, 0, shape, fb::DType::F32, fb::Location::Constant, 0,
                                         -1, -1, -1, data));
  }
  auto plan =
      fb::CreatePlan(fbb, kPlanFormatVersion, 0, 64, 0, 64, 0, 0, fbb.CreateVector(tensors));
  fb::FinishPlanBuffer(fbb, plan);
  return std::vector<uint8_t>(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());
}

// Issue 9 (audit): decoding copies every name, and the executor every constant, once per tensor.
// Tables sharing one big string or vector would make that quadratic in the file size (here ~64
// KiB on disk, 64 MiB decoded); the loader refuses them before copying.
TEST(PlanLoaderTest, RejectsTablesSharingOneBigStringOrVector) {
  const std::vector<uint8_t> names = sharedStoragePlan(1000, 64 << 10, /*share_name=*/true);
  EXPECT_LT(names.size(), size_t{200} << 10);
  expectRejected(names, StatusCode::kDataLoss,
                 "name would make the decoded plan larger than the " +
                     std::to_string(names.size()) + " bytes of the file");
  const std::vector<uint8_t> constants = sharedStoragePlan(1000, 64 << 10, /*share_name=*/false);
  expectRejected(constants, StatusCode::kDataLoss, "constant data would make the decoded plan");
  // The same tables, each used once, are fine as far as sharing goes.
  Status one = load(sharedStoragePlan(1, 64 << 10, /*share_name=*/false));
  EXPECT_TRUE(one.ok()) << one.ToString();
}

// Issue 9 (audit): the kernels' own limits are verified at load, so a verified plan never fails
// at run time. Attention indexes Tq x Tk scores: at most 2^40 (here 2^21 x 2^21 = 2^42, with q,
// k and v of only 8 MiB each).
TEST(PlanLoaderTest, RejectsAttentionBeyondTheKernelLimits) {
  PlanBuilder builder;
  const int64_t t = int64_t{1} << 21;
  const uint64_t bytes = uint64_t(t) * 4;
  builder.SetArena(3 * bytes);
  int q = builder.AddInput("q", {1, 1, t, 1});
  int out = builder.AddArenaTensor("out", {1, 1, t, 1}, 0);
  int lse = builder.AddArenaTensor("lse", {1, 1, t}, bytes);
  builder.AddStep(KernelId::kAttention, {q, q, q}, {out, lse}, AttentionAttributes{});
  builder.AssignLiveIntervalsFromSteps();
  expectRejected(builder.Finish(), StatusCode::kInvalidArgument,
                 "step 0 (Attention): attention: tensors larger than 2^40 elements are not "
                 "supported");
}

// Issue 9 (audit): each use of a view is checked against the intervals of its whole view chain.
// That is O(1) per use (the chains' intersections are precomputed), not O(chain length): 50,000
// views of views and 50,000 steps reading the deepest one verify in about 0.1 s (walking the
// chain per use would be 2.5e9 steps).
TEST(PlanLoaderTest, LongViewChainsVerifyInLinearTime) {
  const int n = 50000;
  PlanBuilder builder;
  builder.SetArena(64);
  int x = builder.AddInput("x", {1});
  int base = builder.AddArenaTensor("base", {1}, 0, 0, n);
  builder.AddStep(KernelId::kCopy, {x}, {base});
  int previous = base;
  for (int i = 0; i < n; ++i)
    previous = builder.AddView("", {1}, previous, 0, 0, n);
  int y = builder.AddOutput("y", {1});
  for (int i = 0; i < n; ++i)
    builder.AddStep(KernelId::kCopy, {previous}, {y});
  const std::vector<uint8_t> bytes = builder.Finish();
  const auto start = std::chrono::steady_clock::now();
  Status status = load(bytes);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_TRUE(status.ok()) << status.ToString();
  EXPECT_LT(seconds, 2.0) << "50,000 uses of a 50,000-deep view chain";
  std::printf("50000-deep view chain, 50001 steps: verified in %.3f s\n", seconds);
}

// Clipping kernels and the optimizer's lr schedule are checked on load.
TEST(PlanLoaderTest, RejectsBadClippingAndSchedules) {
  for (int variant = 0; variant < 4; ++variant) {
    PlanBuilder builder;
    int g = builder.AddInput("g", {4, 3});
    int acc = builder.AddInput("acc", {});
    int squares = builder.AddOutput("squares", variant == 1 ? std::vector<int64_t>{2}
                                                            : std::vector<int64_t>{});
    int factor = builder.AddOutput("factor", {});
    builder.AddStep(KernelId::kSumSquares, {g, acc}, {squares});
    if (variant == 3)
      builder.AddStep(KernelId::kClipCoefficient, {squares}, {factor});
    else
      builder.AddStep(KernelId::kClipCoefficient, {squares}, {factor},
                      ClipAttributes{variant == 2 ? 0.0f : 1.0f});
    const char *expected[] = {"", "sum of squares (result 0) must hold one element",
                              "clip max_norm must be positive and finite",
                              "needs its attribute table"};
    if (variant == 0) {
      Status status = load(builder.Finish());
      EXPECT_TRUE(status.ok()) << status.ToString();
    } else {
      expectRejected(builder.Finish(), StatusCode::kInvalidArgument, expected[variant]);
    }
  }

  for (int variant = 0; variant < 3; ++variant) {
    PlanBuilder builder;
    builder.SetState(64);
    int w = builder.AddStateTensor("w", {4}, 0);
    int dw = builder.AddInput("dw", {4});
    SgdAttributes attrs{0.1f, 0.0f, 0.0f};
    attrs.schedule =
        LrScheduleAttributes{true, 2, variant == 1 ? 2 : 10, variant == 2 ? 0.5f : 0.01f};
    builder.AddStep(KernelId::kSgdUpdate, {w, dw}, {w}, attrs);
    if (variant == 0) {
      Status status = load(builder.Finish());
      EXPECT_TRUE(status.ok()) << status.ToString();
    } else {
      expectRejected(builder.Finish(), StatusCode::kInvalidArgument,
                     variant == 1 ? "need 0 <= warmup steps < total steps"
                                  : "min_lr must be finite and in [0, learning rate]");
    }
  }
}

} // namespace
} // namespace tidemark
