// Token and example datasets: the documented window formula, inputs/targets shift, splits that
// never overlap, determinism, every file type, and the errors (wrong size, bad ids, short files,
// missing tensors).
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "runtime/kernels/dropout.h"
#include "tidemark/data.h"
#include "tidemark/safetensors.h"
#include "gtest/gtest.h"

namespace tidemark {
namespace {

std::string TempPath(const std::string &name) { return ::testing::TempDir() + "/" + name; }

// Token i of the file is id(i) = (7 i + 3) mod 1000, written with `width` bytes.
std::string WriteTokens(const std::string &name, int64_t count, int width, int64_t bad_at = -1) {
  const std::string path = TempPath(name);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  for (int64_t i = 0; i < count; ++i) {
    uint32_t id = i == bad_at ? 5000u : static_cast<uint32_t>((7 * i + 3) % 1000);
    if (width == 1)
      id %= 256;
    for (int b = 0; b < width; ++b)
      out.put(static_cast<char>((id >> (8 * b)) & 0xff));
  }
  return path;
}

uint32_t IdAt(int64_t i) { return static_cast<uint32_t>((7 * i + 3) % 1000); }

TEST(TokenDatasetTest, WindowsFollowTheDocumentedFormulaAndShiftTargets) {
  const std::string path = WriteTokens("tokens16.bin", 5000, 2);
  TokenDataOptions options;
  options.seq_len = 16;
  options.vocab = 1000;
  options.eval_fraction = 0.2;
  std::unique_ptr<TokenDataset> data;
  ASSERT_TRUE(TokenDataset::Open(path, options, &data).ok());
  EXPECT_EQ(data->num_tokens(), 5000);
  EXPECT_EQ(data->split_tokens(DataSplit::kTrain), 4000);
  EXPECT_EQ(data->split_tokens(DataSplit::kEval), 1000);
  std::vector<int32_t> inputs(4 * 16), targets(4 * 16);
  ASSERT_TRUE(data->Sample(42, DataSplit::kTrain, 3, 4, inputs.data(), targets.data()).ok());
  for (int64_t row = 0; row < 4; ++row) {
    // The formula of data.h, computed here from the generator itself.
    const auto words = kernels::Philox4x32_10({static_cast<uint32_t>(row), 0u, 3u, 0u}, {42u, 0u});
    const uint64_t u = (static_cast<uint64_t>(words[1]) << 32) | words[0];
    const int64_t start = static_cast<int64_t>(
        (static_cast<unsigned __int128>(u) * static_cast<uint64_t>(4000 - 16)) >> 64);
    EXPECT_EQ(data->WindowStart(42, DataSplit::kTrain, 3, row), start);
    for (int64_t t = 0; t < 16; ++t) {
      EXPECT_EQ(static_cast<uint32_t>(inputs[row * 16 + t]), IdAt(start + t));
      EXPECT_EQ(static_cast<uint32_t>(targets[row * 16 + t]), IdAt(start + t + 1));
    }
  }
  std::remove(path.c_str());
}

TEST(TokenDatasetTest, SplitsNeverOverlapAndBatchesAreReproducible) {
  const std::string path = WriteTokens("tokens_split.bin", 3000, 4);
  TokenDataOptions options;
  options.type = TokenType::kUint32;
  options.seq_len = 32;
  options.vocab = 1000;
  options.eval_fraction = 0.25;
  std::unique_ptr<TokenDataset> data;
  ASSERT_TRUE(TokenDataset::Open(path, options, &data).ok());
  std::set<int64_t> starts;
  for (uint64_t index = 0; index < 200; ++index)
    for (int64_t row = 0; row < 8; ++row) {
      const int64_t train = data->WindowStart(7, DataSplit::kTrain, index, row);
      const int64_t eval = data->WindowStart(7, DataSplit::kEval, index, row);
      ASSERT_GE(train, 0);
      ASSERT_LE(train + 32, 2250 - 1); // window of 33 inside [0, 2250)
      ASSERT_GE(eval, 2250);
      ASSERT_LE(eval + 32, 3000 - 1);
      starts.insert(train);
    }
  EXPECT_GT(starts.size(), 1000u); // spread over the split, not a few fixed windows
  std::vector<int32_t> a(8 * 32), b(8 * 32), t(8 * 32);
  ASSERT_TRUE(data->Sample(7, DataSplit::kTrain, 5, 8, a.data(), t.data()).ok());
  ASSERT_TRUE(data->Sample(7, DataSplit::kTrain, 5, 8, b.data(), t.data()).ok());
  EXPECT_EQ(a, b);
  ASSERT_TRUE(data->Sample(8, DataSplit::kTrain, 5, 8, b.data(), t.data()).ok());
  EXPECT_NE(a, b); // another seed, other windows
  std::remove(path.c_str());
}

TEST(TokenDatasetTest, ByteFilesAreAByteVocabulary) {
  const std::string path = TempPath("text.txt");
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    for (int i = 0; i < 40; ++i)
      out << "The quick brown fox jumps over the lazy dog. ";
  }
  TokenDataOptions options;
  options.type = TokenType::kUint8;
  options.seq_len = 8;
  options.vocab = 256;
  options.eval_fraction = 0.0;
  std::unique_ptr<TokenDataset> data;
  ASSERT_TRUE(TokenDataset::Open(path, options, &data).ok());
  std::vector<int32_t> inputs(8), targets(8);
  ASSERT_TRUE(data->Sample(1, DataSplit::kTrain, 0, 1, inputs.data(), targets.data()).ok());
  const std::string text = "The quick brown fox jumps over the lazy dog. ";
  const int64_t start = data->WindowStart(1, DataSplit::kTrain, 0, 0);
  for (int64_t t = 0; t < 8; ++t)
    EXPECT_EQ(inputs[t], static_cast<unsigned char>(text[(start + t) % text.size()]));
  EXPECT_FALSE(data->Sample(1, DataSplit::kEval, 0, 1, inputs.data(), targets.data()).ok());
  options.vocab = 100;
  EXPECT_FALSE(TokenDataset::Open(path, options, &data).ok());
  std::remove(path.c_str());
}

TEST(TokenDatasetTest, BadFilesAndIdsAreClearErrors) {
  TokenDataOptions options;
  options.seq_len = 16;
  options.vocab = 1000;
  std::unique_ptr<TokenDataset> data;
  // An odd byte count is not a whole number of uint16 ids.
  const std::string odd = TempPath("odd.bin");
  { std::ofstream(odd, std::ios::binary) << "abc"; }
  Status status = TokenDataset::Open(odd, options, &data);
  EXPECT_EQ(status.code(), StatusCode::kDataLoss);
  EXPECT_NE(status.message().find("is 3 bytes, not a whole number of 2-byte token ids"),
            std::string::npos)
      << status.ToString();
  std::remove(odd.c_str());
  // Too short for a window.
  const std::string short_path = WriteTokens("short.bin", 10, 2);
  status = TokenDataset::Open(short_path, options, &data);
  EXPECT_NE(status.message().find("holds no window of seq_len + 1 = 17"), std::string::npos)
      << status.ToString();
  std::remove(short_path.c_str());
  // A directory and a device.
  EXPECT_FALSE(TokenDataset::Open(::testing::TempDir(), options, &data).ok());
  EXPECT_FALSE(TokenDataset::Open("/dev/zero", options, &data).ok());
  EXPECT_EQ(data, nullptr);
  // An id at or above the vocabulary, found when its window is read, naming its index.
  const std::string bad = WriteTokens("bad.bin", 100, 2, /*bad_at=*/0);
  options.seq_len = 98;
  options.eval_fraction = 0.0;
  ASSERT_TRUE(TokenDataset::Open(bad, options, &data).ok());
  std::vector<int32_t> inputs(98), targets(98);
  // Windows of 99 in 100 tokens start at 0 or 1; find a batch that starts at 0.
  bool found = false;
  for (uint64_t index = 0; index < 64 && !found; ++index)
    if (data->WindowStart(0, DataSplit::kTrain, index, 0) == 0) {
      found = true;
      status = data->Sample(0, DataSplit::kTrain, index, 1, inputs.data(), targets.data());
      EXPECT_EQ(status.code(), StatusCode::kOutOfRange);
      EXPECT_NE(status.message().find("token id 5000 at token index 0 (byte offset 0) is not "
                                      "below the vocabulary size 1000"),
                std::string::npos)
          << status.ToString();
    }
  EXPECT_TRUE(found);
  std::remove(bad.c_str());
  EXPECT_FALSE(ParseTokenType("u64", &options.type).ok());
}

TEST(ExampleDatasetTest, ClassesAndTargetsFromSafetensors) {
  const std::string path = TempPath("examples.safetensors");
  WeightsFile file;
  std::vector<float> features(10 * 3);
  for (int i = 0; i < 30; ++i)
    features[i] = static_cast<float>(i);
  file.tensors.push_back(WeightTensor::FromFloats("inputs", {10, 3}, features));
  WeightTensor labels;
  labels.name = "labels";
  labels.dtype = DType::kI32;
  labels.shape = {10};
  for (int32_t i = 0; i < 10; ++i)
    for (int b = 0; b < 4; ++b)
      labels.bytes.push_back(static_cast<uint8_t>(((i % 4) >> (8 * b)) & 0xff));
  file.tensors.push_back(labels);
  ASSERT_TRUE(WriteSafetensors(path, file).ok());
  std::unique_ptr<ExampleDataset> data;
  ASSERT_TRUE(ExampleDataset::Open(path, 0.2, &data).ok());
  EXPECT_EQ(data->num_examples(), 10);
  EXPECT_EQ(data->split_examples(DataSplit::kTrain), 8);
  EXPECT_TRUE(data->labels_are_classes());
  std::vector<float> x(5 * 3);
  std::vector<int32_t> y(5);
  ASSERT_TRUE(data->Sample(3, DataSplit::kTrain, 2, 5, x.data(), y.data(), nullptr).ok());
  for (int64_t row = 0; row < 5; ++row) {
    const int64_t e = data->ExampleIndex(3, DataSplit::kTrain, 2, row);
    ASSERT_LT(e, 8);
    EXPECT_EQ(x[row * 3], static_cast<float>(3 * e));
    EXPECT_EQ(y[row], e % 4);
  }
  const int64_t eval = data->ExampleIndex(3, DataSplit::kEval, 0, 0);
  EXPECT_GE(eval, 8);
  EXPECT_FALSE(data->Sample(3, DataSplit::kTrain, 2, 5, x.data(), nullptr, x.data()).ok());

  file.tensors.pop_back(); // no labels
  ASSERT_TRUE(WriteSafetensors(path, file).ok());
  Status status = ExampleDataset::Open(path, 0.2, &data);
  EXPECT_NE(status.message().find("needs the tensors 'inputs'"), std::string::npos)
      << status.ToString();
  file.tensors.push_back(WeightTensor::FromFloats("labels", {9}, std::vector<float>(9, 1.0f)));
  ASSERT_TRUE(WriteSafetensors(path, file).ok());
  status = ExampleDataset::Open(path, 0.2, &data);
  EXPECT_NE(status.message().find("'labels' has 9 examples, 'inputs' 10"), std::string::npos)
      << status.ToString();
  std::remove(path.c_str());
}

} // namespace
} // namespace tidemark
