//===- OnnxLoader.h - Reading and checking an ONNX model file ------*- C++ -*-===//
//
// The first half of the ONNX importer (docs/onnx.md), in plain C++ on Debian's ONNX library and
// protobuf, with no MLIR: it reads a .onnx file, parses it into an onnx::ModelProto, refuses
// tensors stored in external data files, fixes the graph inputs' symbolic dimensions from
// --input-shape, runs ONNX's model checker and ONNX's shape inference (strict: a node whose
// shapes do not infer is an error). Every failure is a message, never an exception or a crash:
// this file is compiled with exceptions (the ONNX library throws) and catches them all.
//
// Steps, each O(model size): read (a regular file of at most 2 GiB, protobuf's limit), parse,
// external-data scan, tensor data sizes against dims and type, opset check (13 to 17), checker,
// input shapes, shape inference.
//
//===----------------------------------------------------------------------===//

#ifndef TIDEMARK_COMPILER_ONNX_ONNXLOADER_H
#define TIDEMARK_COMPILER_ONNX_ONNXLOADER_H

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace onnx {
class ModelProto;
} // namespace onnx

namespace tidemark::onnximport {

/// Graph input name -> its full static shape (from `--input-shape NAME=D0xD1...`).
using InputShapes = std::map<std::string, std::vector<int64_t>>;

/// The default-domain opsets the importer reads (what PyTorch 1.13's exporter writes).
constexpr int64_t kMinOpset = 13;
constexpr int64_t kMaxOpset = 17;

/// Parses one `NAME=D0xD1x...` (every D an integer >= 1; `NAME=` alone is a scalar) into
/// `*shapes`. Returns an error message or "" (a name given twice is an error).
std::string parseInputShape(const std::string &text, InputShapes *shapes);

/// Loads `path` into `*model` (see the file comment). Returns an error message (possibly several
/// lines, one per problem) or "" on success. After success every graph input that is not an
/// initializer has a fully static shape and ONNX's inferred types are in the graph's value_info.
std::string loadOnnxModel(const std::string &path, const InputShapes &inputShapes,
                          onnx::ModelProto *model);

/// The default-domain ("" or "ai.onnx") opset of `model`, or -1 if it imports none.
int64_t defaultOpset(const onnx::ModelProto &model);

} // namespace tidemark::onnximport

#endif // TIDEMARK_COMPILER_ONNX_ONNXLOADER_H
