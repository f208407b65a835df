#!/usr/bin/env python3
"""Print the log table of models/src/libm_bits/pow.rs: glibc's `pow` (POW_LOG_TABLE_BITS = 7)
writes x = 2^k z with z in [0x1.69555p-1, 0x1.69555p0), split by the bits of z into 128
subintervals; subinterval i has a c near its centre with 1/c = round(128/centre)/128
(centre < 1) or round(256/centre)/256 (centre >= 1), so z/c - 1 is exact, and
logc = log(c) rounded to a multiple of 2^-43 (k ln2hi + logc is then exact) with
logctail = log(c) - logc rounded to a double. Each row is (bits(1/c), bits(logc),
bits(logctail)); the tests of pow.rs check the result against libm bit for bit.
No numpy needed:  python3 bench/pow_log_table.py [--check LIBM_SO OFFSET]
(--check compares with a copy of the table in a libm binary, e.g. 0xacd28 in
Debian's glibc 2.36 libm.so.6, where rows are (1/c, 0, logc, logctail))."""
import struct
import sys
from decimal import Decimal, getcontext

getcontext().prec = 80
OFF = 0x3FE6955500000000


def bits(x):
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def double(b):
    return struct.unpack("<d", struct.pack("<Q", b))[0]


def row(i):
    a = Decimal(double(OFF + (i << 45)))
    b = Decimal(double(OFF + ((i + 1) << 45)))
    centre = (a + b) / 2
    if centre < 1:
        invc = Decimal(round(128 / centre)) / 128
    else:
        invc = Decimal(round(256 / centre)) / 256
    logc_exact = -invc.ln()
    logc = Decimal(round(logc_exact * 2**43)) / 2**43
    return float(invc), float(logc), float(logc_exact - logc)


rows = [row(i) for i in range(128)]
if len(sys.argv) == 4 and sys.argv[1] == "--check":
    data = open(sys.argv[2], "rb").read()
    at = int(sys.argv[3], 0)
    bad = 0
    for i, (invc, logc, tail) in enumerate(rows):
        lib = struct.unpack("<4d", data[at + 32 * i : at + 32 * i + 32])
        if (bits(invc), bits(logc), bits(tail)) != (bits(lib[0]), bits(lib[2]), bits(lib[3])):
            bad += 1
            print(f"row {i}: ours {invc.hex()} {logc.hex()} {tail.hex()}, libm {lib[0].hex()} {lib[2].hex()} {lib[3].hex()}")
    print(f"{128 - bad} of 128 rows equal libm's")
    sys.exit(1 if bad else 0)
for invc, logc, tail in rows:
    print(f"    (0x{bits(invc):016x}, 0x{bits(logc):016x}, 0x{bits(tail):016x}),")
