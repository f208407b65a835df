#!/usr/bin/env bash
# Parallel efficiency: wall_sim_s(1 thread) / wall_sim_s(N threads) on a model,
# runs alternated back to back; prints every run, then best-of and median ratios.
# Usage: bench/parallel.sh [MODEL] [T_SIM_MS] [REPS] [THREADS]
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-examples/brunel.toml}
t_sim=${2:-1100}
reps=${3:-3}
threads=${4:-2}
cargo build --release -q
out=$(mktemp -d)
echo "model $model, t_sim $t_sim ms, $reps rep(s), 1 vs $threads threads; load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq 1 "$reps"); do
  for t in 1 "$threads"; do
    target/release/volley run "$model" --t-sim "$t_sim" --threads "$t" --out "$out/r${r}_t$t" -q --no-raster
  done
done
python3 - "$out" "$reps" "$threads" <<'PY'
import json, statistics, sys
out, reps, n = sys.argv[1], int(sys.argv[2]), sys.argv[3]
runs = {t: [json.load(open(f"{out}/r{r}_t{t}/summary.json")) for r in range(1, reps + 1)] for t in ("1", n)}
for t, rs in runs.items():
    for s in rs:
        print(f"threads {t}: wall_sim_s {s['wall_sim_s']:.2f}  events/s {s['events_per_s']:.3e}  peak RSS {s['peak_rss_bytes']/2**20:.0f} MiB  sha {s['spikes_sha256'][:12]}")
w1 = [s["wall_sim_s"] for s in runs["1"]]
wn = [s["wall_sim_s"] for s in runs[n]]
print(f"speed-up best-of-{reps}: {min(w1) / min(wn):.2f}x   median: {statistics.median(w1) / statistics.median(wn):.2f}x")
# Each 1-thread run is followed by its N-thread run: their ratio sees the same load.
pairs = [a / b for a, b in zip(w1, wn)]
print("paired ratios:", " ".join(f"{r:.2f}" for r in pairs), f"  median {statistics.median(pairs):.2f}x")
print("identical spikes:", len({s["spikes_sha256"] for rs in runs.values() for s in rs}) == 1)
PY
echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
rm -rf "$out"
