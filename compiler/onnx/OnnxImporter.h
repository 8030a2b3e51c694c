//===- OnnxImporter.h - ONNX model -> tide dialect function -------*- C++ -*-===//
//
// The ONNX front end (docs/onnx.md): loads a .onnx file with OnnxLoader (parse, checker, shape
// inference, static input shapes), then builds one func.func of tide ops with mlir::OpBuilder:
//   - graph inputs become the function's first arguments, named by `tide.input_names` (int64
//     inputs become i32 arguments: the runtime feeds 32-bit ids);
//   - float initializers that an output depends on through a gradient-carrying path become
//     `tide.param` arguments named by `tide.param_names` with their ONNX names, and their values
//     are returned as weights under the same names;
//   - the other initializers (integers, masks, numbers), Constant nodes and everything computed
//     only from them (Shape, Gather, Concat, Unsqueeze, Cast, Equal, ... on shapes) are folded
//     at import; constants that reach a tide op become `arith.constant` tensors (integers
//     through an f32 constant and a tide.cast);
//   - each node becomes tide ops (the mapping table is in docs/onnx.md), with result types
//     checked against ONNX's inferred shapes; the graph outputs are returned in order.
// Unsupported nodes are all listed at once (op type, node name, opset) before anything is
// built. Every op is verified as it is created and the finished module once more: a problem is
// an error message, never a crash.
//
//===----------------------------------------------------------------------===//

#ifndef TIDEMARK_COMPILER_ONNX_ONNXIMPORTER_H
#define TIDEMARK_COMPILER_ONNX_ONNXIMPORTER_H

#include "compiler/onnx/OnnxLoader.h"
#include "tidemark/safetensors.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"

#include <string>
#include <vector>

namespace mlir::tide {

struct OnnxImportOptions {
  tidemark::onnximport::InputShapes inputShapes; ///< --input-shape NAME=D0xD1...
};

struct OnnxImportResult {
  OwningOpRef<ModuleOp> module;
  /// The float initializers (the parameters), under their ONNX names, in argument order.
  tidemark::WeightsFile weights;
  /// The graph outputs' ONNX names, in result order.
  std::vector<std::string> outputNames;
  int64_t opset = 0;
  int64_t nodes = 0; ///< Nodes in the graph.
};

/// True if `path` names an ONNX model by its extension (".onnx", any case).
bool isOnnxPath(StringRef path);

/// Imports `path`. `context` must have the tide, func and arith dialects loaded
/// (registerOnnxImportDialects). Returns "" on success, else an error message (one line per
/// problem after the first).
std::string importOnnxModel(StringRef path, const OnnxImportOptions &options, MLIRContext *context,
                            OnnxImportResult *result);

/// Makes an imported model a training function (tidec --loss, docs/onnx.md "Training"):
/// `spec` is `cross-entropy:OUTPUT,LABELS` (tide.softmax_cross_entropy of the graph output
/// OUTPUT, [rows..., classes], against a new i32 input LABELS of shape [rows...]) or
/// `mse:OUTPUT,TARGET` (tide.mse_loss against a new f32 input TARGET of OUTPUT's shape). The new
/// input follows the graph inputs (named in tide.input_names); the function then returns only
/// the scalar loss. Returns "" or an error message (unknown kind or output, a name taken, an
/// output whose shape the loss cannot take).
std::string appendOnnxLoss(StringRef spec, OnnxImportResult *result);

/// Loads the dialects the importer creates ops of.
void registerOnnxImportDialects(MLIRContext &context);

} // namespace mlir::tide

#endif // TIDEMARK_COMPILER_ONNX_ONNXIMPORTER_H
