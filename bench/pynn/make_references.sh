#!/usr/bin/env bash
# NEST references of the volley.pynn tests (python/tests/data), made by
# running the same PyNN scripts with pyNN.nest (NEST 3.10, PyNN 0.13) in the
# peers venv (bench/peers_venv.sh makes it on first use).
set -euo pipefail
cd "$(dirname "$0")"
PY=${PY:-$(../peers_venv.sh)}
OUT=../../python/tests/data
for cell in delta exp; do
  "$PY" exact_network.py nest "$cell" "$OUT/pynn_nest_exact_$cell.csv"
done
for rule in additive multiplicative; do
  "$PY" stdp_network.py nest "$rule" "$OUT/pynn_nest_stdp_$rule.csv"
done
