#!/usr/bin/env bash
# The cost of STDP, side by side: Brunel scale 1 (1100 ms, 2 threads) with static
# synapses and with power-law STDP on E->E (examples/stdp_brunel.toml), in Volley and
# in NEST 3.10 (iaf_psc_delta grid model, stdp_pl_synapse_hom as in hpc_benchmark),
# alternating, REPS rounds. Makes or reuses the peers venv (bench/peers_venv.sh).
#   bench/stdp.sh [REPS] [THREADS]
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${1:-2}
T=${2:-2}
PY=${PEERS_PY:-$(bench/peers_venv.sh)}
cargo build --release -q
OUT=$(mktemp -d)
row() { python3 -c "
import json,sys
d=json.load(open(sys.argv[2]))
sim=d['wall_sim_s'] + d.get('wall_warmup_s', 0.0)
print(f\"{sys.argv[1]:<14} build {d['wall_build_s']:6.1f} s  sim {sim:7.1f} s  recurrent events/s {d['recurrent_events']/sim:10.3e}  peak RSS {d['peak_rss_bytes']/2**30:5.2f} GiB  rates {[round(p['rate_hz'],2) for p in d['populations']]}\")
" "$@"; }
echo "load $(cut -d' ' -f1-3 /proc/loadavg), $T threads, $(date -u +%FT%TZ)"
for rep in $(seq "$REPS"); do
  target/release/volley run examples/brunel.toml --threads "$T" --no-raster -q --out "$OUT/vs" >/dev/null
  row volley_static "$OUT/vs/summary.json"
  target/release/volley run examples/stdp_brunel.toml --threads "$T" --no-raster -q --out "$OUT/vp" >/dev/null
  row volley_stdp "$OUT/vp/summary.json"
  "$PY" bench/peers/brunel_nest.py --threads "$T" 2>/dev/null | tail -1 > "$OUT/ns.json"
  row nest_static "$OUT/ns.json"
  "$PY" bench/peers/brunel_nest.py --threads "$T" --stdp 2>/dev/null | tail -1 > "$OUT/np.json"
  row nest_stdp "$OUT/np.json"
done
rm -rf "$OUT"
