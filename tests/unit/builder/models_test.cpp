// The building blocks and whole models: exact MLIR of a tiny MLP, the GPT's parameters, shapes,
// checkpoint regions and attention attributes, configuration errors, and the seeded
// initialisation (deterministic, per-parameter streams, the documented distribution).
#include "tidemark/builder.h"

#include "builder_test_util.h"

#include <cmath>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace tidemark::builder {
namespace {

using Shape = std::vector<int64_t>;

int countOccurrences(const std::string &text, const std::string &needle) {
  int count = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
    ++count;
  return count;
}

TEST(ModelsTest, TinyMlpMatchesHandWrittenText) {
  MlpConfig config;
  config.batch = 2;
  config.inFeatures = 3;
  config.hidden = {4};
  config.classes = 2;
  GraphBuilder mlp = buildMlp(config);
  ASSERT_TRUE(mlp.status().ok()) << mlp.status().message();
  // MLIR's printer (tide-opt's output), with %argN spelled as the arguments' names.
  const char *expected = R"mlir(module {
  func.func @mlp(%x: tensor<2x3xf32>, %labels: tensor<2xi32>, %layers.0.weight: tensor<3x4xf32> {tide.init = "normal(0, 0.02)", tide.param}, %layers.0.bias: tensor<4xf32> {tide.init = "zeros", tide.param}, %layers.1.weight: tensor<4x2xf32> {tide.init = "normal(0, 0.02)", tide.param}, %layers.1.bias: tensor<2xf32> {tide.init = "zeros", tide.param}) -> tensor<f32> attributes {tide.input_names = ["x", "labels"], tide.param_names = ["layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"]} {
    %0 = tide.matmul %x, %layers.0.weight : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
    %1 = tide.add %0, %layers.0.bias : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
    %2 = tide.relu %1 : tensor<2x4xf32>
    %3 = tide.matmul %2, %layers.1.weight : (tensor<2x4xf32>, tensor<4x2xf32>) -> tensor<2x2xf32>
    %4 = tide.add %3, %layers.1.bias : (tensor<2x2xf32>, tensor<2xf32>) -> tensor<2x2xf32>
    %5 = tide.softmax_cross_entropy %4, %labels : tensor<2x2xf32>, tensor<2xi32>
    return %5 : tensor<f32>
  }
}

)mlir";
  EXPECT_EQ(namedMlir(mlp), expected);
}

TEST(ModelsTest, MlpWithMseHeadGeluAndCheckpoints) {
  MlpConfig config;
  config.batch = 4;
  config.inFeatures = 6;
  config.hidden = {8, 5};
  config.classes = 0;
  config.gelu = true;
  config.checkpointPerLayer = true;
  GraphBuilder mlp = buildMlp(config);
  ASSERT_TRUE(mlp.status().ok()) << mlp.status().message();
  EXPECT_EQ(mlp.numCheckpoints(), 2);
  std::vector<Argument> params = mlp.parameters();
  ASSERT_EQ(params.size(), 6u);
  EXPECT_EQ(params[2].name, "layers.1.weight");
  EXPECT_EQ(params[2].shape, (Shape{8, 5}));
  EXPECT_EQ(params[4].shape, (Shape{5, 6})) << "the mse head maps back to the input width";
  std::vector<Argument> arguments = mlp.arguments();
  EXPECT_EQ(arguments[1].name, "target");
  EXPECT_EQ(arguments[1].shape, (Shape{4, 6}));
  std::string text = namedMlir(mlp);
  EXPECT_EQ(countOccurrences(text, "tide.gelu"), 2);
  EXPECT_EQ(countOccurrences(text, "tide.checkpoint"), 2);
  EXPECT_EQ(countOccurrences(text, "tide.mse_loss"), 1);
}

TEST(ModelsTest, GptHasTheDocumentedParametersAndRegions) {
  GptConfig config;
  config.layers = 2;
  config.dModel = 8;
  config.heads = 2;
  config.dFF = 16;
  config.seq = 4;
  config.batch = 1;
  config.vocab = 5;
  config.checkpointPerBlock = true;
  GraphBuilder gpt = buildGpt(config);
  ASSERT_TRUE(gpt.status().ok()) << gpt.status().message();
  std::vector<Argument> params = gpt.parameters();
  ASSERT_EQ(params.size(), 2 + 2u * 16 + 3);
  EXPECT_EQ(params[0].name, "wte");
  EXPECT_EQ(params[0].shape, (Shape{5, 8}));
  EXPECT_EQ(params[1].name, "wpe");
  EXPECT_EQ(params[1].shape, (Shape{4, 8}));
  EXPECT_EQ(params[1].init.describe(), "normal(0, 0.02)");
  const char *blockNames[] = {"ln1.weight",      "ln1.bias",      "attn.q.weight",  "attn.q.bias",
                              "attn.k.weight",   "attn.k.bias",   "attn.v.weight",  "attn.v.bias",
                              "attn.out.weight", "attn.out.bias", "ln2.weight",     "ln2.bias",
                              "mlp.fc1.weight",  "mlp.fc1.bias",  "mlp.fc2.weight", "mlp.fc2.bias"};
  for (int layer = 0; layer < 2; ++layer)
    for (int i = 0; i < 16; ++i)
      EXPECT_EQ(params[2 + layer * 16 + i].name,
                "blocks." + std::to_string(layer) + "." + blockNames[i]);
  EXPECT_EQ(params[4].shape, (Shape{8, 8}));
  EXPECT_EQ(params[14].shape, (Shape{8, 16}));
  EXPECT_EQ(params[16].shape, (Shape{16, 8}));
  EXPECT_EQ(params[34].name, "ln_f.weight");
  EXPECT_EQ(params[36].name, "head.weight");
  EXPECT_EQ(params[36].shape, (Shape{5, 8})) << "[vocab, d_model], as tide.lm_head_loss takes it";
  EXPECT_EQ(params[2].init.kind, ParamInit::Kind::Ones);
  EXPECT_EQ(params[3].init.kind, ParamInit::Kind::Zeros);
  EXPECT_EQ(params[4].init.describe(), "normal(0, 0.02)");
  EXPECT_EQ(gpt.numCheckpoints(), 2);
  std::vector<Argument> arguments = gpt.arguments();
  EXPECT_EQ(arguments[0].name, "tokens");
  EXPECT_EQ(arguments[0].elementType, ElementType::I32);
  EXPECT_EQ(arguments[0].shape, (Shape{1, 4}));
  EXPECT_EQ(arguments[1].name, "labels");
  EXPECT_EQ(arguments[1].elementType, ElementType::I32);
  EXPECT_EQ(arguments[1].shape, (Shape{4})) << "flattened [batch * seq], as lm_head_loss takes it";
  std::string text = namedMlir(gpt);
  // head_dim 4: scale 1/2; chunk 64 clamped to the sequence length 4.
  EXPECT_EQ(countOccurrences(text, "causal scale = 5.000000e-01 chunks = [4, 4]"), 2);
  EXPECT_EQ(countOccurrences(text, "tide.gelu"), 2);
  EXPECT_EQ(countOccurrences(text, "tide.layer_norm"), 5);
  EXPECT_EQ(countOccurrences(text, "tide.dropout"), 0);
  EXPECT_EQ(countOccurrences(text, "tide.gather %wte, %tokens : tensor<5x8xf32>, tensor<1x4xi32>"),
            1);
  EXPECT_EQ(countOccurrences(text, "tide.add %0, %wpe"), 1) << "positions 0..seq-1 broadcast";
  EXPECT_EQ(countOccurrences(text, "%head.weight, %labels ignore_index = -100 chunks = [256, "
                                   "2048] : tensor<4x8xf32>, tensor<5x8xf32>, tensor<4xi32>"),
            1);
  EXPECT_EQ(countOccurrences(text, "tide.softmax_cross_entropy"), 0);
  EXPECT_EQ(countOccurrences(text, "tide.yield"), 2);
}

TEST(ModelsTest, GptTiedWeightsDropoutAndInference) {
  GptConfig config;
  config.layers = 2;
  config.dModel = 8;
  config.heads = 2;
  config.dFF = 16;
  config.seq = 4;
  config.batch = 2;
  config.vocab = 5;
  config.tieWeights = true;
  config.dropout = 0.1;
  GraphBuilder gpt = buildGpt(config);
  ASSERT_TRUE(gpt.status().ok()) << gpt.status().message();
  std::vector<Argument> params = gpt.parameters();
  ASSERT_EQ(params.size(), 2 + 2u * 16 + 2) << "no head.weight when tied";
  EXPECT_EQ(params.back().name, "ln_f.bias");
  std::string text = namedMlir(gpt);
  EXPECT_EQ(countOccurrences(text, ", %wte, %labels ignore_index"), 1) << "the head uses wte";
  // Embeddings, then attention output and MLP output of each block: sites 0..4.
  EXPECT_EQ(gpt.numDropouts(), 1 + 2 * 2);
  EXPECT_EQ(countOccurrences(text, "tide.dropout %1 p = 1.000000e-01 site = 0 : tensor<2x4x8xf32>"),
            1);
  EXPECT_EQ(countOccurrences(text, "site = 4 : tensor<2x4x8xf32>"), 1);

  config.inference = true;
  GraphBuilder logits = buildGpt(config);
  ASSERT_TRUE(logits.status().ok()) << logits.status().message();
  ASSERT_EQ(logits.arguments().size(), 1 + params.size()) << "tokens only, no labels";
  EXPECT_EQ(logits.arguments()[0].name, "tokens");
  text = namedMlir(logits);
  EXPECT_EQ(countOccurrences(text, "tide.dropout"), 0) << "inference has no dropout";
  EXPECT_EQ(countOccurrences(text, "tide.lm_head_loss"), 0);
  EXPECT_EQ(countOccurrences(text, ", %wte transpose_rhs : (tensor<8x8xf32>, tensor<5x8xf32>) -> "
                                   "tensor<8x5xf32>"),
            1);
  EXPECT_NE(text.find("-> tensor<2x4x5xf32> attributes"), std::string::npos) << text;

  GptConfig plain; // vocab 0: the embedding-free form, mse or (inference) the activations.
  plain.inference = true;
  GraphBuilder activations = buildGpt(plain);
  ASSERT_TRUE(activations.status().ok());
  EXPECT_EQ(activations.arguments()[0].name, "x");
  EXPECT_NE(namedMlir(activations).find("-> tensor<2x64x64xf32> attributes"), std::string::npos);
}

TEST(ModelsTest, LlamaHasTheDocumentedParametersAndOps) {
  LlamaConfig config;
  config.layers = 2;
  config.dModel = 16;
  config.heads = 2;
  config.seq = 4;
  config.batch = 2;
  config.vocab = 11;
  config.checkpointPerBlock = true;
  GraphBuilder llama = buildLlama(config);
  ASSERT_TRUE(llama.status().ok()) << llama.status().message();
  EXPECT_EQ(defaultLlamaFeedForward(16), 48) << "8 * 16 / 3 = 42.7, rounded up to 48";
  EXPECT_EQ(defaultLlamaFeedForward(64), 176);
  std::vector<Argument> params = llama.parameters();
  ASSERT_EQ(params.size(), 1 + 2u * 9 + 2);
  EXPECT_EQ(params[0].name, "wte");
  const char *blockNames[] = {"attn_norm.weight", "attn.q.weight",   "attn.k.weight",
                              "attn.v.weight",    "attn.out.weight", "mlp_norm.weight",
                              "mlp.w1.weight",    "mlp.w3.weight",   "mlp.w2.weight"};
  for (int layer = 0; layer < 2; ++layer)
    for (int i = 0; i < 9; ++i)
      EXPECT_EQ(params[1 + layer * 9 + i].name,
                "blocks." + std::to_string(layer) + "." + blockNames[i]);
  EXPECT_EQ(params[1].init.kind, ParamInit::Kind::Ones);
  EXPECT_EQ(params[7].shape, (Shape{16, 48}));
  EXPECT_EQ(params[9].shape, (Shape{48, 16}));
  EXPECT_EQ(params[19].name, "norm.weight");
  EXPECT_EQ(params[20].name, "head.weight");
  EXPECT_EQ(params[20].shape, (Shape{11, 16}));
  std::vector<Argument> arguments = llama.arguments();
  EXPECT_EQ(arguments[0].name, "tokens");
  EXPECT_EQ(arguments[1].name, "labels");
  EXPECT_EQ(arguments[1].shape, (Shape{8}));
  std::string text = namedMlir(llama);
  EXPECT_EQ(countOccurrences(text, "tide.rms_norm"), 5);
  EXPECT_EQ(countOccurrences(text, "epsilon = 9.9999999999999995E-7"), 5);
  EXPECT_EQ(countOccurrences(text, "tide.rope"), 4) << "q and k of each block";
  EXPECT_EQ(countOccurrences(text, "bhtd base = 1.000000e+04 rot_dim = 8 offset = 0"), 4);
  EXPECT_EQ(countOccurrences(text, "tide.silu"), 2);
  EXPECT_EQ(countOccurrences(text, "causal scale = 0.35355339059327373 chunks = [4, 4]"), 2);
  EXPECT_EQ(countOccurrences(text, "tide.layer_norm"), 0);
  EXPECT_EQ(countOccurrences(text, "tide.gelu"), 0);
  EXPECT_EQ(countOccurrences(text, "tide.dropout"), 0);
  EXPECT_EQ(countOccurrences(text, "bias"), 0) << "no biases anywhere";
  EXPECT_EQ(countOccurrences(text, "tide.checkpoint"), 2);
  EXPECT_EQ(countOccurrences(text, "%head.weight, %labels ignore_index = -100"), 1);

  config.tieWeights = true;
  config.inference = true;
  config.dFF = 20;
  GraphBuilder logits = buildLlama(config);
  ASSERT_TRUE(logits.status().ok()) << logits.status().message();
  EXPECT_EQ(logits.parameters().size(), 1 + 2u * 9 + 1);
  EXPECT_EQ(logits.parameters()[7].shape, (Shape{16, 20}));
  text = namedMlir(logits);
  EXPECT_EQ(countOccurrences(text, "%wte transpose_rhs"), 1);
  EXPECT_NE(text.find("-> tensor<2x4x11xf32> attributes {tide.input_names = [\"tokens\"]"),
            std::string::npos)
      << text;
}

TEST(ModelsTest, LlamaGroupedQueryAttention) {
  LlamaConfig config;
  config.layers = 1;
  config.dModel = 16;
  config.heads = 4;
  config.kvHeads = 1; // Multi-query: one key/value head of head_dim 4.
  config.seq = 4;
  config.vocab = 11;
  GraphBuilder llama = buildLlama(config);
  ASSERT_TRUE(llama.status().ok()) << llama.status().message();
  std::vector<Argument> params = llama.parameters();
  EXPECT_EQ(params[2].name, "blocks.0.attn.q.weight");
  EXPECT_EQ(params[2].shape, (Shape{16, 16}));
  EXPECT_EQ(params[3].shape, (Shape{16, 4})) << "k: [D, kv_heads * head_dim]";
  EXPECT_EQ(params[4].shape, (Shape{16, 4}));
  std::string text = namedMlir(llama);
  EXPECT_EQ(countOccurrences(text, "tide.rope %8 bhtd base = 1.000000e+04 rot_dim = 4 offset = 0 : "
                                   "tensor<2x1x4x4xf32>"),
            1)
      << text;
  EXPECT_EQ(countOccurrences(text,
                             "causal scale = 5.000000e-01 chunks = [4, 4] : tensor<2x4x4x4xf32>, "
                             "tensor<2x1x4x4xf32>, tensor<2x1x4x4xf32>"),
            1);
}

TEST(ModelsTest, LlamaConfigurationErrorsAreClear) {
  struct Case {
    const char *fragment;
    void (*edit)(LlamaConfig &);
  };
  const Case cases[] = {
      {"llama: d_model 10 is not divisible by heads 4", [](LlamaConfig &c) { c.dModel = 10; }},
      {"llama: heads 4 is not divisible by kv_heads 3", [](LlamaConfig &c) { c.kvHeads = 3; }},
      {"llama: vocab must be >= 1, got 0", [](LlamaConfig &c) { c.vocab = 0; }},
      {"llama: layers must be >= 1, got 0", [](LlamaConfig &c) { c.layers = 0; }},
      {"llama: head_dim 3 must be even for rotary embeddings",
       [](LlamaConfig &c) {
         c.dModel = 12;
         c.heads = 4;
       }},
      {"llama: rope base must be positive and finite", [](LlamaConfig &c) { c.ropeBase = 0.0; }},
      {"llama: d_ff and kv_heads must be >= 1 (or 0 for the default)",
       [](LlamaConfig &c) { c.dFF = -1; }},
      {"llama: LM-head row chunk must be >= 1, got 0", [](LlamaConfig &c) { c.headRowChunk = 0; }},
  };
  for (const Case &c : cases) {
    LlamaConfig config;
    c.edit(config);
    GraphBuilder b = buildLlama(config);
    EXPECT_NE(b.status().message().find(c.fragment), std::string::npos)
        << "got: " << b.status().message() << "\nexpected: " << c.fragment;
  }
}

TEST(ModelsTest, BertHasTheDocumentedParametersAndOps) {
  BertConfig config;
  config.layers = 2;
  config.dModel = 16;
  config.heads = 2;
  config.seq = 4;
  config.batch = 2;
  config.vocab = 11;
  config.typeVocab = 2;
  config.dropout = 0.1;
  GraphBuilder bert = buildBert(config);
  ASSERT_TRUE(bert.status().ok()) << bert.status().message();
  std::vector<Argument> arguments = bert.arguments();
  EXPECT_EQ(arguments[0].name, "tokens");
  EXPECT_EQ(arguments[1].name, "token_types");
  EXPECT_EQ(arguments[1].shape, (Shape{2, 4}));
  EXPECT_EQ(arguments[2].name, "labels");
  EXPECT_EQ(arguments[2].shape, (Shape{8}));
  std::vector<Argument> params = bert.parameters();
  ASSERT_EQ(params.size(), 5 + 2u * 16 + 6);
  const char *embeddingNames[] = {"wte", "wpe", "wtt", "ln_emb.weight", "ln_emb.bias"};
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(params[i].name, embeddingNames[i]);
  EXPECT_EQ(params[2].shape, (Shape{2, 16}));
  const char *blockNames[] = {"attn.q.weight",  "attn.q.bias",  "attn.k.weight",   "attn.k.bias",
                              "attn.v.weight",  "attn.v.bias",  "attn.out.weight", "attn.out.bias",
                              "ln1.weight",     "ln1.bias",     "mlp.fc1.weight",  "mlp.fc1.bias",
                              "mlp.fc2.weight", "mlp.fc2.bias", "ln2.weight",      "ln2.bias"};
  for (int layer = 0; layer < 2; ++layer)
    for (int i = 0; i < 16; ++i)
      EXPECT_EQ(params[5 + layer * 16 + i].name,
                "blocks." + std::to_string(layer) + "." + blockNames[i]);
  EXPECT_EQ(params[15].shape, (Shape{16, 64})) << "d_ff defaults to 4 * d_model";
  const char *headNames[] = {"mlm.dense.weight", "mlm.dense.bias", "mlm.ln.weight",
                             "mlm.ln.bias",      "head.weight",    "head.bias"};
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(params[37 + i].name, headNames[i]);
  EXPECT_EQ(params[41].shape, (Shape{11, 16}));
  EXPECT_EQ(params[42].init.kind, ParamInit::Kind::Zeros);
  std::string text = namedMlir(bert);
  EXPECT_EQ(countOccurrences(text, "tide.attention"), 2);
  EXPECT_EQ(countOccurrences(text, "causal"), 0) << "an encoder attends every position";
  EXPECT_EQ(countOccurrences(text, "tide.gelu"), 3);
  EXPECT_EQ(countOccurrences(text, " exact : "), 3) << "BERT's erf GELU";
  EXPECT_EQ(countOccurrences(text, "tide.layer_norm"), 1 + 2 * 2 + 1);
  EXPECT_EQ(bert.numDropouts(), 1 + 2 * 2);
  EXPECT_EQ(countOccurrences(text, "tide.gather %wtt, %token_types"), 1);
  EXPECT_EQ(countOccurrences(text, "key_lengths"), 0) << "no padding mask unless asked";
  EXPECT_EQ(countOccurrences(text, "%head.weight, %labels bias %head.bias : tensor<11xf32> "
                                   "ignore_index = -100"),
            1);

  config.tieWeights = true;
  config.inference = true;
  config.typeVocab = 0;
  GraphBuilder logits = buildBert(config);
  ASSERT_TRUE(logits.status().ok()) << logits.status().message();
  EXPECT_EQ(logits.arguments().size(), 1 + logits.parameters().size()) << "tokens only";
  EXPECT_EQ(logits.parameters().back().name, "head.bias");
  text = namedMlir(logits);
  EXPECT_EQ(countOccurrences(text, "tide.dropout"), 0);
  EXPECT_EQ(countOccurrences(text, "%wte transpose_rhs"), 1);
  EXPECT_EQ(countOccurrences(text, ", %head.bias : (tensor<8x11xf32>, tensor<11xf32>)"), 1);
  EXPECT_NE(text.find("-> tensor<2x4x11xf32> attributes"), std::string::npos) << text;
}

TEST(ModelsTest, BertPaddingMaskMasksEveryAttention) {
  BertConfig config;
  config.layers = 2;
  config.dModel = 16;
  config.heads = 2;
  config.seq = 4;
  config.batch = 3;
  config.vocab = 11;
  config.paddingMask = true;
  GraphBuilder bert = buildBert(config);
  ASSERT_TRUE(bert.status().ok()) << bert.status().message();
  std::vector<Argument> arguments = bert.arguments();
  EXPECT_EQ(arguments[1].name, "lengths");
  EXPECT_EQ(arguments[1].elementType, ElementType::I32);
  EXPECT_EQ(arguments[1].shape, (Shape{3}));
  EXPECT_EQ(arguments[2].name, "labels");
  EXPECT_EQ(countOccurrences(namedMlir(bert), "key_lengths %lengths : tensor<3xi32> scale"), 2);
}

TEST(ModelsTest, BertConfigurationErrorsAreClear) {
  struct Case {
    const char *fragment;
    void (*edit)(BertConfig &);
  };
  const Case cases[] = {
      {"bert: d_model 10 is not divisible by heads 4", [](BertConfig &c) { c.dModel = 10; }},
      {"bert: vocab must be >= 1, got 0", [](BertConfig &c) { c.vocab = 0; }},
      {"bert: dropout must be in [0, 1), got 1", [](BertConfig &c) { c.dropout = 1.0; }},
      {"bert: d_ff and the token-type vocabulary must be >= 0",
       [](BertConfig &c) { c.typeVocab = -1; }},
      {"bert: seq must be >= 1, got 0", [](BertConfig &c) { c.seq = 0; }},
  };
  for (const Case &c : cases) {
    BertConfig config;
    c.edit(config);
    GraphBuilder b = buildBert(config);
    EXPECT_NE(b.status().message().find(c.fragment), std::string::npos)
        << "got: " << b.status().message() << "\nexpected: " << c.fragment;
  }
}

TEST(ModelsTest, MlpInferenceOutputsTheLogits) {
  MlpConfig config;
  config.batch = 3;
  config.inFeatures = 4;
  config.hidden = {6};
  config.classes = 5;
  config.inference = true;
  GraphBuilder mlp = buildMlp(config);
  ASSERT_TRUE(mlp.status().ok()) << mlp.status().message();
  ASSERT_EQ(mlp.arguments().size(), 1u + 4u);
  std::string text = namedMlir(mlp);
  EXPECT_EQ(countOccurrences(text, "softmax_cross_entropy"), 0);
  EXPECT_NE(text.find("-> tensor<3x5xf32> attributes"), std::string::npos) << text;
}

TEST(ModelsTest, ConfigurationErrorsAreClear) {
  GptConfig gpt;
  gpt.dModel = 10;
  gpt.heads = 4;
  EXPECT_NE(buildGpt(gpt).status().message().find("gpt: d_model 10 is not divisible by heads 4"),
            std::string::npos);
  gpt = GptConfig();
  gpt.layers = 0;
  EXPECT_NE(buildGpt(gpt).status().message().find("gpt: layers must be >= 1, got 0"),
            std::string::npos);
  gpt = GptConfig();
  gpt.vocab = -1;
  EXPECT_NE(buildGpt(gpt).status().message().find("vocab must be >= 0"), std::string::npos);
  for (double p : {1.0, -0.5, 1.5, std::nan("")}) {
    gpt = GptConfig();
    gpt.vocab = 8;
    gpt.dropout = p;
    EXPECT_NE(buildGpt(gpt).status().message().find("gpt: dropout must be in [0, 1)"),
              std::string::npos)
        << p;
  }
  gpt = GptConfig();
  gpt.tieWeights = true;
  EXPECT_NE(buildGpt(gpt).status().message().find("gpt: tied weights need token embeddings"),
            std::string::npos);
  gpt = GptConfig();
  gpt.vocab = 8;
  gpt.headVocabChunk = 0;
  EXPECT_NE(buildGpt(gpt).status().message().find("gpt: LM-head vocab chunk must be >= 1, got 0"),
            std::string::npos);
  MlpConfig mlp;
  mlp.hidden.clear();
  EXPECT_NE(buildMlp(mlp).status().message().find("mlp: needs at least one hidden layer"),
            std::string::npos);
  mlp = MlpConfig();
  mlp.hidden = {4, 0};
  EXPECT_NE(buildMlp(mlp).status().message().find("every hidden width must be >= 1, got 0"),
            std::string::npos);
}

TEST(ModelsTest, BlocksReportBadInputs) {
  GraphBuilder b("f");
  Value x = b.input("x", {2, 4});
  selfAttention(b, x, {2, 4, 4}, "attn");
  EXPECT_NE(b.status().message().find("self-attention 'attn': input must be [batch, seq, d_model]"),
            std::string::npos);
}

TEST(ParamInitTest, NormalValuesFollowTheDocumentedDistribution) {
  Argument w{"w", ElementType::F32, {400, 500}, true, ParamInit::normal(0.02)};
  std::vector<float> values = initialValues(w, 1);
  ASSERT_EQ(values.size(), 200000u);
  double sum = 0, squares = 0;
  for (float v : values) {
    sum += v;
    squares += double(v) * v;
  }
  double mean = sum / values.size();
  double std = std::sqrt(squares / values.size() - mean * mean);
  // The mean of 200000 samples has standard error 0.02 / sqrt(200000) = 4.5e-5.
  EXPECT_LT(std::abs(mean), 2e-4);
  EXPECT_NEAR(std, 0.02, 0.0003);
}

TEST(ParamInitTest, StreamsDependOnSeedAndNameOnly) {
  Argument a{"blocks.0.attn.q.weight", ElementType::F32, {3, 7}, true, ParamInit::normal(0.02)};
  Argument sameName = a;
  sameName.shape = {21};
  Argument otherName = a;
  otherName.name = "blocks.1.attn.q.weight";
  EXPECT_EQ(initialValues(a, 5), initialValues(a, 5));
  EXPECT_EQ(initialValues(a, 5), initialValues(sameName, 5));
  EXPECT_NE(initialValues(a, 5), initialValues(a, 6));
  EXPECT_NE(initialValues(a, 5), initialValues(otherName, 5));
  Argument ones{"g", ElementType::F32, {3}, true, ParamInit::ones()};
  Argument zeros{"b", ElementType::F32, {2}, true, ParamInit::zeros()};
  EXPECT_EQ(initialValues(ones, 9), (std::vector<float>{1, 1, 1}));
  EXPECT_EQ(initialValues(zeros, 9), (std::vector<float>{0, 0}));
}

TEST(ParamInitTest, DescribeAndParseRoundTripExactly) {
  for (ParamInit init : {ParamInit::zeros(), ParamInit::ones(), ParamInit::normal(0.02),
                         ParamInit::normal(-1.5, 0.1), ParamInit::normal(1.0 / 3.0),
                         ParamInit::uniform(-0.125, 0.3), ParamInit::uniform(2.0, 2.0)}) {
    ParamInit parsed;
    std::string error;
    ASSERT_TRUE(ParamInit::parse(init.describe(), &parsed, &error)) << init.describe() << error;
    EXPECT_EQ(parsed.kind, init.kind) << init.describe();
    EXPECT_EQ(parsed.describe(), init.describe());
    EXPECT_EQ(parsed.std, init.std);
    EXPECT_EQ(parsed.mean, init.mean);
    EXPECT_EQ(parsed.low, init.low);
    EXPECT_EQ(parsed.high, init.high);
  }
  EXPECT_EQ(ParamInit::normal(0.02).describe(), "normal(0, 0.02)");
  EXPECT_EQ(ParamInit::uniform(-1, 1).describe(), "uniform(-1.0, 1.0)");
  ParamInit parsed;
  std::string error;
  ASSERT_TRUE(ParamInit::parse("  normal( 0 ,2e-2 )  ", &parsed, &error)) << error;
  EXPECT_EQ(parsed.std, 0.02);
}

TEST(ParamInitTest, ParseNamesWhatIsWrong) {
  auto errorOf = [](const std::string &text) {
    ParamInit init;
    std::string error;
    EXPECT_FALSE(ParamInit::parse(text, &init, &error)) << text;
    return error;
  };
  EXPECT_NE(errorOf("xavier").find("unknown initialisation 'xavier'; expected \"zeros\""),
            std::string::npos);
  EXPECT_NE(errorOf("").find("unknown initialisation ''"), std::string::npos);
  EXPECT_NE(errorOf("normal(0.02)").find("normal takes two numbers, normal(MEAN, STD)"),
            std::string::npos);
  EXPECT_NE(errorOf("normal(0, -1)").find("needs a finite std >= 0"), std::string::npos);
  EXPECT_NE(errorOf("normal(0, nan)").find("needs a finite std >= 0"), std::string::npos);
  EXPECT_NE(errorOf("normal(0, 1e31)").find("at most 1e30"), std::string::npos);
  EXPECT_NE(errorOf("normal(0, 1e999)").find("normal takes two numbers"), std::string::npos);
  EXPECT_NE(errorOf("uniform(1, 0)").find("needs low <= high"), std::string::npos);
  EXPECT_NE(errorOf("uniform(0, inf)").find("finite bounds"), std::string::npos);
  EXPECT_NE(errorOf("zeros()").find("unexpected text after"), std::string::npos);
  EXPECT_NE(errorOf("ones x").find("unexpected text after"), std::string::npos);
}

TEST(ParamInitTest, MeanAndUniformValues) {
  // A zero mean adds nothing: normal(0, s) is the documented stream, unchanged.
  Argument plain{"w", ElementType::F32, {1001}, true, ParamInit::normal(0.5)};
  Argument shifted = plain;
  shifted.init = ParamInit::normal(3.0, 0.5);
  std::vector<float> a = initialValues(plain, 2), b = initialValues(shifted, 2);
  // The mean is added in double before rounding to f32: within an f32 rounding of 3 + a[i].
  for (size_t i = 0; i < a.size(); ++i)
    EXPECT_FLOAT_EQ(b[i], 3.0f + a[i]) << i;
  Argument u{"u", ElementType::F32, {20000}, true, ParamInit::uniform(-0.25, 0.75)};
  std::vector<float> values = initialValues(u, 4);
  double sum = 0;
  for (float v : values) {
    ASSERT_GE(v, -0.25f);
    ASSERT_LE(v, 0.75f);
    sum += v;
  }
  // Mean 0.25, standard error 1 / sqrt(12 * 20000) = 0.002.
  EXPECT_NEAR(sum / values.size(), 0.25, 0.01);
  EXPECT_EQ(initialValues(u, 4), values);
  EXPECT_NE(initialValues(u, 5), values);
}

TEST(ParamInitTest, BuilderRejectsUnusableInitialisations) {
  GraphBuilder b("f");
  b.param("w", {2}, ParamInit::uniform(1.0, -1.0));
  EXPECT_NE(b.status().message().find("parameter 'w': uniform initialisation needs low <= high"),
            std::string::npos)
      << b.status().message();
}

} // namespace
} // namespace tidemark::builder
