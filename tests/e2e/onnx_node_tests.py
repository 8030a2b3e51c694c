"""ONNX's backend node tests (Debian's libonnx-testdata) through Tidemark: each test's model.onnx
is imported and compiled by `tidec` into an inference plan, run by `tide-run` on the test's
inputs (test_data_set_*/input_*.pb) and compared with its expected outputs (output_*.pb):
relative error max|a - b| / max(max|b|, 1e-3) <= 1e-5 per output, integer outputs exactly.

A test is in scope when every node's op is one the importer maps (tide-import-onnx lists the
others), every tensor is FLOAT, INT32, INT64 or BOOL, the model imports a default-domain opset
and its inputs are tensors; the others are listed with the reason tide-import-onnx gives. Input
shapes are fixed with --input-shape from the data; inputs used only where a value must be known
at compile time (Reshape's shape, axes, Slice bounds, Pow's exponent, ...: STATIC_POSITIONS)
are baked into the model as initializers, per data set. An in-scope test fails when the import, the compilation or the run is
refused, or an output differs; each failure is listed with its reason.

Prints the in-scope count, the pass count, the out-of-scope tests by reason and the failures.
Exit 0 when every in-scope test passes or is listed in --expected-failures (a file of
`test_name  reason` lines; a listed test that passes is an error too, so the list stays exact);
1 otherwise; 77 (skip) without numpy/onnx or the test data.

Usage: onnx_node_tests.py --tidec T --tide-run R --tide-import-onnx I --workdir DIR
                          [--data /usr/share/libonnx-testdata/data/node] [--expected-failures F]
"""
import argparse
import glob
import os
import re
import subprocess
import sys

TOLERANCE = 1e-5
FLOOR = 1e-3

try:
    import numpy as np
    import onnx
    import onnx.numpy_helper
except ImportError as error:
    print(f"SKIP: cannot import numpy/onnx with {sys.executable}: {error}")
    sys.exit(77)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "torch"))
import safetensors_io  # noqa: E402


def read_tensor(path):
    tensor = onnx.TensorProto()
    with open(path, "rb") as f:
        tensor.ParseFromString(f.read())
    return onnx.numpy_helper.to_array(tensor)


def first_line(text):
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return re.sub(r"^\S+: error: ", "", lines[0]) if lines else "(no message)"


# Inputs a test feeds to positions whose value fixes shapes or is an attribute-like number
# (Reshape's shape, axes, Slice bounds, split sizes, Expand's shape, Pow's exponent, Clip's
# bounds, Dropout's ratio and training mode). Tidemark plans static shapes, so such an input must be known when
# the model is compiled: when every use of a graph input is in such a position, the runner bakes
# the data set's value into the model as an initializer (one compilation per data set).
STATIC_POSITIONS = {"Reshape": {1}, "Unsqueeze": {1}, "Squeeze": {1}, "ReduceSum": {1},
                    "Slice": {1, 2, 3, 4}, "Split": {1}, "Expand": {1}, "Pow": {1},
                    "Dropout": {1, 2}, "ConstantOfShape": {0}, "Clip": {1, 2}}


def static_inputs(model):
    uses = {}
    for node in model.graph.node:
        for position, name in enumerate(node.input):
            static = position in STATIC_POSITIONS.get(node.op_type, ())
            uses.setdefault(name, []).append(static)
    return {name for name, kinds in uses.items() if kinds and all(kinds)}


def scope_reason(stderr):
    """The out-of-scope reason of an import error, or None if the error is in scope."""
    message = stderr.strip()
    if "use ops the ONNX importer does not support" in message:
        ops = sorted({m.group(1) for m in re.finditer(r"^\s+(\S+) \(node", message, re.M)})
        return "ops: " + ", ".join(ops)
    if "element types the importer does not read" in message:
        types = sorted({m.group(1) for m in re.finditer(r" is (\S+)$", message, re.M)})
        return "dtypes: " + ", ".join(types)
    if "the importer reads opsets" in message:
        return "opset: " + re.search(r"opset (\d+)", message).group(0)
    if "imports no default-domain ONNX opset" in message:
        return "no default-domain opset (another domain, e.g. ai.onnx.preview.training)"
    if re.search(r"graph input '.*' is not a tensor", message):
        return "non-tensor inputs (sequences, optionals)"
    return None


def compare(got, model, dataset):
    """Returns (error message or None, worst relative error)."""
    worst = 0.0
    for i in range(len(model.graph.output)):
        want = read_tensor(os.path.join(dataset, f"output_{i}.pb"))
        value = got.get(f"output{i}")
        if value is None or value.size != want.size:
            return (f"output {i}: shape {None if value is None else value.shape}, expected "
                    f"{want.shape}"), worst
        value = value.reshape(want.shape)
        if want.dtype.kind in "iub":
            if not np.array_equal(value.astype(np.int64), want.astype(np.int64)):
                return f"output {i}: integers differ", worst
            continue
        want, value = want.astype(np.float64), value.astype(np.float64)
        if np.any(np.isnan(want) != np.isnan(value)):
            return f"output {i}: NaN in different places", worst
        infinite = np.isinf(want) | np.isinf(value)
        if not np.array_equal(want[infinite], value[infinite]):
            return f"output {i}: infinities differ", worst
        finite = ~np.isnan(want) & ~infinite
        if finite.any():
            scale = max(float(np.max(np.abs(want[finite]))), FLOOR)
            error = float(np.max(np.abs(value[finite] - want[finite]))) / scale
            worst = max(worst, error)
            if error > TOLERANCE:
                return f"output {i}: relative error {error:.3g}", worst
    return None, worst


def declared_shape(value_info):
    dims = value_info.type.tensor_type.shape.dim
    if not all(d.HasField("dim_value") for d in dims):
        return None
    return [d.dim_value for d in dims]


def run_dataset(args, model, dataset, work):
    """Imports (with this data set's static inputs baked in), compiles, runs, compares."""
    initializers = {t.name for t in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in initializers]
    baked = static_inputs(model)
    model = onnx.ModelProto.FromString(model.SerializeToString())
    feed, shapes = {}, []
    for i, info in enumerate(inputs):
        array = read_tensor(os.path.join(dataset, f"input_{i}.pb"))
        shape = declared_shape(info)
        if shape is not None and int(np.prod(shape)) == array.size:
            array = array.reshape(shape)  # A test's [1] for a declared scalar, say.
        if info.name in baked:
            model.graph.initializer.append(onnx.numpy_helper.from_array(array, info.name))
            continue
        if 0 in array.shape:
            return "out", "zero-size inputs (--input-shape takes dimensions >= 1)", 0.0
        shapes += ["--input-shape", f"{info.name}={'x'.join(str(d) for d in array.shape)}"]
        if array.dtype.kind in "iub":
            if array.size and (array.min() < -2**31 or array.max() >= 2**31):
                return "fail", f"input {info.name} does not fit i32", 0.0
            array = array.astype(np.int32)
        else:
            array = array.astype(np.float32)
        feed[info.name] = array
    kept = [i for i in model.graph.input if i.name not in baked]
    del model.graph.input[:]
    model.graph.input.extend(kept)
    path = os.path.join(work, "model.onnx")
    onnx.save(model, path)
    imported = subprocess.run([args.tide_import_onnx, path, "-o",
                               os.path.join(work, "model.mlir"), *shapes],
                              capture_output=True, text=True, errors="replace")
    if imported.returncode != 0:
        reason = scope_reason(imported.stderr)
        if reason:
            return "out", reason, 0.0
        return "fail", "import: " + first_line(imported.stderr), 0.0
    plan = os.path.join(work, "model.tplan")
    compiled = subprocess.run([args.tidec, path, "-o", plan, *shapes], capture_output=True,
                              text=True, errors="replace")
    if compiled.returncode != 0:
        return "fail", "tidec: " + first_line(compiled.stderr), 0.0
    feed_path = os.path.join(work, "inputs.safetensors")
    outputs = os.path.join(work, "outputs.safetensors")
    safetensors_io.write(feed_path, feed)
    command = [args.tide_run, plan, "--save-outputs", outputs]
    if feed:
        command += ["--inputs", feed_path]
    ran = subprocess.run(command, capture_output=True, text=True, errors="replace")
    if ran.returncode != 0:
        return "fail", "tide-run: " + first_line(ran.stderr), 0.0
    got, _ = safetensors_io.read(outputs)
    error, worst = compare(got, model, dataset)
    return ("fail", error, worst) if error else ("pass", "", worst)


def run_test(args, directory):
    """Returns ("out", reason), ("fail", reason) or ("pass", detail)."""
    name = os.path.basename(directory)
    work = os.path.join(args.workdir, name)
    os.makedirs(work, exist_ok=True)
    model = onnx.load(os.path.join(directory, "model.onnx"))
    if any(not i.type.HasField("tensor_type") for i in model.graph.input):
        return "out", "non-tensor inputs (sequences, optionals)"
    readable = {onnx.TensorProto.FLOAT, onnx.TensorProto.INT32, onnx.TensorProto.INT64,
                onnx.TensorProto.BOOL}
    others = sorted({onnx.TensorProto.DataType.Name(i.type.tensor_type.elem_type)
                     for i in model.graph.input
                     if i.type.tensor_type.elem_type not in readable})
    if others:  # The importer's own list would say the same; the data cannot even be fed.
        return "out", "dtypes: " + ", ".join(others)
    datasets = sorted(glob.glob(os.path.join(directory, "test_data_set_*")))
    worst = 0.0
    for dataset in datasets:
        status, reason, error = run_dataset(args, model, dataset, work)
        if status != "pass":
            return status, reason
        worst = max(worst, error)
    return "pass", f"{len(datasets)} data set(s), worst relative error {worst:.2g}"


def main():
    parser = argparse.ArgumentParser()
    for flag in ("--tidec", "--tide-run", "--tide-import-onnx", "--workdir"):
        parser.add_argument(flag, required=True)
    parser.add_argument("--data", default="/usr/share/libonnx-testdata/data/node")
    parser.add_argument("--expected-failures", default=None)
    parser.add_argument("--filter", default="", help="only tests whose name contains this")
    args = parser.parse_args()
    if not os.path.isdir(args.data):
        print(f"SKIP: no ONNX node tests at {args.data} (install libonnx-testdata)")
        return 77
    expected = {}
    if args.expected_failures:
        for line in open(args.expected_failures):
            line = line.split("#", 1)[0].strip()
            if line:
                name, _, reason = line.partition(" ")
                expected[name] = reason.strip()
    os.makedirs(args.workdir, exist_ok=True)
    results = {}
    for directory in sorted(glob.glob(os.path.join(args.data, "test_*"))):
        if args.filter in os.path.basename(directory):
            results[os.path.basename(directory)] = run_test(args, directory)
    in_scope = {n: r for n, r in results.items() if r[0] != "out"}
    passed = [n for n, r in in_scope.items() if r[0] == "pass"]
    print(f"ONNX node tests: {len(results)} in {args.data}; in scope {len(in_scope)}; "
          f"passed {len(passed)}")
    by_reason = {}
    for name, (status, reason) in results.items():
        if status == "out":
            by_reason.setdefault(reason, []).append(name)
    print(f"out of scope: {len(results) - len(in_scope)}")
    for reason in sorted(by_reason):
        print(f"  {reason}: {' '.join(by_reason[reason])}")
    unexpected = []
    print("in-scope failures:")
    for name, (status, reason) in sorted(in_scope.items()):
        if status == "fail":
            mark = "expected" if name in expected else "UNEXPECTED"
            print(f"  {name}: {reason} [{mark}]")
            if name not in expected:
                unexpected.append(name)
    for name in sorted(expected):
        if name in results and results[name][0] == "pass":
            print(f"  {name}: passes but is listed as an expected failure [UNEXPECTED]")
            unexpected.append(name)
    print("passed:")
    for name in passed:
        print(f"  {name}: {in_scope[name][1]}")
    if unexpected:
        print(f"FAILED: {len(unexpected)} unexpected result(s): {' '.join(unexpected)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
