//===- Models.cpp - Building blocks and whole models for the builder ------===//
//
// linear, layer norm, feed-forward, causal self-attention, the pre-LN GPT-2 block, a decoder-only
// GPT (token embeddings, or embedding-free), Llama, BERT and an MLP, written against the public
// GraphBuilder API. The op sequence of one block is exactly that of examples/gpt_block.mlir.
//
//===----------------------------------------------------------------------===//

#include "tidemark/builder.h"

#include <algorithm>
#include <cmath>

namespace tidemark::builder {

/// GPT-2's initialisation of weight matrices.
static constexpr double kWeightStd = 0.02;

Value linear(GraphBuilder &b, Value x, int64_t outFeatures, const std::string &name, bool bias) {
  std::vector<int64_t> shape = b.shape(x);
  if (!x.valid())
    return Value{};
  if (shape.empty())
    return b.fail("linear '" + name + "': input must have rank >= 1"), Value{};
  ScopeGuard scope(b, name);
  Value weight = b.param("weight", {shape.back(), outFeatures}, ParamInit::normal(kWeightStd));
  Value y = b.matmul(x, weight);
  if (!bias)
    return y;
  return b.add(y, b.param("bias", {outFeatures}, ParamInit::zeros()));
}

Value layerNorm(GraphBuilder &b, Value x, const std::string &name) {
  std::vector<int64_t> shape = b.shape(x);
  if (!x.valid())
    return Value{};
  if (shape.empty())
    return b.fail("layer norm '" + name + "': input must have rank >= 1"), Value{};
  ScopeGuard scope(b, name);
  Value weight = b.param("weight", {shape.back()}, ParamInit::ones());
  Value bias = b.param("bias", {shape.back()}, ParamInit::zeros());
  return b.layerNorm(x, weight, bias);
}

Value feedForward(GraphBuilder &b, Value x, int64_t dFF, const std::string &name) {
  std::vector<int64_t> shape = b.shape(x);
  if (!x.valid())
    return Value{};
  ScopeGuard scope(b, name);
  Value hidden = b.gelu(linear(b, x, dFF, "fc1"), GeluApproximation::Tanh);
  return linear(b, hidden, shape.back(), "fc2");
}

/// [B, T, H * D] -> [B, H, T, D].
static Value splitHeads(GraphBuilder &b, Value x, int64_t heads) {
  std::vector<int64_t> s = b.shape(x);
  Value split = b.reshape(x, {s[0], s[1], heads, s[2] / heads});
  return b.transpose(split, {0, 2, 1, 3});
}

/// [B, H, T, D] -> [B, T, H * D].
static Value mergeHeads(GraphBuilder &b, Value x) {
  std::vector<int64_t> s = b.shape(x);
  Value merged = b.transpose(x, {0, 2, 1, 3});
  return b.reshape(merged, {s[0], s[2], s[1] * s[3]});
}

Value selfAttention(GraphBuilder &b, Value x, const SelfAttentionConfig &config,
                    const std::string &name) {
  std::vector<int64_t> shape = b.shape(x);
  if (!x.valid())
    return Value{};
  if (shape.size() != 3)
    return b.fail("self-attention '" + name + "': input must be [batch, seq, d_model]"), Value{};
  if (config.heads < 1 || shape[2] % config.heads != 0)
    return b.fail("self-attention '" + name + "': d_model " + std::to_string(shape[2]) +
                  " is not divisible by heads " + std::to_string(config.heads)),
           Value{};
  ScopeGuard scope(b, name);
  int64_t dModel = shape[2], headDim = dModel / config.heads;
  Value q = linear(b, x, dModel, "q");
  Value k = linear(b, x, dModel, "k");
  Value v = linear(b, x, dModel, "v");
  AttentionOptions options;
  options.causal = config.causal;
  options.keyLengths = config.keyLengths;
  options.scale = 1.0 / std::sqrt(static_cast<double>(headDim));
  options.queryChunk = std::min(config.queryChunk, shape[1]);
  options.keyChunk = std::min(config.keyChunk, shape[1]);
  // Separate statements: the ops must be emitted in this order (argument evaluation order is
  // unspecified).
  Value queryHeads = splitHeads(b, q, config.heads);
  Value keyHeads = splitHeads(b, k, config.heads);
  Value valueHeads = splitHeads(b, v, config.heads);
  Value attended = b.attention(queryHeads, keyHeads, valueHeads, options);
  return linear(b, mergeHeads(b, attended), dModel, "out");
}

Value transformerBlock(GraphBuilder &b, Value x, const SelfAttentionConfig &attention, int64_t dFF,
                       const std::string &name, double dropout) {
  ScopeGuard scope(b, name);
  auto drop = [&](Value v) { return dropout > 0.0 ? b.dropout(v, dropout) : v; };
  Value h = b.add(x, drop(selfAttention(b, layerNorm(b, x, "ln1"), attention, "attn")));
  return b.add(h, drop(feedForward(b, layerNorm(b, h, "ln2"), dFF, "mlp")));
}

/// "--<flag> must be >= 1, got <value>" style checks shared by the model configs.
static bool checkPositive(GraphBuilder &b, const char *model, const char *what, int64_t value) {
  if (value >= 1)
    return true;
  b.fail(std::string(model) + ": " + what + " must be >= 1, got " + std::to_string(value));
  return false;
}

static bool checkDropoutProbability(GraphBuilder &b, const char *model, double p) {
  if (p >= 0.0 && static_cast<float>(p) < 1.0f)
    return true;
  b.fail(std::string(model) + ": dropout must be in [0, 1), got " + std::to_string(p));
  return false;
}

static bool checkHeadChunks(GraphBuilder &b, const char *model, int64_t rows, int64_t classes) {
  return checkPositive(b, model, "LM-head row chunk", rows) &&
         checkPositive(b, model, "LM-head vocab chunk", classes);
}

static bool checkGptConfig(GraphBuilder &b, const GptConfig &c) {
  for (auto [what, value] : {std::pair<const char *, int64_t>{"layers", c.layers},
                             {"d_model", c.dModel},
                             {"heads", c.heads},
                             {"d_ff", c.dFF},
                             {"seq", c.seq},
                             {"batch", c.batch},
                             {"attention chunk", c.attentionChunk}})
    if (!checkPositive(b, "gpt", what, value))
      return false;
  if (c.vocab < 0)
    return b.fail("gpt: vocab must be >= 0 (0: embedding-free mse model), got " +
                  std::to_string(c.vocab)),
           false;
  if (c.dModel % c.heads != 0)
    return b.fail("gpt: d_model " + std::to_string(c.dModel) + " is not divisible by heads " +
                  std::to_string(c.heads)),
           false;
  if (!checkDropoutProbability(b, "gpt", c.dropout) ||
      !checkHeadChunks(b, "gpt", c.headRowChunk, c.headVocabChunk))
    return false;
  if (c.tieWeights && c.vocab == 0)
    return b.fail("gpt: tied weights need token embeddings (vocab > 0)"), false;
  return true;
}

/// The LM head of a token model on h [B, T, D]: the loss against labels [B * T], or (inference)
/// the logits [B, T, V] = h W^T (+ bias) with W [V, D].
static Value languageModelHead(GraphBuilder &b, Value h, Value weight, Value bias, Value labels,
                               bool inference, int64_t rowChunk, int64_t vocabChunk) {
  std::vector<int64_t> s = b.shape(h), w = b.shape(weight);
  if (!h.valid() || !weight.valid() || s.size() != 3 || w.size() != 2)
    return Value{};
  Value rows = b.reshape(h, {s[0] * s[1], s[2]});
  if (inference) {
    Value logits = b.matmul(rows, weight, false, /*transposeRhs=*/true);
    if (bias.valid())
      logits = b.add(logits, bias);
    return b.reshape(logits, {s[0], s[1], w[0]});
  }
  LmHeadLossOptions options;
  options.rowChunk = rowChunk;
  options.vocabChunk = vocabChunk;
  options.bias = bias;
  return b.lmHeadLoss(rows, weight, labels, options);
}

GraphBuilder buildGpt(const GptConfig &c) {
  GraphBuilder b("gpt");
  if (!checkGptConfig(b, c))
    return b;
  const double dropout = c.inference ? 0.0 : c.dropout;
  Value x, target, wte;
  if (c.vocab == 0) {
    x = b.input("x", {c.batch, c.seq, c.dModel});
    if (!c.inference)
      target = b.input("target", {c.batch, c.seq, c.dModel});
  } else {
    Value tokens = b.input("tokens", {c.batch, c.seq}, ElementType::I32);
    if (!c.inference)
      target = b.input("labels", {c.batch * c.seq}, ElementType::I32);
    wte = b.param("wte", {c.vocab, c.dModel}, ParamInit::normal(kWeightStd));
    Value wpe = b.param("wpe", {c.seq, c.dModel}, ParamInit::normal(kWeightStd));
    x = b.add(b.gather(wte, tokens), wpe);
    if (dropout > 0.0)
      x = b.dropout(x, dropout);
  }
  SelfAttentionConfig attention{c.heads, c.attentionChunk, c.attentionChunk};
  for (int64_t layer = 0; layer < c.layers; ++layer) {
    ScopeGuard scope(b, "blocks");
    if (c.checkpointPerBlock)
      b.beginCheckpoint();
    x = transformerBlock(b, x, attention, c.dFF, std::to_string(layer), dropout);
    if (c.checkpointPerBlock)
      x = b.endCheckpoint({x})[0];
  }
  if (c.vocab == 0) {
    b.setOutputs({c.inference ? x : b.mseLoss(x, target)});
    return b;
  }
  Value h = layerNorm(b, x, "ln_f");
  Value head = c.tieWeights
                   ? wte
                   : b.param("head.weight", {c.vocab, c.dModel}, ParamInit::normal(kWeightStd));
  b.setOutputs({languageModelHead(b, h, head, Value{}, target, c.inference, c.headRowChunk,
                                  c.headVocabChunk)});
  return b;
}

int64_t defaultLlamaFeedForward(int64_t dModel) { return (8 * dModel / 3 + 7) / 8 * 8; }

static bool checkLlamaConfig(GraphBuilder &b, const LlamaConfig &c) {
  for (auto [what, value] : {std::pair<const char *, int64_t>{"layers", c.layers},
                             {"d_model", c.dModel},
                             {"heads", c.heads},
                             {"seq", c.seq},
                             {"batch", c.batch},
                             {"vocab", c.vocab},
                             {"attention chunk", c.attentionChunk}})
    if (!checkPositive(b, "llama", what, value))
      return false;
  if (c.dFF < 0 || c.kvHeads < 0)
    return b.fail("llama: d_ff and kv_heads must be >= 1 (or 0 for the default), got " +
                  std::to_string(c.dFF) + " and " + std::to_string(c.kvHeads)),
           false;
  if (c.dModel % c.heads != 0)
    return b.fail("llama: d_model " + std::to_string(c.dModel) + " is not divisible by heads " +
                  std::to_string(c.heads)),
           false;
  int64_t kvHeads = c.kvHeads == 0 ? c.heads : c.kvHeads;
  if (c.heads % kvHeads != 0)
    return b.fail("llama: heads " + std::to_string(c.heads) + " is not divisible by kv_heads " +
                  std::to_string(kvHeads) +
                  " (each key/value head serves heads / kv_heads query "
                  "heads)"),
           false;
  if ((c.dModel / c.heads) % 2 != 0)
    return b.fail("llama: head_dim " + std::to_string(c.dModel / c.heads) +
                  " must be even for rotary embeddings"),
           false;
  if (!(c.ropeBase > 0.0) || !std::isfinite(c.ropeBase))
    return b.fail("llama: rope base must be positive and finite"), false;
  if (!(static_cast<float>(c.normEpsilon) > 0.0f) || !std::isfinite(c.normEpsilon))
    return b.fail("llama: norm epsilon must be positive and finite"), false;
  return checkHeadChunks(b, "llama", c.headRowChunk, c.headVocabChunk);
}

/// A Llama block on x [B, T, D]; parameters under `name`.
static Value llamaBlock(GraphBuilder &b, Value x, const LlamaConfig &c, int64_t kvHeads,
                        int64_t dFF, const std::string &name) {
  ScopeGuard scope(b, name);
  std::vector<int64_t> shape = b.shape(x);
  if (!x.valid())
    return Value{};
  const int64_t d = shape[2], headDim = d / c.heads;
  auto norm = [&](Value v, const std::string &normName) {
    ScopeGuard normScope(b, normName);
    return b.rmsNorm(v, b.param("weight", {d}, ParamInit::ones()), -1, c.normEpsilon);
  };
  Value h = norm(x, "attn_norm");
  Value attended;
  {
    ScopeGuard attnScope(b, "attn");
    Value q = linear(b, h, c.heads * headDim, "q", /*bias=*/false);
    Value k = linear(b, h, kvHeads * headDim, "k", /*bias=*/false);
    Value v = linear(b, h, kvHeads * headDim, "v", /*bias=*/false);
    RopeOptions rope;
    rope.layout = RopeLayout::BHTD;
    rope.base = c.ropeBase;
    rope.rotDim = headDim;
    Value queryHeads = b.rope(splitHeads(b, q, c.heads), rope);
    Value keyHeads = b.rope(splitHeads(b, k, kvHeads), rope);
    Value valueHeads = splitHeads(b, v, kvHeads);
    AttentionOptions options;
    options.causal = true;
    options.scale = 1.0 / std::sqrt(static_cast<double>(headDim));
    options.queryChunk = std::min(c.attentionChunk, shape[1]);
    options.keyChunk = std::min(c.attentionChunk, shape[1]);
    Value a = b.attention(queryHeads, keyHeads, valueHeads, options);
    attended = linear(b, mergeHeads(b, a), d, "out", /*bias=*/false);
  }
  x = b.add(x, attended);
  h = norm(x, "mlp_norm");
  ScopeGuard mlpScope(b, "mlp");
  Value gate = b.silu(linear(b, h, dFF, "w1", /*bias=*/false));
  Value up = linear(b, h, dFF, "w3", /*bias=*/false);
  return b.add(x, linear(b, b.mul(gate, up), d, "w2", /*bias=*/false));
}

GraphBuilder buildLlama(const LlamaConfig &c) {
  GraphBuilder b("llama");
  if (!checkLlamaConfig(b, c))
    return b;
  const int64_t kvHeads = c.kvHeads == 0 ? c.heads : c.kvHeads;
  const int64_t dFF = c.dFF == 0 ? defaultLlamaFeedForward(c.dModel) : c.dFF;
  Value tokens = b.input("tokens", {c.batch, c.seq}, ElementType::I32);
  Value labels;
  if (!c.inference)
    labels = b.input("labels", {c.batch * c.seq}, ElementType::I32);
  Value wte = b.param("wte", {c.vocab, c.dModel}, ParamInit::normal(kWeightStd));
  Value x = b.gather(wte, tokens);
  for (int64_t layer = 0; layer < c.layers; ++layer) {
    ScopeGuard scope(b, "blocks");
    if (c.checkpointPerBlock)
      b.beginCheckpoint();
    x = llamaBlock(b, x, c, kvHeads, dFF, std::to_string(layer));
    if (c.checkpointPerBlock)
      x = b.endCheckpoint({x})[0];
  }
  Value h = b.rmsNorm(x, b.param("norm.weight", {c.dModel}, ParamInit::ones()), -1, c.normEpsilon);
  Value head = c.tieWeights
                   ? wte
                   : b.param("head.weight", {c.vocab, c.dModel}, ParamInit::normal(kWeightStd));
  b.setOutputs({languageModelHead(b, h, head, Value{}, labels, c.inference, c.headRowChunk,
                                  c.headVocabChunk)});
  return b;
}

static bool checkBertConfig(GraphBuilder &b, const BertConfig &c) {
  for (auto [what, value] : {std::pair<const char *, int64_t>{"layers", c.layers},
                             {"d_model", c.dModel},
                             {"heads", c.heads},
                             {"seq", c.seq},
                             {"batch", c.batch},
                             {"vocab", c.vocab},
                             {"attention chunk", c.attentionChunk}})
    if (!checkPositive(b, "bert", what, value))
      return false;
  if (c.dFF < 0 || c.typeVocab < 0)
    return b.fail("bert: d_ff and the token-type vocabulary must be >= 0, got " +
                  std::to_string(c.dFF) + " and " + std::to_string(c.typeVocab)),
           false;
  if (c.dModel % c.heads != 0)
    return b.fail("bert: d_model " + std::to_string(c.dModel) + " is not divisible by heads " +
                  std::to_string(c.heads)),
           false;
  return checkDropoutProbability(b, "bert", c.dropout) &&
         checkHeadChunks(b, "bert", c.headRowChunk, c.headVocabChunk);
}

/// A post-LN BERT block: x = LN1(x + drop(attn(x))); y = LN2(x + drop(fc2(gelu(fc1(x))))).
static Value bertBlock(GraphBuilder &b, Value x, const SelfAttentionConfig &attention, int64_t dFF,
                       double dropout, const std::string &name) {
  ScopeGuard scope(b, name);
  std::vector<int64_t> shape = b.shape(x);
  if (!x.valid())
    return Value{};
  auto drop = [&](Value v) { return dropout > 0.0 ? b.dropout(v, dropout) : v; };
  x = layerNorm(b, b.add(x, drop(selfAttention(b, x, attention, "attn"))), "ln1");
  Value m;
  {
    ScopeGuard mlp(b, "mlp");
    Value hidden = b.gelu(linear(b, x, dFF, "fc1"), GeluApproximation::Exact);
    m = linear(b, hidden, shape[2], "fc2");
  }
  return layerNorm(b, b.add(x, drop(m)), "ln2");
}

GraphBuilder buildBert(const BertConfig &c) {
  GraphBuilder b("bert");
  if (!checkBertConfig(b, c))
    return b;
  const double dropout = c.inference ? 0.0 : c.dropout;
  const int64_t dFF = c.dFF == 0 ? 4 * c.dModel : c.dFF;
  Value tokens = b.input("tokens", {c.batch, c.seq}, ElementType::I32);
  Value types;
  if (c.typeVocab > 0)
    types = b.input("token_types", {c.batch, c.seq}, ElementType::I32);
  Value lengths;
  if (c.paddingMask)
    lengths = b.input("lengths", {c.batch}, ElementType::I32);
  Value labels;
  if (!c.inference)
    labels = b.input("labels", {c.batch * c.seq}, ElementType::I32);
  Value wte = b.param("wte", {c.vocab, c.dModel}, ParamInit::normal(kWeightStd));
  Value wpe = b.param("wpe", {c.seq, c.dModel}, ParamInit::normal(kWeightStd));
  Value x = b.add(b.gather(wte, tokens), wpe);
  if (c.typeVocab > 0)
    x = b.add(
        x, b.gather(b.param("wtt", {c.typeVocab, c.dModel}, ParamInit::normal(kWeightStd)), types));
  x = layerNorm(b, x, "ln_emb");
  if (dropout > 0.0)
    x = b.dropout(x, dropout);
  SelfAttentionConfig attention{c.heads, c.attentionChunk, c.attentionChunk, /*causal=*/false,
                                lengths};
  for (int64_t layer = 0; layer < c.layers; ++layer) {
    ScopeGuard scope(b, "blocks");
    if (c.checkpointPerBlock)
      b.beginCheckpoint();
    x = bertBlock(b, x, attention, dFF, dropout, std::to_string(layer));
    if (c.checkpointPerBlock)
      x = b.endCheckpoint({x})[0];
  }
  Value h;
  {
    ScopeGuard scope(b, "mlm");
    h = layerNorm(b, b.gelu(linear(b, x, c.dModel, "dense"), GeluApproximation::Exact), "ln");
  }
  Value head = c.tieWeights
                   ? wte
                   : b.param("head.weight", {c.vocab, c.dModel}, ParamInit::normal(kWeightStd));
  Value bias = b.param("head.bias", {c.vocab}, ParamInit::zeros());
  b.setOutputs(
      {languageModelHead(b, h, head, bias, labels, c.inference, c.headRowChunk, c.headVocabChunk)});
  return b;
}

static bool checkMlpConfig(GraphBuilder &b, const MlpConfig &c) {
  if (!checkPositive(b, "mlp", "batch", c.batch) ||
      !checkPositive(b, "mlp", "d_model (input features)", c.inFeatures))
    return false;
  if (c.hidden.empty())
    return b.fail("mlp: needs at least one hidden layer"), false;
  for (int64_t width : c.hidden)
    if (!checkPositive(b, "mlp", "every hidden width", width))
      return false;
  if (c.classes < 0)
    return b.fail("mlp: vocab (classes) must be >= 0 (0: mse head), got " +
                  std::to_string(c.classes)),
           false;
  return true;
}

GraphBuilder buildMlp(const MlpConfig &c) {
  GraphBuilder b("mlp");
  if (!checkMlpConfig(b, c))
    return b;
  Value x = b.input("x", {c.batch, c.inFeatures});
  Value target;
  if (!c.inference)
    target = c.classes == 0 ? b.input("target", {c.batch, c.inFeatures})
                            : b.input("labels", {c.batch}, ElementType::I32);
  Value y;
  {
    // The guard must end before `b` is returned (moved).
    ScopeGuard scope(b, "layers");
    size_t layer = 0;
    for (; layer < c.hidden.size(); ++layer) {
      if (c.checkpointPerLayer)
        b.beginCheckpoint();
      Value h = linear(b, x, c.hidden[layer], std::to_string(layer));
      x = c.gelu ? b.gelu(h, GeluApproximation::Tanh) : b.relu(h);
      if (c.checkpointPerLayer)
        x = b.endCheckpoint({x})[0];
    }
    int64_t outFeatures = c.classes == 0 ? c.inFeatures : c.classes;
    y = linear(b, x, outFeatures, std::to_string(layer));
  }
  if (c.inference)
    b.setOutputs({y});
  else
    b.setOutputs({c.classes == 0 ? b.mseLoss(y, target) : b.softmaxCrossEntropy(y, target)});
  return b;
}

} // namespace tidemark::builder
