#!/usr/bin/env bash
# Every test, in one command (the README's): the Rust workspace, then the
# Python package (built from ./python into a venv under target/) with its
# pytest suite — the core API, the PyNN backend against NEST's references,
# and PyNN 0.13's own system scenarios (fetched from the package registry).
set -euo pipefail
cd "$(dirname "$0")"

cargo test --release --workspace

PYTHON=${PYTHON:-python3}
VENV=target/pyenv
if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q ./python pytest 'PyNN==0.13.0' matplotlib scipy nir
VOLLEY_BIN="$PWD/target/release/volley" MPLBACKEND=Agg "$VENV/bin/python" -m pytest -q python/tests
