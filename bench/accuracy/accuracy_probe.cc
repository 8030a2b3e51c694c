// accuracy_probe: runs one runtime kernel on inputs read from raw little-endian files and writes
// its outputs the same way, so bench/accuracy/audit.py can compare them (and PyTorch float32's)
// against a float64 reference. Not a test: the numbers it feeds are a measurement (see
// docs/kernels.md, "Accuracy against PyTorch").
//
//   accuracy_probe DIR KERNEL ARGS...
//     gemm M N K TRANS_A TRANS_B         a, b -> c
//     layer_norm ROWS N                  x, scale, bias, dy -> y, mean, rstd, dx, d_scale, d_bias
//     gelu_tanh N                        x, dy -> y, dx
//     attention B H T D CHUNK            q, k, v, d_out -> out, lse, dq, dk, dv (causal)
//     lm_head ROWS HIDDEN VOCAB VCHUNK   h, w, labels(i32) -> loss, lse, dh, dw (d_loss = 1)
//     gather_grad COUNT ROWS DIM         ids(i32), dy -> d_table
//     column_sum ROWS COLS               dy -> db (the bias gradient: ReduceToShape to [COLS])
//     adam N STEP LR WD                  param, grad, m, v -> param, m, v (AdamW, decoupled)
// Every tensor NAME is DIR/NAME.bin (float32, or int32 where marked).
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "runtime/core/thread_pool.h"
#include "runtime/kernels/attention.h"
#include "runtime/kernels/elementwise.h"
#include "runtime/kernels/gather.h"
#include "runtime/kernels/gemm.h"
#include "runtime/kernels/layer_norm.h"
#include "runtime/kernels/lm_head_loss.h"
#include "runtime/kernels/optimizer.h"
#include "runtime/kernels/shape.h"

namespace {

std::string g_dir;

[[noreturn]] void Fail(const std::string &message) {
  std::fprintf(stderr, "accuracy_probe: %s\n", message.c_str());
  std::exit(2);
}

template <typename T> std::vector<T> Read(const std::string &name, size_t count) {
  const std::string path = g_dir + "/" + name + ".bin";
  FILE *f = std::fopen(path.c_str(), "rb");
  if (f == nullptr)
    Fail("cannot open " + path);
  std::vector<T> v(count);
  const size_t got = std::fread(v.data(), sizeof(T), count, f);
  const bool extra = std::fgetc(f) != EOF;
  std::fclose(f);
  if (got != count || extra)
    Fail(path + ": expected exactly " + std::to_string(count) + " elements");
  return v;
}

void Write(const std::string &name, const float *data, size_t count) {
  const std::string path = g_dir + "/" + name + ".bin";
  FILE *f = std::fopen(path.c_str(), "wb");
  if (f == nullptr || std::fwrite(data, sizeof(float), count, f) != count)
    Fail("cannot write " + path);
  std::fclose(f);
}

void Write(const std::string &name, const std::vector<float> &v) {
  Write(name, v.data(), v.size());
}

// 64-byte aligned scratch, as the kernels require.
struct Scratch {
  explicit Scratch(size_t bytes) : storage(bytes + 64) {}
  unsigned char *data() {
    const uintptr_t address = reinterpret_cast<uintptr_t>(storage.data());
    return storage.data() + (64 - address % 64) % 64;
  }
  std::vector<unsigned char> storage;
};

int64_t Arg(char **argv, int argc, int i) {
  if (i >= argc)
    Fail("missing argument " + std::to_string(i));
  return std::atoll(argv[i]);
}

void Check(const tidemark::Status &s, const char *what) {
  if (!s.ok())
    Fail(std::string(what) + ": " + s.ToString());
}

} // namespace

int main(int argc, char **argv) {
  using namespace tidemark;
  using namespace tidemark::kernels;
  if (argc < 3)
    Fail("usage: accuracy_probe DIR KERNEL ARGS... (see the file's header)");
  g_dir = argv[1];
  const std::string kernel = argv[2];
  ThreadPool pool(2);
  if (kernel == "gemm") {
    GemmParams p;
    p.m = Arg(argv, argc, 3);
    p.n = Arg(argv, argc, 4);
    p.k = Arg(argv, argc, 5);
    p.trans_a = Arg(argv, argc, 6) != 0;
    p.trans_b = Arg(argv, argc, 7) != 0;
    const auto a = Read<float>("a", static_cast<size_t>(p.m * p.k));
    const auto b = Read<float>("b", static_cast<size_t>(p.k * p.n));
    std::vector<float> c(static_cast<size_t>(p.m * p.n));
    Scratch scratch(GemmScratchBytes(2));
    Gemm(p, a.data(), b.data(), c.data(), scratch.data(), &pool);
    Write("c", c);
  } else if (kernel == "layer_norm") {
    const int64_t rows = Arg(argv, argc, 3), n = Arg(argv, argc, 4);
    const auto x = Read<float>("x", static_cast<size_t>(rows * n));
    const auto scale = Read<float>("scale", static_cast<size_t>(n));
    const auto bias = Read<float>("bias", static_cast<size_t>(n));
    const auto dy = Read<float>("dy", static_cast<size_t>(rows * n));
    std::vector<float> y(x.size()), mean(static_cast<size_t>(rows)), rstd(mean.size()),
        dx(x.size()), ds(scale.size()), db(scale.size());
    Check(LayerNorm(rows, n, x.data(), scale.data(), bias.data(), 1e-5f, y.data(), mean.data(),
                    rstd.data(), &pool),
          "layer norm");
    Scratch scratch(LayerNormGradScratchBytes(rows, n, 2));
    Check(LayerNormGrad(rows, n, x.data(), scale.data(), mean.data(), rstd.data(), dy.data(),
                        dx.data(), ds.data(), db.data(), scratch.data(), &pool),
          "layer norm grad");
    Write("y", y);
    Write("mean", mean);
    Write("rstd", rstd);
    Write("dx", dx);
    Write("d_scale", ds);
    Write("d_bias", db);
  } else if (kernel == "gelu_tanh") {
    const int64_t n = Arg(argv, argc, 3);
    const auto x = Read<float>("x", static_cast<size_t>(n));
    const auto dy = Read<float>("dy", static_cast<size_t>(n));
    std::vector<float> y(x.size()), dx(x.size());
    Unary(UnaryOp::kGeluTanh, x.data(), y.data(), n, &pool);
    UnaryGrad(UnaryOp::kGeluTanh, x.data(), dy.data(), dx.data(), n, &pool);
    Write("y", y);
    Write("dx", dx);
  } else if (kernel == "attention") {
    AttentionParams p;
    p.batch = Arg(argv, argc, 3);
    p.heads = Arg(argv, argc, 4);
    p.seq_q = p.seq_k = Arg(argv, argc, 5);
    p.head_dim = Arg(argv, argc, 6);
    p.q_chunk = p.k_chunk = Arg(argv, argc, 7);
    p.causal = true;
    p.scale = 1.0f / std::sqrt(static_cast<float>(p.head_dim));
    const size_t n = static_cast<size_t>(p.batch * p.heads * p.seq_q * p.head_dim);
    const auto q = Read<float>("q", n), k = Read<float>("k", n), v = Read<float>("v", n),
               d_out = Read<float>("d_out", n);
    std::vector<float> out(n), lse(static_cast<size_t>(p.batch * p.heads * p.seq_q)), dq(n), dk(n),
        dv(n);
    Scratch fwd(AttentionScratchBytes(p, 2)), bwd(AttentionBackwardScratchBytes(p, 2));
    Check(AttentionForward(p, q.data(), k.data(), v.data(), out.data(), lse.data(), fwd.data(),
                           &pool),
          "attention");
    Check(AttentionBackward(p, q.data(), k.data(), v.data(), out.data(), lse.data(), d_out.data(),
                            dq.data(), dk.data(), dv.data(), bwd.data(), &pool),
          "attention backward");
    Write("out", out);
    Write("lse", lse);
    Write("dq", dq);
    Write("dk", dk);
    Write("dv", dv);
  } else if (kernel == "lm_head") {
    LmHeadLossParams p;
    p.rows = Arg(argv, argc, 3);
    p.hidden = Arg(argv, argc, 4);
    p.vocab = Arg(argv, argc, 5);
    p.vocab_chunk = Arg(argv, argc, 6);
    const auto h = Read<float>("h", static_cast<size_t>(p.rows * p.hidden));
    const auto w = Read<float>("w", static_cast<size_t>(p.vocab * p.hidden));
    const auto labels = Read<int32_t>("labels", static_cast<size_t>(p.rows));
    float loss = 0.0f, d_loss = 1.0f;
    std::vector<float> lse(static_cast<size_t>(p.rows)), dh(h.size()), dw(w.size());
    Scratch scratch(LmHeadLossScratchBytes(p, 2));
    Check(LmHeadLoss(p, h.data(), w.data(), nullptr, labels.data(), &loss, lse.data(),
                     scratch.data(), &pool),
          "lm head loss");
    Check(LmHeadLossGrad(p, h.data(), w.data(), nullptr, labels.data(), lse.data(), &d_loss,
                         dh.data(), dw.data(), nullptr, scratch.data(), &pool),
          "lm head loss grad");
    Write("loss", &loss, 1);
    Write("lse", lse);
    Write("dh", dh);
    Write("dw", dw);
  } else if (kernel == "gather_grad") {
    const int64_t count = Arg(argv, argc, 3), rows = Arg(argv, argc, 4), dim = Arg(argv, argc, 5);
    const auto ids = Read<int32_t>("ids", static_cast<size_t>(count));
    const auto dy = Read<float>("dy", static_cast<size_t>(count * dim));
    std::vector<float> dt(static_cast<size_t>(rows * dim));
    Check(GatherGrad(ids.data(), count, dy.data(), rows, dim, dt.data(), &pool), "gather grad");
    Write("d_table", dt);
  } else if (kernel == "column_sum") {
    const int64_t rows = Arg(argv, argc, 3), cols = Arg(argv, argc, 4);
    const auto dy = Read<float>("dy", static_cast<size_t>(rows * cols));
    std::vector<float> db(static_cast<size_t>(cols));
    Check(ReduceToShape(Shape{rows, cols}, dy.data(), Shape{cols}, db.data(), &pool),
          "reduce to shape");
    Write("db", db);
  } else if (kernel == "adam") {
    const int64_t n = Arg(argv, argc, 3), step = Arg(argv, argc, 4);
    AdamOptions o;
    o.learning_rate = static_cast<float>(std::atof(argv[5]));
    o.weight_decay = static_cast<float>(std::atof(argv[6]));
    o.decoupled_weight_decay = true;
    auto param = Read<float>("param", static_cast<size_t>(n));
    const auto grad = Read<float>("grad", static_cast<size_t>(n));
    auto m = Read<float>("m", static_cast<size_t>(n)), v = Read<float>("v", static_cast<size_t>(n));
    Check(AdamUpdate(n, param.data(), grad.data(), m.data(), v.data(), o, step, &pool), "adam");
    Write("param_out", param);
    Write("m_out", m);
    Write("v_out", v);
  } else {
    Fail("unknown kernel '" + kernel + "'");
  }
  return 0;
}
