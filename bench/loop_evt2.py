#!/usr/bin/env python3
"""Write an EVT 2.0 recording N times in a row, each copy's TIME_HIGH words shifted
to start where the previous copy's last TIME_HIGH period ends: a longer stream of
real camera data for steady-state replay benchmarks (the shared Gen3 sample is
50 ms long, and a 50 ms run is mostly its start). No numpy needed.

  python3 bench/loop_evt2.py ../shared/data/events/evt2_gen3_sample.raw /tmp/gen3x12.raw 12
  volley replay /tmp/gen3x12.raw --model bench/replay_reservoir.toml --t-sim 600 --threads 2 --realtime --no-raster
"""
import sys
from array import array

TIME_HIGH = 0x8


def main(src, out, copies):
    data = open(src, "rb").read()
    start = 0
    while data.startswith(b"%", start):  # the header: lines starting with '%'
        start = data.index(b"\n", start) + 1
    words = array("I")
    words.frombytes(data[start:start + (len(data) - start) // 4 * 4])
    if sys.byteorder != "little":
        words.byteswap()
    highs = [w & 0x0FFFFFFF for w in words if w >> 28 == TIME_HIGH]
    if not highs:
        sys.exit(f"{src}: no TIME_HIGH word; is it EVT 2.0?")
    period = max(highs) - highs[0] + 1  # in units of 64 us
    if highs[0] + copies * period >= 1 << 28:
        sys.exit(f"{src}: {copies} copies overflow the 28-bit TIME_HIGH")
    with open(out, "wb") as f:
        f.write(data[:start])
        for k in range(copies):
            shift = k * period
            copy = array("I", (w + shift if w >> 28 == TIME_HIGH else w for w in words))
            if sys.byteorder != "little":
                copy.byteswap()
            f.write(copy.tobytes())
    ms = copies * period * 64 / 1000
    print(f"{out}: {copies} copies of {len(words)} words, {ms:.3f} ms of camera time")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
