#!/usr/bin/env bash
# The billion-play run of issue #19, end to end, at any shape: generate the plays and import
# them (text through a pipe into `encore import -`, so the text never touches the disk), train
# k = 64 CG for 10 iterations, write the model, recommend 10 artists for every listener. Each
# stage runs under /usr/bin/time -v; the table at the end (stage → wall, peak RSS, bytes per
# play, disk used) is Markdown, ready for docs/scale.md.
#
#   benchmarks/scale/billion.sh USERS ITEMS MEAN_PER_USER WORKDIR
#   benchmarks/scale/billion.sh 10000000 2000000 100 /big/disk/billion     # the 1 B run
#   benchmarks/scale/billion.sh 1000000 200000 100 /tmp/b100m               # a 100 M dry run
#
# Environment:
#   ENCORE_BIN   the encore binary (default: a release build of this checkout)
#   SOURCE       pipe (default): synth --output - | import -; binary: synth --format binary
#   ITERATIONS   10;  FACTORS 64;  SEED 1
#   CHECK_ONLY=1 print what the run needs and whether this machine has it, then stop
#
# It refuses to start when the work folder's disk or the machine's available memory is short
# of what the run needs, and says how much that is (estimates from docs/scale.md's figures).
# Everything it writes is under WORKDIR (temporary files too: TMPDIR is WORKDIR/tmp).
set -euo pipefail

if [ $# -ne 4 ]; then
    sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
fi
users=$1 items=$2 mean=$3 work=$4
for value in "$users" "$items" "$mean"; do
    [[ "$value" =~ ^[0-9]+$ ]] || { echo "billion.sh: USERS, ITEMS and MEAN_PER_USER must be whole numbers (got '$value')" >&2; exit 2; }
done
source_mode=${SOURCE:-pipe} iterations=${ITERATIONS:-10} factors=${FACTORS:-64} seed=${SEED:-1}
[ "$source_mode" = pipe ] || [ "$source_mode" = binary ] || { echo "billion.sh: SOURCE must be pipe or binary (got '$source_mode')" >&2; exit 2; }
root=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../common.sh
. "$root/benchmarks/common.sh"

[ -x /usr/bin/time ] || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time; }
mkdir -p "$work/tmp"
export TMPDIR="$work/tmp"

# --- What the run needs (bytes), from the per-play and per-ID figures measured in docs/scale.md.
plays=$((users * mean))
ids=$((users + items))
factor_bytes=$((ids * factors * 4))
id_bytes=$((ids * 200))               # an interned ID, its String and hash-table slot, ≈ 200 B
runtime=$((512 << 20))                # the Swift runtime, OpenBLAS, buffers
if [ "$source_mode" = pipe ]; then
    # synth: plays by listener (8 B) + shuffled order (4 B, handed back as written);
    # import: rows read (12 B), then ≤ 16 B while building. Both alive until synth ends.
    ingest_memory=$((plays * 20 + 2 * id_bytes + 40 * users + runtime))
else
    ingest_memory=$((plays * 16 + id_bytes + runtime))
fi
# Training: a 4-byte index and a one-byte confidence code per play and side (synth's play counts
# code in one byte); reading the log holds only the indices (its weights stay in the file, mapped).
train_memory=$((plays * 10 + factor_bytes + id_bytes + runtime))
recommend_memory=$((plays * 8 + factor_bytes + id_bytes + runtime))   # the mapped model + IDs
memory_needed=$(( ingest_memory > train_memory ? ingest_memory : train_memory ))
memory_needed=$(( recommend_memory > memory_needed ? recommend_memory : memory_needed ))
log_bytes=$((plays * 17 + ids * 60))
model_bytes=$((plays * 8 + factor_bytes + ids * 60))
recs_bytes=$((users * 650))
spill_bytes=0                         # a log's weights stay in it: none are set aside while training
disk_needed=$((log_bytes + model_bytes + recs_bytes + spill_bytes))
available_memory=$(( $(awk '/^MemAvailable:/ {print $2}' /proc/meminfo) * 1024 ))
available_disk=$(( $(df -Pk "$work" | awk 'NR == 2 {print $4}') * 1024 ))
gb() { awk -v b="$1" 'BEGIN {printf "%.1f GB", b / 1e9}'; }

echo "shape: $users users × $items items × $mean plays per user ≈ $plays plays; k = $factors, $iterations iterations; source: $source_mode"
echo "needs: memory $(gb "$memory_needed") (ingest $(gb "$ingest_memory"), train $(gb "$train_memory"), recommend $(gb "$recommend_memory")); disk $(gb "$disk_needed") in $work"
echo "has:   memory $(gb "$available_memory") available; disk $(gb "$available_disk") free"
short=0
if [ "$available_memory" -lt "$memory_needed" ]; then
    echo "billion.sh: not enough memory: the run needs about $(gb "$memory_needed") and $(gb "$available_memory") is available" >&2
    if [ "$source_mode" = pipe ] && [ "$ingest_memory" -gt "$train_memory" ]; then
        echo "billion.sh: the pipe keeps synth (8 B/play) and import (12 B/play) alive at once; SOURCE=binary generates the log directly (≤ 16 B/play)" >&2
    fi
    short=1
fi
if [ "$available_disk" -lt "$disk_needed" ]; then
    echo "billion.sh: not enough disk in $work: the run needs about $(gb "$disk_needed") and $(gb "$available_disk") is free" >&2; short=1
fi
[ "$short" = 0 ] || exit 1
[ "${CHECK_ONLY:-0}" = 1 ] && exit 0

encore=$(encore_binary "$root" "")
log="$work/plays.encore-data" model="$work/model.encore" recs="$work/recs.tsv"
rm -f "$log" "$model" "$recs"
rows=()

# field NAME FILE: one figure of a /usr/bin/time -v report.
field() { awk -F': ' -v name="$1" 'index($0, name) {print $2}' "$2"; }
# seconds H:MM:SS.ss | M:SS.ss → seconds.
seconds() { awk -F: '{s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; printf "%.1f", s}' <<<"$1"; }
disk_used() { du -sb --exclude=tmp "$work" | awk '{printf "%.2f GB", $1 / 1e9}'; }
# row STAGE WALL_SECONDS PEAK_KB NOTE: one stage's figures, with the disk used after it; the
# table is printed at the end, when the plays (counted by training) give the B/play column.
row() { rows+=("$1|$2|$3|$(disk_used)|$4"); }

echo "== generate + import ($source_mode)"
if [ "$source_mode" = pipe ]; then
    # Both processes in a session of their own, so that their resident memory can be summed
    # while they run (each one's peak comes from time -v; their sum's peak from sampling).
    setsid bash -c 'set -o pipefail; "$1" synth --users "$2" --items "$3" --mean-per-user "$4" --seed "$5" --output - 2>"$6/synth.err" |
                    /usr/bin/time -v -o "$6/import.time" "$1" import - --output "$7" >"$6/import.out" 2>"$6/import.err"' \
        _ "$encore" "$users" "$items" "$mean" "$seed" "$work" "$log" &
    pipeline=$!
    # Should this script stop early, the pipeline (a session of its own) stops with it.
    trap 'kill -- -"$pipeline" 2>/dev/null || true' EXIT
    combined=0 started=$(date +%s.%N)
    while kill -0 "$pipeline" 2>/dev/null; do
        now_kb=$( (ps -o rss= -s "$pipeline" 2>/dev/null || true) | awk '{s += $1} END {print s + 0}')
        [ "$now_kb" -gt "$combined" ] && combined=$now_kb
        sleep 0.5
    done
    trap - EXIT
    wait "$pipeline" || { echo "billion.sh: generate + import failed:" >&2; tail -5 "$work/synth.err" "$work/import.err" >&2; exit 1; }
    wall=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
    import_peak=$(field "Maximum resident set size" "$work/import.time")
    rate=$(grep -o '[0-9.]* M rows/s' "$work/import.err" | tail -1 || true)
    row "generate + import (pipe), both processes" "$wall" "$combined" \
        "sampled sum of both; import alone $(awk -v kb="$import_peak" 'BEGIN {printf "%.2f GB", kb * 1024 / 1e9}'); reading at ${rate:-?}"
else
    /usr/bin/time -v -o "$work/synth.time" "$encore" synth --users "$users" --items "$items" --mean-per-user "$mean" --seed "$seed" \
        --format binary --output "$log" 2>"$work/synth.err" || { cat "$work/synth.time" "$work/synth.err" >&2; exit 1; }
    row "generate (binary log)" "$(seconds "$(field "Elapsed (wall clock)" "$work/synth.time")")" \
        "$(field "Maximum resident set size" "$work/synth.time")" "$(tail -1 "$work/synth.err")"
fi

echo "== train"
/usr/bin/time -v -o "$work/train.time" "$encore" train "$log" --output "$model" --factors "$factors" --iterations "$iterations" \
    --solver cg >"$work/train.out" 2>"$work/train.err" || { cat "$work/train.err" >&2; exit 1; }
counted_plays=$(grep -o '"interactions":[0-9]*' "$work/train.out" | cut -d: -f2)
per_iteration=$(grep -o '"seconds_per_iteration":[0-9.]*' "$work/train.out" | cut -d: -f2)
row "train k = $factors, $iterations CG iterations, write the model" "$(seconds "$(field "Elapsed (wall clock)" "$work/train.time")")" \
    "$(field "Maximum resident set size" "$work/train.time")" "$(printf '%.2f' "$per_iteration") s/iteration; model $(du -b "$model" | awk '{printf "%.2f GB", $1 / 1e9}')"

echo "== recommend-all"
/usr/bin/time -v -o "$work/recommend.time" "$encore" recommend-all "$model" --count 10 --output "$recs" \
    >"$work/recommend.out" 2>"$work/recommend.err" || { cat "$work/recommend.err" >&2; exit 1; }
row "recommend-all, 10 per listener" "$(seconds "$(field "Elapsed (wall clock)" "$work/recommend.time")")" \
    "$(field "Maximum resident set size" "$work/recommend.time")" "$(wc -l <"$recs") lines"

echo
echo "$counted_plays plays, $users users × $items items (mean $mean), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GB; $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "| Stage | Wall | Peak RSS | B/play | Disk used after | Notes |"
echo "|---|---:|---:|---:|---:|---|"
for entry in "${rows[@]}"; do
    IFS='|' read -r stage wall peak disk note <<<"$entry"
    awk -v s="$stage" -v w="$wall" -v kb="$peak" -v d="$disk" -v n="$note" -v p="$counted_plays" \
        'BEGIN {printf "| %s | %s s | %.2f GB | %.1f | %s | %s |\n", s, w, kb * 1024 / 1e9, kb * 1024 / p, d, n}'
done
