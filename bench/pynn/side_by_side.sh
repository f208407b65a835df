#!/usr/bin/env bash
# The PyNN Brunel script on volley.pynn and pyNN.nest (precise and grid
# models), alternated, on this machine: build + run wall time, rates, CV.
#   bench/pynn/side_by_side.sh [T_SIM_MS] [THREADS]
# Needs /tmp/peers (nest-simulator, PyNN 0.13) and a venv with volley
# installed (VOLLEY_PY, default target/pyenv/bin/python).
set -euo pipefail
cd "$(dirname "$0")"
T=${1:-1000}; THREADS=${2:-2}
NEST_PY=${NEST_PY:-/tmp/peers/bin/python}
VOLLEY_PY=${VOLLEY_PY:-../../target/pyenv/bin/python}
for backend in volley nest volley nest-grid volley; do
  py=$VOLLEY_PY; [ "$backend" = volley ] || py=$NEST_PY
  "$py" brunel.py "$backend" "$T" "$THREADS" 2>/dev/null | tail -1
done
