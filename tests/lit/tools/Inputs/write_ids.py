# Writes a safetensors file of i32 tensors, the inputs file of tide-run --inputs (for the bad-id
# tests): write_ids.py OUT NAME:D0xD1:v0,v1,... [NAME:SHAPE:VALUES ...]
import json
import struct
import sys

header, blob = {}, b""
for spec in sys.argv[2:]:
    name, shape, values = spec.split(":")
    data = struct.pack("<%di" % len(values.split(",")), *[int(v) for v in values.split(",")])
    dims = [int(d) for d in shape.split("x")]
    header[name] = {"dtype": "I32", "shape": dims, "data_offsets": [len(blob), len(blob) + len(data)]}
    blob += data
text = json.dumps(header)
text += " " * ((8 - len(text) % 8) % 8)
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<Q", len(text)) + text.encode() + blob)
