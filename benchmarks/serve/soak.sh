#!/usr/bin/env bash
# Issue #18 part 5, the server under faults: `encore serve` on loopback with a Last.fm 2K model,
# loaded by wrk on three routes (user recommendations, similar items, fold-in) for the whole run,
# while every ~3 s the model file is replaced (written elsewhere, then renamed over it) by, in
# turn, a truncated model, a foreign file (the TSV play log) and a good model (alternately the
# first model again and one trained with another seed), and a reload is triggered, by SIGHUP and
# by `POST /v1/admin/reload` alternately.
# Checks: no 5xx, the fixed request's answer is byte-identical whenever the same good model is
# serving, every reload is counted in /metrics, RSS grows by at most 20 % from the end of the first
# minute (the reloads' high-water mark) to the end, descriptors do not grow.
# Usage: benchmarks/serve/soak.sh [--scratch-path DIR] [SECONDS]   (default 600)
#   ENCORE_BIN=PATH  serve with this encore binary as it is, without building
#   DATA=PATH        the play log (default /work/shared/data/lastfm-2k/user_artists.dat)
set -euo pipefail
scratch=""
if [ "${1:-}" = "--scratch-path" ]; then scratch="$2"; shift 2; fi
root="$(cd "$(dirname "$0")/../.." && pwd)"
here="$root/benchmarks/serve"
out="$root/benchmarks/out/soak"
duration="${1:-600}"
data="${DATA:-$root/../shared/data/lastfm-2k/user_artists.dat}"
[ -f "$data" ] || data=/work/shared/data/lastfm-2k/user_artists.dat
mkdir -p "$out"
. "$root/benchmarks/common.sh"
ensure_wrk
encore="$(encore_binary "$root" "$scratch")"

train() {  # seed output
    "$encore" train "$data" --output "$2" --factors 32 --iterations 10 --seed "$1" --quiet >/dev/null 2>&1
}
train 0 "$out/a.model"
train 1 "$out/b.model"
cmp -s "$out/a.model" "$out/b.model" && { echo "the two seeds gave the same model file"; exit 1; }
head -c $(( $(stat -c %s "$out/a.model") / 2 )) "$out/a.model" > "$out/truncated.model"
rm -f "$out/foreign.model"; cp "$data" "$out/foreign.model"
# Only valid questions: users and artists with at least 5 plays rows, so a 404 would be a bug too.
frequent_ids "$data" 1 > "$out/users.txt"
frequent_ids "$data" 2 > "$out/items.txt"

served="$out/served.model"
cp "$out/a.model" "$served"
port=18093
token="soak-$$"
"$encore" serve "$served" --port $port --admin-token "$token" 2> "$out/serve.log" &
server=$!
wrks=()
cleanup() { kill "${wrks[@]}" 2>/dev/null || true; kill $server 2>/dev/null || true; }
trap cleanup EXIT
url="http://127.0.0.1:$port"
for _ in $(seq 120); do curl -sf "$url/healthz" >/dev/null && break; sleep 0.5; done
rss() { awk '/VmRSS/ {print $2}' /proc/$server/status; }
fds() { ls /proc/$server/fd | wc -l; }
metric() { curl -s "$url/metrics" | awk -v name="$1" '$1 == name {print $2}'; }
fixed="/v1/users/$(head -1 "$out/users.txt")/recommendations?count=10"
answer() { curl -s "$url$fixed"; }
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); wrk shares the cores with the server"

wrk_env() { USERS_FILE="$out/users.txt" ITEMS_FILE="$out/items.txt" "$@"; }
# Warm up with the soak's own load (every route at once, the same connections) for 10 s, so the
# start figures are those of a server whose connection threads and allocator arenas exist already.
for script in users.lua similar.lua foldin.lua; do
    wrk_env wrk -t1 -c4 -d10s -s "$here/$script" "$url" >/dev/null 2>&1 &
    wrks+=($!)
done
for pid in "${wrks[@]}"; do wait "$pid"; done
wrks=()
sleep 2
rss_start=$(rss); fd_start=$(fds)
declare -A expected
expected[a]="$(answer)"
serving=a
echo "start: RSS $rss_start kB, $fd_start descriptors"

for script in users.lua similar.lua foldin.lua; do
    wrk_env wrk -t1 -c4 -d"${duration}s" -s "$here/$script" "$url" > "$out/wrk-${script%.lua}.txt" 2>&1 &
    wrks+=($!)
done
start=$(date +%s)
attempted=0 changed=0 wrong=0 step=0 good=0 rss_minute=""
last_sample=$start
while [ $(( $(date +%s) - start )) -lt $(( duration - 4 )) ]; do
    sleep 3
    case $(( step % 3 )) in
        0) file=truncated; next="" ;;
        1) file=foreign; next="" ;;
        2) if [ $(( good % 2 )) -eq 0 ]; then next=a; else next=b; fi; good=$(( good + 1 )); file=$next ;;
    esac
    cp "$out/$file.model" "$out/staging.model" && mv "$out/staging.model" "$served"
    before=$(( $(metric encore_model_reloads_total) + $(metric encore_model_reloads_failed_total) ))
    attempted=$(( attempted + 1 ))
    if [ $(( attempted % 2 )) -eq 1 ]; then
        kill -HUP $server
        for _ in $(seq 100); do
            now=$(( $(metric encore_model_reloads_total) + $(metric encore_model_reloads_failed_total) ))
            [ "$now" -gt "$before" ] && break
            sleep 0.1
        done
    else
        status=$(curl -s -o "$out/admin.json" -w '%{http_code}' -X POST -H "Authorization: Bearer $token" "$url/v1/admin/reload")
        want=409; [ -n "$next" ] && want=200
        [ "$status" = "$want" ] || { echo "admin reload of the $file file answered $status, not $want: $(cat "$out/admin.json")"; wrong=$(( wrong + 1 )); }
    fi
    [ -n "$next" ] && serving=$next
    got="$(answer)"
    if [ -z "${expected[$serving]:-}" ]; then
        expected[$serving]="$got"
    elif [ "$got" != "${expected[$serving]}" ]; then
        echo "after reload $attempted ($file) the answer for model $serving changed: $got"
        changed=$(( changed + 1 ))
    fi
    step=$(( step + 1 ))
    if [ $(( $(date +%s) - last_sample )) -ge 60 ]; then
        last_sample=$(date +%s)
        sample=$(rss)
        [ -z "$rss_minute" ] && rss_minute=$sample
        echo "$(( last_sample - start )) s: RSS $sample kB, $(fds) descriptors, $attempted reloads attempted"
    fi
done
for pid in "${wrks[@]}"; do wait "$pid"; done
wrks=()
elapsed=$(( $(date +%s) - start ))
sleep 2
rss_end=$(rss); fd_end=$(fds)

requests=0 non2xx=0 socket=0
for script in users similar foldin; do
    result="$out/wrk-$script.txt"
    n=$(awk '/requests in/ {print $1}' "$result"); requests=$(( requests + n ))
    x=$(awk '/Non-2xx/ {print $NF}' "$result" | grep . || echo 0); non2xx=$(( non2xx + x ))
    s=$(awk '/Socket errors/ {gsub(",", ""); print $4 + $6 + $8 + $10}' "$result" | grep . || echo 0); socket=$(( socket + s ))
    printf '%-8s %9s requests, %8s req/s, non-2xx %s\n' "$script" "$n" "$(awk '/Requests\/sec/ {print $2}' "$result")" "$x"
done
metrics="$(curl -s "$url/metrics")"
succeeded=$(echo "$metrics" | awk '$1 == "encore_model_reloads_total" {print $2}')
failed=$(echo "$metrics" | awk '$1 == "encore_model_reloads_failed_total" {print $2}')
version=$(echo "$metrics" | awk '$1 == "encore_model_version" {print $2}')
fivexx=$(echo "$metrics" | awk '/^encore_requests_total/ && /status="5/ {n += $2} END {print n + 0}')
refused_logged=$(grep -c "reload refused" "$out/serve.log" || true)

echo "duration: $elapsed s of load"
echo "requests served (wrk): $requests; non-2xx: $non2xx; 5xx (server /metrics): $fivexx; socket errors: $socket"
echo "reloads attempted: $attempted; succeeded: $succeeded; failed: $failed (/metrics); model_version: $version; 'reload refused' log lines: $refused_logged"
echo "answers changed: $changed; admin route wrong status: $wrong"
echo "RSS: $rss_start kB at start, $rss_minute kB after the first minute, $rss_end kB at end; descriptors: $fd_start at start, $fd_end at end"

status=0
[ "$fivexx" -eq 0 ] || { echo "FAIL: $fivexx 5xx"; status=1; }
[ "$non2xx" -eq 0 ] || { echo "FAIL: $non2xx non-2xx answers to valid requests"; status=1; }
[ "$changed" -eq 0 ] || { echo "FAIL: $changed changed answers"; status=1; }
[ "$wrong" -eq 0 ] || { echo "FAIL: $wrong admin reloads with the wrong status"; status=1; }
[ $(( succeeded + failed )) -eq "$attempted" ] || { echo "FAIL: $attempted reloads attempted, /metrics counts $(( succeeded + failed ))"; status=1; }
[ "$version" -eq $(( succeeded + 1 )) ] || { echo "FAIL: model_version $version after $succeeded reloads"; status=1; }
# Flat means no growth once the first reloads have set the allocator's high-water mark (the
# first minute: two models and a refused file in flight at once, ~+13 MB): from then to the end.
[ -n "$rss_minute" ] || { echo "FAIL: the run was too short for a one-minute RSS sample"; status=1; }
[ $(( rss_end * 100 )) -le $(( ${rss_minute:-0} * 120 )) ] || { echo "FAIL: RSS grew by more than 20 % after the first minute"; status=1; }
[ "$fd_end" -le "$fd_start" ] || { echo "FAIL: descriptors grew"; status=1; }
kill -TERM $server; wait $server && echo "SIGTERM: clean exit 0" || { echo "FAIL: exit status $? after SIGTERM"; status=1; }
trap - EXIT
[ $status -eq 0 ] && echo "soak: PASS" || echo "soak: FAIL"
exit $status
