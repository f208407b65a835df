#!/usr/bin/env bash
# Side-by-side Brunel benchmark: Volley vs NEST 3.10 (iaf_psc_delta grid model and the
# precise iaf_psc_delta_ps) and Brian2 (C++ standalone), same machine, same run,
# alternating simulators.
#
#   bench/compare.sh [SIM_MS] [THREADS...]      e.g. bench/compare.sh 1000 1 2
#   ROUNDS=3 bench/compare.sh 1000 2            three alternated rounds, then the median
#                                               of each ratio (this machine is shared:
#                                               one round's ratios move by ±15 %)
#
# Installs the peers into a virtualenv on first use (PEERS_VENV, default /tmp/peers).
# Each configuration runs 100 ms of warm-up (not measured) then SIM_MS measured.
# Prints one row per run and the Volley/peer ratios of recurrent events per second.
set -euo pipefail
cd "$(dirname "$0")/.."
sim_ms=${1:-1000}
shift || true
threads=("${@:-1 2}")
[ $# -eq 0 ] && threads=(1 2)
venv=$(dirname "$(dirname "$(bench/peers_venv.sh)")")
cargo build --release -q
out=$(mktemp -d)
echo "date $(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), sim ${sim_ms} ms after 100 ms warm-up"
rounds=${ROUNDS:-1}
for r in $(seq "$rounds"); do
  for t in "${threads[@]}"; do
    target/release/volley run examples/brunel.toml --t-sim $((sim_ms + 100)) --threads "$t" --out "$out/volley_t${t}_r$r" -q --no-raster
    cp "$out/volley_t${t}_r$r/summary.json" "$out/volley_t${t}_r$r.json"
    for model in iaf_psc_delta iaf_psc_delta_ps; do
      # NEST prints a banner on stdout; the result is the last line.
      "$venv/bin/python" bench/peers/brunel_nest.py --threads "$t" --model "$model" --simtime "$sim_ms" 2>/dev/null | tail -n 1 > "$out/${model}_t${t}_r$r.json"
    done
    (cd bench/peers && "$venv/bin/python" brunel_brian2.py --threads "$t" --simtime "$sim_ms" 2>/dev/null | tail -n 1) > "$out/brian2_t${t}_r$r.json"
  done
done
python3 - "$out" "$rounds" "${threads[@]}" <<'PY'
import json, statistics, sys
out, rounds, threads = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
def row(name, s, sim_ms):
    pops = {p["name"]: p for p in s["populations"]}
    rec = s["recurrent_events"] / s["wall_sim_s"]
    ext = s["external_events"] / s["wall_sim_s"]
    print(f"| {name} | {s['threads']} | {s['wall_build_s']:.2f} | {s['wall_sim_s']:.2f} | {rec:.3e} | {ext:.3e} | "
          f"{s['peak_rss_bytes']/2**20:.0f} | {pops['E']['rate_hz']:.2f} / {pops['I']['rate_hz']:.2f} | "
          f"{pops['E']['cv_isi']:.3f} |")
    return rec
print("(brian2: build excludes code generation + compilation, reported in its JSON as codegen_compile_s)")
ratios = {}
for rnd in range(1, rounds + 1):
    if rounds > 1:
        print(f"\nround {rnd}\n")
    print("| simulator | threads | build s | sim s | recurrent ev/s | external ev/s | peak RSS MiB | rate E / I Hz | CV ISI E |")
    print("|---|---|---|---|---|---|---|---|---|")
    for t in threads:
        v = json.load(open(f"{out}/volley_t{t}_r{rnd}.json"))
        v["threads"] = int(t)
        rv = row("volley", v, None)
        for m in ("iaf_psc_delta", "iaf_psc_delta_ps", "brian2"):
            s = json.load(open(f"{out}/{m}_t{t}_r{rnd}.json"))
            r = row(s["simulator"], s, None)
            ratios.setdefault((t, m), []).append(rv / r)
            print(f"|  ↳ volley / {m} | {t} | | | **{rv / r:.2f}×** | | | | |")
if rounds > 1:
    print(f"\nmedian over {rounds} rounds (recurrent events/s, Volley / peer)\n")
    print("| threads | peer | median | all rounds |")
    print("|---|---|---|---|")
    for (t, m), v in ratios.items():
        print(f"| {t} | {m} | **{statistics.median(v):.2f}×** | {' '.join(f'{x:.2f}' for x in v)} |")
PY
echo "load at end $(cut -d' ' -f1-3 /proc/loadavg)"
rm -rf "$out"
