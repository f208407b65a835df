#!/usr/bin/env bash
# Two binaries on one model, alternated: wall_sim_s of each pair and the
# median ratio old/new (> 1: the new binary is faster).
#
#   bench/ab.sh OLD_BINARY NEW_BINARY [MODEL] [THREADS] [PAIRS] [T_SIM_MS]
#   e.g. bench/ab.sh /tmp/volley-before target/release/volley examples/brunel.toml 2 5
set -euo pipefail
cd "$(dirname "$0")/.."
old=$1 new=$2 model=${3:-examples/brunel.toml} threads=${4:-2} pairs=${5:-5} t_sim=${6:-}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
extra=()
[ -n "$t_sim" ] && extra=(--t-sim "$t_sim")
echo "$model, $threads thread(s), $pairs pairs; load $(cut -d' ' -f1-3 /proc/loadavg); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
wall() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["wall_sim_s"])' "$1/summary.json"; }
ratios=()
for p in $(seq "$pairs"); do
  # Alternate which goes first, so neither always runs on a warmer machine.
  if [ $((p % 2)) = 1 ]; then order=(old new); else order=(new old); fi
  for who in "${order[@]}"; do
    bin=$old; [ "$who" = new ] && bin=$new
    "$bin" run "$model" --threads "$threads" --out "$out/$who" -q --no-raster "${extra[@]}"
  done
  o=$(wall "$out/old"); n=$(wall "$out/new")
  r=$(python3 -c "print(f'{$o / $n:.3f}')")
  ratios+=("$r")
  echo "pair $p: old $o s, new $n s, old/new $r"
done
python3 -c "import statistics,sys; v=[float(x) for x in sys.argv[1:]]; print(f'median old/new {statistics.median(v):.3f} (min {min(v):.3f}, max {max(v):.3f})')" "${ratios[@]}"
