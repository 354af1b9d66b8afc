#!/usr/bin/env bash
# Issue #22 at 12 M items (docs/catalogue.md, "Measured at 12 M items"): a binary play log of
# 1 M listeners over 13 M possible tracks (12.0 M occur), a model trained to convergence, its
# index with peak RSS, recall@10 and per-query speed of both paths, recommend-all for a fixed
# sample of 20,000 users both ways, and `encore serve` under wrk on loopback, exact and from
# the index (1 connection for users and similar items, 32 for users).
# Needs about 6 GB of memory at 12 M items (training peaks there) and 15 GB of disk in the
# scratch folder.
# 40 M items (docs/catalogue.md, "Measured at 40 M items"): USERS=2000000 ITEMS=55000000 KIND=ivf-pq
# (40.1 M tracks occur; training peaks at about 15.5 GB, so run nothing big beside it; 30 GB of disk).
# Usage: benchmarks/catalogue/run-large.sh SCRATCH_DIR [DURATION_SECONDS]
#   ENCORE_BIN=PATH   measure this encore binary as it is, without building
#   USERS=1000000 ITEMS=13000000 MEAN=80 ITERATIONS=12 EVALUATE=300 KIND=ivf-flat
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${1:?usage: run-large.sh SCRATCH_DIR [DURATION_SECONDS]}"
duration="${2:-15}"
mkdir -p "$out"
. "$root/benchmarks/common.sh"
ensure_wrk
encore="$(encore_binary "$root" "")"
users="${USERS:-1000000}" items="${ITEMS:-13000000}"
log="$out/plays-$users-$items.encore-data" model="$out/model-$users-$items.encore"
[ -f "$log" ] || "$encore" synth --users "$users" --items "$items" --mean-per-user "${MEAN:-80}" --seed 7 --format binary --output "$log"
[ -f "$model" ] || /usr/bin/time -f "train: %e s wall, %M KB peak" "$encore" train "$log" --output "$model" --iterations "${ITERATIONS:-12}"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
/usr/bin/time -f "index build: %e s wall, %M KB peak" "$encore" index "$model" --kind "${KIND:-ivf-flat}" 2>&1 | tr '\r' '\n' | grep -v '%,\|: [0-9]*%$'
"$encore" index "$model" --evaluate --users "${EVALUATE:-300}" --items "${EVALUATE:-300}"
# The IDs to query: the same generator and seed name listeners and tracks alike, so a small log
# of it gives IDs the model knows (the first 20,000 listeners, and tracks drawn by popularity).
"$encore" synth --users 30000 --items "$items" --mean-per-user 5 --seed 7 --output "$out/ids.tsv"
cut -f1 "$out/ids.tsv" | awk '!seen[$0]++' | head -20000 > "$out/serve-users.txt"
cut -f2 "$out/ids.tsv" | awk '!seen[$0]++' | head -20000 > "$out/serve-items.txt"
for path in exact approximate; do
    /usr/bin/time -f "recommend-all --$path: %e s wall, %U s user, %M KB peak" \
        "$encore" recommend-all "$model" --$path --users "$out/serve-users.txt" --output "$out/recs-$path.tsv" --quiet
done
. "$root/benchmarks/catalogue/serve-paths.sh"
serve_both_paths "$encore" "$model" 18094 "$out" "$duration" 300
