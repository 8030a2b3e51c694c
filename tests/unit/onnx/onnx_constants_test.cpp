// Tests of the ONNX importer's import-time folding (OnnxConstants.h) and --input-shape parsing.
// Every expected value is worked out by hand in the comment next to it.
#include "compiler/onnx/OnnxConstants.h"
#include "compiler/onnx/OnnxLoader.h"

#include "onnx/onnx_pb.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

namespace {

using tidemark::onnximport::ElementKind;
using tidemark::onnximport::HostTensor;
namespace ox = tidemark::onnximport;

HostTensor floats(std::vector<int64_t> shape, std::vector<float> values) {
  HostTensor t;
  t.shape = std::move(shape);
  t.floats = std::move(values);
  return t;
}

HostTensor ints(std::vector<int64_t> shape, std::vector<int64_t> values) {
  HostTensor t;
  t.kind = ElementKind::I64;
  t.shape = std::move(shape);
  t.ints = std::move(values);
  return t;
}

TEST(OnnxConstantsTest, BinaryBroadcastsLikeNumPy) {
  // [2, 1] + [3]: row i, column j is a[i] + b[j].
  HostTensor sum;
  ASSERT_EQ(ox::foldBinary('+', floats({2, 1}, {10, 20}), floats({3}, {1, 2, 3}), &sum), "");
  EXPECT_EQ(sum.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(sum.floats, (std::vector<float>{11, 12, 13, 21, 22, 23}));
  HostTensor bad;
  EXPECT_EQ(ox::foldBinary('*', floats({2}, {1, 2}), floats({3}, {1, 2, 3}), &bad),
            "shapes 2 and 3 do not broadcast");
}

TEST(OnnxConstantsTest, IntegerDivisionTruncatesAndRefusesZero) {
  HostTensor q;
  ASSERT_EQ(ox::foldBinary('/', ints({2}, {7, -7}), ints({}, {2}), &q), "");
  EXPECT_EQ(q.ints, (std::vector<int64_t>{3, -3})); // C truncation, not floor (-4).
  EXPECT_EQ(ox::foldBinary('/', ints({1}, {1}), ints({1}, {0}), &q), "integer division by zero");
  // INT64_MIN / -1 overflows in C++; the fold keeps INT64_MIN instead of trapping.
  ASSERT_EQ(ox::foldBinary('/', ints({1}, {INT64_MIN}), ints({1}, {-1}), &q), "");
  EXPECT_EQ(q.ints[0], INT64_MIN);
}

TEST(OnnxConstantsTest, GatherCountsNegativeIndicesFromTheEnd) {
  // Shape [2, 3, 4] -> Gather(indices [-1, 0], axis 0) = [4, 2].
  HostTensor got;
  ASSERT_EQ(ox::gatherHost(ints({3}, {2, 3, 4}), ints({2}, {-1, 0}), 0, &got), "");
  EXPECT_EQ(got.ints, (std::vector<int64_t>{4, 2}));
  // Axis 1 of [[1, 2, 3], [4, 5, 6]] with the scalar index 2: [3, 6], shape [2].
  ASSERT_EQ(ox::gatherHost(floats({2, 3}, {1, 2, 3, 4, 5, 6}), ints({}, {2}), 1, &got), "");
  EXPECT_EQ(got.shape, (std::vector<int64_t>{2}));
  EXPECT_EQ(got.floats, (std::vector<float>{3, 6}));
  EXPECT_EQ(ox::gatherHost(ints({3}, {2, 3, 4}), ints({1}, {3}), 0, &got),
            "index 3 is out of range for a dimension of 3");
}

TEST(OnnxConstantsTest, ConcatTransposeSliceCast) {
  HostTensor got;
  // [[1, 2]] ++ [[3, 4], [5, 6]] on axis 0.
  HostTensor a = floats({1, 2}, {1, 2}), b = floats({2, 2}, {3, 4, 5, 6});
  ASSERT_EQ(ox::concatHost({&a, &b}, 0, &got), "");
  EXPECT_EQ(got.shape, (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(got.floats, (std::vector<float>{1, 2, 3, 4, 5, 6}));
  // The same on axis 1 does not fit (rows 1 vs 2).
  EXPECT_NE(ox::concatHost({&a, &b}, 1, &got), "");
  // Transpose [3, 2] -> [2, 3]: column j becomes row j.
  HostTensor t = ox::transposeHost(floats({3, 2}, {1, 2, 3, 4, 5, 6}), {1, 0});
  EXPECT_EQ(t.floats, (std::vector<float>{1, 3, 5, 2, 4, 6}));
  // The box [1:3, 1:2] of [[1, 2, 3], [4, 5, 6], [7, 8, 9]]: [[5], [8]].
  HostTensor s = ox::sliceHost(floats({3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9}), {1, 1}, {2, 1});
  EXPECT_EQ(s.floats, (std::vector<float>{5, 8}));
  // Float -> int truncates toward zero; NaN and overflow saturate instead of being undefined.
  HostTensor c = ox::castHost(floats({4}, {2.7f, -2.7f, NAN, 1e30f}), ElementKind::I64);
  EXPECT_EQ(c.ints, (std::vector<int64_t>{2, -2, 0, INT64_MAX}));
}

TEST(OnnxConstantsTest, ReadsRawAndTypedTensorData) {
  onnx::TensorProto proto;
  proto.set_name("w");
  proto.set_data_type(onnx::TensorProto::FLOAT);
  proto.add_dims(2);
  float raw[2] = {1.5f, -2.0f};
  proto.set_raw_data(std::string(reinterpret_cast<const char *>(raw), sizeof raw));
  HostTensor got;
  ASSERT_EQ(ox::fromTensorProto(proto, &got), "");
  EXPECT_EQ(got.floats, (std::vector<float>{1.5f, -2.0f}));
  // 7 raw bytes for 2 floats: refused, never read out of bounds.
  proto.set_raw_data(std::string(7, '\0'));
  EXPECT_EQ(ox::fromTensorProto(proto, &got),
            "tensor 'w' holds the wrong number of bytes or values for its shape 2");
  onnx::TensorProto typed;
  typed.set_name("s");
  typed.set_data_type(onnx::TensorProto::INT64);
  typed.add_dims(3);
  for (int64_t v : {4, -1, 2})
    typed.add_int64_data(v);
  ASSERT_EQ(ox::fromTensorProto(typed, &got), "");
  EXPECT_EQ(got.ints, (std::vector<int64_t>{4, -1, 2}));
  typed.set_data_type(onnx::TensorProto::FLOAT16);
  EXPECT_EQ(ox::fromTensorProto(typed, &got), "tensor 's' has element type FLOAT16; the importer "
                                              "reads FLOAT, INT32, INT64 and BOOL");
  typed.set_data_type(onnx::TensorProto::INT64);
  typed.set_dims(0, -3);
  EXPECT_EQ(ox::fromTensorProto(typed, &got), "tensor 's' has a negative or too large shape -3");
}

TEST(OnnxConstantsTest, EqualAndWhereFoldLikeMaskedFill) {
  // mask [[1, 0], [1, 1]] == 0 -> [[0, 1], [0, 0]] (BOOL); where(that, -9, x) keeps x where the
  // mask is 1 and puts the scalar -9 elsewhere.
  HostTensor isZero, filled;
  ASSERT_EQ(ox::foldBinary('=', floats({2, 2}, {1, 0, 1, 1}), floats({}, {0}), &isZero), "");
  EXPECT_EQ(isZero.kind, ElementKind::Bool);
  EXPECT_EQ(isZero.ints, (std::vector<int64_t>{0, 1, 0, 0}));
  ASSERT_EQ(ox::whereHost(isZero, floats({}, {-9}), floats({2, 2}, {5, 6, 7, 8}), &filled), "");
  EXPECT_EQ(filled.floats, (std::vector<float>{5, -9, 7, 8}));
  // A condition of shape [3] does not broadcast with values of shape [2, 2].
  EXPECT_NE(
      ox::whereHost(ints({3}, {1, 0, 1}), floats({}, {0}), floats({2, 2}, {1, 2, 3, 4}), &filled),
      "");
}

TEST(OnnxConstantsTest, ParsesInputShapes) {
  ox::InputShapes shapes;
  EXPECT_EQ(ox::parseInputShape("input.1=8x16", &shapes), "");
  EXPECT_EQ(shapes["input.1"], (std::vector<int64_t>{8, 16}));
  EXPECT_EQ(ox::parseInputShape("s=", &shapes), ""); // A scalar.
  EXPECT_TRUE(shapes["s"].empty());
  EXPECT_NE(ox::parseInputShape("input.1=2", &shapes), ""); // Given twice.
  EXPECT_NE(ox::parseInputShape("x=8x", &shapes), "");
  EXPECT_NE(ox::parseInputShape("x=8xx2", &shapes), "");
  EXPECT_NE(ox::parseInputShape("x=-1", &shapes), "");
  EXPECT_NE(ox::parseInputShape("x=99999999999999999999", &shapes), "");
  EXPECT_NE(ox::parseInputShape("=8", &shapes), "");
  EXPECT_NE(ox::parseInputShape("x8", &shapes), "");
}

} // namespace
