#!/usr/bin/env bash
# The PyNN Brunel script on volley.pynn and pyNN.nest (precise and grid
# models), alternated, on this machine: build + run wall time, rates, CV.
#   bench/pynn/side_by_side.sh [T_SIM_MS] [THREADS]
# Makes or reuses the peers venv (bench/peers_venv.sh) and a venv with volley
# (VOLLEY_PY, default target/pyenv/bin/python, made as ./test.sh makes it).
set -euo pipefail
cd "$(dirname "$0")"
T=${1:-1000}; THREADS=${2:-2}
NEST_PY=${NEST_PY:-$(../peers_venv.sh)}
VOLLEY_PY=${VOLLEY_PY:-../../target/pyenv/bin/python}
if [ ! -x "$VOLLEY_PY" ]; then
  python3 -m venv ../../target/pyenv
  VOLLEY_PY=../../target/pyenv/bin/python
fi
"$VOLLEY_PY" -c "import volley.pynn" 2>/dev/null || "$VOLLEY_PY" -m pip install -q ../../python PyNN==0.13.0
for backend in volley nest volley nest-grid volley; do
  py=$VOLLEY_PY; [ "$backend" = volley ] || py=$NEST_PY
  "$py" brunel.py "$backend" "$T" "$THREADS" 2>/dev/null | tail -1
done
