#!/usr/bin/env bash
# Two binaries on one model at the same time, one thread each, each pinned to
# one of the two cores, then the cores swapped: both runs see the same host
# load at the same moment, so the host's swings (±40 % between sequential runs
# here) cancel in each pair's ratio. The cores themselves may differ (one ran
# ~10 % slower than the other on the AMD EPYC): read pairs two by two, or the
# geometric mean, which this prints.
#
#   bench/ab_concurrent.sh OLD_BINARY NEW_BINARY MODEL [PAIRS] [T_SIM_MS]
#   e.g. bench/ab_concurrent.sh /tmp/volley-before target/release/volley /tmp/mc05.toml 4 300
#
# One thread runs a whole partition's worth of neurons per core: a scale-0.5
# microcircuit on one thread holds as many neurons per thread as scale 1 on two.
set -euo pipefail
cd "$(dirname "$0")/.."
old=$1 new=$2 model=$3 pairs=${4:-4} t_sim=${5:-}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
extra=()
[ -n "$t_sim" ] && extra=(--t-sim "$t_sim")
echo "$model, 1 thread each, $pairs pairs; load $(cut -d' ' -f1-3 /proc/loadavg); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
wall() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["wall_sim_s"], d["spikes_sha256"][:12])' "$1/summary.json"; }
ratios=()
for p in $(seq "$pairs"); do
  if [ $((p % 2)) = 1 ]; then c_old=0 c_new=1; else c_old=1 c_new=0; fi
  taskset -c $c_old "$old" run "$model" --threads 1 --out "$out/old" -q --no-raster "${extra[@]}" >/dev/null &
  taskset -c $c_new "$new" run "$model" --threads 1 --out "$out/new" -q --no-raster "${extra[@]}" >/dev/null &
  wait
  read -r o o_hash < <(wall "$out/old")
  read -r n n_hash < <(wall "$out/new")
  [ "$o_hash" = "$n_hash" ] || echo "pair $p: different spikes ($o_hash vs $n_hash)"
  r=$(python3 -c "print(f'{$o / $n:.3f}')")
  ratios+=("$r")
  echo "pair $p: old (cpu $c_old) $o s, new (cpu $c_new) $n s, old/new $r"
done
python3 -c "import math,sys; v=[float(x) for x in sys.argv[1:]]; print(f'geometric mean old/new {math.exp(sum(map(math.log, v)) / len(v)):.3f} (min {min(v):.3f}, max {max(v):.3f})')" "${ratios[@]}"
