#!/usr/bin/env bash
# Parallel efficiency: wall_sim_s(1 thread) / wall_sim_s(N threads) on a model,
# runs alternated back to back. Usage: bench/parallel.sh [MODEL] [T_SIM_MS] [REPS] [THREADS]
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-examples/brunel.toml}
t_sim=${2:-1100}
reps=${3:-1}
threads=${4:-2}
cargo build --release -q
out=$(mktemp -d)
echo "model $model, t_sim $t_sim ms, $reps rep(s), load: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq 1 "$reps"); do
  for t in 1 "$threads"; do
    target/release/volley run "$model" --t-sim "$t_sim" --threads "$t" --out "$out/r${r}_t$t" -q --no-raster
    python3 - "$out/r${r}_t$t/summary.json" "$t" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print(f"threads {sys.argv[2]}: wall_sim_s {s['wall_sim_s']:.2f}  events/s {s['events_per_s']:.3e}  peak RSS {s['peak_rss_bytes']/2**20:.0f} MiB  sha {s['spikes_sha256'][:12]}")
PY
  done
  python3 - "$out/r${r}_t1/summary.json" "$out/r${r}_t$threads/summary.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
print(f"speed-up {a['wall_sim_s'] / b['wall_sim_s']:.2f}x, identical spikes: {a['spikes_sha256'] == b['spikes_sha256']}")
PY
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
rm -rf "$out"
