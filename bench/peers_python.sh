#!/usr/bin/env bash
# Run a Python script with the peers' virtualenv (made on first use by
# bench/peers_venv.sh):   bench/peers_python.sh SCRIPT [ARGS...]
set -euo pipefail
exec "$("$(dirname "$0")/peers_venv.sh")" "$@"
