# Writes a model with N nested tide.checkpoint regions ("checkpoint N") or a function attribute
# holding arrays nested N deep ("array N"), for the front end's nesting limit.
import sys

kind, depth = sys.argv[1], int(sys.argv[2])
out = ["func.func @f(%x: tensor<4xf32>) -> tensor<4xf32>"]
if kind == "array":
    out[0] += " attributes {deep = " + "[" * depth + "]" * depth + "}"
out[0] += " {"
if kind == "checkpoint":
    for i in range(depth):
        out.append("%%r%d = tide.checkpoint -> (tensor<4xf32>) {" % i)
out.append("%y = tide.relu %x : tensor<4xf32>")
result = "%y"
if kind == "checkpoint":
    for i in reversed(range(depth)):
        out.append("tide.yield %s : tensor<4xf32>" % result)
        out.append("}")
        result = "%%r%d" % i
out.append("return %s : tensor<4xf32>" % result)
out.append("}")
print("\n".join(out))
