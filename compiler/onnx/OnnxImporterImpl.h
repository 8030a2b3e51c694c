//===- OnnxImporterImpl.h - The ONNX importer's state, shared by its files -*- C++ -*-===//
//
// Private to compiler/onnx: the Importer class that OnnxImporter.cpp (driver) and OnnxOps.cpp
// (one handler per ONNX op) implement.
//
//===----------------------------------------------------------------------===//

#ifndef TIDEMARK_COMPILER_ONNX_ONNXIMPORTERIMPL_H
#define TIDEMARK_COMPILER_ONNX_ONNXIMPORTERIMPL_H

#include "compiler/onnx/OnnxConstants.h"
#include "compiler/onnx/OnnxImporter.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace onnx {
class GraphProto;
class ModelProto;
class NodeProto;
} // namespace onnx

namespace mlir::tide::onnx_detail {

using tidemark::onnximport::ElementKind;
using tidemark::onnximport::HostTensor;

/// One ONNX value: its ONNX element kind and shape, and a tide value (int64 and int32 ONNX
/// tensors are i32 in tide), a constant known at import, or both.
struct Entry {
  ElementKind kind = ElementKind::F32;
  std::vector<int64_t> shape;
  Value value;
  std::optional<HostTensor> constant;
  /// A float initializer: a parameter. Its values are readable where ONNX wants a number known
  /// at import (Pow's exponent, Dropout's ratio); its tide.param argument is created on the
  /// first use as a tensor (materialize), so an initializer read only as a number is no
  /// parameter.
  std::optional<HostTensor> initializer;
  std::string name;
  mutable Value materialized; ///< The constant's arith.constant or the parameter's argument.
};

class Importer {
public:
  Importer(const onnx::ModelProto &model, MLIRContext *context, StringRef fileName);
  LogicalResult run(OnnxImportResult *result);
  const std::string &errorMessage() const { return error; }

  /// True if importNode maps this default-domain op type.
  static bool isSupportedOp(const std::string &opType);

private:
  using Handler = LogicalResult (*)(Importer &);
  /// ONNX op type -> its handler (OnnxOps.cpp).
  static const std::map<std::string, Handler> &handlerTable();

private:
  // Driver (OnnxImporter.cpp).
  LogicalResult checkOps();
  LogicalResult checkTypes();
  LogicalResult collectArguments();
  LogicalResult createFunction();
  LogicalResult importNodes();
  LogicalResult finish();

  // Helpers for the handlers.
  Location locationOf(int nodeIndex);
  std::string describeNode(const onnx::NodeProto &node) const;
  LogicalResult fail(const std::string &message);
  LogicalResult failNode(const std::string &message);
  Type elementType(ElementKind kind);
  RankedTensorType tensorType(const std::vector<int64_t> &shape, ElementKind kind);
  /// The entry of the current node's input `index`, or null when it is absent (optional).
  const Entry *input(int index);
  LogicalResult requireInput(int index, const Entry **entry);
  LogicalResult requireFloat(int index, const Entry **entry);
  LogicalResult requireConstant(int index, const HostTensor **constant, const char *what);
  /// The entry as a tide value (an arith.constant for a constant, the tide.param argument for
  /// an initializer); null after an error.
  Value materialize(const Entry &entry);
  Entry alias(const Entry &x);
  /// Appends the parameter argument of a float initializer and records its weights.
  Value parameterArgument(const Entry &entry);
  /// Creates and verifies one op `name` with one result; null after an error (recorded).
  Value createOp(StringRef name, ValueRange operands, Type resultType,
                 ArrayRef<NamedAttribute> attributes = {});
  /// The same with any number of results; null after an error.
  Operation *createOps(StringRef name, ValueRange operands, TypeRange resultTypes,
                       ArrayRef<NamedAttribute> attributes = {});
  /// Records the current node's output `outputIndex` (its shape checked against ONNX's).
  LogicalResult define(int outputIndex, Entry entry);
  LogicalResult defineValue(int outputIndex, Value value, ElementKind kind);
  LogicalResult defineConstant(int outputIndex, HostTensor constant);

  // Attributes of the current node.
  int64_t intAttr(const char *name, int64_t fallback) const;
  float floatAttr(const char *name, float fallback) const;
  std::optional<std::vector<int64_t>> intsAttr(const char *name) const;
  /// `axis` in [-rank, rank) -> [0, rank); fails (recorded) otherwise.
  LogicalResult normalizeAxis(int64_t axis, int64_t rank, int64_t *out);

  // Op handlers (OnnxOps.cpp).
  LogicalResult importNode(const onnx::NodeProto &node);
  LogicalResult importConstant();
  LogicalResult importIdentity();
  LogicalResult importDropout();
  LogicalResult importCast();
  LogicalResult importShape();
  LogicalResult importBinary(char op, StringRef tideOp);
  LogicalResult importUnary(StringRef tideOp, float (*fold)(float));
  LogicalResult importPow();
  LogicalResult importMinMax(StringRef tideOp);
  LogicalResult importClip();
  LogicalResult importReciprocal();
  LogicalResult importMatMul();
  LogicalResult importGemm();
  LogicalResult importReshapeLike(const std::string &opType);
  LogicalResult importTranspose();
  LogicalResult importSoftmax(bool logarithm);
  LogicalResult importReduce(StringRef tideOp, bool axesAsInput);
  LogicalResult importReduceMax();
  LogicalResult importGather();
  LogicalResult importConcat();
  LogicalResult importLayerNorm();
  LogicalResult importSlice();
  LogicalResult importSplit();
  LogicalResult importExpand();
  LogicalResult importConstantOfShape();
  LogicalResult importEqual();
  LogicalResult importWhere();
  /// One box [start, start + sizes) of the current node's input 0 (folded when known).
  LogicalResult defineBox(int outputIndex, const Entry &data, const std::vector<int64_t> &start,
                          const std::vector<int64_t> &sizes);
  /// The shape Reshape/Unsqueeze/Squeeze/Flatten give the current node's input 0.
  LogicalResult reshapeTarget(const std::string &opType, const Entry &data,
                              std::vector<int64_t> *shape);
  Value reshapeValue(Value input, const std::vector<int64_t> &shape);
  Value matmulValues(Value lhs, Value rhs, bool transposeLhs, bool transposeRhs);
  Value binaryValues(StringRef tideOp, Value lhs, Value rhs);
  Value scalarConstant(float value);

  const onnx::ModelProto &model;
  const onnx::GraphProto &graph;
  MLIRContext *context;
  OpBuilder builder;
  std::string fileName;
  int64_t opset = 0;
  OnnxImportResult *result = nullptr;
  func::FuncOp function;
  std::vector<std::pair<std::string, std::vector<int64_t>>> inputs, params;
  std::map<std::string, Entry> values;
  std::map<std::string, std::string> unavailable; ///< Outputs not produced, and why.
  std::map<std::string, std::vector<int64_t>> inferredShapes;
  const onnx::NodeProto *currentNode = nullptr;
  Location currentLocation = UnknownLoc::get(context);
  std::string error;
};

} // namespace mlir::tide::onnx_detail

#endif // TIDEMARK_COMPILER_ONNX_ONNXIMPORTERIMPL_H
