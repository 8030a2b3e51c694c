"""Writes the small ONNX models of the tests/lit/onnx tests: make_models.py NAME OUT.onnx.

Each model is built node by node with onnx.helper (python3-onnx), except `mlp`, which
torch.onnx.export writes from an nn.Module (Linear(4, 3) - ReLU - Linear(3, 2), batch 2).
"""
import sys

import numpy as np
import onnx
import onnx.helper as oh
import onnx.numpy_helper as onh

F, I64 = onnx.TensorProto.FLOAT, onnx.TensorProto.INT64


def model(nodes, inputs, outputs, initializers=(), opset=13, domains=()):
    graph = oh.make_graph(nodes, "g", inputs, outputs, initializer=list(initializers))
    opsets = [oh.make_opsetid("", opset)] + [oh.make_opsetid(d, 1) for d in domains]
    return oh.make_model(graph, opset_imports=opsets)


def info(name, elem, shape):
    return oh.make_tensor_value_info(name, elem, shape)


def ints(name, values):
    return onh.from_array(np.array(values, dtype=np.int64), name)


def floats(name, shape, seed=0):
    return onh.from_array(np.random.default_rng(seed).standard_normal(shape).astype(np.float32),
                          name)


def shapes():
    """Reshape (0 and -1), Transpose, Unsqueeze, Squeeze, Flatten on x [2, 3, 4]."""
    nodes = [
        oh.make_node("Reshape", ["x", "shape"], ["r"], name="reshape"),  # [2, 12]
        oh.make_node("Transpose", ["r"], ["t"], name="transpose", perm=[1, 0]),  # [12, 2]
        oh.make_node("Unsqueeze", ["t", "axes"], ["u"], name="unsqueeze"),  # [1, 12, 1, 2]
        oh.make_node("Squeeze", ["u"], ["s"], name="squeeze"),  # [12, 2]
        oh.make_node("Flatten", ["x"], ["f"], name="flatten", axis=2),  # [6, 4]
        oh.make_node("Relu", ["s"], ["y"], name="relu"),
    ]
    return model(nodes, [info("x", F, [2, 3, 4])], [info("y", F, [12, 2]), info("f", F, [6, 4])],
                 [ints("shape", [0, -1]), ints("axes", [0, -2])])


def reduce():
    """ReduceMean (axes attribute), ReduceSum (axes input), Softmax, LogSoftmax on x [2, 3, 4]."""
    nodes = [
        oh.make_node("ReduceMean", ["x"], ["m"], name="mean", axes=[-1]),  # [2, 3, 1]
        oh.make_node("ReduceSum", ["x", "axes"], ["s"], name="sum", keepdims=0),  # [3]
        oh.make_node("Softmax", ["x"], ["p"], name="softmax", axis=1),
        oh.make_node("LogSoftmax", ["x"], ["l"], name="logsoftmax"),
        oh.make_node("ReduceMax", ["x"], ["mx"], name="max", axes=[0, 2], keepdims=0),  # [3]
    ]
    return model(nodes, [info("x", F, [2, 3, 4])],
                 [info("m", F, [2, 3, 1]), info("s", F, [3]), info("p", F, [2, 3, 4]),
                  info("l", F, [2, 3, 4]), info("mx", F, [3])], [ints("axes", [0, 2])])


def gather():
    """An embedding: int64 ids [2, 3] into a [5, 4] table; Cast of the ids to float."""
    nodes = [
        oh.make_node("Gather", ["table", "ids"], ["e"], name="embed"),
        oh.make_node("Cast", ["ids"], ["c"], name="cast", to=F),
        oh.make_node("Unsqueeze", ["c", "axes"], ["cu"], name="unsqueeze"),
        oh.make_node("Mul", ["e", "cu"], ["y"], name="mul"),
    ]
    return model(nodes, [info("ids", I64, [2, 3])], [info("y", F, [2, 3, 4])],
                 [floats("table", [5, 4]), ints("axes", [-1])])


def fold():
    """Shape arithmetic folded at import, Dropout and Identity, a float Constant."""
    nodes = [
        oh.make_node("Shape", ["x"], ["shape"], name="shape"),
        oh.make_node("Gather", ["shape", "zero"], ["batch"], name="batch"),
        oh.make_node("Unsqueeze", ["batch", "axes"], ["b1"], name="b1"),
        oh.make_node("Concat", ["b1", "minus1"], ["target"], name="target", axis=0),
        oh.make_node("Reshape", ["x", "target"], ["r"], name="reshape"),  # [2, 12]
        oh.make_node("Dropout", ["r", "ratio"], ["d"], name="dropout"),
        oh.make_node("Identity", ["d"], ["i"], name="identity"),
        oh.make_node("Constant", [], ["two"], name="two", value_float=2.0),
        oh.make_node("Pow", ["i", "two"], ["y"], name="square"),
    ]
    return model(nodes, [info("x", F, [2, 3, 4])], [info("y", F, [2, 12])],
                 [ints("zero", 0), ints("axes", [0]), ints("minus1", [-1]),
                  onh.from_array(np.array(0.5, dtype=np.float32), "ratio")])


def matmul():
    """MatMul of a 3-D activation by a 2-D weight and by a 1-D vector; Gemm with a bias."""
    nodes = [
        oh.make_node("MatMul", ["x", "w"], ["h"], name="mm"),  # [2, 3, 5]
        oh.make_node("MatMul", ["h", "v"], ["y"], name="mv"),  # [2, 3]
        oh.make_node("Gemm", ["y", "g", "gb"], ["z"], name="gemm", transB=1, alpha=2.0),
    ]
    return model(nodes, [info("x", F, [2, 3, 4])], [info("z", F, [2, 6])],
                 [floats("w", [4, 5], 1), floats("v", [5], 2), floats("g", [6, 3], 3),
                  floats("gb", [6], 4)])


def boxes():
    """Opset 17: Slice, Split, Expand, ConstantOfShape, LayerNormalization without a bias."""
    nodes = [
        oh.make_node("Slice", ["x", "starts", "ends", "axes"], ["s"], name="slice"),  # [2, 4, 4]
        oh.make_node("Split", ["s", "split"], ["a", "b"], name="split", axis=2),  # [2,4,1], [2,4,3]
        oh.make_node("Expand", ["a", "shape"], ["e"], name="expand"),  # [2, 4, 3]
        oh.make_node("ConstantOfShape", ["three"], ["c"], name="fill",
                     value=onh.from_array(np.array([1.5], dtype=np.float32))),  # [3] of 1.5
        oh.make_node("Mul", ["e", "c"], ["ec"], name="mul"),
        oh.make_node("Add", ["ec", "b"], ["y"], name="add"),
        oh.make_node("LayerNormalization", ["x", "gamma"], ["n"], name="ln", epsilon=1e-3),
    ]
    return model(nodes, [info("x", F, [2, 6, 4])], [info("y", F, [2, 4, 3]),
                                                   info("n", F, [2, 6, 4])],
                 [ints("starts", [1]), ints("ends", [-1]), ints("axes", [1]),
                  ints("split", [1, 3]), ints("shape", [2, 1, 3]), ints("three", [3]),
                  floats("gamma", [4])], opset=17)


def minmax():
    """Max of three inputs (broadcasting), Min of two, Clip with both and with one bound."""
    nodes = [
        oh.make_node("Max", ["x", "w", "b"], ["m"], name="max"),
        oh.make_node("Min", ["m", "x"], ["n"], name="min"),
        oh.make_node("Clip", ["n", "lo", "hi"], ["c"], name="clip"),
        oh.make_node("Clip", ["c", "", "hi"], ["y"], name="clip_max"),
    ]
    return model(nodes, [info("x", F, [2, 3])], [info("y", F, [2, 3])],
                 [floats("w", [3]), floats("b", [2, 1], 1),
                  onh.from_array(np.array(-0.5, dtype=np.float32), "lo"),
                  onh.from_array(np.array(0.25, dtype=np.float32), "hi")])


def unsupported():
    """Two ops the importer lacks, one node of another domain, and supported ones."""
    nodes = [
        oh.make_node("Relu", ["x"], ["a"], name="relu"),
        oh.make_node("Floor", ["a"], ["b"], name="floor_1"),
        oh.make_node("Hardmax", ["b"], ["c"], name="hardmax_1"),
        oh.make_node("MyOp", ["c"], ["y"], name="custom_1", domain="com.example"),
    ]
    return model(nodes, [info("x", F, [2, 3])], [info("y", F, [2, 3])],
                 domains=["com.example"])


def float16():
    """An input and an initializer outside FLOAT / INT32 / INT64."""
    nodes = [oh.make_node("Cast", ["x"], ["xf"], to=F), oh.make_node("Add", ["xf", "b"], ["y"])]
    b = onh.from_array(np.zeros(3, dtype=np.float64), "b")
    nodes[1] = oh.make_node("Cast", ["b"], ["bf"], to=F)
    nodes.append(oh.make_node("Add", ["xf", "bf"], ["y"]))
    return model(nodes, [info("x", onnx.TensorProto.FLOAT16, [3])], [info("y", F, [3])], [b])


def symbolic():
    """Inputs with symbolic and unknown dimensions."""
    x = info("x", F, ["batch", 4])
    m = info("m", F, ["batch", "seq"])
    m.type.tensor_type.shape.dim[1].Clear()  # Neither a value nor a name.
    nodes = [oh.make_node("ReduceSum", ["m", "axes"], ["ms"], keepdims=0),
             oh.make_node("Unsqueeze", ["ms", "axes"], ["mu"]),
             oh.make_node("Add", ["x", "mu"], ["y"])]
    return model(nodes, [x, m], [info("y", F, ["batch", 4])], [ints("axes", [1])])


def opset11():
    return model([oh.make_node("Relu", ["x"], ["y"])], [info("x", F, [3])], [info("y", F, [3])],
                 opset=11)


def mlp(path):
    import torch
    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
    torch.onnx.export(module.eval(), torch.randn(2, 4), path, input_names=["x"],
                      output_names=["y"], opset_version=13)


def main():
    name, path = sys.argv[1], sys.argv[2]
    if name == "mlp":
        return mlp(path)
    if name == "external":  # The initializer's bytes in a file next to the model.
        m = model([oh.make_node("Add", ["x", "w"], ["y"])], [info("x", F, [64])],
                  [info("y", F, [64])], [floats("w", [64])])
        onnx.save_model(m, path, save_as_external_data=True, all_tensors_to_one_file=True,
                        location="w.bin", size_threshold=0)
        return None
    if name == "shortdata":  # Reshape's shape initializer has 5 bytes of raw data, not 16.
        m = shapes()
        m.graph.initializer[0].raw_data = m.graph.initializer[0].raw_data[:5]
        onnx.save(m, path)
        return None
    m = globals()[name]()
    onnx.checker.check_model(m)
    onnx.save(m, path)
    return None


if __name__ == "__main__":
    main()
