#!/usr/bin/env bash
# Issue #22's measurements (docs/catalogue.md): a model of ~1.27 M tracks trained to convergence
# on an `encore synth` log, its FAISS index (encore index), recall@10 and per-query speed of both
# paths and the batch comparison (encore index --evaluate), recommend-all for every user both
# ways, and `encore serve` under wrk on loopback with --exact and with the index: one connection
# (single-request latency) for users and similar items, 32 connections for users.
# Usage: benchmarks/catalogue/run.sh [--scratch-path DIR] [DURATION_SECONDS]
#   ENCORE_BIN=PATH   measure this encore binary as it is, without building
#   USERS=200000 ITEMS=1300000 MEAN=60 ITERATIONS=12   the log and the training
set -euo pipefail
scratch=""
if [ "${1:-}" = "--scratch-path" ]; then scratch="$2"; shift 2; fi
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="$root/benchmarks/out/catalogue"
duration="${1:-15}"
mkdir -p "$out"
. "$root/benchmarks/common.sh"
ensure_wrk
encore="$(encore_binary "$root" "$scratch")"
users="${USERS:-200000}" items="${ITEMS:-1300000}"
log="$out/plays-$users-$items.tsv" model="$out/model-$users-$items.encore"
[ -f "$log" ] || "$encore" synth --users "$users" --items "$items" --mean-per-user "${MEAN:-60}" --seed 7 --output "$log"
[ -f "$model" ] || "$encore" train "$log" --output "$model" --iterations "${ITERATIONS:-12}" --quiet
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
/usr/bin/time -f "index build: %e s wall, %M KB peak" "$encore" index "$model" 2>&1 | tr '\r' '\n' | grep -v '%,\|: [0-9]*%$'
"$encore" index "$model" --evaluate --users 1000 --items 1000
for path in exact approximate; do
    "$encore" recommend-all "$model" --$path --output "$out/recs-$path.tsv"
done
cut -f1 "$log" | awk '!seen[$0]++' | head -20000 > "$out/serve-users.txt"
cut -f2 "$log" | awk '!seen[$0]++' | head -20000 > "$out/serve-items.txt"
. "$root/benchmarks/catalogue/serve-paths.sh"
serve_both_paths "$encore" "$model" 18093 "$out" "$duration" 120
