#!/usr/bin/env bash
# The "same results" check of refactors: spikes_sha256 of every example (and the
# SHA-256 of stdp_brunel's weights.csv), one line each, for a given binary.
#
#   bench/same_results.sh [VOLLEY_BINARY] > hashes.txt
#   diff before.txt after.txt            # no output: the same spikes everywhere
#
# Takes ~4 minutes on 2 cores (Brunel twice, stdp_brunel and million dominate).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/release/volley}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
run() { # name, model, extra args...
  local name=$1 model=$2
  shift 2
  "$bin" run "$model" --out "$out/$name" -q --no-raster "$@"
  printf '%-22s %s\n' "$name" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["spikes_sha256"])' "$out/$name/summary.json")"
}
run brunel_t1 examples/brunel.toml --threads 1
run brunel_t2 examples/brunel.toml --threads 2
run small_world examples/small_world.toml --threads 2
run million_100ms examples/million.toml --t-sim 100 --threads 2
run det_net_Ie225 examples/det_net_Ie225.toml
run det_net_Ie262.5 examples/det_net_Ie262.5.toml --threads 2
run det_net_exp_tau2 examples/det_net_exp_tau2.toml
run det_net_exp_tau5 examples/det_net_exp_tau5.toml --threads 2
run microcircuit_0.1 examples/microcircuit_0.1.toml --threads 2
run nmnist_replay examples/nmnist_replay.toml
run stdp_brunel examples/stdp_brunel.toml --threads 2
printf '%-22s %s\n' stdp_brunel_weights "$(sha256sum "$out/stdp_brunel/weights.csv" | cut -d' ' -f1)"
