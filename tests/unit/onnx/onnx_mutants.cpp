// onnx_mutants: runs the ONNX importer in-process over deterministic mutants of seed models and
// checks that every one either imports or is rejected with a non-empty message; a crash (signal,
// abort, uncaught exception) kills the process, so ctest sees it fail, and the mutant that did it
// is left in WORKDIR/case.onnx with its description in WORKDIR/case.txt.
//
// Usage: onnx_mutants WORKDIR COUNT SEED MODEL.onnx...
//
// Half of the mutants are byte-level edits of the serialized seed (flips, random bytes,
// truncations, inserted, deleted and repeated ranges); the other half are field-aware edits of
// the parsed onnx::ModelProto (1 to 3 of: input/output/value_info dims and element types,
// initializer dims, types and data sizes, node op types, attribute values and types, dropped,
// renamed or added node inputs, dropped, repeated or swapped nodes, renamed outputs, the opset
// version), serialized again. Prints the counts per kind and the slowest case.
#include "compiler/onnx/OnnxImporter.h"

#include "onnx/onnx_pb.h"

#include "mlir/IR/MLIRContext.h"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace {

using Rng = std::mt19937_64;

int64_t pick(Rng &rng, int64_t n) { return static_cast<int64_t>(rng() % static_cast<uint64_t>(n)); }

/// An integer that tends to break things: boundaries, negatives, huge values, small values.
int64_t interestingInt(Rng &rng) {
  static const int64_t kValues[] = {0,
                                    1,
                                    -1,
                                    2,
                                    -2,
                                    3,
                                    4,
                                    7,
                                    16,
                                    64,
                                    1000,
                                    1 << 20,
                                    int64_t(1) << 40,
                                    std::numeric_limits<int32_t>::max(),
                                    std::numeric_limits<int32_t>::min(),
                                    std::numeric_limits<int64_t>::max(),
                                    std::numeric_limits<int64_t>::min()};
  if (pick(rng, 3) == 0)
    return pick(rng, 9) - 4;
  return kValues[pick(rng, std::size(kValues))];
}

float interestingFloat(Rng &rng) {
  static const float kValues[] = {0.0f,
                                  -0.0f,
                                  1.0f,
                                  -1.0f,
                                  0.5f,
                                  1e-30f,
                                  1e30f,
                                  std::numeric_limits<float>::infinity(),
                                  -std::numeric_limits<float>::infinity(),
                                  std::numeric_limits<float>::quiet_NaN()};
  return kValues[pick(rng, std::size(kValues))];
}

const char *const kOpTypes[] = {
    "MatMul",    "Gemm",      "Add",      "Sub",     "Mul",        "Div",
    "Pow",       "Sqrt",      "Relu",     "Softmax", "LogSoftmax", "ReduceMean",
    "ReduceSum", "ReduceMax", "Gather",   "Reshape", "Transpose",  "Unsqueeze",
    "Squeeze",   "Flatten",   "Expand",   "Slice",   "Split",      "Concat",
    "Where",     "Equal",     "Trilu",    "Cast",    "Constant",   "ConstantOfShape",
    "Shape",     "Dropout",   "Identity", "Max",     "Clip",       "LayerNormalization",
    "Erf",       "Tanh",      "Sigmoid",  "Neg",     "Floor",      "NoSuchOp"};

/// A name of a value somewhere in the graph (or a fresh one), for rewiring.
std::string someName(Rng &rng, const onnx::GraphProto &graph) {
  std::vector<std::string> names;
  for (const auto &v : graph.input())
    names.push_back(v.name());
  for (const auto &t : graph.initializer())
    names.push_back(t.name());
  for (const auto &n : graph.node())
    for (const auto &o : n.output())
      names.push_back(o);
  names.push_back("");
  names.push_back("no_such_value");
  return names[pick(rng, names.size())];
}

void mutateShape(Rng &rng, onnx::TypeProto *type, std::ostringstream &what) {
  onnx::TypeProto_Tensor *tensor = type->mutable_tensor_type();
  switch (pick(rng, 4)) {
  case 0: {
    int32_t elem = static_cast<int32_t>(pick(rng, 18));
    tensor->set_elem_type(elem);
    what << " elem_type=" << elem;
    return;
  }
  case 1:
    if (tensor->shape().dim_size() > 0) {
      int d = static_cast<int>(pick(rng, tensor->shape().dim_size()));
      int64_t v = interestingInt(rng);
      tensor->mutable_shape()->mutable_dim(d)->set_dim_value(v);
      what << " dim" << d << "=" << v;
      return;
    }
    [[fallthrough]];
  case 2:
    tensor->mutable_shape()->add_dim()->set_dim_value(pick(rng, 4));
    what << " add_dim";
    return;
  default:
    if (tensor->shape().dim_size() > 0) {
      tensor->mutable_shape()->mutable_dim()->RemoveLast();
      what << " drop_dim";
    } else {
      tensor->mutable_shape()->add_dim()->set_dim_param("sym");
      what << " sym_dim";
    }
  }
}

void mutateInitializer(Rng &rng, onnx::TensorProto *t, std::ostringstream &what) {
  what << " initializer '" << t->name() << "'";
  switch (pick(rng, 5)) {
  case 0: {
    int32_t type = static_cast<int32_t>(pick(rng, 18));
    t->set_data_type(type);
    what << " data_type=" << type;
    return;
  }
  case 1:
    if (t->dims_size() > 0) {
      int d = static_cast<int>(pick(rng, t->dims_size()));
      int64_t v = interestingInt(rng);
      t->set_dims(d, v);
      what << " dim" << d << "=" << v;
      return;
    }
    [[fallthrough]];
  case 2:
    if (pick(rng, 2) == 0 && t->dims_size() > 0) {
      t->mutable_dims()->RemoveLast();
      what << " drop_dim";
    } else {
      t->add_dims(pick(rng, 3) + 1);
      what << " add_dim";
    }
    return;
  case 3:
    if (t->has_raw_data() && !t->raw_data().empty()) {
      size_t size = t->raw_data().size();
      size_t cut = static_cast<size_t>(pick(rng, static_cast<int64_t>(size)));
      t->mutable_raw_data()->resize(pick(rng, 2) ? cut : size + 1 + cut);
      what << " raw_data size " << size << "->" << t->raw_data().size();
    } else if (t->int64_data_size() > 0) {
      t->set_int64_data(static_cast<int>(pick(rng, t->int64_data_size())), interestingInt(rng));
      what << " int64_data value";
    } else {
      t->add_float_data(interestingFloat(rng));
      what << " add float_data";
    }
    return;
  default:
    if (t->has_raw_data() && t->raw_data().size() >= 8 &&
        t->data_type() == onnx::TensorProto::INT64) {
      int64_t v = interestingInt(rng);
      size_t at = static_cast<size_t>(pick(rng, t->raw_data().size() / 8)) * 8;
      for (int b = 0; b < 8; ++b)
        (*t->mutable_raw_data())[at + b] =
            static_cast<char>((static_cast<uint64_t>(v) >> (8 * b)) & 0xFF);
      what << " int64 raw value=" << v;
    } else {
      t->set_name(pick(rng, 2) ? "renamed" : "");
      what << " renamed";
    }
  }
}

void mutateAttribute(Rng &rng, onnx::AttributeProto *a, std::ostringstream &what) {
  what << " attribute '" << a->name() << "'";
  switch (pick(rng, 6)) {
  case 0: {
    int64_t v = interestingInt(rng);
    a->set_i(v);
    what << " i=" << v;
    return;
  }
  case 1:
    if (a->ints_size() > 0) {
      int j = static_cast<int>(pick(rng, a->ints_size()));
      int64_t v = interestingInt(rng);
      a->set_ints(j, v);
      what << " ints[" << j << "]=" << v;
    } else {
      a->add_ints(interestingInt(rng));
      what << " add_ints";
    }
    return;
  case 2:
    a->set_f(interestingFloat(rng));
    what << " f";
    return;
  case 3: {
    int type = static_cast<int>(pick(rng, 15));
    a->set_type(static_cast<onnx::AttributeProto_AttributeType>(type));
    what << " type=" << type;
    return;
  }
  case 4:
    if (a->ints_size() > 0) {
      a->mutable_ints()->RemoveLast();
      what << " drop_ints";
    } else {
      a->set_name(pick(rng, 2) ? "axis" : "bogus");
      what << " renamed";
    }
    return;
  default:
    if (a->has_t()) {
      mutateInitializer(rng, a->mutable_t(), what);
    } else {
      a->clear_i();
      a->clear_ints();
      a->clear_f();
      what << " cleared";
    }
  }
}

void mutateNode(Rng &rng, onnx::GraphProto *graph, std::ostringstream &what) {
  int i = static_cast<int>(pick(rng, graph->node_size()));
  onnx::NodeProto *node = graph->mutable_node(i);
  what << " node " << i << " (" << node->op_type() << ")";
  switch (pick(rng, 8)) {
  case 0: {
    const char *op = kOpTypes[pick(rng, std::size(kOpTypes))];
    node->set_op_type(op);
    what << " op_type=" << op;
    return;
  }
  case 1:
    if (node->attribute_size() > 0) {
      mutateAttribute(
          rng, node->mutable_attribute(static_cast<int>(pick(rng, node->attribute_size()))), what);
      return;
    }
    [[fallthrough]];
  case 2: {
    onnx::AttributeProto *a = node->add_attribute();
    static const char *const kNames[] = {"axis",  "axes", "perm",  "keepdims", "transA",
                                         "alpha", "to",   "value", "upper",    "epsilon"};
    a->set_name(kNames[pick(rng, std::size(kNames))]);
    if (pick(rng, 2)) {
      a->set_type(onnx::AttributeProto::INT);
      a->set_i(interestingInt(rng));
    } else {
      a->set_type(onnx::AttributeProto::INTS);
      a->add_ints(interestingInt(rng));
    }
    what << " add attribute '" << a->name() << "'";
    return;
  }
  case 3:
    if (node->input_size() > 0) {
      node->mutable_input()->RemoveLast();
      what << " drop_input";
      return;
    }
    [[fallthrough]];
  case 4:
    if (node->input_size() > 0) {
      int j = static_cast<int>(pick(rng, node->input_size()));
      node->set_input(j, someName(rng, *graph));
      what << " input" << j << "=" << node->input(j);
    } else {
      node->add_input(someName(rng, *graph));
      what << " add_input";
    }
    return;
  case 5:
    graph->mutable_node()->DeleteSubrange(i, 1);
    what << " deleted";
    return;
  case 6:
    if (graph->node_size() > 1) {
      int j = static_cast<int>(pick(rng, graph->node_size()));
      graph->mutable_node()->SwapElements(i, j);
      what << " swapped with " << j;
    } else {
      *graph->add_node() = *node;
      what << " repeated";
    }
    return;
  default:
    if (node->output_size() > 0) {
      node->set_output(0, someName(rng, *graph));
      what << " output0=" << node->output(0);
    } else {
      node->set_domain("com.example");
      what << " domain";
    }
  }
}

/// One field-aware edit of `model`.
void mutateModel(Rng &rng, onnx::ModelProto *model, std::ostringstream &what) {
  onnx::GraphProto *graph = model->mutable_graph();
  switch (pick(rng, 7)) {
  case 0:
    if (graph->input_size() > 0) {
      int i = static_cast<int>(pick(rng, graph->input_size()));
      what << " input '" << graph->input(i).name() << "'";
      mutateShape(rng, graph->mutable_input(i)->mutable_type(), what);
      return;
    }
    [[fallthrough]];
  case 1:
    if (graph->output_size() > 0) {
      int i = static_cast<int>(pick(rng, graph->output_size()));
      onnx::ValueInfoProto *out = graph->mutable_output(i);
      what << " output '" << out->name() << "'";
      if (pick(rng, 3) == 0) {
        out->set_name(someName(rng, *graph));
        what << " renamed to '" << out->name() << "'";
      } else {
        mutateShape(rng, out->mutable_type(), what);
      }
      return;
    }
    [[fallthrough]];
  case 2:
    if (graph->initializer_size() > 0) {
      mutateInitializer(
          rng, graph->mutable_initializer(static_cast<int>(pick(rng, graph->initializer_size()))),
          what);
      return;
    }
    [[fallthrough]];
  case 3:
  case 4:
  case 5:
    if (graph->node_size() > 0) {
      mutateNode(rng, graph, what);
      return;
    }
    [[fallthrough]];
  default:
    if (model->opset_import_size() > 0) {
      int64_t v = pick(rng, 2) ? pick(rng, 26) : interestingInt(rng);
      model->mutable_opset_import(0)->set_version(v);
      what << " opset=" << v;
    } else {
      model->add_opset_import()->set_version(13);
      what << " add opset";
    }
  }
}

/// One byte-level edit of `bytes`.
void mutateBytes(Rng &rng, std::string *bytes, std::ostringstream &what) {
  if (bytes->empty()) {
    bytes->push_back(static_cast<char>(rng()));
    what << " byte added";
    return;
  }
  size_t size = bytes->size();
  size_t at = static_cast<size_t>(pick(rng, static_cast<int64_t>(size)));
  switch (pick(rng, 6)) {
  case 0:
    (*bytes)[at] = static_cast<char>((*bytes)[at] ^ (1 << pick(rng, 8)));
    what << " bit flip at " << at;
    return;
  case 1:
    (*bytes)[at] = static_cast<char>(rng());
    what << " random byte at " << at;
    return;
  case 2:
    bytes->resize(at);
    what << " truncated to " << at;
    return;
  case 3: {
    size_t n = static_cast<size_t>(pick(rng, 16) + 1);
    std::string junk;
    for (size_t k = 0; k < n; ++k)
      junk.push_back(static_cast<char>(rng()));
    bytes->insert(at, junk);
    what << " " << n << " bytes inserted at " << at;
    return;
  }
  case 4: {
    size_t n = std::min<size_t>(size - at, static_cast<size_t>(pick(rng, 64) + 1));
    bytes->erase(at, n);
    what << " " << n << " bytes deleted at " << at;
    return;
  }
  default: {
    size_t n = std::min<size_t>(size - at, static_cast<size_t>(pick(rng, 64) + 1));
    bytes->insert(at, bytes->substr(at, n));
    what << " " << n << " bytes repeated at " << at;
  }
  }
}

bool readFile(const std::string &path, std::string *out) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return false;
  out->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

bool writeFile(const std::string &path, const std::string &data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  return static_cast<bool>(out);
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 5) {
    std::cerr << "usage: onnx_mutants WORKDIR COUNT SEED MODEL.onnx...\n";
    return 2;
  }
  const std::string workdir = argv[1];
  const int64_t count = std::stoll(argv[2]);
  Rng rng(std::stoull(argv[3]));
  std::vector<std::string> seeds;
  std::vector<onnx::ModelProto> parsed;
  for (int i = 4; i < argc; ++i) {
    std::string bytes;
    onnx::ModelProto model;
    if (!readFile(argv[i], &bytes) || !model.ParseFromString(bytes)) {
      std::cerr << "onnx_mutants: error: cannot read the seed model '" << argv[i] << "'\n";
      return 2;
    }
    seeds.push_back(bytes);
    parsed.push_back(model);
  }
  const std::string casePath = workdir + "/case.onnx";
  const std::string caseText = workdir + "/case.txt";
  int64_t counts[2][2] = {{0, 0}, {0, 0}}; // [byte-level, field-aware][imported, rejected]
  double slowest = 0;
  std::string slowestWhat;
  for (int64_t c = 0; c < count; ++c) {
    const size_t s = static_cast<size_t>(pick(rng, static_cast<int64_t>(seeds.size())));
    const int kind = static_cast<int>(c % 2);
    std::ostringstream what;
    what << "case " << c << " seed " << argv[4 + s] << ":";
    std::string bytes;
    const int edits = static_cast<int>(pick(rng, 3) + 1);
    if (kind == 0) {
      bytes = seeds[s];
      for (int e = 0; e < edits; ++e)
        mutateBytes(rng, &bytes, what);
    } else {
      onnx::ModelProto model = parsed[s];
      for (int e = 0; e < edits; ++e) {
        mutateModel(rng, &model, what);
        what << ";";
      }
      if (!model.SerializeToString(&bytes)) {
        std::cerr << "onnx_mutants: error: cannot serialize " << what.str() << "\n";
        return 2;
      }
    }
    if (!writeFile(casePath, bytes) || !writeFile(caseText, what.str() + "\n")) {
      std::cerr << "onnx_mutants: error: cannot write into '" << workdir << "'\n";
      return 2;
    }
    auto start = std::chrono::steady_clock::now();
    mlir::MLIRContext context;
    mlir::tide::OnnxImportResult result;
    std::string error =
        mlir::tide::importOnnxModel(casePath, mlir::tide::OnnxImportOptions(), &context, &result);
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (seconds > slowest) {
      slowest = seconds;
      slowestWhat = what.str();
    }
    if (error.empty()) {
      if (!result.module) {
        std::cerr << "FAIL " << what.str() << ": no error and no module\n";
        return 1;
      }
      ++counts[kind][0];
    } else {
      // A message is a line of text: not only whitespace.
      if (error.find_first_not_of(" \n\t") == std::string::npos) {
        std::cerr << "FAIL " << what.str() << ": rejected with an empty message\n";
        return 1;
      }
      ++counts[kind][1];
    }
  }
  std::printf("%lld mutants of %zu seed model(s): byte-level rejected %lld, imported %lld; "
              "field-aware rejected %lld, imported %lld; 0 crashes, every rejection with a "
              "message\nslowest case %.3f s: %s\n",
              static_cast<long long>(count), seeds.size(), static_cast<long long>(counts[0][1]),
              static_cast<long long>(counts[0][0]), static_cast<long long>(counts[1][1]),
              static_cast<long long>(counts[1][0]), slowest, slowestWhat.c_str());
  return 0;
}
