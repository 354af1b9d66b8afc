#!/usr/bin/env bash
# The measurement behind `encore serve`'s fixed mmap threshold (docs/reliability.md, "The two
# memory bugs the soak found"): a Last.fm 2K model served under the soak's three wrk routes while
# a good model (two seeds, alternately) is renamed over the served file and reloaded by SIGHUP
# every second; VmRSS is printed every 20 reloads and at the end.
# Usage: benchmarks/serve/reload-memory.sh [RELOADS] [VAR=VALUE …]  (default 240; the variables,
#   e.g. MALLOC_ARENA_MAX=2, are set for the server only)
#   ENCORE_BIN=PATH  use this encore binary as it is, without building
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
here="$root/benchmarks/serve"
out="$root/benchmarks/out/reload-memory"
reloads="${1:-240}"; shift || true
data="${DATA:-$root/../shared/data/lastfm-2k/user_artists.dat}"
mkdir -p "$out"
. "$root/benchmarks/common.sh"
ensure_wrk
encore="$(encore_binary "$root" "")"
for seed in 0 1; do "$encore" train "$data" --output "$out/$seed.model" --factors 32 --iterations 10 --seed $seed --quiet >/dev/null 2>&1; done
frequent_ids "$data" 1 > "$out/users.txt"
frequent_ids "$data" 2 > "$out/items.txt"
cp "$out/0.model" "$out/served.model"
port=18094
env "$@" "$encore" serve "$out/served.model" --port $port 2> "$out/serve.log" &
server=$!
wrks=()
trap 'kill "${wrks[@]}" $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
rss() { awk '/VmRSS/ {print $2}' /proc/$server/status; }
for script in users.lua similar.lua foldin.lua; do
    USERS_FILE="$out/users.txt" ITEMS_FILE="$out/items.txt" wrk -t1 -c4 -d$(( reloads + 12 ))s -s "$here/$script" "http://127.0.0.1:$port" >/dev/null &
    wrks+=($!)
done
sleep 10
start=$(rss)
for i in $(seq "$reloads"); do
    cp "$out/$(( i % 2 )).model" "$out/staging.model" && mv "$out/staging.model" "$out/served.model"
    kill -HUP $server
    sleep 1
    [ $(( i % 20 )) -eq 0 ] && echo "$i reloads: RSS $(rss) kB"
done
for pid in "${wrks[@]}"; do wait "$pid"; done
echo "${*:-no variables}: RSS $start kB -> $(rss) kB after $reloads reloads under load"
