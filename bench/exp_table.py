#!/usr/bin/env python3
"""Print the table of models/src/libm_bits/exp.rs: for k in 0..128, H = 2^(k/128) rounded to
the nearest double and T = (2^(k/128) - H) / H rounded to the nearest double, as
the pair (bits(T), bits(H) - (k << 45)). This is the table glibc's `exp` uses
(EXP_TABLE_BITS = 7); the tests of exp.rs check the result against libm bit for bit.
No numpy needed:  python3 bench/exp_table.py"""
import struct
from decimal import Decimal, getcontext

getcontext().prec = 80


def bits(x):
    return struct.unpack("<Q", struct.pack("<d", x))[0]


for k in range(128):
    e = Decimal(2) ** (Decimal(k) / Decimal(128))
    h = float(e)
    t = float((e - Decimal(h)) / Decimal(h))
    print(f"    (0x{bits(t):016x}, 0x{(bits(h) - (k << 45)) % 2**64:016x}),")
