#!/usr/bin/env bash
# Peak memory a multimeter adds: bench/multimeter_100k.toml (10^5 neurons, V_m
# of every one every 1 ms for 1 s, .npy) against the same model without the
# multimeter, alternated, PAIRS times (default 2). Prints peak RSS, wall time
# and the size of the sample file.
#   bash bench/multimeter_memory.sh [PAIRS] [THREADS]
set -euo pipefail
cd "$(dirname "$0")/.."
PAIRS=${1:-2}
THREADS=${2:-2}
cargo build --release -q
BIN=target/release/volley
DIR=$(mktemp -d)
# The same model without its multimeter: everything before that recorder.
sed '/kind = "multimeter"/,$d' bench/multimeter_100k.toml | sed '$d' > "$DIR/without.toml"
field() { python3 -c "import json,sys; s=json.load(open(sys.argv[1])); print(s[sys.argv[2]])" "$1" "$2"; }
for k in $(seq "$PAIRS"); do
  for v in without with; do
    model=bench/multimeter_100k.toml
    [ "$v" = without ] && model="$DIR/without.toml"
    out="$DIR/out_$v"
    rm -rf "$out"
    "$BIN" run "$model" --threads "$THREADS" --no-raster -q --out "$out"
    rss=$(field "$out/summary.json" peak_rss_bytes)
    wall=$(field "$out/summary.json" wall_sim_s)
    size=$(du -b "$out"/multimeter.npy 2>/dev/null | cut -f1 || echo 0)
    printf '%-8s pair %d: peak RSS %6.1f MB, simulation %6.2f s, samples file %s bytes\n' \
      "$v" "$k" "$(echo "$rss / 1048576" | bc -l)" "$wall" "${size:-0}"
  done
done
rm -rf "$DIR"
