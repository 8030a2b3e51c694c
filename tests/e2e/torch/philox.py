"""Philox4x32-10 and Tidemark's dropout masks in NumPy, written from the definitions (Salmon,
Moraes, Dror, Shaw, "Parallel random numbers: as easy as 1, 2, 3", SC'11, and the stream layout
of runtime/kernels/dropout.h / plan.fbs DropoutAttrs), independent of the C++ code.

Philox4x32: a 128-bit counter (c0, c1, c2, c3) and a 64-bit key (k0, k1). One round:
    (hi0, lo0) = M0 * c0 as a 64-bit product, (hi1, lo1) = M1 * c2
    (c0, c1, c2, c3) <- (hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0)
with M0 = 0xD2511F53, M1 = 0xCD9E8D57; between rounds the key is bumped by the Weyl constants
W0 = 0x9E3779B9 (golden ratio) and W1 = 0xBB67AE85 (sqrt(3) - 1), mod 2^32. Philox4x32-10 is ten
rounds (the key bumped nine times).

Tidemark's dropout draw for element i (row-major flat index) of the tensor a `tide.dropout` with
`site` s sees in training step t (1-based: the runtime's update number, the same for a
recomputed clone and for the backward's `tide.dropout_grad`) under the plan's seed:
    word i % 4 of Philox4x32-10(counter {lo32(i/4), hi32(i/4), t, s}, key {lo32(seed), hi32(seed)})
uniform u = (word >> 8) * 2^-24; kept iff u >= p (p as float32); kept elements are multiplied by
the float32 1 / (1 - p).

`python3 philox.py` checks the Random123 known-answer vectors (the ones tests/unit/runtime/
dropout_test.cc uses) and exits 1 on a mismatch.
"""
import sys

import numpy as np

M0, M1 = np.uint64(0xD2511F53), np.uint64(0xCD9E8D57)
W0, W1 = np.uint32(0x9E3779B9), np.uint32(0xBB67AE85)
_LOW = np.uint64(0xFFFFFFFF)
_SHIFT = np.uint64(32)

# Random123's known-answer vectors for Philox4x32-10: (counter, key, output).
KNOWN_ANSWERS = [
    ((0, 0, 0, 0), (0, 0), (0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8)),
    ((0xffffffff,) * 4, (0xffffffff,) * 2, (0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd)),
    ((0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344), (0xa4093822, 0x299f31d0),
     (0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1)),
]


def philox4x32_10(counter, key):
    """counter: 4 arrays (or scalars) of uint32 words, broadcast together; key: 2 uint32 words.
    Returns the 4 output words as uint32 arrays."""
    c = [np.asarray(w, dtype=np.uint32) for w in counter]
    c = list(np.broadcast_arrays(*c))
    k0, k1 = np.uint32(key[0]), np.uint32(key[1])
    with np.errstate(over="ignore"):  # uint32 key bumps wrap mod 2^32 by definition
        for round_index in range(10):
            if round_index:
                k0, k1 = np.uint32(k0 + W0), np.uint32(k1 + W1)
            p0 = M0 * c[0].astype(np.uint64)
            p1 = M1 * c[2].astype(np.uint64)
            hi0, lo0 = (p0 >> _SHIFT).astype(np.uint32), (p0 & _LOW).astype(np.uint32)
            hi1, lo1 = (p1 >> _SHIFT).astype(np.uint32), (p1 & _LOW).astype(np.uint32)
            c = [hi1 ^ c[1] ^ k0, lo1, hi0 ^ c[3] ^ k1, lo0]
    return c


def check_known_answers():
    """Raises AssertionError naming the first vector that does not match."""
    for counter, key, expected in KNOWN_ANSWERS:
        got = tuple(int(w) for w in philox4x32_10(counter, key))
        if got != expected:
            raise AssertionError(f"Philox4x32-10{counter, key} = {[hex(w) for w in got]}, "
                                 f"expected {[hex(w) for w in expected]}")


def dropout_draws(seed, step, site, count):
    """The 32-bit draws of elements 0 .. count-1 of one dropout site in one step."""
    index = np.arange(count, dtype=np.uint64)
    block = index // np.uint64(4)
    words = philox4x32_10(((block & _LOW).astype(np.uint32), (block >> _SHIFT).astype(np.uint32),
                           np.uint32(step), np.uint32(site)),
                          (seed & 0xFFFFFFFF, (seed >> 32) & 0xFFFFFFFF))
    stacked = np.stack(words, axis=-1)  # [blocks, 4]: element 4b + j is word j of block b
    return stacked[np.arange(count), (index % np.uint64(4)).astype(np.int64)]


def dropout_scale(p):
    """The float32 factor of kept elements, 1 / (1 - p) computed in float32 (0 when p >= 1)."""
    p32 = np.float32(p)
    return np.float32(0.0) if p32 >= 1 else np.float32(1.0) / (np.float32(1.0) - p32)


def dropout_mask(seed, step, site, shape, p):
    """The float32 multiplier Tidemark applies to a tensor of `shape`: scale where kept, else 0."""
    count = int(np.prod(shape))
    # (word >> 8) * 2^-24 and float32(p) are both exact in float64: the comparison is exact.
    uniform = (dropout_draws(seed, step, site, count) >> np.uint32(8)).astype(np.float64) * 2.0**-24
    kept = uniform >= float(np.float32(p))
    return np.where(kept, dropout_scale(p), np.float32(0.0)).astype(np.float32).reshape(shape)


if __name__ == "__main__":
    try:
        check_known_answers()
    except AssertionError as error:
        print(f"FAIL: {error}")
        sys.exit(1)
    print(f"Philox4x32-10: {len(KNOWN_ANSWERS)} known-answer vectors match")
