//===- OnnxLoader.cpp - Reading and checking an ONNX model file -----------===//
//
// See OnnxLoader.h. Compiled with exceptions: the ONNX checker and shape inference report
// problems by throwing, and every call into them is wrapped here.
//
//===----------------------------------------------------------------------===//

#include "compiler/onnx/OnnxLoader.h"
#include "compiler/onnx/OnnxConstants.h"

#include "onnx/checker.h"
#include "onnx/onnx_pb.h"
#include "onnx/shape_inference/implementation.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <fstream>
#include <limits>
#include <sstream>

namespace tidemark::onnximport {
namespace {

/// protobuf refuses messages of 2 GiB and more.
constexpr int64_t kMaxModelBytes = (int64_t{1} << 31) - 1;

std::string readFile(const std::string &path, std::string *bytes) {
  struct stat info;
  if (stat(path.c_str(), &info) != 0)
    return "cannot open '" + path + "': " + std::strerror(errno);
  if (S_ISDIR(info.st_mode))
    return "cannot open '" + path + "': it is a directory";
  if (!S_ISREG(info.st_mode))
    return "cannot open '" + path + "': not a regular file";
  if (info.st_size > kMaxModelBytes)
    return "'" + path + "' is " + std::to_string(info.st_size) +
           " bytes; a self-contained ONNX model is below 2 GiB (protobuf's limit)";
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return "cannot open '" + path + "': " + std::strerror(errno);
  bytes->resize(static_cast<size_t>(info.st_size));
  if (!bytes->empty() && !in.read(bytes->data(), static_cast<std::streamsize>(bytes->size())))
    return "cannot read '" + path + "'";
  return "";
}

bool isExternal(const onnx::TensorProto &tensor) {
  return tensor.data_location() == onnx::TensorProto::EXTERNAL || tensor.external_data_size() > 0;
}

std::string externalLocation(const onnx::TensorProto &tensor) {
  for (const auto &entry : tensor.external_data())
    if (entry.key() == "location")
      return entry.value();
  return "?";
}

/// Every tensor of the graph that keeps its data in another file: initializers and Constant
/// attributes (subgraphs are not read by the importer, so they are not searched).
std::string findExternalData(const onnx::GraphProto &graph) {
  std::vector<std::string> found;
  auto note = [&](const onnx::TensorProto &tensor, const std::string &what) {
    if (isExternal(tensor))
      found.push_back(what + " '" + tensor.name() + "' (file '" + externalLocation(tensor) + "')");
  };
  for (const auto &tensor : graph.initializer())
    note(tensor, "initializer");
  for (const auto &sparse : graph.sparse_initializer())
    note(sparse.values(), "sparse initializer");
  for (const auto &node : graph.node())
    for (const auto &attribute : node.attribute())
      if (attribute.has_t())
        note(attribute.t(), "constant of node '" + node.name() + "'");
  if (found.empty())
    return "";
  std::string message = std::to_string(found.size()) +
                        " tensor(s) keep their data in external files, which Tidemark does not "
                        "read (save the model self-contained: onnx.save_model(model, path, "
                        "save_as_external_data=False)):";
  for (const std::string &what : found)
    message += "\n  " + what;
  return message;
}

/// Bytes per element of an ONNX TensorProto data type in raw_data, or 0 for UNDEFINED, STRING
/// and codes this ONNX version does not define.
int64_t rawElementBytes(int32_t type) {
  switch (type) {
  case onnx::TensorProto::UINT8:
  case onnx::TensorProto::INT8:
  case onnx::TensorProto::BOOL:
    return 1;
  case onnx::TensorProto::UINT16:
  case onnx::TensorProto::INT16:
  case onnx::TensorProto::FLOAT16:
  case onnx::TensorProto::BFLOAT16:
    return 2;
  case onnx::TensorProto::FLOAT:
  case onnx::TensorProto::INT32:
  case onnx::TensorProto::UINT32:
    return 4;
  case onnx::TensorProto::INT64:
  case onnx::TensorProto::UINT64:
  case onnx::TensorProto::DOUBLE:
  case onnx::TensorProto::COMPLEX64:
    return 8;
  case onnx::TensorProto::COMPLEX128:
    return 16;
  default:
    return 0;
  }
}

/// What is wrong with the data of a tensor stored in the model, or "": a negative dimension, an
/// element count that overflows, an undefined type, or data (raw_data or the typed field) whose
/// size is not the element count the dims give. ONNX's checker lets these through and its
/// shape inference then reads past the data (found by tests/unit/onnx/onnx_mutants.cpp).
std::string tensorDataProblem(const onnx::TensorProto &tensor) {
  int64_t count = 1;
  for (int64_t d : tensor.dims()) {
    if (d < 0)
      return "has a negative dimension " + std::to_string(d);
    if (__builtin_mul_overflow(count, d, &count) || count > (int64_t{1} << 40))
      return "has more than 2^40 elements";
  }
  const int32_t type = tensor.data_type();
  if (tensor.has_raw_data()) {
    int64_t bytes = rawElementBytes(type);
    if (bytes == 0)
      return "has raw data of element type " + std::to_string(type) + ", which has no fixed size";
    if (static_cast<int64_t>(tensor.raw_data().size()) != count * bytes)
      return "has " + std::to_string(tensor.raw_data().size()) + " bytes of raw data; its " +
             std::to_string(count) + " element(s) need " + std::to_string(count * bytes);
    return "";
  }
  int64_t stored = 0;
  int64_t perElement = 1;
  switch (type) {
  case onnx::TensorProto::FLOAT:
    stored = tensor.float_data_size();
    break;
  case onnx::TensorProto::COMPLEX64:
    stored = tensor.float_data_size();
    perElement = 2;
    break;
  case onnx::TensorProto::INT32:
  case onnx::TensorProto::INT16:
  case onnx::TensorProto::INT8:
  case onnx::TensorProto::UINT16:
  case onnx::TensorProto::UINT8:
  case onnx::TensorProto::BOOL:
  case onnx::TensorProto::FLOAT16:
  case onnx::TensorProto::BFLOAT16:
    stored = tensor.int32_data_size();
    break;
  case onnx::TensorProto::INT64:
    stored = tensor.int64_data_size();
    break;
  case onnx::TensorProto::DOUBLE:
    stored = tensor.double_data_size();
    break;
  case onnx::TensorProto::COMPLEX128:
    stored = tensor.double_data_size();
    perElement = 2;
    break;
  case onnx::TensorProto::UINT32:
  case onnx::TensorProto::UINT64:
    stored = tensor.uint64_data_size();
    break;
  case onnx::TensorProto::STRING:
    stored = tensor.string_data_size();
    break;
  default:
    return "has the undefined element type " + std::to_string(type);
  }
  if (stored != count * perElement)
    return "stores " + std::to_string(stored) + " value(s); its dims give " +
           std::to_string(count * perElement);
  return "";
}

/// Every stored tensor of `graph` and its subgraphs (initializers, sparse initializers' values,
/// tensor attributes) whose data does not match its dims and type.
void findMalformedTensors(const onnx::GraphProto &graph, std::vector<std::string> *found) {
  auto check = [&](const onnx::TensorProto &tensor, const std::string &what) {
    if (std::string problem = tensorDataProblem(tensor); !problem.empty())
      found->push_back(what + " '" + tensor.name() + "' " + problem);
  };
  for (const auto &tensor : graph.initializer())
    check(tensor, "initializer");
  for (const auto &sparse : graph.sparse_initializer())
    check(sparse.values(), "sparse initializer");
  for (const auto &node : graph.node())
    for (const auto &attribute : node.attribute()) {
      const std::string what = "tensor attribute '" + attribute.name() + "' of node '" +
                               node.name() + "' (" + node.op_type() + ")";
      if (attribute.has_t())
        check(attribute.t(), what);
      for (const auto &tensor : attribute.tensors())
        check(tensor, what);
      if (attribute.has_g())
        findMalformedTensors(attribute.g(), found);
      for (const auto &subgraph : attribute.graphs())
        findMalformedTensors(subgraph, found);
    }
}

std::string describeDims(const onnx::TensorShapeProto &shape) {
  std::string text;
  for (int i = 0; i < shape.dim_size(); ++i) {
    const auto &dim = shape.dim(i);
    text += i ? "x" : "";
    text += dim.has_dim_value()   ? std::to_string(dim.dim_value())
            : dim.has_dim_param() ? dim.dim_param()
                                  : std::string("?");
  }
  return text.empty() ? "(scalar)" : text;
}

/// Replaces the shape of `input` by `shape` (given with --input-shape), checking rank and the
/// dimensions the model fixes. Returns an error or "".
std::string applyShape(onnx::ValueInfoProto *input, const std::vector<int64_t> &shape) {
  auto *tensor = input->mutable_type()->mutable_tensor_type();
  if (tensor->has_shape()) {
    const auto &dims = tensor->shape();
    if (dims.dim_size() != static_cast<int>(shape.size()))
      return "--input-shape " + input->name() + "=" + describeShape(shape) + " has rank " +
             std::to_string(shape.size()) + ", but the model's input is " + describeDims(dims) +
             " (rank " + std::to_string(dims.dim_size()) + ")";
    for (int i = 0; i < dims.dim_size(); ++i)
      if (dims.dim(i).has_dim_value() && dims.dim(i).dim_value() != shape[i])
        return "--input-shape " + input->name() + "=" + describeShape(shape) + " sets dimension " +
               std::to_string(i) + " to " + std::to_string(shape[i]) +
               ", but the model fixes it to " + std::to_string(dims.dim(i).dim_value());
  }
  auto *dims = tensor->mutable_shape();
  dims->clear_dim();
  for (int64_t d : shape)
    dims->add_dim()->set_dim_value(d);
  return "";
}

/// Applies --input-shape to the graph inputs and lists every dimension still not static.
std::string fixInputShapes(onnx::GraphProto *graph, const InputShapes &inputShapes) {
  std::map<std::string, bool> initializers;
  for (const auto &tensor : graph->initializer())
    initializers[tensor.name()] = true;
  std::vector<std::string> unresolved, known;
  InputShapes unused = inputShapes;
  for (auto &input : *graph->mutable_input()) {
    if (initializers.count(input.name()))
      continue; // An initializer listed as an input (IR version < 4): not a runtime input.
    known.push_back(input.name());
    if (!input.type().has_tensor_type())
      return "graph input '" + input.name() + "' is not a tensor";
    auto given = inputShapes.find(input.name());
    if (given != inputShapes.end()) {
      unused.erase(input.name());
      if (std::string error = applyShape(&input, given->second); !error.empty())
        return error;
      continue;
    }
    const auto &tensor = input.type().tensor_type();
    if (!tensor.has_shape()) {
      unresolved.push_back("'" + input.name() + "' has no shape (give its rank and dimensions)");
      continue;
    }
    for (int i = 0; i < tensor.shape().dim_size(); ++i) {
      const auto &dim = tensor.shape().dim(i);
      if (!dim.has_dim_value() || dim.dim_value() < 1)
        unresolved.push_back("'" + input.name() + "' dimension " + std::to_string(i) + " (" +
                             (dim.has_dim_param() ? "'" + dim.dim_param() + "'" : "unknown") +
                             ") of " + describeDims(tensor.shape()));
    }
  }
  if (!unused.empty()) {
    std::string names;
    for (const std::string &name : known)
      names += (names.empty() ? "" : ", ") + name;
    return "--input-shape names '" + unused.begin()->first +
           "', which is not a graph input (the inputs: " + (names.empty() ? "none" : names) + ")";
  }
  if (unresolved.empty())
    return "";
  std::string message = std::to_string(unresolved.size()) +
                        " input dimension(s) are not static; Tidemark plans static shapes: fix "
                        "each input with --input-shape NAME=D0xD1x...:";
  for (const std::string &line : unresolved)
    message += "\n  " + line;
  return message;
}

} // namespace

std::string parseInputShape(const std::string &text, InputShapes *shapes) {
  size_t equals = text.rfind('=');
  if (equals == std::string::npos || equals == 0)
    return "--input-shape '" + text + "' is not NAME=D0xD1x... (e.g. input=8x16)";
  std::string name = text.substr(0, equals);
  std::vector<int64_t> dims;
  std::string rest = text.substr(equals + 1);
  std::stringstream stream(rest);
  std::string item;
  while (!rest.empty() && std::getline(stream, item, 'x')) {
    char *end = nullptr;
    errno = 0;
    long long value = std::strtoll(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || errno == ERANGE || value < 1 || value > (int64_t{1} << 40))
      return "--input-shape '" + text + "': dimension '" + item +
             "' is not an integer in [1, 2^40]";
    dims.push_back(value);
  }
  if (!rest.empty() && rest.back() == 'x')
    return "--input-shape '" + text + "': a dimension is missing after the last 'x'";
  if (!shapes->emplace(name, dims).second)
    return "--input-shape gives '" + name + "' twice";
  return "";
}

int64_t defaultOpset(const onnx::ModelProto &model) {
  for (const auto &opset : model.opset_import())
    if (opset.domain().empty() || opset.domain() == "ai.onnx")
      return opset.version();
  return -1;
}

std::string loadOnnxModel(const std::string &path, const InputShapes &inputShapes,
                          onnx::ModelProto *model) {
  std::string bytes;
  if (std::string error = readFile(path, &bytes); !error.empty())
    return error;
  if (bytes.empty())
    return "'" + path + "' is empty, not an ONNX model";
  if (!model->ParseFromString(bytes))
    return "'" + path + "' is not a valid ONNX model: the protobuf does not parse (" +
           std::to_string(bytes.size()) + " bytes; a corrupt or truncated file?)";
  if (!model->has_graph())
    return "'" + path + "' has no graph (a corrupt or truncated file?)";
  if (std::string error = findExternalData(model->graph()); !error.empty())
    return error;
  std::vector<std::string> malformed;
  findMalformedTensors(model->graph(), &malformed);
  if (!malformed.empty()) {
    std::string message = "'" + path +
                          "' is not a valid ONNX model: " + std::to_string(malformed.size()) +
                          " tensor(s) have data that does not match their dims and type:";
    for (const std::string &line : malformed)
      message += "\n  " + line;
    return message;
  }
  int64_t opset = defaultOpset(*model);
  if (opset < 0)
    return "'" + path + "' imports no default-domain ONNX opset (every model names one; a " +
           "truncated file?)";
  if (opset < kMinOpset || opset > kMaxOpset)
    return "'" + path + "' imports ONNX opset " + std::to_string(opset) +
           "; the importer reads opsets " + std::to_string(kMinOpset) + " to " +
           std::to_string(kMaxOpset) + " (torch.onnx.export(..., opset_version=13..17))";
  try {
    onnx::checker::check_model(*model);
  } catch (const std::exception &e) {
    return "'" + path + "' is not a valid ONNX model: the ONNX checker says: " + e.what();
  }
  if (std::string error = fixInputShapes(model->mutable_graph(), inputShapes); !error.empty())
    return error;
  try {
    // check_type: types must agree; error_mode 1: a node's inference error is an error; data
    // propagation: shapes computed by Shape -> Gather -> Concat chains become static.
    onnx::ShapeInferenceOptions options(/*check_type_val=*/true, /*strict_mode_val=*/1,
                                        /*data_prop_val=*/true);
    onnx::shape_inference::InferShapes(*model, onnx::OpSchemaRegistry::Instance(), options);
  } catch (const std::exception &e) {
    return "ONNX shape inference failed on '" + path + "': " + e.what();
  }
  return "";
}

} // namespace tidemark::onnximport
