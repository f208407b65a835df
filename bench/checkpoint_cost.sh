#!/usr/bin/env bash
# What a checkpoint costs: wall time of the slowest one and its size on disk,
# against the network's memory (peak RSS of the run), for Brunel scale 1 and
# the STDP Brunel network (10 M plastic synapses).
#
#   bench/checkpoint_cost.sh [THREADS]
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${1:-2}
cargo build --release -q
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for model in brunel stdp_brunel; do
  target/release/volley run "examples/$model.toml" --threads "$threads" --out "$out/$model" -q --no-raster \
    --checkpoint-every 300
  python3 - "$out/$model/summary.json" "$model" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
c = s["checkpoints"]
rss = s["peak_rss_bytes"]
print(f"{sys.argv[2]:12s} threads {s['threads']}: {c['written']} checkpoints, slowest {c['max_seconds']:.3f} s, "
      f"last {c['bytes'] / 2**20:.1f} MiB = {c['bytes'] / rss:.2f}x peak RSS ({rss / 2**20:.0f} MiB); "
      f"simulation {s['wall_sim_s']:.2f} s")
PY
done
