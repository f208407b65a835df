#!/usr/bin/env bash
# The peers' virtualenv (NEST 3.10, Brian2, PyNN 0.13, numpy): created on first
# use, then reused; prints its python. Every bench script that needs one of
# them calls this, so the README's commands need nothing installed by hand.
#   PY=$(bench/peers_venv.sh)          # PEERS_VENV overrides /tmp/peers
set -euo pipefail
venv=${PEERS_VENV:-/tmp/peers}
if ! "$venv/bin/python" -c "import nest, brian2, pyNN, numpy" >/dev/null 2>&1; then
  python3 -m venv "$venv" >&2
  # Brian2 2.9 does not import with numpy 2.4 (shared/peers/README.md).
  "$venv/bin/pip" install -q nest-simulator brian2 'numpy<2.4' 'PyNN==0.13.0' >&2
fi
echo "$venv/bin/python"
