#!/usr/bin/env python3
"""Write a large synthetic Prophesee EVT 2.0 recording (for streaming/memory
benchmarks): 640x480 sensor, 10 events/us, TIME_HIGH every 64 us.
Usage: bench/make_big_evt2.py OUT.raw SIZE_GB"""
import sys
import numpy as np

out, gb = sys.argv[1], float(sys.argv[2])
per_block = 640                      # CD words per 64 us time-high block
blocks_per_chunk = 8192
rng = np.random.default_rng(1)
n = blocks_per_chunk * per_block
ts = np.sort(rng.integers(0, 64, size=(blocks_per_chunk, per_block), dtype=np.uint32), axis=1)
x = rng.integers(0, 640, size=(blocks_per_chunk, per_block), dtype=np.uint32)
y = rng.integers(0, 480, size=(blocks_per_chunk, per_block), dtype=np.uint32)
pol = rng.integers(0, 2, size=(blocks_per_chunk, per_block), dtype=np.uint32)
cd = (pol << 28) | (ts << 22) | (x << 11) | y
words = np.empty((blocks_per_chunk, per_block + 1), dtype="<u4")
words[:, 1:] = cd
target = int(gb * 2**30)
header = b"% date 2026-11-28 12:00:00\n% format EVT2;height=480;width=640\n% end\n"
written = 0
block = 0
with open(out, "wb") as f:
    f.write(header)
    while written < target:
        words[:, 0] = (np.uint32(0x8) << 28) | (np.arange(block, block + blocks_per_chunk, dtype=np.uint32) & 0x0FFFFFFF)
        f.write(words.tobytes())
        written += words.nbytes
        block += blocks_per_chunk
print(f"{out}: {written / 2**30:.2f} GiB, {block * per_block} events, {block * 64 / 1e6:.1f} s of camera time")
