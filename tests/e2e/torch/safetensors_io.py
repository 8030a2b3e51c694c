"""Minimal safetensors reader/writer (standard library + NumPy) for the end-to-end checks.

Format: 8-byte little-endian header length N, N bytes of JSON
{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}, then the raw
little-endian tensor bytes. Only F32 and I32 (what Tidemark reads and writes).
"""
import json
import os
import struct

import numpy as np

_DTYPES = {"F32": "<f4", "I32": "<i4"}


def read(path):
    """Returns ({name: ndarray}, metadata) in file order; raises ValueError on a bad file."""
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise ValueError(f"{path}: shorter than 8 bytes")
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    metadata = header.pop("__metadata__", {})
    data = blob[8 + n:]
    tensors = {}
    for name, entry in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        begin, end = entry["data_offsets"]
        tensors[name] = np.frombuffer(data[begin:end], dtype=_DTYPES[entry["dtype"]]).reshape(
            entry["shape"]).copy()
    return tensors, metadata


def raw_bytes(path):
    """Returns {name: bytes} of every tensor's data, for exact (bitwise) comparisons."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    header.pop("__metadata__", None)
    data = blob[8 + n:]
    return {name: data[e["data_offsets"][0]:e["data_offsets"][1]] for name, e in header.items()}


def write(path, tensors, metadata=None):
    """Writes {name: ndarray} (float32 or int32) atomically (temporary file, then rename)."""
    header, chunks, offset = {}, [], 0
    for name, array in tensors.items():
        array = np.asarray(array)
        array = np.ascontiguousarray(array).reshape(array.shape)  # Keeps a scalar 0-d.
        if array.dtype.kind not in "fi":
            raise ValueError(f"{name}: dtype {array.dtype} is neither float nor int")
        kind = "F32" if array.dtype.kind == "f" else "I32"
        raw = array.astype(_DTYPES[kind]).tobytes()
        header[name] = {"dtype": kind, "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    text = json.dumps(header).encode()
    text += b" " * (-(8 + len(text)) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for chunk in chunks:
            f.write(chunk)
    os.replace(tmp, path)
