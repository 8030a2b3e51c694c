# Writes the inputs of the tide-models-bert.test model (batch 2, seq 16, vocab 64, 2 token types)
# as safetensors, with the standard library only: masked-LM labels that are -100 (ignored) except
# at every fifth position. The second file is the same with labels[3] = -7 (neither a class nor
# the ignore index).
import json
import struct
import sys


def write(path, tensors):
    header, data = {}, b""
    for name, shape, values in tensors:
        raw = struct.pack("<%di" % len(values), *values)
        header[name] = {"dtype": "I32", "shape": shape,
                        "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-(8 + len(text)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + data)


tokens = [(7 * i + 3) % 64 for i in range(32)]
types = [0 if i % 16 < 8 else 1 for i in range(32)]
labels = [(5 * i + 1) % 64 if i % 5 == 0 else -100 for i in range(32)]
write(sys.argv[1], [("tokens", [2, 16], tokens), ("token_types", [2, 16], types),
                    ("labels", [32], labels)])
labels[3] = -7
write(sys.argv[2], [("tokens", [2, 16], tokens), ("token_types", [2, 16], types),
                    ("labels", [32], labels)])
