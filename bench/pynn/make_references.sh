#!/usr/bin/env bash
# NEST references of the volley.pynn tests (python/tests/data), made by
# running the same PyNN scripts with pyNN.nest (NEST 3.10, PyNN 0.13):
#   python3 -m venv /tmp/peers && /tmp/peers/bin/pip install nest-simulator 'numpy<2.4' pynn==0.13.0
set -euo pipefail
cd "$(dirname "$0")"
PY=${PY:-/tmp/peers/bin/python}
OUT=../../python/tests/data
for cell in delta exp; do
  "$PY" exact_network.py nest "$cell" "$OUT/pynn_nest_exact_$cell.csv"
done
for rule in additive multiplicative; do
  "$PY" stdp_network.py nest "$rule" "$OUT/pynn_nest_stdp_$rule.csv"
done
