# Exits 0 iff two safetensors files hold the same tensors (names, dtypes, shapes and bytes),
# ignoring the __metadata__ entry (tide-run --save-weights records the plan's path there).
import json
import struct
import sys


def tensors(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    header.pop("__metadata__", None)
    return {name: (e["dtype"], e["shape"], data[e["data_offsets"][0]:e["data_offsets"][1]])
            for name, e in header.items()}


a, b = tensors(sys.argv[1]), tensors(sys.argv[2])
if a != b:
    differ = sorted(name for name in set(a) | set(b) if a.get(name) != b.get(name))
    sys.exit("tensors differ: " + ", ".join(differ[:10]))
print("%d tensors identical" % len(a))
