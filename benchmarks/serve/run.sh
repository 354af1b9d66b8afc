#!/usr/bin/env bash
# Issue #6's load and robustness runs: `encore serve` on loopback with a model of the reference
# workload's shape (358,868 users × 292,385 items, k = 64), loaded by wrk from this same machine.
# Usage: benchmarks/serve/run.sh [--scratch-path DIR] [DURATION_SECONDS]
#   --scratch-path DIR  build with `swift build --scratch-path DIR` and serve DIR/release/encore
#   ENCORE_BIN=PATH     serve with this encore binary as it is, without building
#   USER_CONNECTIONS="2 32 64"  the connection counts of the user-recommendation runs
#   ABUSE_ROUNDS=1      how many times to repeat the robustness run (RSS is printed after each)
set -euo pipefail
scratch=""
if [ "${1:-}" = "--scratch-path" ]; then scratch="$2"; shift 2; fi
root="$(cd "$(dirname "$0")/../.." && pwd)"
here="$root/benchmarks/serve"
out="$root/benchmarks/out/perf"
duration="${1:-10}"
mkdir -p "$out"
. "$root/benchmarks/common.sh"
ensure_wrk
encore="$(encore_binary "$root" "$scratch")"
reference_workload "$encore" "$out/plays.tsv"
[ -f "$out/serve.model" ] || "$encore" train "$out/plays.tsv" --output "$out/serve.model" --factors 64 --iterations 3 \
    --solver cg --confidence log --alpha 1 --regularization 0.1 --regularization-scaling flat --quiet
head -20000 "$out/plays.tsv" | cut -f1 | sort -u > "$out/serve-users.txt"
head -20000 "$out/plays.tsv" | cut -f2 | sort -u > "$out/serve-items.txt"
port=18090
"$encore" serve "$out/serve.model" --port $port 2> "$out/serve.log" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 120); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.5; done
rss() { awk '/VmRSS/ {print $2}' /proc/$server/status; }
check=$(curl -s "http://127.0.0.1:$port/v1/users/$(head -1 "$out/serve-users.txt")/recommendations?count=10")
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); wrk shares the cores with the server"
echo "server RSS after load: $(rss) kB"
run() {  # name script connections
    local result
    result=$(USERS_FILE="$out/serve-users.txt" ITEMS_FILE="$out/serve-items.txt" \
        wrk -t2 -c"$3" -d"${duration}s" -s "$here/$2" --latency "http://127.0.0.1:$port" 2>&1)
    printf '%-22s %4s connections: %9s req/s  p50 %8s  p99 %8s  non-2xx %s\n' "$1" "$3" \
        "$(echo "$result" | awk '/Requests\/sec/ {print $2}')" "$(echo "$result" | awk '$1=="50%" {print $2}')" \
        "$(echo "$result" | awk '$1=="99%" {print $2}')" "$(echo "$result" | awk '/Non-2xx/ {print $NF}' | grep . || echo 0)"
}
for c in ${USER_CONNECTIONS:-2 32 64}; do run "user recommendations" users.lua $c; done
for c in 2 64; do run "similar items" similar.lua $c; done
for c in 2 64; do run "fold-in" foldin.lua $c; done
before=$(rss)
echo "RSS before the robustness run: $before kB"
for round in $(seq "${ABUSE_ROUNDS:-1}"); do
    python3 "$here/abuse.py" $port 5000 300 12
    after=$(rss)
    echo "RSS after robustness round $round: $after kB (growth since before: $(( (after - before) / 1024 )) MB)"
done
again=$(curl -s "http://127.0.0.1:$port/v1/users/$(head -1 "$out/serve-users.txt")/recommendations?count=10")
[ "$again" = "$check" ] && echo "after the robustness run the server answers the same request identically: yes" \
    || { echo "after the robustness run the answer changed or failed: $again"; exit 1; }
kill -TERM $server; wait $server && echo "SIGTERM: clean exit 0"
trap - EXIT
