#!/usr/bin/env bash
# The cost of STDP, side by side: Brunel scale 1 (1100 ms, 2 threads) with static
# synapses and with power-law STDP on E->E (examples/stdp_brunel.toml), in Volley and
# in NEST 3.10 (iaf_psc_delta grid model, stdp_pl_synapse_hom as in hpc_benchmark),
# alternating, REPS rounds. Makes or reuses the peers venv (bench/peers_venv.sh).
# RULE picks the E->E rule (stdp_pl, stdp, stdp_nn_symm, tsodyks2; parameters as in
# bench/peers/brunel_nest.py's PLASTIC table).
#   [RULE=stdp_pl] bench/stdp.sh [REPS] [THREADS]
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${1:-2}
T=${2:-2}
PY=${PEERS_PY:-$(bench/peers_venv.sh)}
cargo build --release -q
OUT=$(mktemp -d)
RULE=${RULE:-stdp_pl}
# The Volley model: examples/stdp_brunel.toml with the E->E synapse (and weight) of RULE.
case "$RULE" in
  stdp_pl) syn='synapse = { model = "stdp_pl", tau_plus = 15.0, lambda = 0.00257, alpha = 2.0, mu = 0.4 }'; w=0.1 ;;
  stdp|stdp_nn_symm) syn="synapse = { model = \"$RULE\", tau_plus = 15.0, lambda = 0.01, alpha = 1.0, mu_plus = 1.0, mu_minus = 1.0, Wmax = 0.2 }"; w=0.1 ;;
  tsodyks2) syn='synapse = { model = "tsodyks2", U = 0.5, u = 0.5, x = 1.0, tau_rec = 100.0, tau_fac = 0.0 }'; w=0.2 ;;
  *) echo "unknown RULE $RULE (stdp_pl, stdp, stdp_nn_symm, tsodyks2)" >&2; exit 2 ;;
esac
# (The E->E projection is the only one with a `synapse` line.)
python3 - examples/stdp_brunel.toml "$syn" "$w" > "$OUT/plastic.toml" <<'PY'
import re, sys
text, syn, w = open(sys.argv[1]).read(), sys.argv[2], sys.argv[3]
block = re.search(r'source = "E"\ntarget = "E"\n.*?\nsynapse = [^\n]*', text, re.S).group(0)
new = re.sub(r"\nsynapse = [^\n]*", "\n" + syn, block.replace("weight = 0.1", f"weight = {w}"))
print(text.replace(block, new), end="")
PY
row() { python3 -c "
import json,sys
d=json.load(open(sys.argv[2]))
sim=d['wall_sim_s'] + d.get('wall_warmup_s', 0.0)
print(f\"{sys.argv[1]:<14} build {d['wall_build_s']:6.1f} s  sim {sim:7.1f} s  recurrent events/s {d['recurrent_events']/sim:10.3e}  peak RSS {d['peak_rss_bytes']/2**30:5.2f} GiB  rates {[round(p['rate_hz'],2) for p in d['populations']]}\")
" "$@"; }
echo "load $(cut -d' ' -f1-3 /proc/loadavg), $T threads, rule $RULE, $(date -u +%FT%TZ)"
for rep in $(seq "$REPS"); do
  target/release/volley run examples/brunel.toml --threads "$T" --no-raster -q --out "$OUT/vs" >/dev/null
  row volley_static "$OUT/vs/summary.json"
  target/release/volley run "$OUT/plastic.toml" --threads "$T" --no-raster -q --out "$OUT/vp" >/dev/null
  row volley_stdp "$OUT/vp/summary.json"
  "$PY" bench/peers/brunel_nest.py --threads "$T" 2>/dev/null | tail -1 > "$OUT/ns.json"
  row nest_static "$OUT/ns.json"
  "$PY" bench/peers/brunel_nest.py --threads "$T" --stdp "$RULE" 2>/dev/null | tail -1 > "$OUT/np.json"
  row nest_stdp "$OUT/np.json"
  python3 - "$OUT" >> "$OUT/rounds" <<'PY'
import json, sys
t = {k: (lambda d: d['wall_sim_s'] + d.get('wall_warmup_s', 0.0))(json.load(open(f"{sys.argv[1]}/{k}{'' if k[0] == 'n' else '/summary'}.json")))
     for k in ('vs', 'vp', 'ns', 'np')}
print(t['vp'] / t['vs'], t['np'] / t['ns'], t['np'] / t['vp'])
PY
  read -r cost nest_cost speedup < <(tail -1 "$OUT/rounds")
  printf 'round %s: STDP costs %.2fx in Volley, %.2fx in NEST; Volley %.2fx as fast as NEST\n' "$rep" "$cost" "$nest_cost" "$speedup"
done
# The bars (issue 23) are medians over rounds: the host swings a single run by +-15 %.
python3 - "$OUT/rounds" <<'PY'
import statistics, sys
rows = [list(map(float, line.split())) for line in open(sys.argv[1])]
cost, nest, speed = (statistics.median(c) for c in zip(*rows))
print(f"median of {len(rows)} rounds: STDP costs {cost:.2f}x in Volley (bar <= 2), {nest:.2f}x in NEST; Volley {speed:.2f}x as fast as NEST (bar >= 2)")
PY
rm -rf "$OUT"
