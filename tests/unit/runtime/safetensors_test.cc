// Safetensors reader/writer: round trips (memory and file), a hand-made file in the reference
// layout, one test per corruption class with its status code and message, randomized byte flips
// and truncations that must never crash, and atomic writes that leave no partial file.
#include "tidemark/safetensors.h"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gtest/gtest.h"

namespace tidemark {
namespace {

// A safetensors image from a JSON header and raw data bytes (no padding).
std::vector<uint8_t> image(const std::string &header, const std::vector<uint8_t> &data) {
  std::vector<uint8_t> bytes(8 + header.size() + data.size());
  uint64_t length = header.size();
  for (int i = 0; i < 8; ++i)
    bytes[i] = static_cast<uint8_t>(length >> (8 * i));
  std::memcpy(bytes.data() + 8, header.data(), header.size());
  if (!data.empty())
    std::memcpy(bytes.data() + 8 + header.size(), data.data(), data.size());
  return bytes;
}

std::vector<uint8_t> floatBytes(const std::vector<float> &values) {
  std::vector<uint8_t> bytes(values.size() * 4);
  std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}

WeightsFile sampleFile() {
  WeightsFile file;
  file.metadata = {{"model", "mlp"}, {"seed", "7"}};
  file.tensors.push_back(
      WeightTensor::FromFloats("layers.0.weight", {2, 3}, {1, -2, 3.5f, 4, 5e-8f, -6}));
  file.tensors.push_back(WeightTensor::FromFloats("layers.0.bias", {3}, {0.25f, 0, -1}));
  WeightTensor labels;
  labels.name = "labels";
  labels.dtype = DType::kI32;
  labels.shape = {2};
  int32_t values[2] = {7, -9};
  labels.bytes.assign(reinterpret_cast<uint8_t *>(values), reinterpret_cast<uint8_t *>(values) + 8);
  file.tensors.push_back(labels);
  file.tensors.push_back(WeightTensor::FromFloats("scalar", {}, {42.0f}));
  file.tensors.push_back(WeightTensor::FromFloats("empty", {0, 4}, {}));
  return file;
}

void expectSameFile(const WeightsFile &expected, const WeightsFile &actual) {
  EXPECT_EQ(expected.metadata, actual.metadata);
  ASSERT_EQ(expected.tensors.size(), actual.tensors.size());
  for (const WeightTensor &tensor : expected.tensors) {
    const WeightTensor *read = actual.Find(tensor.name);
    ASSERT_NE(read, nullptr) << tensor.name;
    EXPECT_EQ(read->dtype, tensor.dtype) << tensor.name;
    EXPECT_EQ(read->shape, tensor.shape) << tensor.name;
    EXPECT_EQ(read->bytes, tensor.bytes) << tensor.name;
  }
}

// Parses `bytes` and expects failure with `code` and a message containing `fragment`.
void expectRejected(const std::vector<uint8_t> &bytes, StatusCode code,
                    const std::string &fragment) {
  WeightsFile file;
  file.tensors.push_back(WeightTensor::FromFloats("stale", {1}, {1.0f}));
  Status status = ParseSafetensors(bytes.data(), bytes.size(), &file);
  ASSERT_FALSE(status.ok()) << "accepted: " << std::string(bytes.begin(), bytes.end());
  EXPECT_EQ(status.code(), code) << status.ToString();
  EXPECT_NE(status.message().find(fragment), std::string::npos)
      << "message: " << status.message() << "\nexpected to contain: " << fragment;
  EXPECT_TRUE(file.tensors.empty()) << "a failed parse must leave the output empty";
}

std::string temporaryDirectory() {
  char pattern[] = "/tmp/tidemark-safetensors-XXXXXX";
  const char *made = mkdtemp(pattern);
  EXPECT_NE(made, nullptr);
  return made ? made : "/tmp";
}

std::vector<std::string> directoryEntries(const std::string &path) {
  std::vector<std::string> names;
  if (DIR *dir = opendir(path.c_str())) {
    while (dirent *entry = readdir(dir))
      if (std::strcmp(entry->d_name, ".") && std::strcmp(entry->d_name, ".."))
        names.push_back(entry->d_name);
    closedir(dir);
  }
  return names;
}

TEST(SafetensorsTest, MemoryRoundTripKeepsEveryTensorAndTheMetadata) {
  WeightsFile file = sampleFile();
  std::vector<uint8_t> bytes;
  ASSERT_TRUE(SerializeSafetensors(file, &bytes).ok());
  WeightsFile read;
  Status status = ParseSafetensors(bytes.data(), bytes.size(), &read);
  ASSERT_TRUE(status.ok()) << status.ToString();
  expectSameFile(file, read);
  std::vector<float> values;
  ASSERT_TRUE(read.Find("layers.0.weight")->ToFloats(&values).ok());
  EXPECT_EQ(values, (std::vector<float>{1, -2, 3.5f, 4, 5e-8f, -6}));
  EXPECT_EQ(read.Find("labels")->ToFloats(&values).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(read.Find("empty")->NumElements(), 0);
  EXPECT_EQ(read.Find("scalar")->NumElements(), 1);
}

TEST(SafetensorsTest, WrittenHeaderFollowsTheFormat) {
  std::vector<uint8_t> bytes;
  ASSERT_TRUE(SerializeSafetensors(sampleFile(), &bytes).ok());
  uint64_t length = 0;
  for (int i = 7; i >= 0; --i)
    length = (length << 8) | bytes[i];
  EXPECT_EQ((8 + length) % 8, 0u) << "the data must start 8-byte aligned";
  std::string header(bytes.begin() + 8, bytes.begin() + 8 + length);
  EXPECT_EQ(header.front(), '{');
  EXPECT_NE(header.find("\"layers.0.weight\":{\"dtype\":\"F32\",\"shape\":[2,3],"
                        "\"data_offsets\":[0,24]}"),
            std::string::npos)
      << header;
  EXPECT_NE(header.find("\"labels\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[36,44]}"),
            std::string::npos)
      << header;
  EXPECT_NE(header.find("\"__metadata__\":{\"model\":\"mlp\",\"seed\":\"7\"}"), std::string::npos);
  // Data: the tensors back to back in order, little-endian.
  EXPECT_EQ(bytes.size(), 8 + length + 24 + 12 + 8 + 4 + 0);
  float first;
  std::memcpy(&first, bytes.data() + 8 + length, 4);
  EXPECT_EQ(first, 1.0f);
}

TEST(SafetensorsTest, ReadsAHandMadeFileWithPaddingAndUnsortedKeys) {
  // What another writer may produce: keys in any order, offsets out of key order, header padded
  // with trailing spaces.
  std::string header = R"({"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},)"
                       R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}    )";
  std::vector<uint8_t> bytes = image(header, floatBytes({1.0f, 2.0f, 3.0f}));
  WeightsFile file;
  Status status = ParseSafetensors(bytes.data(), bytes.size(), &file);
  ASSERT_TRUE(status.ok()) << status.ToString();
  ASSERT_EQ(file.tensors.size(), 2u);
  EXPECT_EQ(file.tensors[0].name, "a") << "tensors come back in data order";
  std::vector<float> b;
  ASSERT_TRUE(file.Find("b")->ToFloats(&b).ok());
  EXPECT_EQ(b, std::vector<float>{3.0f});
}

TEST(SafetensorsTest, FileRoundTripAndAtomicReplace) {
  std::string dir = temporaryDirectory();
  std::string path = dir + "/w.safetensors";
  WeightsFile file = sampleFile();
  ASSERT_TRUE(WriteSafetensors(path, file).ok());
  WeightsFile read;
  Status status = ReadSafetensors(path, &read);
  ASSERT_TRUE(status.ok()) << status.ToString();
  expectSameFile(file, read);
  // A failing write (duplicate names) leaves the old file intact and no temporary file.
  WeightsFile bad = file;
  bad.tensors.push_back(file.tensors[0]);
  Status failed = WriteSafetensors(path, bad);
  EXPECT_EQ(failed.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(failed.message().find("two tensors are named 'layers.0.weight'"), std::string::npos)
      << failed.message();
  ASSERT_TRUE(ReadSafetensors(path, &read).ok());
  expectSameFile(file, read);
  EXPECT_EQ(directoryEntries(dir), std::vector<std::string>{"w.safetensors"});
  std::remove(path.c_str());
  rmdir(dir.c_str());
}

TEST(SafetensorsTest, WriteRejectsBadTensorsAndUnwritablePaths) {
  WeightsFile file;
  file.tensors.push_back(WeightTensor::FromFloats("w", {2, 2}, {1, 2, 3}));
  std::vector<uint8_t> bytes;
  Status status = SerializeSafetensors(file, &bytes);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("'w' has 12 bytes but its shape needs 16"), std::string::npos)
      << status.message();
  file.tensors = {WeightTensor::FromFloats("__metadata__", {1}, {1})};
  EXPECT_EQ(SerializeSafetensors(file, &bytes).code(), StatusCode::kInvalidArgument);
  file.tensors = {WeightTensor::FromFloats("", {1}, {1})};
  EXPECT_EQ(SerializeSafetensors(file, &bytes).code(), StatusCode::kInvalidArgument);
  file.tensors = {WeightTensor::FromFloats("ok", {1}, {1})};
  Status missingDir = WriteSafetensors("/nonexistent-dir/w.safetensors", file);
  EXPECT_FALSE(missingDir.ok());
  EXPECT_NE(missingDir.message().find("/nonexistent-dir/w.safetensors"), std::string::npos);
}

TEST(SafetensorsTest, ReadReportsMissingFilesAndDirectories) {
  WeightsFile file;
  Status missing = ReadSafetensors("/nonexistent/w.safetensors", &file);
  EXPECT_EQ(missing.code(), StatusCode::kNotFound);
  EXPECT_NE(missing.message().find("/nonexistent/w.safetensors"), std::string::npos);
  EXPECT_EQ(ReadSafetensors("/tmp", &file).code(), StatusCode::kInvalidArgument);
}

// Issue 9: only regular files are read (opening a FIFO used to block until a writer came;
// /dev/zero is endless) and written over (renaming onto a FIFO or device replaces the special
// file).
TEST(SafetensorsTest, ReadsAndReplacesOnlyRegularFiles) {
  WeightsFile file;
  Status device = ReadSafetensors("/dev/zero", &file);
  EXPECT_EQ(device.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(device.message().find("'/dev/zero' is a character device"), std::string::npos)
      << device.message();
  std::string dir = temporaryDirectory();
  std::string fifo = dir + "/w.fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  Status read = ReadSafetensors(fifo, &file);
  EXPECT_EQ(read.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(read.message().find("is a FIFO, not a regular file"), std::string::npos)
      << read.message();
  Status write = WriteSafetensors(fifo, sampleFile());
  EXPECT_EQ(write.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(write.message().find("exists and is not a regular file"), std::string::npos)
      << write.message();
  struct stat info;
  ASSERT_EQ(stat(fifo.c_str(), &info), 0);
  EXPECT_TRUE(S_ISFIFO(info.st_mode)) << "the FIFO was replaced";
  EXPECT_EQ(directoryEntries(dir), std::vector<std::string>{"w.fifo"});
  std::remove(fifo.c_str());
  rmdir(dir.c_str());
}

TEST(SafetensorsTest, RejectsTruncatedFilesAndBadHeaderLengths) {
  std::vector<uint8_t> bytes;
  ASSERT_TRUE(SerializeSafetensors(sampleFile(), &bytes).ok());
  expectRejected({}, StatusCode::kDataLoss, "fewer than the 8-byte header length");
  expectRejected({1, 0, 0}, StatusCode::kDataLoss, "fewer than the 8-byte header length");
  std::vector<uint8_t> headerCut(bytes.begin(), bytes.begin() + 20);
  expectRejected(headerCut, StatusCode::kDataLoss, "runs past the end of the file");
  std::vector<uint8_t> dataCut(bytes.begin(), bytes.end() - 3);
  expectRejected(dataCut, StatusCode::kDataLoss, "beyond the data section");
  std::vector<uint8_t> huge = bytes;
  huge[7] = 0x80; // Header length >= 2^63.
  expectRejected(huge, StatusCode::kDataLoss, "runs past the end of the file");
  expectRejected(image("{", {}), StatusCode::kDataLoss, "too short");
}

TEST(SafetensorsTest, RejectsBadJson) {
  expectRejected(image("{\"a\": ", {}), StatusCode::kDataLoss, "not valid JSON");
  expectRejected(image("[1, 2]", {}), StatusCode::kDataLoss, "must be a JSON object");
  expectRejected(
      image("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}} x", floatBytes({1})),
      StatusCode::kDataLoss, "not valid JSON");
  expectRejected(image("{\"__metadata__\":{\"k\":1}}", {}), StatusCode::kDataLoss,
                 "__metadata__ value of 'k' must be a string");
  expectRejected(image("{\"__metadata__\":[]}", {}), StatusCode::kDataLoss,
                 "__metadata__ must be an object");
}

TEST(SafetensorsTest, RejectsMalformedTensorEntries) {
  auto entry = [](const std::string &body) {
    return image("{\"t\":" + body + "}", floatBytes({1}));
  };
  expectRejected(entry("[]"), StatusCode::kDataLoss, "tensor 't' must be an object");
  expectRejected(entry(R"({"dtype":"F32","shape":[1]})"), StatusCode::kDataLoss,
                 "needs the fields dtype, shape and data_offsets");
  expectRejected(entry(R"({"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1})"),
                 StatusCode::kDataLoss, "unknown field 'x'");
  expectRejected(entry(R"({"dtype":3,"shape":[1],"data_offsets":[0,4]})"), StatusCode::kDataLoss,
                 "dtype must be a string");
  expectRejected(entry(R"({"dtype":"F32","shape":[-1],"data_offsets":[0,4]})"),
                 StatusCode::kDataLoss, "shape entry -1 is not a non-negative integer");
  expectRejected(entry(R"({"dtype":"F32","shape":[1.5],"data_offsets":[0,4]})"),
                 StatusCode::kDataLoss, "shape entry 1.5 is not a non-negative integer");
  expectRejected(entry(R"({"dtype":"F32","shape":1,"data_offsets":[0,4]})"), StatusCode::kDataLoss,
                 "shape must be an array");
  expectRejected(entry(R"({"dtype":"F32","shape":[1],"data_offsets":[0]})"), StatusCode::kDataLoss,
                 "data_offsets must be [begin, end]");
  expectRejected(
      entry(R"({"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,4]})"),
      StatusCode::kDataLoss, "too large to address");
  expectRejected(image(R"({"":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", floatBytes({1})),
                 StatusCode::kDataLoss, "empty name");
}

TEST(SafetensorsTest, RejectsUnknownAndUnsupportedDTypes) {
  auto withDType = [](const std::string &dtype) {
    return image(R"({"t":{"dtype":")" + dtype + R"(","shape":[2],"data_offsets":[0,4]}})",
                 floatBytes({1}));
  };
  expectRejected(withDType("Q7"), StatusCode::kDataLoss, "tensor 't' has unknown dtype 'Q7'");
  expectRejected(withDType("F16"), StatusCode::kUnimplemented,
                 "tensor 't' has dtype F16; Tidemark reads F32 and I32 tensors only");
  expectRejected(withDType("BF16"), StatusCode::kUnimplemented, "dtype BF16");
}

TEST(SafetensorsTest, RejectsBadOffsets) {
  std::vector<uint8_t> data = floatBytes({1, 2, 3});
  expectRejected(image(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[8,16]}})", data),
                 StatusCode::kDataLoss, "data_offsets [8, 16) lie beyond the data section of 12");
  expectRejected(image(R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[8,4]}})", data),
                 StatusCode::kDataLoss, "has begin > end");
  expectRejected(image(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,12]}})", data),
                 StatusCode::kDataLoss, "hold 12 bytes but its shape needs 8");
  expectRejected(image(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                       R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                       data),
                 StatusCode::kDataLoss, "tensors 'a' and 'b' overlap (bytes from 4 to 8)");
  expectRejected(image(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                       R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
                       data),
                 StatusCode::kDataLoss, "bytes 4 to 8 of the data section belong to no tensor");
  expectRejected(image(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", data),
                 StatusCode::kDataLoss, "4 trailing bytes");
}

TEST(SafetensorsTest, RejectsDuplicateNamesAndKeys) {
  std::vector<uint8_t> data = floatBytes({1, 2});
  expectRejected(image(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                       R"("a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                       data),
                 StatusCode::kDataLoss, "lists the key 'a' twice");
  expectRejected(
      image(R"({"a":{"dtype":"F32","dtype":"F32","shape":[2],"data_offsets":[0,8]}})", data),
      StatusCode::kDataLoss, "lists the key 'dtype' twice");
}

TEST(SafetensorsTest, CorruptedFilesNeverCrashAndAcceptedOnesAreConsistent) {
  std::vector<uint8_t> valid;
  ASSERT_TRUE(SerializeSafetensors(sampleFile(), &valid).ok());
  std::mt19937 rng(20261127);
  int rejected = 0;
  for (int trial = 0; trial < 20000; ++trial) {
    std::vector<uint8_t> bytes = valid;
    if (trial % 3 == 0) {
      bytes.resize(rng() % bytes.size());
    } else {
      int flips = 1 + trial % 4;
      for (int i = 0; i < flips; ++i)
        bytes[rng() % bytes.size()] = static_cast<uint8_t>(rng());
    }
    WeightsFile file;
    Status status = ParseSafetensors(bytes.data(), bytes.size(), &file);
    if (!status.ok()) {
      ++rejected;
      EXPECT_FALSE(status.message().empty());
      EXPECT_TRUE(file.tensors.empty());
      continue;
    }
    size_t total = 0;
    for (const WeightTensor &tensor : file.tensors) {
      ASSERT_EQ(tensor.bytes.size(), static_cast<size_t>(tensor.NumElements()) * 4);
      total += tensor.bytes.size();
    }
    EXPECT_LE(total, bytes.size());
  }
  EXPECT_GT(rejected, 10000) << "most corruptions must be detected";
}

} // namespace
} // namespace tidemark
