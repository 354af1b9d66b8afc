# Sourced by run.sh and run-large.sh: `encore serve MODEL` with --exact and then from the index,
# each under wrk on loopback (1 connection for users and similar items, 32 for users), with the
# server's RSS once loaded and its /metrics answer counters.
#   serve_both_paths ENCORE MODEL PORT OUT DURATION_SECONDS LOAD_WAIT_SECONDS
# OUT holds serve-users.txt and serve-items.txt (the IDs to ask for) and gets the servers' logs.
serve_both_paths() {
    local encore=$1 model=$2 port=$3 out=$4 duration=$5 wait_seconds=$6 root
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
    for path in exact approximate; do
        "$encore" serve "$model" --port "$port" --$path 2> "$out/serve-$path.log" &
        server=$!
        trap 'kill $server 2>/dev/null || true' EXIT
        for _ in $(seq $(( wait_seconds * 2 ))); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.5; done
        echo "serve --$path: RSS $(ps -o rss= -p $server) KB once loaded"
        for run in users:1 similar:1 users:32; do
            local script=${run%:*} connections=${run#*:} result
            result=$(USERS_FILE="$out/serve-users.txt" ITEMS_FILE="$out/serve-items.txt" \
                wrk -t$(( connections > 1 ? 2 : 1 )) -c"$connections" -d"${duration}s" -s "$root/benchmarks/serve/$script.lua" --latency "http://127.0.0.1:$port" 2>&1)
            printf '%-12s %-8s %2s connections: %9s req/s  p50 %8s  p99 %8s  non-2xx %s\n' "$path" "$script" "$connections" \
                "$(echo "$result" | awk '/Requests\/sec/ {print $2}')" "$(echo "$result" | awk '$1=="50%" {print $2}')" \
                "$(echo "$result" | awk '$1=="99%" {print $2}')" "$(echo "$result" | awk '/Non-2xx/ {print $NF}' | grep . || echo 0)"
        done
        curl -s "http://127.0.0.1:$port/metrics" | grep -E '^encore_(answers_total|index_in_use)'
        kill -TERM $server; wait $server || true
        trap - EXIT
    done
}
