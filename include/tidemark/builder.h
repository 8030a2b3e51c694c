// Model builder: constructs tide-dialect models from C++ and emits them as textual MLIR.
//
// A GraphBuilder records inputs, parameters and forward ops by building the real tide ops: each
// call creates its op through the dialect (mlir::OpBuilder), takes the result types from the
// op's own shape inference and verifies it at once, so the dialect's verifiers are the one source
// of shape rules. toMlir() prints the module (one `func.func`) with MLIR's printer, exactly as
// tide-opt prints it. This header has no MLIR in it (the MLIR objects live behind the pimpl); the
// library links the tide dialect. Compiler code can take the module itself through
// compiler/builder/GraphBuilderAccess.h.
//
//   tidemark::builder::GraphBuilder b("tiny");
//   Value x = b.input("x", {8, 16});
//   Value w = b.param("w", {16, 4}, ParamInit::normal(0.02));
//   Value y = b.matmul(x, w);
//   b.setOutputs({b.mseLoss(y, b.input("target", {8, 4}))});
//   if (!b.status().ok()) { /* b.status().message() says which op broke which rule */ }
//   std::string mlir = b.toMlir();
//
// Errors: the first failing call records a message (the op, its scope, and the dialect's
// diagnostic: the rule and the shapes or types that break it) and returns an invalid Value;
// calls that get an invalid Value return an invalid Value without a new message, so one check
// of status() at the end suffices. Nothing throws.
//
// The emitted function: arguments are the inputs (in creation order) followed by the parameters
// (in creation order), each parameter marked `{tide.param, tide.init = "<its ParamInit>"}`. MLIR
// prints arguments as %arg0, %arg1, ... and results as %0, %1, ...; the names are in the
// function's `tide.param_names` (the parameters' names, in argument order) and
// `tide.input_names` (the inputs' names, in argument order).
//
// Thread-safety: a GraphBuilder is a plain value; use one from one thread at a time. A moved-from
// GraphBuilder may only be destroyed or assigned to.
#ifndef TIDEMARK_BUILDER_H_
#define TIDEMARK_BUILDER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tidemark/status.h"

namespace tidemark {
namespace builder {

/// Element types the builder knows: f32 activations and parameters, i32 class labels.
enum class ElementType { F32, I32 };

/// How a parameter is initialised by initialValues(): all zeros, all ones, normal(mean, std) or
/// uniform on [low, high]. The emitted MLIR carries it as the argument attribute
/// `tide.init = "<describe()>"`, which tidec reads to build a plan's initial state.
struct ParamInit {
  enum class Kind { Zeros, Ones, Normal, Uniform };
  Kind kind = Kind::Zeros;
  double std = 0.0;             ///< Normal: the standard deviation (>= 0).
  double mean = 0.0;            ///< Normal: the mean.
  double low = 0.0, high = 0.0; ///< Uniform: the bounds, low <= high.

  static ParamInit zeros() { return {Kind::Zeros, 0.0}; }
  static ParamInit ones() { return {Kind::Ones, 0.0}; }
  static ParamInit normal(double std) { return {Kind::Normal, std}; }
  static ParamInit normal(double mean, double std) { return {Kind::Normal, std, mean}; }
  static ParamInit uniform(double low, double high) { return {Kind::Uniform, 0.0, 0.0, low, high}; }
  /// "zeros", "ones", "normal(<mean>, <std>)" or "uniform(<low>, <high>)": the `tide.init`
  /// attribute's text; each number is the shortest decimal that reads back exactly.
  std::string describe() const;
  /// "" when the numbers are usable (finite, |x| <= 1e30, std >= 0, low <= high), else why not.
  std::string check() const;
  /// Parses describe()'s syntax (spaces allowed around tokens); numbers as strtod reads them.
  /// On failure returns false and sets *error to a message naming what is wrong.
  static bool parse(const std::string &text, ParamInit *init, std::string *error);
};

/// A handle to a tensor of one GraphBuilder. Invalid (id < 0) when the op that made it failed.
struct Value {
  int id = -1;
  bool valid() const { return id >= 0; }
};

/// A function argument: an input (activations, targets, labels) or a trainable parameter.
struct Argument {
  std::string name;
  ElementType elementType = ElementType::F32;
  std::vector<int64_t> shape;
  bool isParam = false;
  ParamInit init; ///< Meaningful for parameters only.
};

enum class GeluApproximation { Tanh, Exact };

/// Options of tide.attention.
struct AttentionOptions {
  bool causal = true;
  double scale = 1.0; ///< Usually 1 / sqrt(head_dim); positive and finite.
  int64_t queryChunk = 64;
  int64_t keyChunk = 64;
  /// Optional i32 [batch] key lengths (a key-padding mask: keys j >= keyLengths[b] of batch b are
  /// masked for every query). Invalid: none.
  Value keyLengths;
};

/// Which dimension of a rank-4 tensor tide.rope reads as the sequence position.
enum class RopeLayout { BTHD, BHTD };

/// Options of tide.rope (half-split pairing, as Llama and GPT-NeoX).
struct RopeOptions {
  RopeLayout layout = RopeLayout::BHTD;
  double base = 10000.0;
  int64_t rotDim = 0; ///< 0: the whole head_dim. Otherwise even, in [2, head_dim].
  int64_t offset = 0; ///< Position of sequence index 0, in [0, 2^31 - 1].
};

/// Options of tide.lm_head_loss.
struct LmHeadLossOptions {
  int64_t ignoreIndex = -100; ///< Rows with this label count neither in the mean nor the grad.
  int64_t rowChunk = 256;     ///< Rows per logit block, in [1, 2^31 - 1].
  int64_t vocabChunk = 2048;  ///< Classes per logit block, in [1, 2^31 - 1].
  Value bias;                 ///< Optional [vocab] bias (invalid: none).
};

/// Records a tide-dialect function op by op. Movable, not copyable.
class GraphBuilder {
public:
  explicit GraphBuilder(std::string functionName);
  ~GraphBuilder();
  GraphBuilder(GraphBuilder &&) noexcept;
  GraphBuilder &operator=(GraphBuilder &&) noexcept;
  GraphBuilder(const GraphBuilder &) = delete;
  GraphBuilder &operator=(const GraphBuilder &) = delete;

  // --- Arguments (function arguments even when created inside a checkpoint region). Names:
  // [A-Za-z_][A-Za-z0-9_.-]*, unique among all arguments. Dimensions >= 1, rank <= 6 (the runtime's
  // limit). Parameters are f32.
  Value input(const std::string &name, std::vector<int64_t> shape,
              ElementType elementType = ElementType::F32);
  /// A parameter named `<scope>.<name>` inside scopes (see pushScope), else `name`.
  Value param(const std::string &name, std::vector<int64_t> shape, ParamInit init);

  // --- Forward ops; each builds and verifies the tide op of the same name (docs/dialect.md).
  Value matmul(Value lhs, Value rhs, bool transposeLhs = false, bool transposeRhs = false);
  Value add(Value lhs, Value rhs);
  Value sub(Value lhs, Value rhs);
  Value mul(Value lhs, Value rhs);
  Value div(Value lhs, Value rhs);
  Value relu(Value input);
  Value tanh(Value input);
  Value exp(Value input);
  Value gelu(Value input, GeluApproximation approximation = GeluApproximation::Tanh);
  Value softmax(Value input, int64_t axis = -1);
  Value layerNorm(Value input, Value scale, Value bias, int64_t axis = -1, double epsilon = 1e-5);
  Value reduceSum(Value input, std::vector<int64_t> axes, bool keepDims = false);
  Value reduceMean(Value input, std::vector<int64_t> axes, bool keepDims = false);
  Value transpose(Value input, std::vector<int64_t> permutation);
  Value reshape(Value input, std::vector<int64_t> shape);
  /// query [B, H, Tq, Dh]; key and value [B, KVH, Tk, Dh] with H a multiple of KVH (grouped-query
  /// attention: query head h reads key/value head h / (H / KVH)).
  Value attention(Value query, Value key, Value value, const AttentionOptions &options);
  Value mseLoss(Value prediction, Value target);
  Value softmaxCrossEntropy(Value logits, Value labels);

  // --- Transformer ops (docs/dialect.md; their verifiers' rules).
  Value silu(Value input);
  Value sigmoid(Value input);
  Value neg(Value input);
  Value sqrt(Value input);
  Value rsqrt(Value input);
  Value erf(Value input);
  Value abs(Value input);
  Value minimum(Value lhs, Value rhs);
  Value maximum(Value lhs, Value rhs);
  /// Embedding lookup: table f32 [rows, dim], ids i32 of any shape -> ids.shape + [dim].
  Value gather(Value table, Value ids);
  /// y = x * rsqrt(mean(x^2 over [axis, rank)) + epsilon) * scale; scale has the normalized shape.
  Value rmsNorm(Value input, Value scale, int64_t axis = -1, double epsilon = 1e-6);
  /// Rotary position embedding of a rank-4 tensor (see RopeOptions).
  Value rope(Value input, const RopeOptions &options);
  /// Inverted dropout with probability p in [0, 1) (as f32). Each call gets the next random
  /// stream (`site` 0, 1, 2, ... in call order), so every dropout draws its own mask.
  Value dropout(Value input, double p);
  /// Number of dropout ops so far (the next one's site).
  int64_t numDropouts() const;
  /// Fused LM head + cross-entropy: hidden f32 [rows, dim], weight f32 [vocab, dim] (nn.Linear's
  /// layout: logits = hidden weight^T + bias), labels i32 [rows]; the mean loss over the rows
  /// whose label is not options.ignoreIndex (a scalar).
  Value lmHeadLoss(Value hidden, Value weight, Value labels, const LmHeadLossOptions &options);

  // --- Checkpoint regions. Ops between beginCheckpoint() and endCheckpoint() form one
  // tide.checkpoint region: it uses values from above directly, and only the values passed to
  // endCheckpoint (the yielded values) are visible after it, as the returned results. Regions do
  // not nest; a region needs at least one op and one yielded value.
  void beginCheckpoint();
  std::vector<Value> endCheckpoint(const std::vector<Value> &yielded);
  int numCheckpoints() const;

  // --- Name scopes: prefix parameter names ("blocks.0" + "ln1" -> "blocks.0.ln1.weight") and
  // error messages. Use ScopeGuard for exception-free RAII nesting.
  void pushScope(const std::string &name);
  void popScope();
  /// The current scope path ("" at top level, else "a.b.c").
  std::string scope() const;

  /// The function's results (usually one scalar loss). Must be called before toMlir().
  void setOutputs(const std::vector<Value> &outputs);

  /// Records `message` as the builder's error unless one is already recorded (for model code
  /// that validates its own configuration).
  void fail(const std::string &message);

  // --- Queries.
  /// OK, or the first error; also reports an open checkpoint region or missing outputs.
  Status status() const;
  /// The shape of a valid value (empty for a scalar or an invalid value).
  std::vector<int64_t> shape(Value value) const;
  ElementType elementType(Value value) const;
  /// Arguments in function order: inputs first, then parameters.
  std::vector<Argument> arguments() const;
  /// The parameters in function order.
  std::vector<Argument> parameters() const;

  /// The module as MLIR's printer prints it (what tide-opt prints), or "" when status() is not
  /// OK. It verifies the whole module first; a failure there would be a builder bug, recorded as
  /// the builder's error. O(module size).
  std::string toMlir() const;

private:
  friend struct GraphBuilderAccess; // compiler/builder/GraphBuilderAccess.h: the MLIR module.
  struct Impl;
  std::unique_ptr<Impl> impl;
};

/// Pushes a name scope on construction and pops it on destruction.
class ScopeGuard {
public:
  ScopeGuard(GraphBuilder &builder, const std::string &name) : builder(builder) {
    builder.pushScope(name);
  }
  ~ScopeGuard() { builder.popScope(); }
  ScopeGuard(const ScopeGuard &) = delete;
  ScopeGuard &operator=(const ScopeGuard &) = delete;

private:
  GraphBuilder &builder;
};

/// Initial values of a parameter: `init` applied to product(shape) floats. Normal values come
/// from a generator seeded by (seed, parameter name) alone, so a parameter's values do not
/// depend on which other parameters exist (docs/models.md gives the exact scheme).
std::vector<float> initialValues(const Argument &parameter, uint64_t seed);

//===--------------------------------------------------------------------===//
// Building blocks. Every block creates its parameters in a scope named `name`.
//===--------------------------------------------------------------------===//

/// y = x W + b over the last dimension: `<name>.weight` [in, out] ~ normal(0, 0.02) and, with
/// `bias`, `<name>.bias` [out] = 0.
Value linear(GraphBuilder &b, Value x, int64_t outFeatures, const std::string &name,
             bool bias = true);

/// Layer norm over the last dimension, epsilon 1e-5: `<name>.weight` = 1, `<name>.bias` = 0.
Value layerNorm(GraphBuilder &b, Value x, const std::string &name);

/// Two-layer GELU (tanh) feed-forward: `<name>.fc1` (d -> dFF), `<name>.fc2` (dFF -> d).
Value feedForward(GraphBuilder &b, Value x, int64_t dFF, const std::string &name);

/// Options of causal multi-head self-attention.
struct SelfAttentionConfig {
  int64_t heads = 1;
  int64_t queryChunk = 64; ///< Clamped to the sequence length.
  int64_t keyChunk = 64;   ///< Clamped to the sequence length.
  bool causal = true;      ///< false: every query attends every key (an encoder).
  Value keyLengths;        ///< Optional i32 [batch]: a key-padding mask (AttentionOptions).
};

/// Multi-head self-attention (causal unless config.causal is false) on x [batch, seq, d]: linears
/// `<name>.q`, `.k`, `.v`, reshape/transpose into [batch, heads, seq, d / heads], tide.attention
/// with scale 1 / sqrt(d / heads), back to [batch, seq, d], output linear `<name>.out`.
Value selfAttention(GraphBuilder &b, Value x, const SelfAttentionConfig &config,
                    const std::string &name);

/// Pre-LN GPT-2 block: h = x + drop(attn(ln1(x))); y = h + drop(mlp(ln2(h))), parameters under
/// `name` (`ln1`, `attn`, `ln2`, `mlp`). dropout == 0 emits no tide.dropout.
Value transformerBlock(GraphBuilder &b, Value x, const SelfAttentionConfig &attention, int64_t dFF,
                       const std::string &name, double dropout = 0.0);

/// A decoder-only GPT-2 (docs/models.md has every parameter and the exact forward).
/// vocab > 0: input `tokens` i32 [batch, seq], token embedding `wte` [vocab, dModel] and learned
/// position embedding `wpe` [seq, dModel], blocks, final layer norm `ln_f` and the fused LM head
/// + cross-entropy (tide.lm_head_loss) against i32 `labels` [batch * seq] (row b * seq + t is the
/// target of tokens[b][t]). The head's weight is `head.weight` [vocab, dModel] or, tied, `wte`.
/// vocab == 0: embedding-free: input `x` f32 [batch, seq, dModel] (activations), loss =
/// mse(blocks(x), target) with f32 `target` [batch, seq, dModel].
struct GptConfig {
  int64_t layers = 2;
  int64_t dModel = 64;
  int64_t heads = 4;
  int64_t dFF = 256;
  int64_t seq = 64;
  int64_t batch = 2;
  int64_t vocab = 0;
  /// Dropout probability in [0, 1) after the embeddings, the attention output projection and the
  /// MLP output (GPT-2/nanoGPT's places; attention-probability dropout is not applied).
  double dropout = 0.0;
  bool tieWeights = false;         ///< LM head uses wte (vocab > 0 only).
  bool inference = false;          ///< Output logits [batch, seq, vocab] (or blocks(x)), no loss.
  bool checkpointPerBlock = false; ///< Each block in its own tide.checkpoint region.
  int64_t attentionChunk = 64;     ///< Query and key chunk of tide.attention.
  int64_t headRowChunk = 256;      ///< tide.lm_head_loss chunks.
  int64_t headVocabChunk = 2048;
};
GraphBuilder buildGpt(const GptConfig &config);

/// A Llama-style decoder (docs/models.md): token embedding `wte` [vocab, dModel], per block
/// pre-norm RMSNorm, causal attention with rotary position embeddings on q and k (no biases),
/// a SwiGLU MLP w2(silu(x w1) * (x w3)); final RMSNorm `norm`, fused LM head + cross-entropy
/// against `labels` i32 [batch * seq] (head `head.weight` [vocab, dModel] or, tied, `wte`).
struct LlamaConfig {
  int64_t layers = 2;
  int64_t dModel = 64;
  int64_t heads = 4;
  int64_t kvHeads = 0; ///< Key/value heads (grouped-query attention); 0: = heads.
  int64_t dFF = 0;     ///< 0: 8 * dModel / 3 rounded up to a multiple of 8.
  int64_t seq = 64;
  int64_t batch = 2;
  int64_t vocab = 256;
  double ropeBase = 10000.0;
  double normEpsilon = 1e-6;
  bool tieWeights = false;
  bool inference = false; ///< Output logits [batch, seq, vocab], no labels input.
  bool checkpointPerBlock = false;
  int64_t attentionChunk = 64;
  int64_t headRowChunk = 256;
  int64_t headVocabChunk = 2048;
};
GraphBuilder buildLlama(const LlamaConfig &config);
/// The SwiGLU width buildLlama uses when dFF == 0: 8 * dModel / 3 rounded up to a multiple of 8.
int64_t defaultLlamaFeedForward(int64_t dModel);

/// A BERT-style encoder with a masked-LM head (docs/models.md): embeddings wte[tokens] + wpe
/// (+ wtt[token_types] when typeVocab > 0), layer norm `ln_emb`, post-LN blocks (non-causal
/// attention, exact-GELU MLP), the MLM transform `mlm.dense` + GELU + `mlm.ln`, and the fused LM
/// head with bias `head.bias` against `labels` i32 [batch * seq], ignore index -100 (the
/// unmasked positions). The head weight is `head.weight` [vocab, dModel] or, tied, `wte`.
struct BertConfig {
  int64_t layers = 2;
  int64_t dModel = 64;
  int64_t heads = 4;
  int64_t dFF = 0; ///< 0: 4 * dModel.
  int64_t seq = 64;
  int64_t batch = 2;
  int64_t vocab = 256;
  int64_t typeVocab = 0; ///< > 0: input `token_types` i32 [batch, seq] and embedding `wtt`.
  /// Input `lengths` i32 [batch] (each in [0, seq]): keys at positions >= lengths[b] are masked
  /// in every attention (right padding).
  bool paddingMask = false;
  double dropout = 0.0; ///< After the embeddings' norm, each attention output and each MLP.
  bool tieWeights = false;
  bool inference = false; ///< Output logits [batch, seq, vocab], no labels input, no dropout.
  bool checkpointPerBlock = false;
  int64_t attentionChunk = 64;
  int64_t headRowChunk = 256;
  int64_t headVocabChunk = 2048;
};
GraphBuilder buildBert(const BertConfig &config);

/// A multi-layer perceptron on x [batch, inFeatures]: hidden linears `layers.<i>` with the
/// activation, then the head `layers.<n>`. classes > 0: softmax cross-entropy against i32
/// `labels` [batch]; classes == 0: mse against `target` [batch, inFeatures].
struct MlpConfig {
  int64_t batch = 32;
  int64_t inFeatures = 64;
  std::vector<int64_t> hidden = {128};
  int64_t classes = 10;
  bool gelu = false;               ///< GELU (tanh) instead of ReLU.
  bool checkpointPerLayer = false; ///< Each hidden layer in its own tide.checkpoint region.
  bool inference = false;          ///< Output the head's logits (or outputs), no loss.
};
GraphBuilder buildMlp(const MlpConfig &config);

} // namespace builder
} // namespace tidemark

#endif // TIDEMARK_BUILDER_H_
